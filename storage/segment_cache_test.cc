#include "storage/segment_cache.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace rewindmq::storage::internal {
namespace {

std::shared_ptr<const std::string> Value(const char* s) {
  return std::make_shared<const std::string>(s);
}

TEST(SegmentCacheTest, FindsWhatWasInserted) {
  SegmentCache<std::string> cache(4);
  EXPECT_EQ(cache.Find(0), nullptr);
  cache.Insert(0, Value("a"), /*evict=*/true);
  cache.Insert(100, Value("b"), /*evict=*/true);
  ASSERT_NE(cache.Find(0), nullptr);
  EXPECT_EQ(*cache.Find(0), "a");
  EXPECT_EQ(*cache.Find(100), "b");
  EXPECT_EQ(cache.Find(50), nullptr);
  EXPECT_EQ(cache.size(), 2);
}

TEST(SegmentCacheTest, FirstInsertWins) {
  SegmentCache<std::string> cache(4);
  cache.Insert(7, Value("first"), true);
  EXPECT_EQ(*cache.Insert(7, Value("second"), true), "first");
  EXPECT_EQ(*cache.Find(7), "first");
  EXPECT_EQ(cache.size(), 1);
}

TEST(SegmentCacheTest, EvictsLeastRecentlyUsed) {
  SegmentCache<std::string> cache(2);
  cache.Insert(1, Value("1"), true);
  cache.Insert(2, Value("2"), true);
  ASSERT_NE(cache.Find(1), nullptr);  // 2 is now the least recently used
  cache.Insert(3, Value("3"), true);
  EXPECT_EQ(cache.Find(2), nullptr);
  EXPECT_NE(cache.Find(1), nullptr);
  EXPECT_NE(cache.Find(3), nullptr);
  EXPECT_EQ(cache.size(), 2);
}

TEST(SegmentCacheTest, WithoutEvictAFullCacheStaysAsItIs) {
  SegmentCache<std::string> cache(2);
  cache.Insert(1, Value("1"), true);
  EXPECT_TRUE(cache.HasRoom());
  cache.Insert(2, Value("2"), true);
  EXPECT_FALSE(cache.HasRoom());
  std::shared_ptr<const std::string> v = cache.Insert(3, Value("3"), false);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(*v, "3");  // returned, not kept
  EXPECT_EQ(cache.Find(3), nullptr);
  EXPECT_NE(cache.Find(1), nullptr);
  EXPECT_NE(cache.Find(2), nullptr);
}

TEST(SegmentCacheTest, ZeroCapacityCachesNothing) {
  SegmentCache<std::string> cache(0);
  EXPECT_FALSE(cache.HasRoom());
  EXPECT_EQ(*cache.Insert(1, Value("1"), true), "1");
  EXPECT_EQ(cache.Find(1), nullptr);
  EXPECT_EQ(cache.size(), 0);
}

TEST(SegmentCacheTest, EraseBelowDropsOlderSegmentsOnly) {
  SegmentCache<std::string> cache(8);
  for (int64_t base : {0, 10, 20, 30}) cache.Insert(base, Value("x"), true);
  cache.EraseBelow(20);
  EXPECT_EQ(cache.Find(0), nullptr);
  EXPECT_EQ(cache.Find(10), nullptr);
  EXPECT_NE(cache.Find(20), nullptr);
  EXPECT_NE(cache.Find(30), nullptr);
  EXPECT_EQ(cache.size(), 2);
  // The freed room is usable again.
  cache.Insert(40, Value("y"), false);
  EXPECT_NE(cache.Find(40), nullptr);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0);
  EXPECT_EQ(cache.Find(30), nullptr);
}

TEST(SegmentCacheTest, AValueOutlivesItsEviction) {
  SegmentCache<std::string> cache(1);
  cache.Insert(1, Value("kept by the reader"), true);
  std::shared_ptr<const std::string> held = cache.Find(1);
  cache.Insert(2, Value("2"), true);
  EXPECT_EQ(cache.Find(1), nullptr);
  EXPECT_EQ(*held, "kept by the reader");
}

TEST(SegmentCacheTest, ConcurrentUseKeepsTheBound) {
  SegmentCache<std::string> cache(16);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int64_t i = 0; i < 2000; ++i) {
        const int64_t base = (i * 7 + t) % 64;
        if (cache.Find(base) == nullptr) {
          std::shared_ptr<const std::string> v =
              cache.Insert(base, Value("v"), /*evict=*/(i % 2) == 0);
          ASSERT_NE(v, nullptr);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_LE(cache.size(), 16);
  EXPECT_GT(cache.size(), 0);
}

}  // namespace
}  // namespace rewindmq::storage::internal

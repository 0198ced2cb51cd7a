#include "storage/store.h"

#include <filesystem>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/test_records.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::storage {
namespace {

using ::rmqtest::IsOk;
using ::rmqtest::IsOkAndHolds;
using ::rmqtest::StatusIs;
using ::testing::ElementsAre;
using ::testing::Pair;
using testing::Records;

TEST(StoreTest, QueuesGetDistinctIdsThatSurviveAReopen) {
  rmqtest::ScopedTempDir dir;
  QueueId a, b;
  {
    ASSERT_OK_AND_ASSIGN(auto store, Store::Open(dir.path()));
    ASSERT_OK_AND_ASSIGN(QueueLog * qa, store->CreateQueue());
    ASSERT_OK_AND_ASSIGN(QueueLog * qb, store->CreateQueue());
    a = qa->id();
    b = qb->id();
    EXPECT_NE(a, b);
    ASSERT_OK(qb->Append(Records({"kept"})));
  }
  ASSERT_OK_AND_ASSIGN(auto store, Store::Open(dir.path()));
  EXPECT_THAT(store->ListQueues(), ElementsAre(a, b));
  ASSERT_OK_AND_ASSIGN(QueueLog * qb, store->Queue(b));
  EXPECT_EQ(qb->max_offset(), Offset{1});
  ASSERT_OK_AND_ASSIGN(QueueLog * qc, store->CreateQueue());
  EXPECT_GT(qc->id(), b);
}

TEST(StoreTest, ADeletedQueueIsGoneWithItsFilesAndItsIdIsNotReused) {
  rmqtest::ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, Store::Open(dir.path()));
  ASSERT_OK_AND_ASSIGN(QueueLog * q, store->CreateQueue());
  ASSERT_OK(q->Append(Records({"a"})));
  const QueueId id = q->id();
  ASSERT_OK(store->DeleteQueue(id));
  EXPECT_THAT(store->Queue(id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(q->Append(Records({"b"})), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(q->Read(Offset{0}, 1), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->DeleteQueue(id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(
      std::distance(std::filesystem::directory_iterator(dir.Sub("queues")),
                    std::filesystem::directory_iterator()),
      0);
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Store::Open(dir.path()));
  EXPECT_TRUE(store->ListQueues().empty());
  ASSERT_OK_AND_ASSIGN(QueueLog * fresh, store->CreateQueue());
  EXPECT_NE(fresh->id(), id);
}

TEST(StoreTest, ASecondProcessCannotOpenTheSameDirectory) {
  rmqtest::ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, Store::Open(dir.path()));
  EXPECT_THAT(Store::Open(dir.path()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(StoreTest, BadOptionsAreRejected) {
  rmqtest::ScopedTempDir dir;
  StoreOptions o;
  o.segment_bytes = 10;
  EXPECT_THAT(Store::Open(dir.path(), o),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StoreTest, DurabilityNamesParse) {
  EXPECT_THAT(ParseDurability("always"), IsOkAndHolds(Durability::kAlways));
  EXPECT_THAT(ParseDurability("interval"), IsOkAndHolds(Durability::kInterval));
  EXPECT_THAT(ParseDurability("never"), IsOkAndHolds(Durability::kNever));
  EXPECT_THAT(ParseDurability("sometimes"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KvStoreTest, PutGetDeleteAndBatchesAreVisibleAndDurable) {
  rmqtest::ScopedTempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto store, Store::Open(dir.path()));
    KvStore& kv = store->kv();
    ASSERT_OK(kv.Put("g/a", "1"));
    EXPECT_THAT(kv.Get("g/a"), IsOkAndHolds("1"));
    EXPECT_THAT(kv.Get("g/zz"), StatusIs(absl::StatusCode::kNotFound));
    KvBatch b;
    b.Put("g/b", "2");
    b.Put("g/c", "3");
    b.Put("h/x", "9");
    b.Delete("g/a");
    ASSERT_OK(kv.Write(b, /*sync=*/true));
  }
  ASSERT_OK_AND_ASSIGN(auto store, Store::Open(dir.path()));
  KvStore& kv = store->kv();
  EXPECT_THAT(kv.Get("g/a"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(kv.Scan("g/"),
              IsOkAndHolds(ElementsAre(Pair("g/b", "2"), Pair("g/c", "3"))));
  EXPECT_THAT(kv.Scan("g/", "g/b"),
              IsOkAndHolds(ElementsAre(Pair("g/c", "3"))));
  EXPECT_THAT(kv.Scan("g/", "", 1),
              IsOkAndHolds(ElementsAre(Pair("g/b", "2"))));
  KvBatch range;
  range.DeleteRange("g/", "g0");
  ASSERT_OK(kv.Write(range));
  EXPECT_THAT(kv.Scan("g/"), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(kv.Get("h/x"), IsOkAndHolds("9"));
}

}  // namespace
}  // namespace rewindmq::storage

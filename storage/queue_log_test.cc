#include "storage/queue_log.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "storage/test_records.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::storage {
namespace {

using ::rmqtest::IsOk;
using ::rmqtest::IsOkAndHolds;
using ::rmqtest::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using testing::Filler;
using testing::Records;

std::vector<std::string> Bodies(const std::vector<proto::Record>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) out.push_back(r.body());
  return out;
}

class QueueLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    log_ = nullptr;
    store_.reset();
    options_.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(store_, Store::Open(dir_.path(), options_));
    auto ids = store_->ListQueues();
    if (ids.empty()) {
      ASSERT_OK_AND_ASSIGN(log_, store_->CreateQueue());
    } else {
      ASSERT_OK_AND_ASSIGN(log_, store_->Queue(ids.front()));
    }
  }

  TimeLookup Lookup(absl::Time t) {
    absl::StatusOr<TimeLookup> r = log_->FirstOffsetAtOrAfter(t);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : TimeLookup{};
  }

  rmqtest::ScopedTempDir dir_;
  rmqtest::FakeClock clock_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
  QueueLog* log_ = nullptr;
};

TEST_F(QueueLogTest, AppendAssignsConsecutiveOffsets) {
  ASSERT_OK_AND_ASSIGN(AppendResult a, log_->Append(Records({"a", "b"})));
  ASSERT_OK_AND_ASSIGN(AppendResult b, log_->Append(Records({"c"})));
  EXPECT_EQ(a.first, Offset{0});
  EXPECT_EQ(a.next, Offset{2});
  EXPECT_EQ(b.first, Offset{2});
  EXPECT_EQ(log_->max_offset(), Offset{3});
  EXPECT_EQ(log_->min_offset(), Offset{0});
}

TEST_F(QueueLogTest, ReadReturnsRecordsByteExactWithTheirPositions) {
  proto::Record r;
  r.set_body(std::string("\0bin\xff", 5));
  r.add_keys("k1");
  r.add_tags("t");
  (*r.mutable_properties())["p"] = "v";
  r.set_producer_time_us(77);
  clock_.Set(absl::FromUnixMicros(1'700'000'000'123'456));
  ASSERT_OK(log_->Append({r}));
  ASSERT_OK_AND_ASSIGN(auto out, log_->Read(Offset{0}, 10));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].body(), std::string("\0bin\xff", 5));
  EXPECT_EQ(out[0].keys(0), "k1");
  EXPECT_EQ(out[0].tags(0), "t");
  EXPECT_EQ(out[0].properties().at("p"), "v");
  EXPECT_EQ(out[0].producer_time_us(), 77);
  EXPECT_EQ(out[0].offset(), 0);
  EXPECT_EQ(out[0].store_time_us(), 1'700'000'000'123'456);
}

TEST_F(QueueLogTest, StoreTimeNeverGoesBackwardsWhenTheClockDoes) {
  clock_.Set(absl::FromUnixSeconds(2000));
  ASSERT_OK(log_->Append(Records({"a"})));
  clock_.Set(absl::FromUnixSeconds(1000));  // clock stepped back
  ASSERT_OK_AND_ASSIGN(AppendResult b, log_->Append(Records({"b"})));
  EXPECT_EQ(b.store_time, absl::FromUnixSeconds(2000));
}

TEST_F(QueueLogTest, StoreTimeNeverGoesBackwardsAcrossARestart) {
  clock_.Set(absl::FromUnixSeconds(2000));
  ASSERT_OK(log_->Append(Records({"a"})));
  Open();
  clock_.Set(absl::FromUnixSeconds(1000));
  ASSERT_OK_AND_ASSIGN(AppendResult b, log_->Append(Records({"b"})));
  EXPECT_EQ(b.store_time, absl::FromUnixSeconds(2000));
}

TEST_F(QueueLogTest, ReadOutsideTheRetainedRangeIsOutOfRange) {
  ASSERT_OK(log_->Append(Records({"a", "b", "c"})));
  EXPECT_THAT(log_->Read(Offset{4}, 10),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(log_->Read(Offset{-1}, 10),
              StatusIs(absl::StatusCode::kOutOfRange));
}

TEST_F(QueueLogTest, ReadAtMaxOffsetIsEmpty) {
  ASSERT_OK(log_->Append(Records({"a"})));
  EXPECT_THAT(log_->Read(Offset{1}, 10), IsOkAndHolds(::testing::IsEmpty()));
}

TEST_F(QueueLogTest, ReadStopsAtTheByteLimitButAlwaysReturnsOneRecord) {
  ASSERT_OK(log_->Append(Records({"aaaa", "bbbb", "cccc"})));
  ASSERT_OK_AND_ASSIGN(auto one, log_->Read(Offset{0}, 10, 1));
  EXPECT_THAT(Bodies(one), ElementsAre("aaaa"));
  ASSERT_OK_AND_ASSIGN(auto two, log_->Read(Offset{1}, 2));
  EXPECT_THAT(Bodies(two), ElementsAre("bbbb", "cccc"));
}

TEST_F(QueueLogTest, ReadFollowsTheLogAcrossSegmentRolls) {
  options_.segment_bytes = 4096;
  options_.index_interval_bytes = 256;
  Open();
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK(log_->Append(Records({"record-" + std::to_string(i)})));
  }
  EXPECT_GT(log_->Stats().segments, 1);
  for (int from : {0, 1, 57, 120, 199}) {
    ASSERT_OK_AND_ASSIGN(auto out, log_->Read(Offset{from}, 500));
    ASSERT_EQ(out.size(), static_cast<size_t>(200 - from));
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_EQ(out[i].offset(), from + static_cast<int64_t>(i));
      ASSERT_EQ(out[i].body(), "record-" + std::to_string(from + i));
    }
  }
}

TEST_F(QueueLogTest, TimeBetweenTwoRecordsFindsTheLaterRecord) {
  clock_.Set(absl::FromUnixMillis(1000));
  ASSERT_OK(log_->Append(Records({"a"})));
  clock_.Set(absl::FromUnixMillis(2000));
  ASSERT_OK(log_->Append(Records({"b"})));

  TimeLookup r = Lookup(absl::FromUnixMillis(1500));
  EXPECT_EQ(r.offset, Offset{1});
  EXPECT_EQ(r.store_time, absl::FromUnixMillis(2000));
  EXPECT_EQ(r.clamp, TimeLookup::Clamp::kNone);
}

TEST_F(QueueLogTest, TimeExactlyOnARecordFindsThatRecord) {
  clock_.Set(absl::FromUnixMillis(1000));
  ASSERT_OK(log_->Append(Records({"a"})));
  clock_.Set(absl::FromUnixMillis(2000));
  ASSERT_OK(log_->Append(Records({"b"})));
  EXPECT_EQ(Lookup(absl::FromUnixMillis(2000)).offset, Offset{1});
}

TEST_F(QueueLogTest, TimeAtOrBeforeTheOldestRecordIsClampedToEarliest) {
  clock_.Set(absl::FromUnixMillis(1000));
  ASSERT_OK(log_->Append(Records({"a", "b"})));
  for (absl::Time t : {absl::UnixEpoch(), absl::FromUnixMillis(1000)}) {
    TimeLookup r = Lookup(t);
    EXPECT_EQ(r.offset, Offset{0});
    EXPECT_EQ(r.clamp, TimeLookup::Clamp::kToEarliest);
    EXPECT_EQ(r.store_time, absl::FromUnixMillis(1000));
  }
}

TEST_F(QueueLogTest, TimeAfterTheNewestRecordIsMaxOffsetBeyondEnd) {
  clock_.Set(absl::FromUnixMillis(1000));
  ASSERT_OK(log_->Append(Records({"a", "b"})));
  for (absl::Time t :
       {absl::FromUnixMillis(1001), absl::FromUnixSeconds(int64_t{1} << 40),
        absl::InfiniteFuture()}) {
    TimeLookup r = Lookup(t);
    EXPECT_EQ(r.offset, Offset{2});
    EXPECT_EQ(r.clamp, TimeLookup::Clamp::kBeyondEnd);
    EXPECT_FALSE(r.store_time.has_value());
  }
}

TEST_F(QueueLogTest, EmptyQueueAnswersMaxOffset) {
  TimeLookup r = Lookup(absl::FromUnixSeconds(5));
  EXPECT_EQ(r.offset, Offset{0});
  EXPECT_EQ(r.clamp, TimeLookup::Clamp::kBeyondEnd);
}

TEST_F(QueueLogTest, TimeBeforeTheEpochIsInvalid) {
  EXPECT_THAT(log_->FirstOffsetAtOrAfter(absl::FromUnixMicros(-1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(QueueLogTest, ManyRecordsSharingTheTimeFindTheFirstOfThem) {
  options_.index_interval_bytes = 128;
  Open();
  clock_.Set(absl::FromUnixMillis(1000));
  ASSERT_OK(log_->Append(Filler(10, 20)));
  clock_.Set(absl::FromUnixMillis(2000));
  ASSERT_OK(log_->Append(Filler(500, 20)));  // one store time, many entries
  clock_.Set(absl::FromUnixMillis(3000));
  ASSERT_OK(log_->Append(Filler(10, 20)));
  EXPECT_EQ(Lookup(absl::FromUnixMillis(2000)).offset, Offset{10});
  EXPECT_EQ(Lookup(absl::FromUnixMillis(1999)).offset, Offset{10});
  EXPECT_EQ(Lookup(absl::FromUnixMillis(2001)).offset, Offset{510});
}

TEST_F(QueueLogTest, EmptyBatchAndOversizedRecordAreInvalid) {
  EXPECT_THAT(log_->Append({}), StatusIs(absl::StatusCode::kInvalidArgument));
  proto::Record big;
  big.set_body(std::string(kMaxRecordBytes + 1, 'x'));
  EXPECT_THAT(log_->Append({big}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(log_->max_offset(), Offset{0});
}

TEST_F(QueueLogTest, ImportKeepsGivenTimesAndRefusesOnesThatGoBackwards) {
  std::vector<proto::Record> history = Records({"old", "older?", "new"});
  history[0].set_store_time_us(1'000'000);
  history[1].set_store_time_us(2'000'000);
  history[2].set_store_time_us(3'000'000);
  ASSERT_OK(log_->Import(history));
  EXPECT_EQ(Lookup(absl::FromUnixMicros(1'500'000)).offset, Offset{1});

  std::vector<proto::Record> back = Records({"x"});
  back[0].set_store_time_us(2'500'000);
  EXPECT_THAT(log_->Import(back), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(log_->max_offset(), Offset{3});
}

TEST_F(QueueLogTest, ImportRefusesTimesBeyondTheAllowedSkew) {
  std::vector<proto::Record> future = Records({"x"});
  future[0].set_store_time_us(
      absl::ToUnixMicros(clock_.Now() + absl::Minutes(5)));
  EXPECT_THAT(log_->Import(future),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(QueueLogTest, AppendAfterImportUsesNoEarlierTime) {
  std::vector<proto::Record> h = Records({"x"});
  h[0].set_store_time_us(absl::ToUnixMicros(clock_.Now() + absl::Seconds(30)));
  ASSERT_OK(log_->Import(h));
  ASSERT_OK_AND_ASSIGN(AppendResult r, log_->Append(Records({"y"})));
  EXPECT_EQ(r.store_time, clock_.Now() + absl::Seconds(30));
}

TEST_F(QueueLogTest, RetentionByTimeRemovesWholeOldSegmentsOnly) {
  options_.segment_bytes = 4096;
  Open();
  for (int i = 0; i < 100; ++i) {
    clock_.Set(absl::FromUnixSeconds(1000 + i));
    ASSERT_OK(log_->Append(Filler(1, 100)));
  }
  const int before = log_->Stats().segments;
  ASSERT_GT(before, 3);
  ASSERT_OK_AND_ASSIGN(
      int removed, log_->ApplyRetention(
                       {.remove_stored_before = absl::FromUnixSeconds(1050)}));
  EXPECT_GT(removed, 0);
  const Offset min = log_->min_offset();
  EXPECT_GT(min.value, 0);
  EXPECT_LE(min.value, 50);  // nothing stored at or after the cut is gone
  ASSERT_OK_AND_ASSIGN(auto first, log_->Read(min, 1));
  EXPECT_EQ(first[0].offset(), min.value);
  EXPECT_THAT(log_->Read(Offset{min.value - 1}, 1),
              StatusIs(absl::StatusCode::kOutOfRange));
  TimeLookup r = Lookup(absl::FromUnixSeconds(0));
  EXPECT_EQ(r.offset, min);
  EXPECT_EQ(r.clamp, TimeLookup::Clamp::kToEarliest);

  Open();  // the removal is durable
  EXPECT_EQ(log_->min_offset(), min);
  EXPECT_EQ(Lookup(absl::FromUnixSeconds(1075)).offset, Offset{75});
}

TEST_F(QueueLogTest, RetentionBySizeKeepsTheQueueUnderTheCap) {
  options_.segment_bytes = 4096;
  Open();
  for (int i = 0; i < 300; ++i) ASSERT_OK(log_->Append(Filler(1, 100)));
  ASSERT_OK(log_->ApplyRetention({.max_bytes = 10000}));
  EXPECT_LE(log_->Stats().size_bytes, 10000);
  EXPECT_EQ(log_->max_offset(), Offset{300});
}

TEST_F(QueueLogTest, RetentionNeverRemovesTheActiveSegment) {
  ASSERT_OK(log_->Append(Records({"a", "b"})));
  ASSERT_OK_AND_ASSIGN(
      int removed,
      log_->ApplyRetention(
          {.remove_stored_before = absl::InfiniteFuture(), .max_bytes = 0}));
  EXPECT_EQ(removed, 0);
  EXPECT_EQ(log_->min_offset(), Offset{0});
}

TEST_F(QueueLogTest, ConcurrentAppendersAndReadersNeverSeeHalfABatch) {
  options_.segment_bytes = 64 * 1024;
  options_.durability = Durability::kAlways;  // exercises group commit
  Open();
  constexpr int kWriters = 4, kBatches = 200, kBatch = 5;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      const Offset max = log_->max_offset();
      if (max.value % kBatch != 0) bad++;  // half a batch is visible
      auto rs = log_->Read(Offset{0}, 1 << 20, int64_t{1} << 30);
      if (!rs.ok()) {
        bad++;
        continue;
      }
      for (size_t i = 0; i < rs->size(); ++i) {
        if ((*rs)[i].offset() != static_cast<int64_t>(i)) bad++;
      }
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int b = 0; b < kBatches; ++b) {
        if (!log_->Append(Filler(kBatch, 30, std::to_string(w))).ok()) bad++;
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(log_->max_offset(), Offset{kWriters * kBatches * kBatch});
}

TEST_F(QueueLogTest, LookupsRacingRetentionAnswerFromTheNewStart) {
  options_.segment_bytes = 4096;
  Open();
  for (int i = 0; i < 400; ++i) {
    clock_.Set(absl::FromUnixSeconds(1000 + i));
    ASSERT_OK(log_->Append(Filler(1, 100)));
  }
  std::atomic<int> bad{0};
  std::thread looker([&] {
    for (int i = 0; i < 2000; ++i) {
      auto r =
          log_->FirstOffsetAtOrAfter(absl::FromUnixSeconds(1000 + i % 400));
      if (!r.ok() || r->offset < Offset{0}) {
        bad++;
        continue;
      }
      // Either the exact record, or clamped to whatever min_offset was.
      if (r->clamp == TimeLookup::Clamp::kNone && r->offset.value != i % 400) {
        bad++;
      }
    }
  });
  for (int cut = 1010; cut < 1400; cut += 10) {
    ASSERT_OK(log_->ApplyRetention(
        {.remove_stored_before = absl::FromUnixSeconds(cut)}));
  }
  looker.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(QueueLogTest, DataSurvivesReopenInEveryDurabilityMode) {
  for (Durability d :
       {Durability::kAlways, Durability::kInterval, Durability::kNever}) {
    options_.durability = d;
    Open();
    const Offset start = log_->max_offset();
    ASSERT_OK(log_->Append(Records({"x", "y"})));
    Open();
    ASSERT_OK_AND_ASSIGN(auto rs, log_->Read(start, 10));
    EXPECT_THAT(Bodies(rs), ElementsAre("x", "y")) << DurabilityName(d);
  }
}

}  // namespace
}  // namespace rewindmq::storage

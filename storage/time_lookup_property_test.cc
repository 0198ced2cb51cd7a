// FirstOffsetAtOrAfter() against a brute-force oracle over random queues:
// bursts of records sharing one store time, clock regressions, segment rolls,
// retention, reopening, and times before, at, between and after the data.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/queue_log.h"
#include "storage/store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::storage {
namespace {

struct OracleRecord {
  int64_t offset;
  int64_t ts_us;
};

// What the lookup must answer, computed from every record the test stored.
TimeLookup Oracle(const std::vector<OracleRecord>& all, int64_t min_offset,
                  int64_t max_offset, int64_t t_us) {
  auto first_kept = std::lower_bound(
      all.begin(), all.end(), min_offset,
      [](const OracleRecord& r, int64_t o) { return r.offset < o; });
  auto hit = std::find_if(first_kept, all.end(), [t_us](const OracleRecord& r) {
    return r.ts_us >= t_us;
  });
  if (hit == all.end()) {
    return {Offset{max_offset}, std::nullopt, TimeLookup::Clamp::kBeyondEnd};
  }
  return {Offset{hit->offset}, absl::FromUnixMicros(hit->ts_us),
          hit == first_kept ? TimeLookup::Clamp::kToEarliest
                            : TimeLookup::Clamp::kNone};
}

struct Params {
  uint32_t seed;
  int64_t segment_bytes;
  int64_t index_interval_bytes;
  int index_cache_segments;
};

class TimeLookupPropertyTest : public ::testing::TestWithParam<Params> {
 protected:
  void Open() {
    log_ = nullptr;
    store_.reset();
    StoreOptions o;
    o.clock = &clock_;
    o.segment_bytes = GetParam().segment_bytes;
    o.index_interval_bytes = GetParam().index_interval_bytes;
    o.index_cache_segments = GetParam().index_cache_segments;
    o.durability = Durability::kNever;
    ASSERT_OK_AND_ASSIGN(store_, Store::Open(dir_.path(), o));
    if (store_->ListQueues().empty()) {
      ASSERT_OK_AND_ASSIGN(log_, store_->CreateQueue());
    } else {
      ASSERT_OK_AND_ASSIGN(log_, store_->Queue(store_->ListQueues().front()));
    }
  }

  void AppendBatch(int n, std::mt19937& rng) {
    std::vector<proto::Record> batch(n);
    std::uniform_int_distribution<int> len(0, 60);
    for (auto& r : batch) r.set_body(std::string(len(rng), 'p'));
    ASSERT_OK_AND_ASSIGN(AppendResult res, log_->Append(batch));
    for (int i = 0; i < n; ++i) {
      all_.push_back({res.first.value + i, absl::ToUnixMicros(res.store_time)});
    }
  }

  // Checks every interesting time and a sample of random ones.
  void CheckAll(std::mt19937& rng) {
    const int64_t min = log_->min_offset().value;
    const int64_t max = log_->max_offset().value;
    std::vector<int64_t> times = {0, 1, int64_t{1} << 62};
    for (size_t i = 0; i < all_.size(); i += 1 + all_.size() / 400) {
      times.push_back(all_[i].ts_us);
      times.push_back(all_[i].ts_us - 1);
      times.push_back(all_[i].ts_us + 1);
    }
    if (!all_.empty()) {
      times.push_back(all_.back().ts_us);
      times.push_back(all_.back().ts_us + 1);
      std::uniform_int_distribution<int64_t> any(all_.front().ts_us - 10,
                                                 all_.back().ts_us + 10);
      for (int i = 0; i < 300; ++i) times.push_back(any(rng));
    }
    for (int64_t t : times) {
      if (t < 0) continue;
      const TimeLookup want = Oracle(all_, min, max, t);
      absl::StatusOr<TimeLookup> got =
          log_->FirstOffsetAtOrAfter(absl::FromUnixMicros(t));
      ASSERT_THAT(got, rmqtest::IsOk()) << "t=" << t;
      ASSERT_EQ(got->offset, want.offset) << "t=" << t;
      ASSERT_EQ(got->clamp, want.clamp) << "t=" << t;
      ASSERT_EQ(got->store_time, want.store_time) << "t=" << t;
    }
  }

  rmqtest::ScopedTempDir dir_;
  rmqtest::FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  std::unique_ptr<Store> store_;
  QueueLog* log_ = nullptr;
  std::vector<OracleRecord> all_;
};

TEST_P(TimeLookupPropertyTest, LookupEqualsTheOracleForEveryQuery) {
  std::mt19937 rng(GetParam().seed);
  Open();
  CheckAll(rng);  // empty queue

  std::uniform_int_distribution<int> action(0, 99);
  std::uniform_int_distribution<int> batch(1, 40);
  bool had_big_burst = false;
  for (int step = 0; step < 400; ++step) {
    const int a = action(rng);
    if (a < 60) {
      clock_.Advance(
          absl::Microseconds(std::uniform_int_distribution<int>(1, 3000)(rng)));
      AppendBatch(batch(rng), rng);
    } else if (a < 70) {
      // Many batches in one microsecond: a run of equal store times.
      for (int i = 0; i < 20; ++i) AppendBatch(batch(rng), rng);
    } else if (a < 75 || (!had_big_burst && step == 200)) {
      // A burst of at least 10k records sharing one store time.
      for (int i = 0; i < 10; ++i) AppendBatch(1000, rng);
      had_big_burst = true;
    } else if (a < 82) {
      // The clock steps back by up to an hour; store times must not.
      clock_.Advance(-absl::Microseconds(std::uniform_int_distribution<int64_t>(
          1, int64_t{3600} * 1'000'000)(rng)));
      AppendBatch(batch(rng), rng);
    } else if (a < 86 && all_.size() > 10) {
      const auto& pick =
          all_[std::uniform_int_distribution<size_t>(0, all_.size() - 1)(rng)];
      ASSERT_OK(log_->ApplyRetention(
          {.remove_stored_before = absl::FromUnixMicros(pick.ts_us)}));
    } else if (a < 88) {
      ASSERT_OK(
          log_->ApplyRetention({.max_bytes = GetParam().segment_bytes * 6}));
    } else if (a < 92) {
      CheckAll(rng);
    } else if (a < 94) {
      Open();  // recovery path and RocksDB-backed entries
    } else {
      clock_.Advance(
          absl::Seconds(std::uniform_int_distribution<int>(1, 100)(rng)));
    }
    if (HasFatalFailure()) return;
  }
  ASSERT_TRUE(had_big_burst);
  CheckAll(rng);
  Open();
  CheckAll(rng);
}

INSTANTIATE_TEST_SUITE_P(RandomQueues, TimeLookupPropertyTest,
                         ::testing::Values(Params{1, 16 << 10, 512, 16},
                                           Params{2, 16 << 10, 512, 0},
                                           Params{3, 64 << 10, 4096, 2},
                                           Params{4, 4096, 64, 0},
                                           Params{5, 1 << 20, 32 << 10, 16},
                                           Params{6, 32 << 10, 1000, 1},
                                           Params{7, 1 << 20, 256, 0}));

}  // namespace
}  // namespace rewindmq::storage

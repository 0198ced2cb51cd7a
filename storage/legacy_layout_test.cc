// A data folder written by a version whose segments all had the fixed frame
// layout (storage/testdata/fixed_layout, see its README) still opens: every
// record reads back and every lookup answers as before, appends continue in
// the old active segment until it rolls, new segments get the compact
// layout, and a reopen reads both.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/queue_log.h"
#include "storage/segment.h"
#include "storage/store.h"
#include "storage/test_records.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::storage {
namespace {

namespace fs = std::filesystem;

constexpr int kLegacyRecords = 240;

// The body of the i-th line the fixture was imported from.
std::string LegacyBody(int i) {
  return absl::StrFormat("legacy-%03d-%s", i,
                         std::string(80, static_cast<char>('a' + i % 26)));
}

// Count of segment files per layout in a queue's folder.
std::map<FrameFormat, int> Layouts(const std::string& queue_dir) {
  std::map<FrameFormat, int> out;
  for (const auto& f : fs::directory_iterator(queue_dir)) {
    int64_t base;
    FrameFormat format;
    if (SegmentFile::ParseFileName(f.path().filename().string(), &base,
                                   &format)) {
      ++out[format];
    }
  }
  return out;
}

class LegacyLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy(RMQ_TESTDATA_DIR "/fixed_layout/data", dir_.Sub("data"),
             fs::copy_options::recursive);
    // The fixture's segments were sealed at 4 KiB, so appends roll soon.
    options_.segment_bytes = 4096;
    options_.index_interval_bytes = 1024;
    options_.active_index_interval_bytes = 256;
  }
  void Open() {
    store_.reset();
    ASSERT_OK_AND_ASSIGN(store_, Store::Open(dir_.Sub("data"), options_));
  }
  std::string QueueDir(QueueId q) const {
    return absl::StrFormat("%s/queues/%016x", dir_.Sub("data"), q.value);
  }
  std::vector<proto::Record> ReadAll(QueueId q) {
    absl::StatusOr<QueueLog*> log = store_->Queue(q);
    EXPECT_TRUE(log.ok()) << log.status();
    std::vector<proto::Record> out;
    Offset at = (*log)->min_offset();
    while (at < (*log)->max_offset()) {
      absl::StatusOr<std::vector<proto::Record>> rs = (*log)->Read(at, 50);
      EXPECT_TRUE(rs.ok()) << rs.status();
      if (!rs.ok() || rs->empty()) break;
      at = Offset{rs->back().offset() + 1};
      for (proto::Record& r : *rs) out.push_back(std::move(r));
    }
    return out;
  }
  // Every record's store time finds the first record stored at that time.
  void ExpectLookupsMatch(QueueId q, const std::vector<proto::Record>& rs) {
    ASSERT_OK_AND_ASSIGN(QueueLog * log, store_->Queue(q));
    for (size_t i = 0; i < rs.size(); ++i) {
      size_t first = i;
      while (first > 0 &&
             rs[first - 1].store_time_us() == rs[i].store_time_us()) {
        --first;
      }
      ASSERT_OK_AND_ASSIGN(TimeLookup t,
                           log->FirstOffsetAtOrAfter(
                               absl::FromUnixMicros(rs[i].store_time_us())));
      EXPECT_EQ(t.offset, Offset{rs[first].offset()}) << "record " << i;
      ASSERT_TRUE(t.store_time.has_value());
      EXPECT_EQ(absl::ToUnixMicros(*t.store_time), rs[i].store_time_us());
    }
  }

  rmqtest::ScopedTempDir dir_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

TEST_F(LegacyLayoutTest, EveryRecordReadsBackAndEveryLookupAnswers) {
  Open();
  const std::vector<QueueId> queues = store_->ListQueues();
  ASSERT_EQ(queues.size(), 2u);
  std::set<std::string> bodies;
  for (QueueId q : queues) {
    // The fixture really is of the old layout, sealed segments included.
    const std::map<FrameFormat, int> layouts = Layouts(QueueDir(q));
    EXPECT_EQ(layouts.count(FrameFormat::kCompact), 0u);
    EXPECT_GE(layouts.at(FrameFormat::kFixed), 2);

    const std::vector<proto::Record> rs = ReadAll(q);
    ASSERT_FALSE(rs.empty());
    for (size_t i = 0; i < rs.size(); ++i) {
      EXPECT_EQ(rs[i].offset(), static_cast<int64_t>(i));
      if (i > 0) {
        EXPECT_GE(rs[i].store_time_us(), rs[i - 1].store_time_us());
        // A queue holds its share of the lines in their order.
        EXPECT_LT(rs[i - 1].body(), rs[i].body());
      }
      bodies.insert(rs[i].body());
    }
    ExpectLookupsMatch(q, rs);
  }
  std::set<std::string> expected;
  for (int i = 0; i < kLegacyRecords; ++i) expected.insert(LegacyBody(i));
  EXPECT_EQ(bodies, expected);
}

TEST_F(LegacyLayoutTest, AppendsRollIntoCompactSegmentsAndBothLayoutsReopen) {
  Open();
  const QueueId q = store_->ListQueues().front();
  const std::vector<proto::Record> old_records = ReadAll(q);
  ASSERT_OK_AND_ASSIGN(QueueLog * log, store_->Queue(q));
  const Offset old_end = log->max_offset();

  // A few records land in the old active segment, then enough to seal it
  // and begin compact ones.
  std::vector<std::string> added;
  for (int batch = 0; batch < 12; ++batch) {
    std::vector<std::string> bodies;
    for (int i = 0; i < 5; ++i) {
      bodies.push_back(
          absl::StrFormat("new-%03d-%s", batch * 5 + i, std::string(150, 'n')));
    }
    ASSERT_OK_AND_ASSIGN(AppendResult r, log->Append(testing::Records(bodies)));
    EXPECT_EQ(r.first.value, old_end.value + batch * 5);
    added.insert(added.end(), bodies.begin(), bodies.end());
  }
  EXPECT_GE(Layouts(QueueDir(q)).at(FrameFormat::kCompact), 2);
  EXPECT_GE(Layouts(QueueDir(q)).at(FrameFormat::kFixed), 2);

  for (int reopen = 0; reopen < 2; ++reopen) {
    const std::vector<proto::Record> rs = ReadAll(q);
    ASSERT_EQ(rs.size(), old_records.size() + added.size());
    for (size_t i = 0; i < old_records.size(); ++i) {
      EXPECT_EQ(rs[i].body(), old_records[i].body());
      EXPECT_EQ(rs[i].store_time_us(), old_records[i].store_time_us());
    }
    for (size_t i = 0; i < added.size(); ++i) {
      EXPECT_EQ(rs[old_records.size() + i].body(), added[i]);
    }
    ExpectLookupsMatch(q, rs);
    Open();
  }
}

}  // namespace
}  // namespace rewindmq::storage

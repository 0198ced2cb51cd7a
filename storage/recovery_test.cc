// What opening a store does with damage: torn tails, flipped bytes in sealed
// segments, a lost index, index entries past the end of the log.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/frame.h"
#include "storage/queue_log.h"
#include "storage/segment.h"
#include "storage/store.h"
#include "storage/test_records.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::storage {
namespace {

using ::rmqtest::IsOk;
using ::rmqtest::StatusIs;
using testing::Filler;

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Segment files of the only queue, oldest first.
std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& q : fs::directory_iterator(dir + "/queues")) {
    for (const auto& f : fs::directory_iterator(q.path())) {
      out.push_back(f.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// How the frames of segment file `path` are encoded, from its name.
FrameContext ContextOf(const std::string& path) {
  FrameContext ctx;
  EXPECT_TRUE(SegmentFile::ParseFileName(fs::path(path).filename().string(),
                                         &ctx.base_offset, &ctx.format))
      << path;
  return ctx;
}

// Each frame's header in a segment file's bytes, with its position.
struct Frame {
  int64_t pos;
  FrameHeader header;
};
std::vector<Frame> Frames(const std::string& path, const std::string& bytes) {
  const FrameContext ctx = ContextOf(path);
  std::vector<Frame> out;
  int64_t pos = 0;
  while (pos < static_cast<int64_t>(bytes.size())) {
    FrameHeader h;
    if (DecodeFrameHeader(ctx, absl::string_view(bytes).substr(pos), 1 << 30,
                          &h) != HeaderCheck::kOk) {
      break;
    }
    out.push_back({pos, h});
    pos += h.frame_bytes();
  }
  return out;
}

// Where a frame header keeps the store time (8 bytes, little-endian).
int64_t StoreTimeField(const FrameContext& ctx) {
  return ctx.format == FrameFormat::kFixed ? 24 : 8;
}

class RecoveryTest : public ::testing::Test {
 protected:
  void Open() {
    log_ = nullptr;
    store_.reset();
    StoreOptions o;
    o.clock = &clock_;
    o.segment_bytes = 4096;
    o.index_interval_bytes = 256;
    o.index_cache_segments = cache_segments_;
    ASSERT_OK_AND_ASSIGN(store_, Store::Open(dir_.path(), o));
    if (store_->ListQueues().empty()) {
      ASSERT_OK_AND_ASSIGN(log_, store_->CreateQueue());
    } else {
      ASSERT_OK_AND_ASSIGN(log_, store_->Queue(store_->ListQueues().front()));
    }
  }
  void Close() {
    log_ = nullptr;
    store_.reset();
  }

  // n records, one per millisecond from t=1000s.
  void Fill(int n) {
    for (int i = 0; i < n; ++i) {
      clock_.Set(absl::FromUnixSeconds(1000) + absl::Milliseconds(i));
      ASSERT_OK(log_->Append(Filler(1, 60, absl::StrCat("r", i))));
    }
  }

  absl::Time TimeOf(int i) {
    return absl::FromUnixSeconds(1000) + absl::Milliseconds(i);
  }

  rmqtest::ScopedTempDir dir_;
  rmqtest::FakeClock clock_;
  int cache_segments_ = 16;
  std::unique_ptr<Store> store_;
  QueueLog* log_ = nullptr;
};

TEST_F(RecoveryTest, GarbageAfterTheLastRecordIsTruncated) {
  Open();
  Fill(50);
  Close();
  const std::string last = SegmentFiles(dir_.path()).back();
  WriteFile(last, ReadFile(last) + std::string(100, '\x5a'));
  Open();
  EXPECT_EQ(log_->max_offset(), Offset{50});
  ASSERT_OK_AND_ASSIGN(AppendResult r, log_->Append(Filler(1, 10)));
  EXPECT_EQ(r.first, Offset{50});
  EXPECT_THAT(log_->Read(Offset{0}, 100),
              rmqtest::IsOkAndHolds(::testing::SizeIs(51)));
}

TEST_F(RecoveryTest, AHalfWrittenLastRecordIsDropped) {
  Open();
  Fill(60);
  Close();
  const std::string last = SegmentFiles(dir_.path()).back();
  std::string bytes = ReadFile(last);
  const std::vector<Frame> frames = Frames(last, bytes);
  ASSERT_GE(frames.size(), 2u);
  // The tail record's header, torn.
  bytes.resize(frames.back().pos + frames.back().header.header_bytes - 2);
  WriteFile(last, bytes);
  Open();
  EXPECT_EQ(log_->max_offset(), Offset{59});
  ASSERT_OK_AND_ASSIGN(TimeLookup t, log_->FirstOffsetAtOrAfter(TimeOf(59)));
  EXPECT_EQ(t.offset, Offset{59});
  EXPECT_EQ(t.clamp, TimeLookup::Clamp::kBeyondEnd);
  ASSERT_OK_AND_ASSIGN(AppendResult r, log_->Append(Filler(1, 10)));
  EXPECT_EQ(r.first, Offset{59});
  ASSERT_OK_AND_ASSIGN(t, log_->FirstOffsetAtOrAfter(TimeOf(59)));
  EXPECT_EQ(t.offset, Offset{59});
  EXPECT_EQ(t.clamp, TimeLookup::Clamp::kNone);
}

TEST_F(RecoveryTest, AFlippedByteInASealedSegmentIsDataLossForThatRecordOnly) {
  Open();
  Fill(200);
  Close();
  const std::vector<std::string> files = SegmentFiles(dir_.path());
  ASSERT_GE(files.size(), 3u);
  std::string bytes = ReadFile(files[0]);
  const std::vector<Frame> frames = Frames(files[0], bytes);
  ASSERT_GE(frames.size(), 10u);
  // The payload of offset 5.
  bytes[frames[5].pos + frames[5].header.header_bytes + 3] ^= 0x40;
  WriteFile(files[0], bytes);
  Open();

  EXPECT_THAT(log_->Read(Offset{5}, 1), StatusIs(absl::StatusCode::kDataLoss));
  // Records before the damage are served; the damaged one never is.
  ASSERT_OK_AND_ASSIGN(auto before, log_->Read(Offset{0}, 100));
  EXPECT_EQ(before.size(), 5u);
  ASSERT_OK_AND_ASSIGN(auto after, log_->Read(Offset{6}, 3));
  EXPECT_EQ(after.front().offset(), 6);
  EXPECT_THAT(log_->FirstOffsetAtOrAfter(TimeOf(5)),
              StatusIs(absl::StatusCode::kDataLoss));
  ASSERT_OK_AND_ASSIGN(TimeLookup t, log_->FirstOffsetAtOrAfter(TimeOf(150)));
  EXPECT_EQ(t.offset, Offset{150});
  EXPECT_EQ(log_->max_offset(), Offset{200});  // nothing was truncated
}

TEST_F(RecoveryTest, AFlippedHeaderByteInASealedSegmentIsDataLoss) {
  Open();
  Fill(200);
  Close();
  const std::vector<std::string> files = SegmentFiles(dir_.path());
  std::string bytes = ReadFile(files[1]);
  const std::vector<Frame> frames = Frames(files[1], bytes);
  ASSERT_GE(frames.size(), 10u);
  // Inside the header's offset field, which ends both layouts' headers.
  bytes[frames[4].pos + frames[4].header.header_bytes - 1] ^= 0x01;
  WriteFile(files[1], bytes);
  Open();
  int64_t base = 0;
  ASSERT_OK_AND_ASSIGN(auto all, log_->Read(Offset{0}, 1000));
  base = static_cast<int64_t>(all.size());  // stops right before the damage
  EXPECT_LT(base, 200);
  EXPECT_THAT(log_->Read(Offset{base}, 10),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(RecoveryTest, ADamagedStoreTimeNeverShiftsALookupAnswerSilently) {
  Open();
  Fill(200);
  Close();
  const std::vector<std::string> files = SegmentFiles(dir_.path());
  std::string bytes = ReadFile(files[0]);
  const std::vector<Frame> frames = Frames(files[0], bytes);
  ASSERT_GE(frames.size(), 10u);
  // Record 5's store time becomes much smaller: its highest set bit is
  // cleared.
  const int64_t field = frames[5].pos + StoreTimeField(ContextOf(files[0]));
  int top = 7;
  while (top > 0 && bytes[field + top] == 0) --top;
  char& b = bytes[field + top];
  ASSERT_NE(b, 0);
  const auto v = static_cast<unsigned char>(b);
  unsigned char high = 0x80;
  while ((v & high) == 0) high >>= 1;
  b = static_cast<char>(v & ~high);
  WriteFile(files[0], bytes);
  Open();
  // The scan for record 5 would now stop at record 6: the answer depends on
  // the damaged header, so the lookup reports it instead of answering 6.
  EXPECT_THAT(log_->FirstOffsetAtOrAfter(TimeOf(5)),
              StatusIs(absl::StatusCode::kDataLoss));
  // Answers that do not depend on record 5 are unaffected.
  ASSERT_OK_AND_ASSIGN(TimeLookup t, log_->FirstOffsetAtOrAfter(TimeOf(3)));
  EXPECT_EQ(t.offset, Offset{3});
  ASSERT_OK_AND_ASSIGN(t, log_->FirstOffsetAtOrAfter(TimeOf(9)));
  EXPECT_EQ(t.offset, Offset{9});
}

TEST_F(RecoveryTest, ALostIndexIsRebuiltFromTheLog) {
  cache_segments_ = 0;  // answer from RocksDB, not from memory
  Open();
  Fill(300);
  Close();
  {
    // Drop every index entry and the high-water marks, as if the index
    // files were lost.
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, {}},
        {"time_index", {}},
        {"storage", {}},
        {"kv", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> h;
    ASSERT_TRUE(rocksdb::DB::Open({}, dir_.Sub("db"), cfs, &h, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(
        db->DeleteRange({}, h[1], std::string(1, '\0'), std::string(30, '\xff'))
            .ok());
    ASSERT_TRUE(db->DeleteRange({}, h[2], "hwm", "hwn").ok());
    for (auto* c : h) ASSERT_TRUE(db->DestroyColumnFamilyHandle(c).ok());
  }
  Open();
  for (int i : {0, 1, 77, 150, 299}) {
    ASSERT_OK_AND_ASSIGN(TimeLookup t, log_->FirstOffsetAtOrAfter(TimeOf(i)));
    EXPECT_EQ(t.offset, Offset{i});
  }
  ASSERT_OK_AND_ASSIGN(auto rs, log_->Read(Offset{123}, 1));
  EXPECT_EQ(rs[0].body(), absl::StrCat("r123", std::string(60, 'a')));
}

TEST_F(RecoveryTest, IndexEntriesPastTheRecoveredEndAreDropped) {
  Open();
  Fill(300);
  Close();
  // The log loses its last records while RocksDB kept their index entries
  // (a machine crash with durability "never").
  const std::vector<std::string> files = SegmentFiles(dir_.path());
  std::string bytes = ReadFile(files.back());
  const std::vector<Frame> frames = Frames(files.back(), bytes);
  ASSERT_GE(frames.size(), 6u);
  const int lost = static_cast<int>(frames.size()) - 2;
  bytes.resize(frames[2].pos);
  WriteFile(files.back(), bytes);
  Open();
  const int64_t end = 300 - lost;
  EXPECT_EQ(log_->max_offset(), Offset{end});
  ASSERT_OK_AND_ASSIGN(TimeLookup t, log_->FirstOffsetAtOrAfter(TimeOf(299)));
  EXPECT_EQ(t.offset, Offset{end});
  EXPECT_EQ(t.clamp, TimeLookup::Clamp::kBeyondEnd);
  // New records take the lost offsets with their own, later times.
  clock_.Set(TimeOf(1000));
  ASSERT_OK(log_->Append(Filler(lost, 60)));
  ASSERT_OK_AND_ASSIGN(t, log_->FirstOffsetAtOrAfter(TimeOf(500)));
  EXPECT_EQ(t.offset, Offset{end});
  ASSERT_OK_AND_ASSIGN(t, log_->FirstOffsetAtOrAfter(TimeOf(end - 1)));
  EXPECT_EQ(t.offset, Offset{end - 1});
  Close();
  Open();
  ASSERT_OK_AND_ASSIGN(t, log_->FirstOffsetAtOrAfter(TimeOf(500)));
  EXPECT_EQ(t.offset, Offset{end});
}

TEST_F(RecoveryTest, ASegmentLeftBehindByInterruptedRetentionIsRemoved) {
  Open();
  Fill(200);
  ASSERT_OK(log_->ApplyRetention({.remove_stored_before = TimeOf(100)}));
  const Offset min = log_->min_offset();
  Close();
  // Put back a removed file, as if the crash came before the unlink.
  const std::string dir =
      fs::path(SegmentFiles(dir_.path()).front()).parent_path().string();
  const std::string stale = dir + "/" + SegmentFile::FileName(0, kWriteFormat);
  WriteFile(stale, "stale");
  Open();
  EXPECT_EQ(log_->min_offset(), min);
  EXPECT_FALSE(fs::exists(stale));
}

}  // namespace
}  // namespace rewindmq::storage

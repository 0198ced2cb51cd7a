// Fuzzes recovery on open (FORMAT.md, "Recovery on open"): a store holding
// one queue of two sealed segments and an active one is damaged with the input,
// then opened. Opening must either succeed or fail with DataLoss, never
// crash; once open, every record reads back or answers DataLoss, an append
// lands at max_offset, and a second open recovers the same queue.
//
// Input: byte 0 picks the damage, bytes 1-2 a position (little-endian), the
// rest are the bytes written:
//   mode 0  appended to the active segment (a torn or garbage tail)
//   mode 1  the active segment cut at the position, then the bytes appended
//   mode 2  the oldest segment cut at the position, then the bytes appended
//   mode 3  the bytes written over the active segment at the position
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/check.h"
#include "storage/queue_log.h"
#include "storage/store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::storage {
namespace {

namespace fs = std::filesystem;

constexpr int kRecords = 24;

StoreOptions Options(Clock* clock) {
  StoreOptions o;
  o.clock = clock;
  o.segment_bytes = 4096;  // the smallest allowed: a few records a segment
  o.index_interval_bytes = 1024;
  o.active_index_interval_bytes = 256;
  o.durability = Durability::kNever;
  return o;
}

// Segment files of the only queue of the store in `dir`, oldest first.
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

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, absl::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  RMQ_CHECK(out.good());
}

// The undamaged store, made once: kRecords records, one per millisecond.
class Template {
 public:
  Template() {
    rmqtest::FakeClock clock(absl::FromUnixSeconds(1700000000));
    {
      absl::StatusOr<std::unique_ptr<Store>> store =
          Store::Open(dir_.path(), Options(&clock));
      RMQ_CHECK_MSG(store.ok(), store.status().ToString().c_str());
      absl::StatusOr<QueueLog*> log = (*store)->CreateQueue();
      RMQ_CHECK(log.ok());
      for (int i = 0; i < kRecords; ++i) {
        clock.Advance(absl::Milliseconds(1));
        proto::Record r;
        r.set_body(std::string(400, static_cast<char>('a' + i % 26)));
        r.add_keys("k");
        RMQ_CHECK((*log)->Append({r}).ok());
      }
    }
    RMQ_CHECK(SegmentFiles(dir_.path()).size() == 3);
  }

  const std::string& path() const { return dir_.path(); }

 private:
  rmqtest::ScopedTempDir dir_;
};

// Checks what an opened store promises; returns max_offset after one more
// append.
int64_t Exercise(Store& store) {
  const std::vector<QueueId> queues = store.ListQueues();
  RMQ_CHECK(queues.size() == 1);
  absl::StatusOr<QueueLog*> log = store.Queue(queues.front());
  RMQ_CHECK(log.ok());
  const int64_t min = (*log)->min_offset().value;
  const int64_t max = (*log)->max_offset().value;
  RMQ_CHECK(min >= 0 && min <= max);
  for (int64_t o = min; o < max; ++o) {
    absl::StatusOr<std::vector<proto::Record>> r = (*log)->Read(Offset{o}, 1);
    RMQ_CHECK(r.ok() || r.status().code() == absl::StatusCode::kDataLoss);
    if (r.ok()) {
      RMQ_CHECK(r->size() == 1);
      RMQ_CHECK((*r)[0].offset() == o);
    }
  }
  for (int ms : {0, 5, 12, 1000}) {
    absl::StatusOr<TimeLookup> t = (*log)->FirstOffsetAtOrAfter(
        absl::FromUnixSeconds(1700000000) + absl::Milliseconds(ms));
    RMQ_CHECK(t.ok() || t.status().code() == absl::StatusCode::kDataLoss);
    if (t.ok()) RMQ_CHECK(t->offset.value >= min && t->offset.value <= max);
  }
  proto::Record r;
  r.set_body("after recovery");
  absl::StatusOr<AppendResult> a = (*log)->Append({r});
  RMQ_CHECK(a.ok());
  RMQ_CHECK(a->first.value == max);
  RMQ_CHECK((*log)->max_offset().value == max + 1);
  absl::StatusOr<std::vector<proto::Record>> back = (*log)->Read(a->first, 1);
  RMQ_CHECK(back.ok() && back->size() == 1 && (*back)[0].body() == r.body());
  return max + 1;
}

}  // namespace
}  // namespace rewindmq::storage

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewindmq::storage;
  static const Template* const kTemplate = [] {
    static Template* t = new Template();
    // Removes its folder at exit, before RocksDB's statics go.
    std::atexit([] { delete t; });
    return t;
  }();
  if (size < 3) return 0;
  const int mode = data[0] % 4;
  const size_t pos = data[1] | (static_cast<size_t>(data[2]) << 8);
  const absl::string_view bytes(reinterpret_cast<const char*>(data + 3),
                                size - 3);

  rmqtest::ScopedTempDir work;
  fs::copy(kTemplate->path(), work.path(), fs::copy_options::recursive);
  const std::vector<std::string> files = SegmentFiles(work.path());
  const std::string& target = mode == 2 ? files.front() : files.back();
  std::string content = ReadFile(target);
  switch (mode) {
    case 0:
      content.append(bytes.data(), bytes.size());
      break;
    case 1:
    case 2:
      content.resize(std::min(pos, content.size()));
      content.append(bytes.data(), bytes.size());
      break;
    default: {
      const size_t at = std::min(pos, content.size());
      if (content.size() < at + bytes.size()) {
        content.resize(at + bytes.size());
      }
      std::copy(bytes.begin(), bytes.end(), content.begin() + at);
      break;
    }
  }
  WriteFile(target, content);

  rmqtest::FakeClock clock(absl::FromUnixSeconds(1700000100));
  int64_t max_after_append = -1;
  {
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(work.path(), Options(&clock));
    if (!store.ok()) {
      RMQ_CHECK(store.status().code() == absl::StatusCode::kDataLoss);
      return 0;
    }
    max_after_append = Exercise(**store);
  }
  // A recovered store opens again as it was left.
  absl::StatusOr<std::unique_ptr<Store>> again =
      Store::Open(work.path(), Options(&clock));
  RMQ_CHECK(again.ok());
  absl::StatusOr<QueueLog*> log = (*again)->Queue((*again)->ListQueues()[0]);
  RMQ_CHECK(log.ok());
  RMQ_CHECK((*log)->max_offset().value == max_after_append);
  return 0;
}

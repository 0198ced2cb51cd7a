// One queue's records: an append-only chain of segment files plus a sparse
// time index in RocksDB.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "base/ids.h"
#include "proto/record.pb.h"

namespace rewindmq::storage {

class QueueLogImpl;

// Largest serialized record payload Append() accepts (body plus keys, tags
// and properties).
inline constexpr int64_t kMaxRecordBytes = int64_t{8} << 20;

// What Append() and Import() report.
struct AppendResult {
  Offset first;           // offset of the first record of the batch
  Offset next;            // max_offset() after the batch
  absl::Time store_time;  // store time of the last record of the batch
};

// The answer of FirstOffsetAtOrAfter().
struct TimeLookup {
  enum class Clamp {
    kNone,        // `offset` holds the first record stored at or after T.
    kToEarliest,  // T was at or before the oldest retained record:
                  // `offset` is min_offset().
    kBeyondEnd,   // every retained record is older than T (or the queue is
                  // empty): `offset` is max_offset(), the next to be written.
  };
  Offset offset;
  // Store time of the record at `offset`; absent for kBeyondEnd.
  std::optional<absl::Time> store_time;
  Clamp clamp = Clamp::kNone;
};

// A retention decision made by the broker. Only whole segments are removed,
// oldest first, and never the active (last) segment.
struct RetentionRule {
  // Remove segments whose every record was stored before this time.
  std::optional<absl::Time> remove_stored_before;
  // Then remove oldest segments while the queue is larger than this.
  std::optional<int64_t> max_bytes;
};

struct QueueLogStats {
  Offset min_offset;
  Offset max_offset;
  std::optional<absl::Time> first_store_time;  // absent when empty
  std::optional<absl::Time> last_store_time;   // absent when empty
  int64_t size_bytes = 0;
  int segments = 0;
  // First offset of the active (newest) segment.
  Offset active_segment_base;
};

// The append-only record sequence of one queue. An offset, once assigned,
// never changes. Store times never go backwards: each batch is stamped
// max(clock now, last store time), and the last store time is recovered
// from the log on open, never from the clock. Retention drops whole leading
// segments, so min_offset() only grows.
//
// Thread-safe. Appends are serialized internally; reads and lookups run
// alongside them and never observe half a batch. Owned by the Store; the
// pointer stays valid until the Store is destroyed, even after the queue is
// deleted (calls then fail with NotFound).
class QueueLog {
 public:
  QueueLog(const QueueLog&) = delete;
  QueueLog& operator=(const QueueLog&) = delete;
  ~QueueLog();

  QueueId id() const;

  // Appends `records` as one batch, stamping each with the store time, and
  // returns where they went. The `offset` and `store_time_us` fields of the
  // inputs are ignored. Durable per the Store's Durability.
  // InvalidArgument: empty batch, or a record larger than kMaxRecordBytes.
  // Unavailable / ResourceExhausted: the write failed (nothing of the batch
  // is visible); the queue stays usable.
  absl::StatusOr<AppendResult> Append(absl::Span<const proto::Record> records);

  // Appends records that carry their own `store_time_us` (loading history).
  // InvalidArgument: a time is negative, earlier than the previous record's
  // (in the batch or in the queue), or later than now + max_import_skew.
  absl::StatusOr<AppendResult> Import(absl::Span<const proto::Record> records);

  // Returns up to `max_records` records starting at `from`, stopping before
  // `max_bytes` of payload except that the first record is always returned.
  // Empty at max_offset(). O(log n) to find `from`, then one sequential read.
  // OutOfRange: `from` is outside [min_offset(), max_offset()].
  // DataLoss: a stored record failed its checksum.
  absl::StatusOr<std::vector<proto::Record>> Read(
      Offset from, int max_records, int64_t max_bytes = int64_t{4} << 20) const;

  // The first offset whose store time is at or after `t` (see TimeLookup).
  // Many records sharing that store time: the first of them. One binary
  // search of the in-memory segment summary, one of the index (memory or a
  // single RocksDB seek), then a scan of at most one index interval.
  // InvalidArgument: `t` is before the Unix epoch.
  // DataLoss: the record found failed its checksum.
  absl::StatusOr<TimeLookup> FirstOffsetAtOrAfter(absl::Time t) const;

  // Removes the segments `rule` selects, their index entries and summaries
  // (one RocksDB write), then their files. Returns how many were removed.
  // A lookup racing the removal answers from the new min_offset().
  absl::StatusOr<int> ApplyRetention(const RetentionRule& rule);

  // Makes everything appended so far durable now, whatever the Durability.
  absl::Status Sync();

  Offset min_offset() const;
  Offset max_offset() const;
  QueueLogStats Stats() const;

 private:
  friend class StoreImpl;
  explicit QueueLog(std::unique_ptr<QueueLogImpl> impl);

  const std::unique_ptr<QueueLogImpl> impl_;
};

}  // namespace rewindmq::storage

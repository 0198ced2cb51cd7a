// Internal to storage: what queue_log.cc and time_index.cc (the two halves
// of QueueLogImpl) share.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/ids.h"
#include "rocksdb/iterator.h"
#include "storage/frame.h"
#include "storage/segment.h"
#include "storage/store_impl.h"

namespace rewindmq::storage::internal {

inline constexpr int64_t kMaxFramePayload = kMaxRecordBytes;

inline int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
inline absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

// Reads the frame header at `pos` of `file` (valid up to `limit`); false
// when it is not a valid one.
bool HeaderAt(const SegmentFile& file, int64_t limit, int64_t pos,
              FrameHeader* h);

// Like HeaderAt() without the header checksum; see PeekFrameHeader().
bool PeekAt(const SegmentFile& file, int64_t limit, int64_t pos,
            FrameHeader* h);

// Whether the header at `pos`, as PeekAt() read it into `h`, matches its
// checksum.
bool HeaderChecksumAt(const SegmentFile& file, int64_t pos,
                      const FrameHeader& h);

// The payload of the frame at `pos` whose header is `h`.
absl::string_view PayloadAt(const SegmentFile& file, int64_t pos,
                            const FrameHeader& h);

// Decodes the time-index entry under `it`, which must belong to queue `q`.
absl::StatusOr<IndexPoint> EntryAt(const rocksdb::Iterator& it, QueueId q);

}  // namespace rewindmq::storage::internal

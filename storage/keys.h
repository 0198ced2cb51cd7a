// Byte layouts of storage's RocksDB keys (documented in
// proto/storage_meta.proto). Internal to storage.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "base/ids.h"

namespace rewindmq::storage::keys {

// Column family "time_index": <q:8><store_time_us:8><offset:8>, big-endian.
inline constexpr size_t kIndexKeyBytes = 24;
std::string IndexKey(QueueId q, int64_t store_time_us, int64_t offset);
// The first key past every index key of `q`.
std::string IndexKeyEnd(QueueId q);
// False when `key` is not an index key.
bool DecodeIndexKey(absl::string_view key, QueueId* q, int64_t* store_time_us,
                    int64_t* offset);

// Column family "storage".
std::string HighWaterKey(QueueId q);
std::string SegmentKey(QueueId q, int64_t base_offset);
std::string SegmentKeyPrefix(QueueId q);
std::string QueueKey(QueueId q);
inline constexpr absl::string_view kQueuePrefix = "queue";
inline constexpr absl::string_view kNextQueueIdKey = "next_queue_id";
// False when `key` is not a QueueKey().
bool DecodeQueueKey(absl::string_view key, QueueId* q);

}  // namespace rewindmq::storage::keys

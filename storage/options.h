// Settings of a Store, fixed when it is opened.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace rewindmq::storage {

// When an appended record is made durable against power loss. In every mode
// the record has been handed to the operating system (write(2)) before
// Append() returns, so killing the process never loses an acknowledged
// record; the modes differ only in what a machine crash can take.
enum class Durability {
  kAlways,    // fdatasync before Append() returns; concurrent appends to one
              // queue share one fdatasync (group commit).
  kInterval,  // a background thread syncs every `flush_interval`.
  kNever,     // left to the operating system.
};

// "always", "interval" or "never".
absl::StatusOr<Durability> ParseDurability(absl::string_view text);
absl::string_view DurabilityName(Durability d);

struct StoreOptions {
  // Source of store times. Not owned; must outlive the Store.
  Clock* clock = Clock::Real();
  // A segment file is sealed and a new one started once it reaches this
  // size. A single batch never spans two segments.
  int64_t segment_bytes = int64_t{64} << 20;
  // Distance, in bytes of log, between two time-index entries. Smaller is a
  // faster lookup and a larger index.
  int64_t index_interval_bytes = int64_t{8} << 10;
  // The active segment also keeps, in memory only, an entry at least every
  // this many bytes, so lookups near the head of the queue (the common
  // rewind) scan less. Records appended before a restart are found through
  // the persisted entries. Values above index_interval_bytes act like it.
  int64_t active_index_interval_bytes = int64_t{4} << 10;
  // When false, no time index is written and FirstOffsetAtOrAfter() scans
  // the whole candidate segment. Meant for measuring what indexing costs.
  bool time_index = true;
  Durability durability = Durability::kInterval;
  // Period of the background sync in Durability::kInterval.
  absl::Duration flush_interval = absl::Milliseconds(200);
  // QueueLog::Import() refuses store times later than now plus this.
  absl::Duration max_import_skew = absl::Seconds(60);
  // How many sealed segments per queue keep their index entries in memory,
  // least recently used first out: segments just sealed, those a read by
  // offset needed, and those a time lookup needed while there was room.
  // An entry takes 32 bytes, so a 64 MiB segment with the default interval
  // takes 256 KiB (1/256 of the log it covers). The active segment always
  // keeps its entries. A time lookup in a sealed segment that is not in
  // memory, once the cache is full, makes one RocksDB seek.
  int index_cache_segments = 256;
};

}  // namespace rewindmq::storage

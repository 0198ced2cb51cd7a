// Internal to storage: a bounded, thread-safe cache of per-segment values
// (a sealed segment's time-index entries), keyed by the segment's base
// offset, least recently used evicted first.
//
// A lookup is one hash probe under the cache's mutex, whatever the number
// of segments cached; values are shared, so a reader keeps what it found
// after the entry is evicted.
#pragma once

#include <atomic>
#include <cstdint>
#include <iterator>
#include <list>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace rewindmq::storage::internal {

template <typename T>
class SegmentCache {
 public:
  // Holds at most `capacity` segments (0: caches nothing).
  explicit SegmentCache(int capacity)
      : capacity_(capacity < 0 ? 0 : capacity) {}

  SegmentCache(const SegmentCache&) = delete;
  SegmentCache& operator=(const SegmentCache&) = delete;

  // The value of segment `base`, or null. A hit becomes the most recently
  // used.
  std::shared_ptr<const T> Find(int64_t base) {
    absl::MutexLock l(&mu_);
    auto it = index_.find(base);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }

  // Whether another segment fits without evicting one. A hint: another
  // thread may fill the room first.
  bool HasRoom() const {
    return size_.load(std::memory_order_relaxed) < capacity_;
  }

  // Caches `value` for segment `base` and returns what the cache now holds
  // for it: `value`, or the value another thread inserted first. When full,
  // evicts the least recently used segment if `evict`; otherwise leaves the
  // cache as it is and returns `value` uncached.
  std::shared_ptr<const T> Insert(int64_t base, std::shared_ptr<const T> value,
                                  bool evict) {
    if (capacity_ == 0) return value;
    absl::MutexLock l(&mu_);
    auto it = index_.find(base);
    if (it != index_.end()) return it->second->second;
    if (static_cast<int>(lru_.size()) >= capacity_) {
      if (!evict) return value;
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
    lru_.emplace_front(base, value);
    index_.emplace(base, lru_.begin());
    size_.store(static_cast<int>(lru_.size()), std::memory_order_relaxed);
    return value;
  }

  // Drops every segment whose base is below `base` (retention).
  void EraseBelow(int64_t base) {
    absl::MutexLock l(&mu_);
    for (auto it = lru_.begin(); it != lru_.end();) {
      if (it->first < base) {
        index_.erase(it->first);
        it = lru_.erase(it);
      } else {
        ++it;
      }
    }
    size_.store(static_cast<int>(lru_.size()), std::memory_order_relaxed);
  }

  void Clear() {
    absl::MutexLock l(&mu_);
    index_.clear();
    lru_.clear();
    size_.store(0, std::memory_order_relaxed);
  }

  int size() const { return size_.load(std::memory_order_relaxed); }

 private:
  using Entry = std::pair<int64_t, std::shared_ptr<const T>>;

  const int capacity_;
  absl::Mutex mu_;
  // Most recently used first.
  std::list<Entry> lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int64_t, typename std::list<Entry>::iterator> index_
      ABSL_GUARDED_BY(mu_);
  std::atomic<int> size_{0};
};

}  // namespace rewindmq::storage::internal

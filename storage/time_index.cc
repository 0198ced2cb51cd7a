// The time lookup of a queue (QueueLogImpl's other half, see
// queue_log.cc): the sparse index entries of a segment, loaded from RocksDB
// and cached per sealed segment, a binary search over them, and a bounded
// scan of frame headers from the entry found to the first record stored at
// or after the time asked for.
#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/frame.h"
#include "storage/keys.h"
#include "storage/queue_log_internal.h"
#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"

namespace rewindmq::storage {

using internal::EntryAt;
using internal::FromMicros;
using internal::HeaderChecksumAt;
using internal::PayloadAt;
using internal::PeekAt;
using internal::ToMicros;

absl::StatusOr<std::vector<IndexPoint>> QueueLogImpl::LoadPoints(
    const Segment& seg) const {
  std::vector<IndexPoint> points;
  std::unique_ptr<rocksdb::Iterator> it(
      store_->db()->NewIterator(rocksdb::ReadOptions(), store_->index_cf()));
  const std::string end = keys::IndexKeyEnd(id_);
  for (it->Seek(keys::IndexKey(id_, seg.first_ts, seg.base));
       it->Valid() && it->key().compare(end) < 0; it->Next()) {
    RMQ_ASSIGN_OR_RETURN(IndexPoint p, EntryAt(*it, id_));
    if (p.offset >= seg.end) break;
    if (p.offset >= seg.base) points.push_back(p);
  }
  RMQ_RETURN_IF_ERROR(FromRocksDb(it->status(), "loading index entries"));
  return points;
}

absl::StatusOr<std::shared_ptr<const std::vector<IndexPoint>>>
QueueLogImpl::LoadIntoCache(const Segment& seg, bool evict) const {
  auto points = std::make_shared<std::vector<IndexPoint>>();
  if (options_.time_index && !seg.empty()) {
    RMQ_ASSIGN_OR_RETURN(*points, LoadPoints(seg));
  }
  return cache_.Insert(seg.base, std::move(points), evict);
}

absl::StatusOr<std::shared_ptr<const std::vector<IndexPoint>>>
QueueLogImpl::PointsOf(const Segment& seg, bool active) const {
  if (active) return nullptr;  // callers use active_points_ directly
  if (auto cached = cache_.Find(seg.base)) return cached;
  return LoadIntoCache(seg, /*evict=*/true);
}

absl::StatusOr<int64_t> QueueLogImpl::PositionOf(const Segment& seg,
                                                 bool active,
                                                 int64_t offset) const {
  int64_t pos = 0;
  int64_t at = seg.base;
  auto nearest = [&](const std::vector<IndexPoint>& pts) {
    auto it = std::upper_bound(
        pts.begin(), pts.end(), offset,
        [](int64_t o, const IndexPoint& p) { return o < p.offset; });
    if (it != pts.begin()) {
      --it;
      pos = it->position;
      at = it->offset;
    }
  };
  if (active) {
    nearest(active_points_);
  } else {
    RMQ_ASSIGN_OR_RETURN(auto pts, PointsOf(seg, false));
    nearest(*pts);
  }
  while (at < offset) {
    // Read() verifies the records it returns; skipping needs only the
    // sequence to hold.
    FrameHeader h;
    if (!PeekAt(*seg.file, seg.size, pos, &h) || h.offset != at) {
      return Damaged(seg, pos, absl::StrCat("record ", at, " is damaged"));
    }
    pos += h.frame_bytes();
    ++at;
  }
  return pos;
}

absl::StatusOr<int64_t> QueueLogImpl::TimeScanStart(const Segment& seg,
                                                    bool active,
                                                    int64_t ts_us) const {
  if (!options_.time_index) return 0;
  auto last_before = [ts_us](const std::vector<IndexPoint>& pts) -> int64_t {
    auto it = std::lower_bound(
        pts.begin(), pts.end(), ts_us,
        [](const IndexPoint& p, int64_t t) { return p.ts_us < t; });
    return it == pts.begin() ? 0 : std::prev(it)->position;
  };
  if (active) return last_before(active_points_);
  if (auto cached = cache_.Find(seg.base)) return last_before(*cached);
  {
    // Loaded once while the cache has room, so that every later lookup in
    // this segment stays in memory; a full cache is not churned by lookups
    // spread over more segments than it holds: those seek instead.
    if (cache_.HasRoom()) {
      RMQ_ASSIGN_OR_RETURN(auto points, LoadIntoCache(seg, /*evict=*/false));
      return last_before(*points);
    }
  }
  // Not in memory: one seek for the last entry stored before ts_us.
  std::unique_ptr<rocksdb::Iterator> it(
      store_->db()->NewIterator(rocksdb::ReadOptions(), store_->index_cf()));
  it->SeekForPrev(
      keys::IndexKey(id_, ts_us - 1, std::numeric_limits<int64_t>::max()));
  if (!it->Valid()) {
    RMQ_RETURN_IF_ERROR(FromRocksDb(it->status(), "seeking the index"));
    return 0;
  }
  // Keys of other queues sort elsewhere, but the seek may land on one.
  QueueId q;
  int64_t ts, off;
  if (!keys::DecodeIndexKey(
          absl::string_view(it->key().data(), it->key().size()), &q, &ts,
          &off) ||
      q != id_) {
    return 0;
  }
  RMQ_ASSIGN_OR_RETURN(IndexPoint p, EntryAt(*it, id_));
  if (p.offset < seg.base || p.offset >= seg.end) return 0;
  return p.position;
}

absl::StatusOr<TimeLookup> QueueLogImpl::FirstOffsetAtOrAfter(
    absl::Time t) const {
  if (t < absl::UnixEpoch()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time ", absl::FormatTime(t), " is before the Unix epoch"));
  }
  const int64_t ts_us = t == absl::InfiniteFuture()
                            ? std::numeric_limits<int64_t>::max()
                            : ToMicros(t);
  absl::ReaderMutexLock l(&mu_);
  if (deleted_) {
    return absl::NotFoundError(
        absl::StrCat("queue ", id_.value, " was deleted"));
  }
  const int64_t max_offset = segments_.back().end;
  // Only the last segment can be empty; it then has no say.
  size_t n = segments_.size();
  if (segments_.back().empty()) --n;
  if (n == 0 || segments_[n - 1].last_ts < ts_us) {
    return TimeLookup{Offset{max_offset}, std::nullopt,
                      TimeLookup::Clamp::kBeyondEnd};
  }
  // First segment holding a record at or after ts_us.
  auto seg_it = std::lower_bound(
      segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(n), ts_us,
      [](const Segment& s, int64_t t) { return s.last_ts < t; });
  const Segment& seg = *seg_it;
  const bool active = seg_it + 1 == segments_.end();
  TimeLookup::Clamp clamp = TimeLookup::Clamp::kNone;
  int64_t pos = 0;
  if (seg_it == segments_.begin() && ts_us <= seg.first_ts) {
    clamp = TimeLookup::Clamp::kToEarliest;
  } else if (ts_us > seg.first_ts) {
    RMQ_ASSIGN_OR_RETURN(pos, TimeScanStart(seg, active, ts_us));
  }
  // Scan forward: by the index rule at most one interval (plus a record).
  // Headers are checked for sequence here and by checksum only where the
  // answer depends on them: store times never decrease, so a damaged time
  // can change the answer only in the record the scan stops at or in the
  // one before it.
  FrameHeader h;
  FrameHeader prev;
  int64_t expected = -1;
  int64_t prev_pos = -1;
  while (true) {
    if (!PeekAt(*seg.file, seg.size, pos, &h) ||
        (expected >= 0 && h.offset != expected)) {
      if (pos >= seg.size) {
        return absl::InternalError(absl::StrCat(
            "queue ", id_.value, ": no record at or after ", ts_us,
            " in a segment whose last store time is ", seg.last_ts));
      }
      return Damaged(seg, pos, "record header is damaged");
    }
    if (h.store_time_us >= ts_us) break;
    expected = h.offset + 1;
    prev = h;
    prev_pos = pos;
    pos += h.frame_bytes();
  }
  if (!HeaderChecksumAt(*seg.file, pos, h) ||
      (prev_pos >= 0 && !HeaderChecksumAt(*seg.file, prev_pos, prev))) {
    return Damaged(seg, pos, "record header is damaged");
  }
  if (!PayloadChecksumMatches(h, PayloadAt(*seg.file, pos, h))) {
    return Damaged(seg, pos,
                   absl::StrCat("record ", h.offset, " failed its checksum"));
  }
  return TimeLookup{Offset{h.offset}, FromMicros(h.store_time_us), clamp};
}

}  // namespace rewindmq::storage

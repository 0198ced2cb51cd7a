#include "storage/queue_log.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "rocksdb/write_batch.h"
#include "storage/frame.h"
#include "storage/keys.h"
#include "storage/queue_log_internal.h"
#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"

namespace rewindmq::storage {

using internal::EntryAt;
using internal::FromMicros;
using internal::HeaderAt;
using internal::kMaxFramePayload;
using internal::PeekAt;
using internal::ToMicros;

namespace internal {

namespace {

// The bytes at `pos` that can hold a header: up to kMaxFrameHeaderBytes,
// never past `limit`.
absl::string_view HeaderBytes(const SegmentFile& file, int64_t limit,
                              int64_t pos) {
  return file.View(pos, std::min(kMaxFrameHeaderBytes, limit - pos));
}

}  // namespace

bool HeaderAt(const SegmentFile& file, int64_t limit, int64_t pos,
              FrameHeader* h) {
  if (pos < 0 || pos >= limit) return false;
  if (DecodeFrameHeader(file.frame_context(), HeaderBytes(file, limit, pos),
                        kMaxFramePayload, h) != HeaderCheck::kOk) {
    return false;
  }
  return pos + h->frame_bytes() <= limit;
}

bool PeekAt(const SegmentFile& file, int64_t limit, int64_t pos,
            FrameHeader* h) {
  if (pos < 0 || pos >= limit) return false;
  if (!PeekFrameHeader(file.frame_context(), HeaderBytes(file, limit, pos),
                       kMaxFramePayload, h)) {
    return false;
  }
  return pos + h->frame_bytes() <= limit;
}

bool HeaderChecksumAt(const SegmentFile& file, int64_t pos,
                      const FrameHeader& h) {
  return HeaderChecksumMatches(file.View(pos, h.header_bytes), h);
}

absl::string_view PayloadAt(const SegmentFile& file, int64_t pos,
                            const FrameHeader& h) {
  return file.View(pos + h.header_bytes, h.payload_bytes);
}

absl::StatusOr<IndexPoint> EntryAt(const rocksdb::Iterator& it, QueueId q) {
  QueueId key_queue;
  IndexPoint p{};
  proto::IndexEntry e;
  if (!keys::DecodeIndexKey(absl::string_view(it.key().data(), it.key().size()),
                            &key_queue, &p.ts_us, &p.offset) ||
      !e.ParseFromArray(it.value().data(),
                        static_cast<int>(it.value().size()))) {
    return absl::DataLossError(
        absl::StrCat("damaged index entry of queue ", q.value));
  }
  if (key_queue != q) {
    return absl::InternalError(absl::StrCat(
        "index entry of queue ", key_queue.value, " read as ", q.value));
  }
  p.position = e.position();
  return p;
}

}  // namespace internal

// ---------------------------------------------------------------------------
// QueueLog: the public face forwards to QueueLogImpl.

QueueLog::QueueLog(std::unique_ptr<QueueLogImpl> impl)
    : impl_(std::move(impl)) {}
QueueLog::~QueueLog() = default;
QueueId QueueLog::id() const { return impl_->id(); }
absl::StatusOr<AppendResult> QueueLog::Append(
    absl::Span<const proto::Record> records) {
  return impl_->Append(records, /*explicit_times=*/false);
}
absl::StatusOr<AppendResult> QueueLog::Import(
    absl::Span<const proto::Record> records) {
  return impl_->Append(records, /*explicit_times=*/true);
}
absl::StatusOr<std::vector<proto::Record>> QueueLog::Read(
    Offset from, int max_records, int64_t max_bytes) const {
  return impl_->Read(from, max_records, max_bytes);
}
absl::StatusOr<TimeLookup> QueueLog::FirstOffsetAtOrAfter(absl::Time t) const {
  return impl_->FirstOffsetAtOrAfter(t);
}
absl::StatusOr<int> QueueLog::ApplyRetention(const RetentionRule& rule) {
  return impl_->ApplyRetention(rule);
}
absl::Status QueueLog::Sync() { return impl_->Sync(); }
Offset QueueLog::min_offset() const { return impl_->min_offset(); }
Offset QueueLog::max_offset() const { return impl_->max_offset(); }
QueueLogStats QueueLog::Stats() const { return impl_->Stats(); }

// ---------------------------------------------------------------------------
// Opening and recovery.

QueueLogImpl::QueueLogImpl(StoreImpl* store, QueueId id)
    : store_(store),
      id_(id),
      dir_(store->QueueDir(id)),
      options_(store->options()),
      cache_(store->options().index_cache_segments) {}

QueueLogImpl::~QueueLogImpl() = default;

absl::StatusOr<std::unique_ptr<QueueLogImpl>> QueueLogImpl::Open(
    StoreImpl* store, QueueId id, bool create) {
  std::unique_ptr<QueueLogImpl> q(new QueueLogImpl(store, id));
  RMQ_RETURN_IF_ERROR(
      Annotate(q->Recover(create), absl::StrCat("opening queue ", id.value)));
  return q;
}

QueueLogImpl::ScanResult QueueLogImpl::ScanFrames(
    const SegmentFile& file, int64_t start_pos, int64_t expected_offset,
    int64_t prev_ts, int64_t last_point_pos, bool make_points) const {
  ScanResult r;
  r.valid_bytes = start_pos;
  r.end_offset = expected_offset;
  r.last_point_pos = last_point_pos;
  const int64_t size = file.size();
  int64_t pos = start_pos;
  while (pos < size) {
    FrameHeader h;
    if (!HeaderAt(file, size, pos, &h) || h.offset != r.end_offset ||
        h.store_time_us < prev_ts ||
        !PayloadChecksumMatches(h, internal::PayloadAt(file, pos, h))) {
      r.damaged = true;
      break;
    }
    if (make_points &&
        (pos == 0 || pos - r.last_point_pos >= options_.index_interval_bytes)) {
      r.points.push_back({h.store_time_us, h.offset, pos});
      r.last_point_pos = pos;
    }
    if (r.first_ts < 0) r.first_ts = h.store_time_us;
    r.last_ts = h.store_time_us;
    prev_ts = h.store_time_us;
    ++r.end_offset;
    pos += h.frame_bytes();
    r.valid_bytes = pos;
  }
  return r;
}

// Recovery, in the order Recover() runs the steps: the queue's state, the
// segment files on disk, the index high-water mark, each segment verified
// (or trusted from its summary), the index repaired to match what was
// found, and the active segment's in-memory index entries.
absl::Status QueueLogImpl::Recover(bool create) {
  absl::MutexLock unused_append(&append_mu_);  // Not shared yet.
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", dir_, ": ", ec.message()));
  }
  RMQ_ASSIGN_OR_RETURN(proto::QueueState state, LoadQueueState(create));
  created_us_ = state.created_us();
  RMQ_ASSIGN_OR_RETURN(std::vector<SegmentName> files,
                       ListSegmentFiles(&state));
  RMQ_ASSIGN_OR_RETURN(std::optional<proto::IndexHighWater> hwm,
                       LoadHighWater());

  rocksdb::WriteBatch repair;
  RMQ_ASSIGN_OR_RETURN(RecoveredChain chain,
                       RecoverSegments(state, hwm, &files, &repair));
  RMQ_RETURN_IF_ERROR(RepairIndex(hwm, chain, &state, &repair));
  rocksdb::WriteOptions wo;
  wo.sync = store_->sync_metadata();
  RMQ_RETURN_IF_ERROR(store_->Write(wo, &repair, "writing recovered index"));

  RMQ_ASSIGN_OR_RETURN(std::vector<IndexPoint> active_points,
                       ActivePoints(chain.segs.back()));
  const Segment& active = chain.segs.back();
  active_file_ = active.file;
  next_offset_ = active.end;
  last_ts_ = chain.last_ts;
  last_point_pos_ = 0;
  for (const IndexPoint& p : active_points) {
    if (p.persisted) last_point_pos_ = p.position;
  }
  last_memory_point_pos_ =
      active_points.empty() ? 0 : active_points.back().position;
  written_total_ = 0;
  {
    absl::MutexLock l(&mu_);
    segments_ = std::move(chain.segs);
    active_points_ = std::move(active_points);
  }
  return absl::OkStatus();
}

absl::StatusOr<proto::QueueState> QueueLogImpl::LoadQueueState(
    bool create) const {
  proto::QueueState state;
  std::string value;
  rocksdb::Status s = store_->db()->Get(
      rocksdb::ReadOptions(), store_->meta_cf(), keys::QueueKey(id_), &value);
  if (s.IsNotFound()) {
    if (!create) return absl::NotFoundError("queue is not registered");
    state.set_created_us(ToMicros(options_.clock->Now()));
    return state;
  }
  RMQ_RETURN_IF_ERROR(FromRocksDb(s, "reading queue state"));
  if (!state.ParseFromString(value)) {
    return absl::DataLossError("queue state does not parse");
  }
  return state;
}

absl::StatusOr<std::vector<QueueLogImpl::SegmentName>>
QueueLogImpl::ListSegmentFiles(proto::QueueState* state) const {
  std::error_code ec;
  std::vector<SegmentName> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    int64_t base;
    FrameFormat format;
    std::string name = entry.path().filename().string();
    if (SegmentFile::ParseFileName(name, &base, &format)) {
      files.push_back({base, format, entry.path().string()});
    } else {
      RMQ_LOG(kWarning, "queue ", id_.value, ": ignoring unexpected file ",
              entry.path().string());
    }
  }
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot list ", dir_, ": ", ec.message()));
  }
  std::sort(files.begin(), files.end(),
            [](const SegmentName& x, const SegmentName& y) {
              return x.base < y.base;
            });
  for (size_t i = 1; i < files.size(); ++i) {
    if (files[i].base == files[i - 1].base) {
      return absl::DataLossError(
          absl::StrCat("two segment files start at offset ", files[i].base,
                       ": ", files[i - 1].path, " and ", files[i].path));
    }
  }

  // Files wholly before start_offset were removed by retention whose unlink
  // a crash interrupted.
  while (files.size() > 1 && files[1].base <= state->start_offset()) {
    RMQ_LOG(kInfo, "queue ", id_.value, ": removing retained-away segment ",
            files.front().path);
    std::filesystem::remove(files.front().path, ec);
    files.erase(files.begin());
  }
  if (!files.empty() && files.front().base != state->start_offset()) {
    RMQ_LOG(kError, "queue ", id_.value, ": first segment starts at ",
            files.front().base, " but the queue starts at ",
            state->start_offset(), "; records in between are missing on disk");
    state->set_start_offset(files.front().base);
  }
  if (files.empty()) {
    RMQ_ASSIGN_OR_RETURN(
        std::unique_ptr<SegmentFile> f,
        SegmentFile::Create(dir_, state->start_offset(), options_.segment_bytes,
                            store_->sync_metadata()));
    files.push_back({state->start_offset(), f->format(), f->path()});
  }
  return files;
}

absl::StatusOr<std::optional<proto::IndexHighWater>>
QueueLogImpl::LoadHighWater() const {
  if (!options_.time_index) return std::optional<proto::IndexHighWater>();
  std::string value;
  rocksdb::Status s =
      store_->db()->Get(rocksdb::ReadOptions(), store_->meta_cf(),
                        keys::HighWaterKey(id_), &value);
  if (s.IsNotFound()) return std::optional<proto::IndexHighWater>();
  RMQ_RETURN_IF_ERROR(FromRocksDb(s, "reading index high-water mark"));
  proto::IndexHighWater hwm;
  if (!hwm.ParseFromString(value)) {
    return std::optional<proto::IndexHighWater>();
  }
  return std::optional<proto::IndexHighWater>(std::move(hwm));
}

absl::StatusOr<QueueLogImpl::RecoveredChain> QueueLogImpl::RecoverSegments(
    const proto::QueueState& state,
    const std::optional<proto::IndexHighWater>& hwm,
    std::vector<SegmentName>* files, rocksdb::WriteBatch* repair) {
  RecoveredChain chain;
  chain.last_ts = state.retired_last_store_time_us() > 0
                      ? state.retired_last_store_time_us()
                      : -1;
  // Without a usable high-water mark every segment is indexed afresh.
  bool hwm_segment_present = false;
  for (const SegmentName& f : *files) {
    if (hwm.has_value() && f.base == hwm->segment_base()) {
      hwm_segment_present = true;
    }
  }
  bool reindexing = options_.time_index && !hwm_segment_present;
  for (size_t i = 0; i < files->size(); ++i) {
    RMQ_RETURN_IF_ERROR(
        RecoverSegment(i, hwm, files, &reindexing, &chain, repair));
  }
  return chain;
}

absl::Status QueueLogImpl::RecoverSegment(
    size_t i, const std::optional<proto::IndexHighWater>& hwm,
    std::vector<SegmentName>* files, bool* reindexing, RecoveredChain* chain,
    rocksdb::WriteBatch* repair) {
  const bool make_points = options_.time_index;
  const bool last = i + 1 == files->size();
  const int64_t base = (*files)[i].base;
  RMQ_ASSIGN_OR_RETURN(
      std::unique_ptr<SegmentFile> file,
      SegmentFile::Open((*files)[i].path, base, (*files)[i].format,
                        last ? options_.segment_bytes : 0));
  Segment seg;
  seg.base = base;

  // Is the high-water mark inside this segment, at a good frame?
  bool hwm_here = false;
  if (hwm.has_value() && hwm->segment_base() == base) {
    FrameHeader h;
    if (HeaderAt(*file, file->size(), hwm->position(), &h) &&
        h.offset == hwm->offset()) {
      hwm_here = true;
    } else {
      RMQ_LOG(kWarning, "queue ", id_.value,
              ": index high-water mark points past the log; re-indexing");
      *reindexing = true;
    }
  }

  // A sealed segment whose summary matches the file is trusted unread.
  proto::SegmentSummary summary;
  bool trusted = false;
  if (!last) {
    std::string value;
    rocksdb::Status s =
        store_->db()->Get(rocksdb::ReadOptions(), store_->meta_cf(),
                          keys::SegmentKey(id_, base), &value);
    trusted = s.ok() && summary.ParseFromString(value) &&
              summary.size_bytes() == file->size() &&
              summary.base_offset() == base &&
              summary.end_offset() == (*files)[i + 1].base;
  }

  const bool need_points = *reindexing || hwm_here;
  if (trusted && !need_points) {
    seg.end = summary.end_offset();
    seg.size = summary.size_bytes();
    seg.first_ts = summary.first_store_time_us();
    seg.last_ts = summary.last_store_time_us();
  } else {
    ScanResult r;
    if (hwm_here && hwm->position() > 0) {
      // Entries up to the high-water mark are in the index already: scan
      // from there, after reading the first record for its store time.
      FrameHeader first;
      if (!HeaderAt(*file, file->size(), 0, &first)) {
        return absl::DataLossError(
            absl::StrCat("first record of ", file->path(), " is damaged"));
      }
      r = ScanFrames(*file, hwm->position(), hwm->offset(),
                     hwm->store_time_us(), hwm->position(), make_points);
      // The high-water entry itself is already in the index.
      if (!r.points.empty() && r.points.front().position == hwm->position()) {
        r.points.erase(r.points.begin());
      }
      r.first_ts = first.store_time_us;
      if (r.last_ts < 0) r.last_ts = hwm->store_time_us();
    } else {
      r = ScanFrames(*file, 0, base, chain->last_ts, 0,
                     make_points && need_points);
    }
    if (r.damaged || r.valid_bytes < file->size()) {
      RMQ_RETURN_IF_ERROR(DropDamagedTail(i, r, file.get(), files, repair));
    }
    seg.end = r.end_offset;
    seg.size = r.valid_bytes;
    seg.first_ts = r.first_ts;
    seg.last_ts = r.last_ts;
    if (need_points) {
      chain->new_points.insert(chain->new_points.end(), r.points.begin(),
                               r.points.end());
      *reindexing = true;  // every later segment too
    }
    if (i + 1 < files->size()) {
      if (seg.end != (*files)[i + 1].base) {
        return absl::DataLossError(absl::StrCat(
            file->path(), " ends at offset ", seg.end,
            " but the next segment starts at ", (*files)[i + 1].base));
      }
      summary.set_base_offset(seg.base);
      summary.set_end_offset(seg.end);
      summary.set_first_store_time_us(seg.first_ts);
      summary.set_last_store_time_us(seg.last_ts);
      summary.set_size_bytes(seg.size);
      repair->Put(store_->meta_cf(), keys::SegmentKey(id_, base),
                  summary.SerializeAsString());
    }
  }
  if (seg.last_ts >= 0) chain->last_ts = seg.last_ts;
  seg.file = std::move(file);
  chain->segs.push_back(std::move(seg));
  return absl::OkStatus();
}

absl::Status QueueLogImpl::DropDamagedTail(size_t i, const ScanResult& r,
                                           SegmentFile* file,
                                           std::vector<SegmentName>* files,
                                           rocksdb::WriteBatch* repair) {
  RMQ_LOG(kWarning, "queue ", id_.value, ": dropping ",
          file->size() - r.valid_bytes,
          " bytes of torn or damaged tail at offset ", r.end_offset, " in ",
          file->path());
  RMQ_RETURN_IF_ERROR(file->Truncate(r.valid_bytes));
  if (i + 1 < files->size()) {
    // A torn record inside the chain (a machine crash with a weak
    // durability setting): everything after it is unreliable.
    std::error_code ec;
    for (size_t j = i + 1; j < files->size(); ++j) {
      RMQ_LOG(kWarning, "queue ", id_.value,
              ": removing segment after a torn record: ", (*files)[j].path);
      std::filesystem::remove((*files)[j].path, ec);
      repair->Delete(store_->meta_cf(),
                     keys::SegmentKey(id_, (*files)[j].base));
    }
    files->resize(i + 1);
  }
  return absl::OkStatus();
}

absl::Status QueueLogImpl::RepairIndex(
    const std::optional<proto::IndexHighWater>& hwm,
    const RecoveredChain& chain, proto::QueueState* state,
    rocksdb::WriteBatch* repair) const {
  const std::vector<Segment>& segs = chain.segs;
  const int64_t max_offset = segs.back().end;
  const int64_t min_offset = segs.front().base;
  // Index entries past the recovered end, or before the start, go.
  {
    std::unique_ptr<rocksdb::Iterator> it(
        store_->db()->NewIterator(rocksdb::ReadOptions(), store_->index_cf()));
    const std::string begin = keys::IndexKey(id_, 0, 0);
    const std::string end = keys::IndexKeyEnd(id_);
    for (it->SeekForPrev(end); it->Valid() && it->key().compare(begin) >= 0;
         it->Prev()) {
      QueueId q;
      int64_t ts, off;
      if (!keys::DecodeIndexKey(
              absl::string_view(it->key().data(), it->key().size()), &q, &ts,
              &off) ||
          off < max_offset) {
        break;
      }
      repair->Delete(store_->index_cf(), it->key());
    }
    RMQ_RETURN_IF_ERROR(FromRocksDb(it->status(), "scanning the index tail"));
    if (!segs.front().empty()) {
      repair->DeleteRange(
          store_->index_cf(), begin,
          keys::IndexKey(id_, segs.front().first_ts, min_offset));
    }
  }
  for (const IndexPoint& p : chain.new_points) {
    proto::IndexEntry e;
    e.set_position(p.position);
    repair->Put(store_->index_cf(), keys::IndexKey(id_, p.ts_us, p.offset),
                e.SerializeAsString());
  }
  // The high-water mark moves to the newest entry that exists now.
  if (options_.time_index) {
    const Segment* hw_seg = nullptr;
    IndexPoint hw_point{};
    if (!chain.new_points.empty()) {
      hw_point = chain.new_points.back();
    } else if (hwm.has_value() && hwm->offset() < max_offset &&
               hwm->offset() >= min_offset) {
      hw_point = {hwm->store_time_us(), hwm->offset(), hwm->position()};
    } else {
      hw_point.offset = -1;
    }
    if (hw_point.offset >= 0) {
      for (const Segment& s : segs) {
        if (hw_point.offset >= s.base && hw_point.offset < s.end) hw_seg = &s;
      }
    }
    if (hw_seg != nullptr) {
      proto::IndexHighWater w;
      w.set_offset(hw_point.offset);
      w.set_store_time_us(hw_point.ts_us);
      w.set_segment_base(hw_seg->base);
      w.set_position(hw_point.position);
      repair->Put(store_->meta_cf(), keys::HighWaterKey(id_),
                  w.SerializeAsString());
    } else {
      repair->Delete(store_->meta_cf(), keys::HighWaterKey(id_));
    }
  }
  state->set_start_offset(min_offset);
  repair->Put(store_->meta_cf(), keys::QueueKey(id_),
              state->SerializeAsString());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<IndexPoint>> QueueLogImpl::ActivePoints(
    const Segment& active) const {
  std::vector<IndexPoint> points;
  if (!options_.time_index || active.empty()) return points;
  RMQ_ASSIGN_OR_RETURN(points, LoadPoints(active));
  if (options_.active_index_interval_bytes >= options_.index_interval_bytes) {
    return points;
  }
  // The entries between the persisted ones, from a header-only pass over
  // the segment (its tail was fully verified by RecoverSegment()).
  std::vector<IndexPoint> dense;
  size_t next_persisted = 0;
  int64_t pos = 0;
  int64_t off = active.base;
  int64_t last_memory_point = 0;
  bool any = false;
  while (pos < active.size) {
    FrameHeader h;
    if (!PeekAt(*active.file, active.size, pos, &h) || h.offset != off) break;
    const bool persisted =
        next_persisted < points.size() && points[next_persisted].offset == off;
    if (persisted) ++next_persisted;
    if (persisted || !any ||
        pos - last_memory_point >= options_.active_index_interval_bytes) {
      dense.push_back({h.store_time_us, off, pos, persisted});
      last_memory_point = pos;
      any = true;
    }
    pos += h.frame_bytes();
    ++off;
  }
  if (next_persisted == points.size()) points.swap(dense);
  return points;
}

// ---------------------------------------------------------------------------
// Appending.

absl::Status QueueLogImpl::Roll(int64_t batch_bytes) {
  Segment sealed;
  {
    absl::ReaderMutexLock l(&mu_);
    sealed = segments_.back();
  }
  if (options_.durability == Durability::kAlways) {
    RMQ_RETURN_IF_ERROR(active_file_->Sync());
  }
  proto::SegmentSummary summary;
  summary.set_base_offset(sealed.base);
  summary.set_end_offset(sealed.end);
  summary.set_first_store_time_us(sealed.first_ts);
  summary.set_last_store_time_us(sealed.last_ts);
  summary.set_size_bytes(sealed.size);
  // Unsynced: a lost summary only makes the next open scan the segment.
  rocksdb::WriteBatch summary_batch;
  summary_batch.Put(store_->meta_cf(), keys::SegmentKey(id_, sealed.base),
                    summary.SerializeAsString());
  RMQ_RETURN_IF_ERROR(store_->Write(rocksdb::WriteOptions(), &summary_batch,
                                    "writing segment summary"));
  RMQ_ASSIGN_OR_RETURN(
      std::unique_ptr<SegmentFile> created,
      SegmentFile::Create(dir_, next_offset_,
                          std::max(options_.segment_bytes, batch_bytes),
                          store_->sync_metadata()));
  std::shared_ptr<SegmentFile> next(std::move(created));
  if (options_.durability == Durability::kInterval) {
    absl::MutexLock l(&sync_mu_);
    unsynced_sealed_.push_back(active_file_);
  }
  {
    absl::MutexLock l(&mu_);
    Segment fresh;
    fresh.file = next;
    fresh.base = fresh.end = next_offset_;
    segments_.push_back(std::move(fresh));
    if (!active_points_.empty() && options_.index_cache_segments > 0) {
      // The sealed segment's persisted entries move to the cache.
      std::vector<IndexPoint> kept;
      for (const IndexPoint& p : active_points_) {
        if (p.persisted) kept.push_back(p);
      }
      auto points =
          std::make_shared<const std::vector<IndexPoint>>(std::move(kept));
      cache_.Insert(sealed.base, std::move(points), /*evict=*/true);
    }
    active_points_.clear();
  }
  active_file_ = std::move(next);
  last_point_pos_ = 0;
  last_memory_point_pos_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<AppendResult> QueueLogImpl::Append(
    absl::Span<const proto::Record> records, bool explicit_times) {
  if (records.empty()) {
    return absl::InvalidArgumentError("cannot append an empty batch");
  }
  int64_t my_total = 0;
  AppendResult result;
  {
    absl::MutexLock a(&append_mu_);
    {
      absl::ReaderMutexLock l(&mu_);
      if (deleted_) {
        return absl::NotFoundError(
            absl::StrCat("queue ", id_.value, " was deleted"));
      }
    }
    const int64_t now_us =
        std::max<int64_t>(0, ToMicros(options_.clock->Now()));
    // Store times, one per record.
    std::vector<int64_t> times(records.size());
    if (explicit_times) {
      const int64_t limit =
          now_us + absl::ToInt64Microseconds(options_.max_import_skew);
      int64_t prev = std::max<int64_t>(last_ts_, 0);
      for (size_t i = 0; i < records.size(); ++i) {
        const int64_t t = records[i].store_time_us();
        if (t < prev) {
          return absl::InvalidArgumentError(
              absl::StrCat("import store time ", t, " of record ", i,
                           " is earlier than the previous store time ", prev));
        }
        if (t > limit) {
          return absl::InvalidArgumentError(absl::StrCat(
              "import store time ", t, " of record ", i,
              " is later than now plus the allowed skew (", limit, ")"));
        }
        times[i] = prev = t;
      }
    } else {
      std::fill(times.begin(), times.end(), std::max(now_us, last_ts_));
    }

    // Frames, and where each starts inside the batch, encoded for the
    // segment they go to (`ctx`).
    std::string buf;
    std::vector<int64_t> starts(records.size());
    FrameContext ctx = active_file_->frame_context();
    const int64_t first_offset = next_offset_;  // a roll leaves it as it is
    auto encode = [&]() -> absl::Status {
      buf.clear();
      for (size_t i = 0; i < records.size(); ++i) {
        starts[i] = static_cast<int64_t>(buf.size());
        int64_t payload = 0;
        AppendFrame(ctx, records[i], first_offset + static_cast<int64_t>(i),
                    times[i], &buf, &payload);
        if (payload > kMaxRecordBytes) {
          return absl::InvalidArgumentError(
              absl::StrCat("record ", i, " is ", payload,
                           " bytes; the limit is ", kMaxRecordBytes));
        }
      }
      return absl::OkStatus();
    };
    RMQ_RETURN_IF_ERROR(encode());
    const auto batch_bytes = static_cast<int64_t>(buf.size());

    int64_t active_size = active_file_->size();
    if (active_size > 0 &&
        (active_size + batch_bytes > options_.segment_bytes ||
         active_size + batch_bytes > active_file_->capacity())) {
      RMQ_RETURN_IF_ERROR(Annotate(Roll(batch_bytes), "starting a segment"));
      active_size = 0;
      // A new segment: the write format, offsets from its own base (never
      // longer than the frames encoded above).
      ctx = active_file_->frame_context();
      RMQ_RETURN_IF_ERROR(encode());
    } else if (batch_bytes > active_file_->capacity()) {
      // An empty segment mapped too small for this batch: map it afresh.
      const int64_t base = next_offset_;
      RMQ_RETURN_IF_ERROR(active_file_->Remove());
      RMQ_ASSIGN_OR_RETURN(std::unique_ptr<SegmentFile> bigger,
                           SegmentFile::Create(dir_, base, batch_bytes,
                                               store_->sync_metadata()));
      std::shared_ptr<SegmentFile> f(std::move(bigger));
      {
        absl::MutexLock l(&mu_);
        segments_.back().file = f;
      }
      active_file_ = std::move(f);
      ctx = active_file_->frame_context();
      RMQ_RETURN_IF_ERROR(encode());
    }

    // Index entries this batch adds: persisted ones every interval, and
    // in-memory ones for the active segment in between.
    std::vector<IndexPoint> points;
    int64_t last_point = last_point_pos_;
    int64_t last_memory_point = last_memory_point_pos_;
    if (options_.time_index) {
      for (size_t i = 0; i < records.size(); ++i) {
        const int64_t pos = active_size + starts[i];
        const bool persisted =
            pos == 0 || pos - last_point >= options_.index_interval_bytes;
        if (persisted ||
            pos - last_memory_point >= options_.active_index_interval_bytes) {
          points.push_back({times[i], next_offset_ + static_cast<int64_t>(i),
                            pos, persisted});
          last_memory_point = pos;
          if (persisted) last_point = pos;
        }
      }
    }

    RMQ_RETURN_IF_ERROR(active_file_->Append(buf));

    const IndexPoint* last_persisted = nullptr;
    for (const IndexPoint& p : points) {
      if (p.persisted) last_persisted = &p;
    }
    if (last_persisted != nullptr) {
      rocksdb::WriteBatch batch;
      for (const IndexPoint& p : points) {
        if (!p.persisted) continue;
        proto::IndexEntry e;
        e.set_position(p.position);
        batch.Put(store_->index_cf(), keys::IndexKey(id_, p.ts_us, p.offset),
                  e.SerializeAsString());
      }
      proto::IndexHighWater w;
      w.set_offset(last_persisted->offset);
      w.set_store_time_us(last_persisted->ts_us);
      w.set_segment_base(active_file_->base_offset());
      w.set_position(last_persisted->position);
      batch.Put(store_->meta_cf(), keys::HighWaterKey(id_),
                w.SerializeAsString());
      // No sync: a lost entry is rebuilt from the high-water mark on open.
      absl::Status s =
          store_->Write(rocksdb::WriteOptions(), &batch, "writing index");
      if (!s.ok()) {
        // The records are stored and the in-memory index has the entries;
        // the next open re-indexes from the last high-water mark.
        RMQ_LOG(kWarning, "queue ", id_.value,
                ": index write failed, will be rebuilt on open: ", s.message());
      }
    }

    const int64_t n = static_cast<int64_t>(records.size());
    {
      absl::MutexLock l(&mu_);
      Segment& seg = segments_.back();
      seg.end += n;
      seg.size = active_file_->size();
      if (seg.first_ts < 0) seg.first_ts = times.front();
      seg.last_ts = times.back();
      active_points_.insert(active_points_.end(), points.begin(), points.end());
    }
    result.first = Offset{next_offset_};
    next_offset_ += n;
    result.next = Offset{next_offset_};
    result.store_time = FromMicros(times.back());
    last_ts_ = times.back();
    last_point_pos_ = last_point;
    last_memory_point_pos_ = last_memory_point;
    my_total = written_total_.fetch_add(batch_bytes) + batch_bytes;
  }
  if (options_.durability == Durability::kAlways) {
    RMQ_RETURN_IF_ERROR(SyncUpTo(my_total));
  }
  return result;
}

absl::Status QueueLogImpl::SyncUpTo(int64_t written_total) {
  absl::MutexLock s(&sync_mu_);
  if (durable_total_ >= written_total) return absl::OkStatus();
  // Everything written before this point is in a sealed file listed below
  // or in the active file read after it.
  const int64_t target = written_total_.load();
  std::vector<std::shared_ptr<SegmentFile>> sealed;
  sealed.swap(unsynced_sealed_);
  std::shared_ptr<SegmentFile> active;
  {
    absl::ReaderMutexLock l(&mu_);
    if (deleted_) return absl::OkStatus();
    active = segments_.back().file;
  }
  for (const auto& f : sealed) RMQ_RETURN_IF_ERROR(f->Sync());
  RMQ_RETURN_IF_ERROR(active->Sync());
  durable_total_ = target;
  return absl::OkStatus();
}

absl::Status QueueLogImpl::Sync() { return SyncUpTo(written_total_.load()); }

// ---------------------------------------------------------------------------
// Reading.

absl::Status QueueLogImpl::Damaged(const Segment& seg, int64_t pos,
                                   absl::string_view what) const {
  return absl::DataLossError(absl::StrCat(what, " at byte ", pos, " of ",
                                          seg.file->path(), " (queue ",
                                          id_.value, ")"));
}

int QueueLogImpl::FindSegmentByOffset(int64_t offset) const {
  auto it =
      std::upper_bound(segments_.begin(), segments_.end(), offset,
                       [](int64_t o, const Segment& s) { return o < s.base; });
  return static_cast<int>(it - segments_.begin()) - 1;
}

absl::StatusOr<std::vector<proto::Record>> QueueLogImpl::Read(
    Offset from, int max_records, int64_t max_bytes) const {
  absl::ReaderMutexLock l(&mu_);
  if (deleted_) {
    return absl::NotFoundError(
        absl::StrCat("queue ", id_.value, " was deleted"));
  }
  const int64_t min = segments_.front().base;
  const int64_t max = segments_.back().end;
  if (from.value < min || from.value > max) {
    return absl::OutOfRangeError(absl::StrCat("offset ", from.value,
                                              " is outside [", min, ", ", max,
                                              "] of queue ", id_.value));
  }
  std::vector<proto::Record> out;
  if (from.value == max || max_records <= 0) return out;
  int idx = FindSegmentByOffset(from.value);
  RMQ_CHECK(idx >= 0);
  const bool active = static_cast<size_t>(idx) + 1 == segments_.size();
  RMQ_ASSIGN_OR_RETURN(int64_t pos,
                       PositionOf(segments_[idx], active, from.value));
  int64_t bytes = 0;
  int64_t expected = from.value;
  while (static_cast<size_t>(idx) < segments_.size()) {
    const Segment& seg = segments_[idx];
    while (pos < seg.size && static_cast<int>(out.size()) < max_records) {
      FrameHeader h;
      if (!HeaderAt(*seg.file, seg.size, pos, &h) || h.offset != expected) {
        if (!out.empty()) return out;
        return Damaged(
            seg, pos,
            absl::StrCat("record ", expected, " has a damaged header"));
      }
      if (!out.empty() && bytes + h.payload_bytes > max_bytes) return out;
      proto::Record r;
      absl::Status s =
          DecodeFramePayload(h, internal::PayloadAt(*seg.file, pos, h), &r);
      if (!s.ok()) {
        if (!out.empty()) return out;
        return Damaged(seg, pos, s.message());
      }
      out.push_back(std::move(r));
      bytes += h.payload_bytes;
      pos += h.frame_bytes();
      ++expected;
    }
    if (static_cast<int>(out.size()) >= max_records) break;
    ++idx;
    pos = 0;
  }
  return out;
}

Offset QueueLogImpl::min_offset() const {
  absl::ReaderMutexLock l(&mu_);
  return Offset{segments_.front().base};
}

Offset QueueLogImpl::max_offset() const {
  absl::ReaderMutexLock l(&mu_);
  return Offset{segments_.back().end};
}

QueueLogStats QueueLogImpl::Stats() const {
  absl::ReaderMutexLock l(&mu_);
  QueueLogStats st;
  st.min_offset = Offset{segments_.front().base};
  st.max_offset = Offset{segments_.back().end};
  st.segments = static_cast<int>(segments_.size());
  st.active_segment_base = Offset{segments_.back().base};
  for (const Segment& s : segments_) {
    st.size_bytes += s.size;
    if (!s.empty()) {
      if (!st.first_store_time) st.first_store_time = FromMicros(s.first_ts);
      st.last_store_time = FromMicros(s.last_ts);
    }
  }
  return st;
}

// ---------------------------------------------------------------------------
// Retention and deletion.

absl::StatusOr<int> QueueLogImpl::ApplyRetention(const RetentionRule& rule) {
  absl::MutexLock a(&append_mu_);
  std::vector<Segment> victims;
  Segment first_kept;
  {
    absl::ReaderMutexLock l(&mu_);
    if (deleted_) {
      return absl::NotFoundError(
          absl::StrCat("queue ", id_.value, " was deleted"));
    }
    size_t k = 0;
    const size_t n = segments_.size();
    if (rule.remove_stored_before.has_value()) {
      const int64_t cut = ToMicros(*rule.remove_stored_before);
      while (k + 1 < n && segments_[k].last_ts < cut) ++k;
    }
    if (rule.max_bytes.has_value()) {
      int64_t total = 0;
      for (size_t i = k; i < n; ++i) total += segments_[i].size;
      while (k + 1 < n && total > *rule.max_bytes) {
        total -= segments_[k].size;
        ++k;
      }
    }
    if (k == 0) return 0;
    victims.assign(segments_.begin(),
                   segments_.begin() + static_cast<ptrdiff_t>(k));
    first_kept = segments_[k];
  }

  rocksdb::WriteBatch batch;
  const std::string begin = keys::IndexKey(id_, 0, 0);
  batch.DeleteRange(
      store_->index_cf(), begin,
      first_kept.empty()
          ? keys::IndexKeyEnd(id_)
          : keys::IndexKey(id_, first_kept.first_ts, first_kept.base));
  for (const Segment& v : victims) {
    batch.Delete(store_->meta_cf(), keys::SegmentKey(id_, v.base));
  }
  proto::QueueState state;
  state.set_start_offset(first_kept.base);
  state.set_created_us(created_us_);
  if (first_kept.empty()) state.set_retired_last_store_time_us(last_ts_);
  batch.Put(store_->meta_cf(), keys::QueueKey(id_), state.SerializeAsString());
  if (first_kept.empty())
    batch.Delete(store_->meta_cf(), keys::HighWaterKey(id_));
  rocksdb::WriteOptions wo;
  wo.sync = store_->sync_metadata();
  RMQ_RETURN_IF_ERROR(store_->Write(wo, &batch, "recording retention"));

  {
    absl::MutexLock l(&mu_);
    segments_.erase(segments_.begin(),
                    segments_.begin() + static_cast<ptrdiff_t>(victims.size()));
    cache_.EraseBelow(first_kept.base);
  }
  for (const Segment& v : victims) {
    absl::Status s = v.file->Remove();
    if (!s.ok()) {
      // The state above already excludes it; the next open removes it.
      RMQ_LOG(kWarning, "retention: ", s.message());
    }
  }
  if (store_->sync_metadata()) {
    absl::Status s = SyncDir(dir_);
    if (!s.ok()) RMQ_LOG(kWarning, "retention: ", s.message());
  }
  return static_cast<int>(victims.size());
}

void QueueLogImpl::MarkDeleted() {
  absl::MutexLock a(&append_mu_);
  absl::MutexLock s(&sync_mu_);
  absl::MutexLock l(&mu_);
  deleted_ = true;
  unsynced_sealed_.clear();
  cache_.Clear();
  // segments_ stays, so min/max_offset keep answering; files are unlinked
  // by the caller together with the directory.
}

}  // namespace rewindmq::storage

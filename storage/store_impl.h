// Internal classes behind Store and QueueLog. Not part of the public API:
// RocksDB types appear here and nowhere in storage's public headers.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "base/ids.h"
#include "proto/record.pb.h"
#include "proto/storage_meta.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/kv_store.h"
#include "storage/options.h"
#include "storage/queue_log.h"
#include "storage/segment.h"
#include "storage/segment_cache.h"

namespace rewindmq::storage {

class QueueLog;

// One time-index entry: the record at `offset` starts `position` bytes into
// its segment and was stored at `ts_us`.
struct IndexPoint {
  int64_t ts_us;
  int64_t offset;
  int64_t position;
  // Written to RocksDB; otherwise an in-memory entry of the active segment.
  bool persisted = true;
};

class StoreImpl {
 public:
  static absl::StatusOr<std::unique_ptr<StoreImpl>> Open(
      const std::string& dir, const StoreOptions& options);
  ~StoreImpl();

  absl::StatusOr<QueueLog*> CreateQueue();
  absl::StatusOr<QueueLog*> Queue(QueueId id) const;
  absl::Status DeleteQueue(QueueId id);
  std::vector<QueueId> ListQueues() const;
  absl::Status SyncAll();
  KvStore& kv() { return kv_; }

  const StoreOptions& options() const { return options_; }
  const std::string& dir() const { return dir_; }
  std::string QueueDir(QueueId id) const;

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* index_cf() const { return index_cf_; }
  rocksdb::ColumnFamilyHandle* meta_cf() const { return meta_cf_; }
  rocksdb::ColumnFamilyHandle* kv_cf() const { return kv_cf_; }
  // Writes `batch` to RocksDB; `what` names the write in an error. Every
  // write goes through here: after a write failed with an I/O error (a full
  // disk, a file size limit, a read-only folder) RocksDB refuses all writes
  // until resumed, so a later write first tries DB::Resume() (at most every
  // kResumeInterval), and writes work again once the cause is gone.
  // ResourceExhausted: no space. Unavailable: other I/O errors.
  absl::Status Write(const rocksdb::WriteOptions& options,
                     rocksdb::WriteBatch* batch, absl::string_view what);
  // Whether writes that must survive power loss (queue registry, retention)
  // are synced.
  bool sync_metadata() const {
    return options_.durability != Durability::kNever;
  }

 private:
  StoreImpl(std::string dir, const StoreOptions& options);
  absl::Status OpenDb();
  absl::Status LoadQueues();
  void FlushLoop();
  // Called after a RocksDB call failed with `s`: true when RocksDB was
  // resumed and the call may be retried. The first failure is reported as
  // it is; a resume is tried at most every kResumeInterval after it.
  bool ResumeAfter(const rocksdb::Status& s);

  static constexpr absl::Duration kResumeInterval = absl::Milliseconds(500);

  const std::string dir_;
  const StoreOptions options_;
  int lock_fd_ = -1;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* kv_cf_ = nullptr;
  KvStore kv_{this};

  mutable absl::Mutex mu_;
  uint64_t next_queue_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, std::unique_ptr<QueueLog>> live_ ABSL_GUARDED_BY(mu_);
  // Deleted queues stay allocated so that pointers handed out stay valid.
  std::vector<std::unique_ptr<QueueLog>> dead_ ABSL_GUARDED_BY(mu_);

  absl::Mutex resume_mu_;
  // When writes started failing; InfinitePast() while they work.
  absl::Time failing_since_ ABSL_GUARDED_BY(resume_mu_) = absl::InfinitePast();
  absl::Time last_resume_ ABSL_GUARDED_BY(resume_mu_) = absl::InfinitePast();

  absl::Mutex flush_mu_;
  bool stopping_ ABSL_GUARDED_BY(flush_mu_) = false;
  std::thread flusher_;
};

class QueueLogImpl {
 public:
  // Opens (recovering) or creates the queue's log.
  static absl::StatusOr<std::unique_ptr<QueueLogImpl>> Open(StoreImpl* store,
                                                            QueueId id,
                                                            bool create);
  ~QueueLogImpl();

  QueueId id() const { return id_; }
  absl::StatusOr<AppendResult> Append(absl::Span<const proto::Record> records,
                                      bool explicit_times);
  absl::StatusOr<std::vector<proto::Record>> Read(Offset from, int max_records,
                                                  int64_t max_bytes) const;
  absl::StatusOr<TimeLookup> FirstOffsetAtOrAfter(absl::Time t) const;
  absl::StatusOr<int> ApplyRetention(const RetentionRule& rule);
  absl::Status Sync();
  Offset min_offset() const;
  Offset max_offset() const;
  QueueLogStats Stats() const;

  // Marks the queue deleted (every later call answers NotFound) and closes
  // its files. The caller removes the files and metadata.
  void MarkDeleted();

 private:
  struct Segment {
    // Shared with the syncer, which may fdatasync a file while a roll
    // replaces it as the active segment.
    std::shared_ptr<SegmentFile> file;
    int64_t base = 0;
    int64_t end = 0;   // one past the last offset
    int64_t size = 0;  // bytes published to readers
    int64_t first_ts = -1;
    int64_t last_ts = -1;
    bool empty() const { return end == base; }
  };

  // What a scan of frames found (recovery).
  struct ScanResult {
    int64_t valid_bytes = 0;  // position after the last good frame
    int64_t end_offset = 0;
    int64_t first_ts = -1;
    int64_t last_ts = -1;
    bool damaged = false;  // stopped on a bad frame before the file end
    std::vector<IndexPoint> points;
    int64_t last_point_pos = 0;
  };

  // A segment file found on disk.
  struct SegmentName {
    int64_t base = 0;
    FrameFormat format = kWriteFormat;
    std::string path;
  };
  // The segments recovery verified, with what the index lacks.
  struct RecoveredChain {
    std::vector<Segment> segs;
    std::vector<IndexPoint> new_points;  // to add to the index
    int64_t last_ts = -1;                // newest store time found
  };

  QueueLogImpl(StoreImpl* store, QueueId id);
  // Opens the queue from disk (see queue_log.cc for the steps).
  absl::Status Recover(bool create);
  absl::StatusOr<proto::QueueState> LoadQueueState(bool create) const;
  // Segment files oldest first, without retention leftovers; creates the
  // first one when there is none. May move state's start offset.
  absl::StatusOr<std::vector<SegmentName>> ListSegmentFiles(
      proto::QueueState* state) const;
  absl::StatusOr<std::optional<proto::IndexHighWater>> LoadHighWater() const;
  absl::StatusOr<RecoveredChain> RecoverSegments(
      const proto::QueueState& state,
      const std::optional<proto::IndexHighWater>& hwm,
      std::vector<SegmentName>* files, rocksdb::WriteBatch* repair);
  // Verifies (or trusts) segment i and appends it to `chain`.
  absl::Status RecoverSegment(size_t i,
                              const std::optional<proto::IndexHighWater>& hwm,
                              std::vector<SegmentName>* files, bool* reindexing,
                              RecoveredChain* chain,
                              rocksdb::WriteBatch* repair);
  // Truncates segment i after its last good frame and removes the segments
  // after it.
  absl::Status DropDamagedTail(size_t i, const ScanResult& r, SegmentFile* file,
                               std::vector<SegmentName>* files,
                               rocksdb::WriteBatch* repair);
  // Index entries and high-water mark matching the recovered chain.
  absl::Status RepairIndex(const std::optional<proto::IndexHighWater>& hwm,
                           const RecoveredChain& chain,
                           proto::QueueState* state,
                           rocksdb::WriteBatch* repair) const;
  // The active segment's index entries, persisted and in-memory ones.
  absl::StatusOr<std::vector<IndexPoint>> ActivePoints(
      const Segment& active) const;
  ScanResult ScanFrames(const SegmentFile& file, int64_t start_pos,
                        int64_t expected_offset, int64_t prev_ts,
                        int64_t last_point_pos, bool make_points) const;
  absl::Status Roll(int64_t batch_bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  absl::Status SyncUpTo(int64_t written_total);

  int FindSegmentByOffset(int64_t offset) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The persisted index entries of `seg`, read from RocksDB.
  absl::StatusOr<std::vector<IndexPoint>> LoadPoints(const Segment& seg) const;
  // Loads the persisted entries of sealed `seg` and caches them, evicting
  // the least recently used entry when full if `evict`, else only when
  // there is room.
  absl::StatusOr<std::shared_ptr<const std::vector<IndexPoint>>> LoadIntoCache(
      const Segment& seg, bool evict) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The index entries of a segment: the active segment's from memory,
  // others from the cache, loading them from RocksDB on a miss.
  absl::StatusOr<std::shared_ptr<const std::vector<IndexPoint>>> PointsOf(
      const Segment& seg, bool active) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Position of the record `offset` inside `seg`, walking forward from the
  // closest index entry at or before it.
  absl::StatusOr<int64_t> PositionOf(const Segment& seg, bool active,
                                     int64_t offset) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Start position for a time scan: the last index entry of `seg` stored
  // before `ts_us`, or 0.
  absl::StatusOr<int64_t> TimeScanStart(const Segment& seg, bool active,
                                        int64_t ts_us) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::Status Damaged(const Segment& seg, int64_t pos,
                       absl::string_view what) const;

  StoreImpl* const store_;
  const QueueId id_;
  const std::string dir_;
  const StoreOptions& options_;

  // Serializes appends, rolls and retention. Writer-side state below is
  // only touched with it held.
  absl::Mutex append_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::shared_ptr<SegmentFile> active_file_ ABSL_GUARDED_BY(append_mu_);
  int64_t next_offset_ ABSL_GUARDED_BY(append_mu_) = 0;
  int64_t last_ts_ ABSL_GUARDED_BY(append_mu_) = -1;
  int64_t last_point_pos_ ABSL_GUARDED_BY(append_mu_) = 0;
  int64_t last_memory_point_pos_ ABSL_GUARDED_BY(append_mu_) = 0;
  int64_t created_us_ ABSL_GUARDED_BY(append_mu_) = 0;

  // Guards what readers see. Readers hold it shared for the whole of a
  // lookup or read, so retention (exclusive) never unmaps a file under
  // them.
  mutable absl::Mutex mu_;
  std::vector<Segment> segments_ ABSL_GUARDED_BY(mu_);  // last = active
  std::vector<IndexPoint> active_points_ ABSL_GUARDED_BY(mu_);
  bool deleted_ ABSL_GUARDED_BY(mu_) = false;

  // Sealed segments' index entries, least recently used evicted first.
  mutable internal::SegmentCache<std::vector<IndexPoint>> cache_;

  // Durability bookkeeping, in bytes appended since open.
  std::atomic<int64_t> written_total_{0};
  absl::Mutex sync_mu_;
  int64_t durable_total_ ABSL_GUARDED_BY(sync_mu_) = 0;
  // Sealed in Durability::kInterval and not yet synced.
  std::vector<std::shared_ptr<SegmentFile>> unsynced_sealed_
      ABSL_GUARDED_BY(sync_mu_);
};

}  // namespace rewindmq::storage

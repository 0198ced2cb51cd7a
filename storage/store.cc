#include "storage/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "rocksdb/env.h"
#include "rocksdb/listener.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"

namespace rewindmq::storage {
namespace {

constexpr char kIndexCf[] = "time_index";
constexpr char kMetaCf[] = "storage";
constexpr char kKvCf[] = "kv";
constexpr char kDeletedSuffix[] = ".deleted";

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

// RocksDB's own messages go to our log (stderr), not to a LOG file in the
// data directory: a LOG file needs disk space exactly when the disk is full,
// and RocksDB 7.8 aborts on an assertion when it writes to a LOG file whose
// previous write failed.
class RocksDbLogger : public rocksdb::Logger {
 public:
  RocksDbLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const rocksdb::InfoLogLevel level, const char* format,
            va_list ap) override {
    if (level < GetInfoLogLevel() ||
        level == rocksdb::InfoLogLevel::HEADER_LEVEL) {
      return;
    }
    char buf[1024];
    std::vsnprintf(buf, sizeof(buf), format, ap);
    if (level == rocksdb::InfoLogLevel::WARN_LEVEL) {
      RMQ_LOG(kWarning, "rocksdb: ", buf);
    } else {
      RMQ_LOG(kError, "rocksdb: ", buf);
    }
  }
};

// Lets the store take a RocksDB that stopped writing after an I/O error back
// into service itself (StoreImpl::Write() calls DB::Resume()):
// - RocksDB's own recovery is switched off. For a full disk it waits until
//   as much space as a whole write buffer (64 MiB) is free and meanwhile
//   answers Resume() with Busy, so a small disk would never recover.
// - An I/O error (not a corruption) that RocksDB rates fatal, such as a WAL
//   write failing with EFBIG or EACCES, is rated hard instead, so that
//   Resume() may clear it. Resuming flushes every memtable and starts a new
//   WAL, so the WAL holding the failed write is not appended to again.
class RocksDbErrorListener : public rocksdb::EventListener {
 public:
  void OnBackgroundError(rocksdb::BackgroundErrorReason /*reason*/,
                         rocksdb::Status* bg_error) override {
    if (bg_error->IsIOError() && !bg_error->IsIOFenced() &&
        bg_error->severity() > rocksdb::Status::Severity::kHardError &&
        bg_error->severity() < rocksdb::Status::Severity::kUnrecoverableError) {
      *bg_error =
          rocksdb::Status(*bg_error, rocksdb::Status::Severity::kHardError);
    }
    RMQ_LOG(kError, "rocksdb stopped writing: ", bg_error->ToString(),
            "; writes fail until the cause is fixed");
  }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/,
                            rocksdb::Status /*bg_error*/,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

// Whether `dir` holds any file, i.e. is not a fresh place for a database.
bool HasEntries(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  return !ec && it != std::filesystem::directory_iterator();
}

}  // namespace

// ---------------------------------------------------------------------------
// Store: the public face.

Store::Store(std::unique_ptr<StoreImpl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    const std::string& dir, const StoreOptions& options) {
  RMQ_ASSIGN_OR_RETURN(std::unique_ptr<StoreImpl> impl,
                       StoreImpl::Open(dir, options));
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

absl::StatusOr<QueueLog*> Store::CreateQueue() { return impl_->CreateQueue(); }
absl::StatusOr<QueueLog*> Store::Queue(QueueId id) const {
  return impl_->Queue(id);
}
absl::Status Store::DeleteQueue(QueueId id) { return impl_->DeleteQueue(id); }
std::vector<QueueId> Store::ListQueues() const { return impl_->ListQueues(); }
KvStore& Store::kv() { return impl_->kv(); }
absl::Status Store::SyncAll() { return impl_->SyncAll(); }
const StoreOptions& Store::options() const { return impl_->options(); }
const std::string& Store::dir() const { return impl_->dir(); }

// ---------------------------------------------------------------------------
// StoreImpl.

StoreImpl::StoreImpl(std::string dir, const StoreOptions& options)
    : dir_(std::move(dir)), options_(options) {}

std::string StoreImpl::QueueDir(QueueId id) const {
  return absl::StrFormat("%s/queues/%016x", dir_, id.value);
}

absl::StatusOr<std::unique_ptr<StoreImpl>> StoreImpl::Open(
    const std::string& dir, const StoreOptions& options) {
  if (options.segment_bytes < 4096) {
    return absl::InvalidArgumentError("segment_bytes must be at least 4096");
  }
  if (options.index_interval_bytes < 1) {
    return absl::InvalidArgumentError("index_interval_bytes must be positive");
  }
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("a clock is required");
  }
  std::unique_ptr<StoreImpl> s(new StoreImpl(dir, options));
  std::error_code ec;
  std::filesystem::create_directories(dir + "/queues", ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory ", dir, ": ", ec.message()));
  }
  const std::string lock_path = dir + "/LOCK";
  s->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (s->lock_fd_ < 0) {
    return ErrnoStatus(errno, absl::StrCat("open ", lock_path));
  }
  if (::flock(s->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", dir, " is in use by another rewindmq process"));
  }
  RMQ_RETURN_IF_ERROR(s->OpenDb());
  RMQ_RETURN_IF_ERROR(s->LoadQueues());
  if (options.durability == Durability::kInterval) {
    s->flusher_ = std::thread([p = s.get()] { p->FlushLoop(); });
  }
  return s;
}

absl::Status StoreImpl::OpenDb() {
  // A RocksDB without CURRENT would be created afresh, and its old files
  // deleted as obsolete: refuse, whatever else is in the folder.
  const std::string db_dir = dir_ + "/db";
  std::error_code ec;
  const bool have_current =
      std::filesystem::exists(db_dir + "/CURRENT", ec) && !ec;
  if (!have_current && HasEntries(db_dir)) {
    return absl::DataLossError(absl::StrCat(
        "RocksDB in ", db_dir,
        " has files but no CURRENT file; refusing to create a new database "
        "over them (restore CURRENT or the whole folder from a backup)"));
  }
  // A new RocksDB next to existing segment files would register none of
  // their queues (and lose the names, offsets and message states).
  if (!have_current && HasEntries(dir_ + "/queues")) {
    return absl::DataLossError(absl::StrCat(
        "RocksDB folder ", db_dir, " is missing or empty but ", dir_,
        "/queues holds queue data; refusing to start with an empty index and "
        "registry (restore ",
        db_dir, " from a backup)"));
  }
  std::filesystem::create_directories(db_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", db_dir, ": ", ec.message()));
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.keep_log_file_num = 3;
  db_options.max_manifest_file_size = 64 << 20;
  db_options.info_log = std::make_shared<RocksDbLogger>();
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.listeners.push_back(std::make_shared<RocksDbErrorListener>());
  // A torn last record (a crash during a write) is dropped, as the segment
  // files drop theirs; a damaged record before the end stops the open
  // instead of silently dropping everything after it (what the default
  // kPointInTimeRecovery would do).
  db_options.wal_recovery_mode =
      rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // One memory budget for the memtables of all column families (each would
  // otherwise grow to 64 MiB, plus the one being flushed, before its first
  // flush): when they hold this much together, the largest is flushed.
  db_options.db_write_buffer_size = size_t{64} << 20;

  rocksdb::ColumnFamilyOptions index_options;
  rocksdb::BlockBasedTableOptions table;
  // Index keys share their first 8 bytes (the queue) and mostly more, so
  // prefix compression inside blocks keeps the index small.
  table.block_restart_interval = 32;
  index_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {kIndexCf, index_options},
      {kMetaCf, rocksdb::ColumnFamilyOptions()},
      {kKvCf, rocksdb::ColumnFamilyOptions()},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  RMQ_RETURN_IF_ERROR(
      FromRocksDb(rocksdb::DB::Open(db_options, db_dir, cfs, &handles, &db),
                  absl::StrCat("opening RocksDB in ", db_dir)));
  db_.reset(db);
  default_cf_ = handles[0];
  index_cf_ = handles[1];
  meta_cf_ = handles[2];
  kv_cf_ = handles[3];
  return absl::OkStatus();
}

absl::Status StoreImpl::LoadQueues() {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_cf_,
                               ToSlice(keys::kNextQueueIdKey), &value);
  uint64_t next = 1;
  if (s.ok()) {
    proto::QueueIdCounter c;
    if (!c.ParseFromString(value)) {
      return absl::DataLossError("queue id counter does not parse");
    }
    next = c.next();
  } else if (!s.IsNotFound()) {
    return FromRocksDb(s, "reading queue id counter");
  }

  std::vector<QueueId> ids;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  for (it->Seek(ToSlice(keys::kQueuePrefix)); it->Valid(); it->Next()) {
    QueueId id;
    if (!it->key().starts_with(ToSlice(keys::kQueuePrefix))) break;
    if (keys::DecodeQueueKey(
            absl::string_view(it->key().data(), it->key().size()), &id)) {
      ids.push_back(id);
    }
  }
  RMQ_RETURN_IF_ERROR(FromRocksDb(it->status(), "listing queues"));

  absl::MutexLock l(&mu_);
  next_queue_id_ = next;
  for (QueueId id : ids) {
    RMQ_ASSIGN_OR_RETURN(std::unique_ptr<QueueLogImpl> q,
                         QueueLogImpl::Open(this, id, /*create=*/false));
    live_[id.value] = std::unique_ptr<QueueLog>(new QueueLog(std::move(q)));
    if (id.value >= next_queue_id_) next_queue_id_ = id.value + 1;
  }
  // DeleteQueue() renames a queue's directory to "<id>.deleted" before
  // removing it; a crash can leave one behind. A directory of a queue that
  // is not registered is left alone: the registry may be what was lost (a
  // damaged or restored RocksDB), and segment files are never removed
  // because of a RocksDB problem.
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(dir_ + "/queues", ec)) {
    uint64_t id = 0;
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, kDeletedSuffix)) {
      RMQ_LOG(kInfo, "removing deleted queue directory ",
              entry.path().string());
      std::filesystem::remove_all(entry.path(), ec);
    } else if (name.size() == 16 && absl::SimpleHexAtoi(name, &id) &&
               live_.count(id) == 0) {
      RMQ_LOG(kWarning, "queue directory ", entry.path().string(),
              " belongs to no registered queue; leaving it in place (remove "
              "it by hand if its queue was deleted)");
      if (id >= next_queue_id_) next_queue_id_ = id + 1;
    }
  }
  return absl::OkStatus();
}

StoreImpl::~StoreImpl() {
  if (flusher_.joinable()) {
    {
      absl::MutexLock l(&flush_mu_);
      stopping_ = true;
    }
    flusher_.join();
  }
  if (db_ != nullptr) {
    absl::Status s = SyncAll();
    if (!s.ok()) RMQ_LOG(kError, "closing store: ", s.message());
    {
      absl::MutexLock l(&mu_);
      live_.clear();
      dead_.clear();
    }
    for (auto* cf : {default_cf_, index_cf_, meta_cf_, kv_cf_}) {
      if (cf != nullptr) {
        rocksdb::Status ds = db_->DestroyColumnFamilyHandle(cf);
        if (!ds.ok()) RMQ_LOG(kError, "closing store: ", ds.ToString());
      }
    }
    rocksdb::Status cs = db_->Close();
    if (!cs.ok()) RMQ_LOG(kError, "closing store: ", cs.ToString());
    db_.reset();
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void StoreImpl::FlushLoop() {
  while (true) {
    {
      absl::MutexLock l(&flush_mu_);
      flush_mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                                 options_.flush_interval);
      if (stopping_) return;
    }
    absl::Status s = SyncAll();
    if (!s.ok()) RMQ_LOG(kWarning, "background sync: ", s.message());
  }
}

absl::Status StoreImpl::Write(const rocksdb::WriteOptions& options,
                              rocksdb::WriteBatch* batch,
                              absl::string_view what) {
  rocksdb::Status s = db_->Write(options, batch);
  if (!s.ok() && ResumeAfter(s)) s = db_->Write(options, batch);
  if (s.ok()) {
    absl::MutexLock l(&resume_mu_);
    failing_since_ = absl::InfinitePast();
  }
  return FromRocksDb(s, what);
}

bool StoreImpl::ResumeAfter(const rocksdb::Status& s) {
  if (!s.IsIOError()) return false;
  {
    absl::MutexLock l(&resume_mu_);
    const absl::Time now = absl::Now();
    if (failing_since_ == absl::InfinitePast()) {
      failing_since_ = last_resume_ = now;
      return false;
    }
    if (now - last_resume_ < kResumeInterval) return false;
    last_resume_ = now;
  }
  rocksdb::Status r = db_->Resume();
  if (!r.ok()) {
    RMQ_LOG(kWarning, "rocksdb cannot resume writing yet: ", r.ToString());
    return false;
  }
  absl::MutexLock l(&resume_mu_);
  RMQ_LOG(kWarning, "rocksdb writes work again after failing for ",
          absl::FormatDuration(absl::Now() - failing_since_));
  failing_since_ = absl::InfinitePast();
  return true;
}

absl::Status StoreImpl::SyncAll() {
  std::vector<QueueLog*> queues;
  {
    absl::MutexLock l(&mu_);
    for (const auto& [id, q] : live_) queues.push_back(q.get());
  }
  absl::Status first_error;
  for (QueueLog* q : queues) {
    absl::Status s = q->Sync();
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  rocksdb::Status synced = db_->SyncWAL();
  if (!synced.ok() && ResumeAfter(synced)) synced = db_->SyncWAL();
  absl::Status s = FromRocksDb(synced, "syncing the RocksDB log");
  if (!s.ok() && first_error.ok()) first_error = s;
  return first_error;
}

absl::StatusOr<QueueLog*> StoreImpl::CreateQueue() {
  absl::MutexLock l(&mu_);
  // An id whose directory exists (left unregistered, see LoadQueues()) is
  // skipped, so that a new queue never adopts old segment files.
  std::error_code ec;
  for (int i = 0; i < 1000 && std::filesystem::exists(
                                  QueueDir(QueueId{next_queue_id_}), ec);
       ++i) {
    ++next_queue_id_;
  }
  const QueueId id{next_queue_id_};
  proto::QueueIdCounter counter;
  counter.set_next(id.value + 1);
  proto::QueueState state;
  state.set_start_offset(0);
  state.set_created_us(absl::ToUnixMicros(options_.clock->Now()));
  rocksdb::WriteBatch batch;
  batch.Put(meta_cf_, ToSlice(keys::kNextQueueIdKey),
            counter.SerializeAsString());
  batch.Put(meta_cf_, keys::QueueKey(id), state.SerializeAsString());
  rocksdb::WriteOptions wo;
  wo.sync = sync_metadata();
  RMQ_RETURN_IF_ERROR(Write(wo, &batch, "creating queue"));
  next_queue_id_ = id.value + 1;
  RMQ_ASSIGN_OR_RETURN(std::unique_ptr<QueueLogImpl> impl,
                       QueueLogImpl::Open(this, id, /*create=*/true));
  auto q = std::unique_ptr<QueueLog>(new QueueLog(std::move(impl)));
  QueueLog* raw = q.get();
  live_[id.value] = std::move(q);
  return raw;
}

absl::StatusOr<QueueLog*> StoreImpl::Queue(QueueId id) const {
  absl::MutexLock l(&mu_);
  auto it = live_.find(id.value);
  if (it == live_.end()) {
    return absl::NotFoundError(absl::StrCat("queue ", id.value, " not found"));
  }
  return it->second.get();
}

absl::Status StoreImpl::DeleteQueue(QueueId id) {
  absl::MutexLock l(&mu_);
  auto it = live_.find(id.value);
  if (it == live_.end()) {
    return absl::NotFoundError(absl::StrCat("queue ", id.value, " not found"));
  }
  it->second->impl_->MarkDeleted();
  rocksdb::WriteBatch batch;
  batch.DeleteRange(index_cf_, keys::IndexKey(id, 0, 0), keys::IndexKeyEnd(id));
  std::string seg_begin = keys::SegmentKeyPrefix(id);
  std::string seg_end = seg_begin + std::string(9, '\xff');
  batch.DeleteRange(meta_cf_, seg_begin, seg_end);
  batch.Delete(meta_cf_, keys::HighWaterKey(id));
  batch.Delete(meta_cf_, keys::QueueKey(id));
  rocksdb::WriteOptions wo;
  wo.sync = sync_metadata();
  RMQ_RETURN_IF_ERROR(Write(wo, &batch, "deleting queue"));
  dead_.push_back(std::move(it->second));
  live_.erase(it);
  std::error_code ec;
  const std::string deleted = QueueDir(id) + kDeletedSuffix;
  std::filesystem::rename(QueueDir(id), deleted, ec);
  std::filesystem::remove_all(ec ? QueueDir(id) : deleted, ec);
  if (ec) {
    // A leftover "<id>.deleted" directory is removed on the next open; one
    // that could not be renamed stays, unregistered, with a warning then.
    RMQ_LOG(kWarning, "deleting queue ", id.value, ": ", ec.message());
  }
  return absl::OkStatus();
}

std::vector<QueueId> StoreImpl::ListQueues() const {
  absl::MutexLock l(&mu_);
  std::vector<QueueId> out;
  for (const auto& [id, q] : live_) out.push_back(QueueId{id});
  return out;
}

// ---------------------------------------------------------------------------
// KvStore.

void KvBatch::Put(absl::string_view key, absl::string_view value) {
  ops_.push_back({Op::kPut, std::string(key), std::string(value)});
}
void KvBatch::Delete(absl::string_view key) {
  ops_.push_back({Op::kDelete, std::string(key), ""});
}
void KvBatch::DeleteRange(absl::string_view begin, absl::string_view end) {
  ops_.push_back({Op::kDeleteRange, std::string(begin), std::string(end)});
}

absl::StatusOr<std::string> KvStore::Get(absl::string_view key) const {
  std::string value;
  rocksdb::Status s = store_->db()->Get(rocksdb::ReadOptions(), store_->kv_cf(),
                                        ToSlice(key), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("key not found: ", key));
  }
  RMQ_RETURN_IF_ERROR(FromRocksDb(s, "reading metadata"));
  return value;
}

absl::Status KvStore::Put(absl::string_view key, absl::string_view value,
                          bool sync) {
  KvBatch b;
  b.Put(key, value);
  return Write(b, sync);
}

absl::Status KvStore::Delete(absl::string_view key, bool sync) {
  KvBatch b;
  b.Delete(key);
  return Write(b, sync);
}

absl::Status KvStore::Write(const KvBatch& batch, bool sync) {
  rocksdb::WriteBatch wb;
  for (const KvBatch::Entry& e : batch.ops_) {
    switch (e.op) {
      case KvBatch::Op::kPut:
        wb.Put(store_->kv_cf(), ToSlice(e.a), ToSlice(e.b));
        break;
      case KvBatch::Op::kDelete:
        wb.Delete(store_->kv_cf(), ToSlice(e.a));
        break;
      case KvBatch::Op::kDeleteRange:
        wb.DeleteRange(store_->kv_cf(), ToSlice(e.a), ToSlice(e.b));
        break;
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync || store_->options().durability == Durability::kAlways;
  return store_->Write(wo, &wb, "writing metadata");
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> KvStore::Scan(
    absl::string_view prefix, absl::string_view after, int limit) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(
      store_->db()->NewIterator(rocksdb::ReadOptions(), store_->kv_cf()));
  if (after.empty()) {
    it->Seek(ToSlice(prefix));
  } else {
    it->Seek(ToSlice(after));
    if (it->Valid() && it->key() == ToSlice(after)) it->Next();
  }
  for (; it->Valid() && static_cast<int>(out.size()) < limit; it->Next()) {
    if (!it->key().starts_with(ToSlice(prefix))) break;
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  RMQ_RETURN_IF_ERROR(FromRocksDb(it->status(), "scanning metadata"));
  return out;
}

}  // namespace rewindmq::storage

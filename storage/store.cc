#include "storage/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/logging.h"
#include "base/status_macros.h"
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

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
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
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.keep_log_file_num = 3;
  db_options.max_manifest_file_size = 64 << 20;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;

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
  RMQ_RETURN_IF_ERROR(FromRocksDb(
      rocksdb::DB::Open(db_options, dir_ + "/db", cfs, &handles, &db),
      absl::StrCat("opening RocksDB in ", dir_, "/db")));
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
  // Directories of queues that are not registered were left by a crash
  // during creation or deletion.
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(dir_ + "/queues", ec)) {
    uint64_t id = 0;
    const std::string name = entry.path().filename().string();
    if (name.size() == 16 && absl::SimpleHexAtoi(name, &id) &&
        live_.count(id) == 0) {
      RMQ_LOG(kInfo, "removing unregistered queue directory ",
              entry.path().string());
      std::filesystem::remove_all(entry.path(), ec);
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
  absl::Status s = FromRocksDb(db_->SyncWAL(), "syncing the RocksDB log");
  if (!s.ok() && first_error.ok()) first_error = s;
  return first_error;
}

absl::StatusOr<QueueLog*> StoreImpl::CreateQueue() {
  absl::MutexLock l(&mu_);
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
  RMQ_RETURN_IF_ERROR(FromRocksDb(db_->Write(wo, &batch), "creating queue"));
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
  RMQ_RETURN_IF_ERROR(FromRocksDb(db_->Write(wo, &batch), "deleting queue"));
  dead_.push_back(std::move(it->second));
  live_.erase(it);
  std::error_code ec;
  std::filesystem::remove_all(QueueDir(id), ec);
  if (ec) {
    // Unregistered directories are removed on the next open.
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
  return FromRocksDb(store_->db()->Write(wo, &wb), "writing metadata");
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

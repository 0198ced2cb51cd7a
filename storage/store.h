// The storage engine: every queue's segment files under one data directory
// and one RocksDB (time index, storage bookkeeping, the broker's key-value
// area). See storage/README.md for the layout and FORMAT.md for the bytes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/ids.h"
#include "storage/kv_store.h"
#include "storage/options.h"
#include "storage/queue_log.h"

namespace rewindmq::storage {

class StoreImpl;

// Owns every QueueLog and the RocksDB instance. Opening recovers each queue
// (truncates torn tails, rebuilds missing index entries, drops index entries
// past the recovered end) before any call is served.
//
// Thread-safe. Destroying the Store syncs and closes everything; no
// QueueLog pointer may be used after that.
class Store {
 public:
  // Opens or creates the store in `dir`.
  // FailedPrecondition: another process holds the directory.
  // DataLoss: RocksDB or a segment header is damaged beyond recovery.
  static absl::StatusOr<std::unique_ptr<Store>> Open(
      const std::string& dir, const StoreOptions& options = {});

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // Creates an empty queue with a new id, durably.
  absl::StatusOr<QueueLog*> CreateQueue();
  // NotFound: no such (live) queue.
  absl::StatusOr<QueueLog*> Queue(QueueId id) const;
  // Removes the queue, its files and its index. The QueueLog pointer stays
  // valid, answering NotFound. NotFound: no such queue.
  absl::Status DeleteQueue(QueueId id);
  // Live queues in id order.
  std::vector<QueueId> ListQueues() const;

  KvStore& kv();

  // Makes everything written so far durable, whatever the Durability.
  absl::Status SyncAll();

  const StoreOptions& options() const;
  const std::string& dir() const;

 private:
  explicit Store(std::unique_ptr<StoreImpl> impl);

  const std::unique_ptr<StoreImpl> impl_;
};

}  // namespace rewindmq::storage

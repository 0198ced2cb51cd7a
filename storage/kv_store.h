// The broker's small key-value area (queue registry, consumer offsets,
// message state), kept in the Store's RocksDB in a column family of its
// own. Storage gives keys no meaning.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rewindmq::storage {

class StoreImpl;

// A set of puts and deletes applied atomically by KvStore::Write().
class KvBatch {
 public:
  void Put(absl::string_view key, absl::string_view value);
  void Delete(absl::string_view key);
  // Deletes every key in [begin, end).
  void DeleteRange(absl::string_view begin, absl::string_view end);
  bool empty() const { return ops_.empty(); }

 private:
  friend class KvStore;
  enum class Op { kPut, kDelete, kDeleteRange };
  struct Entry {
    Op op;
    std::string a;
    std::string b;
  };
  std::vector<Entry> ops_;
};

// Thread-safe. Reads see every write that returned before they started.
// Writes are durable per the Store's Durability unless `sync` is set, which
// forces them to disk before returning.
class KvStore {
 public:
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;

  // NotFound when the key is absent.
  absl::StatusOr<std::string> Get(absl::string_view key) const;
  absl::Status Put(absl::string_view key, absl::string_view value,
                   bool sync = false);
  absl::Status Delete(absl::string_view key, bool sync = false);
  absl::Status Write(const KvBatch& batch, bool sync = false);

  // Up to `limit` pairs whose keys start with `prefix` and sort after
  // `after` (all when `after` is empty), in key order.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Scan(
      absl::string_view prefix, absl::string_view after = "",
      int limit = 1 << 30) const;

 private:
  friend class StoreImpl;
  explicit KvStore(StoreImpl* store) : store_(store) {}

  StoreImpl* const store_;
};

}  // namespace rewindmq::storage

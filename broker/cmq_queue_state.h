// The per-message state of one CMQ queue, in memory, over the log offsets
// [floor, end). Internal to the broker.
//
// Offsets at or above cursor() without an explicit entry are fresh: sent,
// never delivered, ACTIVE. Every other message has an explicit CmqMsg entry
// (DELAYED, ACTIVE after a redelivery or a rewind, INACTIVE, DELETED, GONE).
// Offsets below floor() are gone. This keeps memory proportional to the
// messages that were delayed, delivered or deleted, not to the backlog.
//
// Pure bookkeeping with no I/O and no clock: callers pass times in
// microseconds, persist the entries the methods change, and hold their own
// lock (not thread-safe).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace rewindmq::broker::internal {

enum class CmqMsgState : uint8_t {
  kDelayed = 1,
  kActive = 2,
  kInactive = 3,
  kDeleted = 4,
  kGone = 5,
};

struct CmqMsg {
  CmqMsgState state = CmqMsgState::kActive;
  int64_t enqueue_us = 0;     // store time of the record
  int64_t visible_at_us = 0;  // DELAYED: end of delay; INACTIVE: next visible
  int64_t dequeue_count = 0;
  int64_t first_dequeue_us = 0;  // 0 before the first delivery
  uint64_t token = 0;            // secret of the latest delivery's handle
};

// Stored value of a message state (kv_codec format; tags 1-6).
std::string EncodeCmqMsg(const CmqMsg& m);
absl::StatusOr<CmqMsg> DecodeCmqMsg(absl::string_view data);

class CmqQueueState {
 public:
  // Forgets everything: every offset below `floor` is gone, [floor, end) is
  // fresh.
  void Reset(int64_t floor, int64_t end);

  // Loading from storage: adds the entry for `offset` (REQUIRES: floor <=
  // offset < end, each offset once), then FinishLoad() once.
  void Load(int64_t offset, const CmqMsg& m);
  void FinishLoad();

  // Records `n` messages appended at end(). When `delayed_until_us` > 0
  // they are DELAYED until then, else fresh. REQUIRES: first == end().
  // Returns the DELAYED entries to persist (empty when not delayed).
  std::vector<std::pair<int64_t, CmqMsg>> Append(int64_t first, int n,
                                                 int64_t enqueue_us,
                                                 int64_t delayed_until_us);
  // The entries Append would create for a delayed batch, without changing
  // anything (so a caller can persist them before appending).
  static std::vector<std::pair<int64_t, CmqMsg>> DelayedEntries(
      int64_t first, int n, int64_t enqueue_us, int64_t delayed_until_us);

  // DELAYED and INACTIVE messages whose time is at or before `now_us`
  // become ACTIVE. Returns how many did. Nothing to persist: a stored
  // DELAYED or INACTIVE entry past its time loads as ACTIVE.
  int64_t AdvanceTo(int64_t now_us);

  // Lowest ACTIVE offset.
  std::optional<int64_t> NextActive() const;
  // The explicit entry of `offset`, or nullptr (fresh or gone).
  const CmqMsg* Find(int64_t offset) const;

  // Delivers the ACTIVE message at `offset`: INACTIVE until
  // `visible_until_us`, one more dequeue, a new token. `enqueue_us` is the
  // record's store time (needed for fresh messages). Returns the new entry.
  // REQUIRES: offset is ACTIVE.
  CmqMsg Deliver(int64_t offset, int64_t enqueue_us, int64_t now_us,
                 int64_t visible_until_us, uint64_t token);

  // True when (dequeue_count, token) is the latest delivery of the INACTIVE
  // message at `offset` and `now_us` is before its next visible time.
  bool IsCurrentDelivery(int64_t offset, int64_t dequeue_count, uint64_t token,
                         int64_t now_us) const;

  // INACTIVE -> DELETED (`keep_for_rewind`) or GONE. Returns the new entry.
  // REQUIRES: IsCurrentDelivery(...) held.
  CmqMsg Delete(int64_t offset, bool keep_for_rewind);

  // ClearQueue with rewind on: every DELAYED, ACTIVE and INACTIVE message
  // becomes DELETED as Delete(offset, true) would make it (token 0, counts
  // and times kept). `enqueue_us` holds the enqueue time of each offset in
  // [cursor(), end()), in order; only the fresh messages' are used. Returns
  // the new entries in offset order. (Without rewind, ExpireBelow(end())
  // clears as well.)
  // REQUIRES: enqueue_us.size() == end() - cursor()
  std::vector<std::pair<int64_t, CmqMsg>> DeleteLive(
      absl::Span<const int64_t> enqueue_us);

  // DELETED messages at offsets >= `from` whose enqueue time is at or after
  // `min_enqueue_us` become ACTIVE (keeping counts and times, with a token
  // of 0 so no old handle works). Returns their offsets in order.
  std::vector<int64_t> Revive(int64_t from, int64_t min_enqueue_us);

  // DELETED messages enqueued before `cutoff_us` become GONE. Returns their
  // offsets.
  std::vector<int64_t> DropDeletedBefore(int64_t cutoff_us);

  // Every message below `offset` is gone (retention). Returns how many
  // messages that were not gone yet were dropped.
  int64_t ExpireBelow(int64_t offset);

  // Moves floor() past leading GONE entries. Returns true if it moved.
  bool CompactFloor();

  int64_t floor() const { return floor_; }
  int64_t end() const { return end_; }
  int64_t cursor() const { return cursor_; }

  int64_t active_count() const;
  int64_t inactive_count() const { return n_inactive_; }
  int64_t delayed_count() const { return n_delayed_; }
  int64_t deleted_count() const {
    return static_cast<int64_t>(deleted_.size());
  }
  // DELAYED + ACTIVE + INACTIVE (what maxMsgHeapNum limits).
  int64_t undeleted_count() const;
  // Lowest offset that is not DELETED or GONE.
  std::optional<int64_t> FirstUndeleted() const;
  // Earliest time a DELAYED or INACTIVE message becomes ACTIVE.
  std::optional<int64_t> NextDeadline() const;
  // Explicit entries held (for tests and memory accounting).
  size_t explicit_entries() const { return msgs_.size(); }

 private:
  int64_t fresh_count() const { return end_ - cursor_ - explicit_ahead_; }
  void Put(int64_t offset, const CmqMsg& m);
  void Unindex(int64_t offset, const CmqMsg& m);
  void Index(int64_t offset, const CmqMsg& m);
  void NormalizeCursor();

  int64_t floor_ = 0;
  int64_t end_ = 0;
  int64_t cursor_ = 0;
  int64_t explicit_ahead_ = 0;  // entries at offsets >= cursor_
  int64_t n_delayed_ = 0;
  int64_t n_inactive_ = 0;
  absl::btree_map<int64_t, CmqMsg> msgs_;
  absl::btree_set<int64_t> ready_;    // explicit ACTIVE
  absl::btree_set<int64_t> live_;     // explicit DELAYED, ACTIVE, INACTIVE
  absl::btree_set<int64_t> deleted_;  // DELETED
  absl::btree_set<std::pair<int64_t, int64_t>> deadlines_;  // (time, offset)
};

}  // namespace rewindmq::broker::internal

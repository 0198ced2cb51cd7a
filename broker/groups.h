// Consumer groups of the RocketMQ model: create, list, show, update,
// delete; fetch, commit and lag per queue; rewind (reset) a group on a
// topic to a time, to the earliest or to the latest offset.
//
// The consumer offset of a group on a queue is the next offset the group
// will consume. Committed offsets live in the Store's key-value area keyed by
// (group, topic, broker, queue id), so they survive restarts.
//
// Online rewind. Consumers need not stop while a group is rewound. Each
// (group, topic) carries a reset epoch that starts at 0 and grows by one per
// applied reset. Fetch returns the current epoch; Commit carries the epoch
// the consumer last fetched with, and a commit with an older epoch is
// refused (FailedPrecondition + kStaleResetEpoch) instead of silently undoing
// the rewind. A fetch that passes an older epoch ignores its `from` offset,
// reads from the reset position and says `position_reset`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/ids.h"
#include "broker/topics.h"

namespace rewindmq::broker {

class BrokerCore;

struct GroupInfo {
  std::string name;
  bool enabled = true;
  bool broadcast = false;
  bool consume_orderly = false;
  int retry_max_time = 16;
  std::string description;
  // Brokers the group was created for (informative; empty means all).
  std::vector<std::string> brokers;
  absl::Time created_at;
  // Topics the group has committed or reset offsets for, sorted.
  std::vector<std::string> topics;
};

struct CreateGroupRequest {
  std::string name;
  bool enabled = true;
  bool broadcast = false;
  bool consume_orderly = false;
  int retry_max_time = 16;  // 1..16
  std::string description;  // <= 200 characters
  std::vector<std::string> brokers;
};

// Absent fields are left as they are.
struct UpdateGroupRequest {
  std::optional<bool> enabled;
  std::optional<bool> broadcast;
  std::optional<bool> consume_orderly;
  std::optional<int> retry_max_time;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> brokers;
};

struct FetchRequest {
  std::string group;
  std::string topic;
  QueueRef queue;
  // Where to read. Absent: the committed offset (or min_offset when the
  // group never committed on this queue, or when retention passed the
  // committed offset). Present: used as is (clamped up to min_offset),
  // unless `epoch` is older than the current reset epoch.
  std::optional<Offset> from;
  // The reset epoch the consumer last saw (absent: a fresh consumer).
  std::optional<uint64_t> epoch;
  int max_records = 32;
  int64_t max_bytes = int64_t{4} << 20;
};

struct FetchResult {
  std::vector<Message> messages;
  // Offset of the first message returned (the read position), and the
  // offset to fetch from next.
  Offset from;
  Offset next_offset;
  // The (group, topic) reset epoch at the time of the read; pass it back in
  // Commit and the next Fetch.
  uint64_t epoch = 0;
  // True when the consumer passed an epoch older than `epoch`: the group
  // was rewound since, `from` was ignored, and the read started at the
  // group's committed (reset) offset. Drop any local position.
  bool position_reset = false;
  Offset min_offset;
  Offset max_offset;
};

struct CommitRequest {
  std::string group;
  std::string topic;
  QueueRef queue;
  Offset next_offset;  // the next offset to consume
  // The epoch returned by the Fetch this commit follows. Absent: an
  // administrative commit applied whatever the epoch (consumers always pass
  // it).
  std::optional<uint64_t> epoch;
  // A commit of a consumer that carries no reset epoch (RocketMQ clients):
  // while a reset is pending on the queue (CheckPendingReset) it is
  // ignored, and Commit returns OkStatus, unless it equals the reset
  // offset. This discards the stale commits of consumption that was in
  // flight when the group was rewound.
  bool yield_to_pending_reset = false;
};

struct QueueLag {
  QueueRef queue;
  Offset min_offset;
  Offset max_offset;  // the broker offset
  // The group's committed offset; absent when it never committed here.
  std::optional<Offset> committed;
  // max(0, max_offset - committed.value_or(0)) (dms-rocketmq.md 5.8).
  int64_t lag = 0;
  // Store time of the record at committed-1 (the last consumed one) when
  // committed > min_offset and that record is retained.
  std::optional<absl::Time> last_consumed_store_time;
};

struct GroupTopicLag {
  std::string group;
  std::string topic;
  uint64_t epoch = 0;
  std::vector<QueueLag> queues;  // every queue, by broker name then id
};

// Where ResetGroup moves a group.
struct ResetTarget {
  enum class Kind {
    kTime,      // first record stored at or after `time`, else max_offset
    kEarliest,  // min_offset
    kLatest,    // max_offset (skip the backlog)
  };
  Kind kind = Kind::kLatest;
  absl::Time time;
  static ResetTarget At(absl::Time t) { return {Kind::kTime, t}; }
  static ResetTarget Earliest() { return {Kind::kEarliest, {}}; }
  static ResetTarget Latest() { return {Kind::kLatest, {}}; }
};

struct QueuePosition {
  QueueRef queue;
  // The offset chosen: new consumer offset of the group on this queue.
  Offset offset;
  // Actual store time of the record at `offset`; absent when `offset` is
  // max_offset (nothing stored at or after the target).
  std::optional<absl::Time> store_time;
  // The committed offset before the reset, if any.
  std::optional<Offset> previous;
};

struct ResetResult {
  // Every queue of the topic, by broker name then queue id.
  std::vector<QueuePosition> queues;
  // The epoch after the reset (unchanged by a dry run).
  uint64_t epoch = 0;
  bool dry_run = false;
};

// Thread-safe. Owned by the Broker (Broker::groups()); valid while it lives.
// Unknown instances give kInstanceNotFound, unknown groups NotFound +
// kGroupNotFound, unknown topics NotFound + kTopicNotFound (a group is
// checked before the topic).
class ConsumerGroups {
 public:
  ConsumerGroups(const ConsumerGroups&) = delete;
  ConsumerGroups& operator=(const ConsumerGroups&) = delete;

  // InvalidArgument: kInvalidName (3-64 of [A-Za-z0-9%|_-]), or
  // retry_max_time / description out of range (no reason), kBrokerNotFound.
  // AlreadyExists: kGroupExists. ResourceExhausted: kGroupLimit.
  absl::StatusOr<GroupInfo> CreateGroup(absl::string_view instance,
                                        const CreateGroupRequest& req);
  // Every group in creation order.
  absl::StatusOr<std::vector<GroupInfo>> ListGroups(
      absl::string_view instance) const;
  // With `with_topics` false, GroupInfo::topics is left empty, which spares
  // a scan of the group's links (for callers that only need the group).
  absl::StatusOr<GroupInfo> GetGroup(absl::string_view instance,
                                     absl::string_view group,
                                     bool with_topics = true) const;
  absl::StatusOr<GroupInfo> UpdateGroup(absl::string_view instance,
                                        absl::string_view group,
                                        const UpdateGroupRequest& req);
  // Removes the group with its offsets and epochs.
  absl::Status DeleteGroup(absl::string_view instance, absl::string_view group);

  // Groups that have committed or reset offsets on `topic`, sorted.
  absl::StatusOr<std::vector<std::string>> GroupsOfTopic(
      absl::string_view instance, absl::string_view topic) const;

  // Reads up to `max_records` messages for the group (see FetchRequest).
  // Does not move the committed offset.
  // FailedPrecondition: kGroupDisabled, kTopicNotReadable.
  // NotFound: kTopicQueueNotFound.
  absl::StatusOr<FetchResult> Fetch(absl::string_view instance,
                                    const FetchRequest& req);

  // Stores `req.next_offset` as the group's consumer offset on the queue.
  // FailedPrecondition: kStaleResetEpoch (fetch again; the position moved).
  // OutOfRange: kOffsetOutOfRange (past max_offset, or negative).
  absl::Status Commit(absl::string_view instance, const CommitRequest& req);

  // Consumers that carry no reset epoch (RocketMQ remoting and gRPC) learn
  // of a reset through the pending reset that ResetGroup leaves on every
  // queue it moved, kept for `kPendingResetLifetime` or until adopted.
  // Returns the reset offset R when one is pending on the queue and
  // `position` differs from it: the consumer must move to R. When
  // `position` equals R the reset is adopted (cleared) and this returns
  // nullopt, as it does when none is pending.
  static constexpr absl::Duration kPendingResetLifetime = absl::Minutes(5);
  absl::StatusOr<std::optional<Offset>> CheckPendingReset(
      absl::string_view instance, absl::string_view group,
      absl::string_view topic, const QueueRef& queue, Offset position);

  // The committed offset of the group on one queue; nullopt when the group
  // never committed there. NotFound: kTopicQueueNotFound.
  absl::StatusOr<std::optional<Offset>> GetCommitted(
      absl::string_view instance, absl::string_view group,
      absl::string_view topic, const QueueRef& queue) const;

  // Committed offset and lag of the group on every queue of `topic`.
  absl::StatusOr<GroupTopicLag> GetLag(absl::string_view instance,
                                       absl::string_view group,
                                       absl::string_view topic) const;

  // Moves the group on every queue of `topic` to `target`, using one
  // time-index lookup per queue (never a scan of messages), and writes all
  // queues' offsets and the new epoch in one atomic batch, durable per the
  // store's durability mode like a commit. With `dry_run` it reports the
  // same positions and changes nothing.
  // FailedPrecondition: kBroadcastGroup.
  // InvalidArgument: kInvalidTimeRange (a time before the Unix epoch).
  absl::StatusOr<ResetResult> ResetGroup(absl::string_view instance,
                                         absl::string_view group,
                                         absl::string_view topic,
                                         const ResetTarget& target,
                                         bool dry_run = false);

 private:
  friend class BrokerCore;
  explicit ConsumerGroups(BrokerCore* core) : core_(core) {}
  BrokerCore* const core_;
};

}  // namespace rewindmq::broker

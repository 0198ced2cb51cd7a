// Topics of the RocketMQ model: create, list, show, update, delete; produce;
// query stored messages; per-queue status.
//
// A topic is a set of queues. Each queue lives on one named broker of the
// instance (`broker-0`, `broker-1`, ...) and is identified by (broker name,
// queue id); queue ids start at 0 on every broker. Each queue is one storage
// QueueLog: an append-only record sequence with a sparse time index. Offsets
// are 0-based ordinals that never change; min_offset is the first retained
// offset, max_offset the next offset to be written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/ids.h"

namespace rewindmq::broker {

class BrokerCore;

// One queue of a topic.
struct QueueRef {
  std::string broker_name;  // "broker-0"
  int queue_id = 0;
  friend bool operator==(const QueueRef&, const QueueRef&) = default;
};

enum class TopicPermission { kAll, kPub, kSub };
// "all", "pub", "sub".
absl::string_view TopicPermissionName(TopicPermission p);
// InvalidArgument for anything else.
absl::StatusOr<TopicPermission> ParseTopicPermission(absl::string_view text);

// Per-broker queue layout of a topic.
struct TopicBrokerQueues {
  std::string broker_name;
  int read_queue_num = 0;
  int write_queue_num = 0;
  // Queues that exist on this broker: ids 0 .. queue_count-1. At least the
  // larger of the two counts above; raising a count creates queues, lowering
  // one never removes any.
  int queue_count = 0;
};

struct TopicInfo {
  std::string name;
  TopicPermission permission = TopicPermission::kAll;
  // "NORMAL", "FIFO", "DELAY" or "TRANSACTION"; stored and echoed only.
  std::string message_type = "NORMAL";
  std::string description;
  absl::Time created_at;
  // Retention of this topic; absent means BrokerOptions::topic_retention.
  std::optional<absl::Duration> retention;
  // Brokers hosting the topic, ordered by name.
  std::vector<TopicBrokerQueues> brokers;
  int total_read_queue_num() const;
  int total_write_queue_num() const;
};

struct CreateTopicRequest {
  std::string name;
  // Brokers to place `queue_num` queues on; empty means every broker.
  std::vector<std::string> brokers;
  // Queues per listed broker; absent means BrokerOptions::default_queue_num.
  std::optional<int> queue_num;
  // Explicit per-broker layout (broker name, queue count); when non-empty
  // it replaces `brokers` and `queue_num`.
  std::vector<std::pair<std::string, int>> queues;
  TopicPermission permission = TopicPermission::kAll;
  std::string message_type = "NORMAL";
  std::string description;
  std::optional<absl::Duration> retention;
};

// Absent fields are left as they are.
struct UpdateTopicRequest {
  // Apply to every broker of the topic unless `queues` names the broker.
  std::optional<int> read_queue_num;
  std::optional<int> write_queue_num;
  struct BrokerQueueNums {
    std::string broker_name;
    std::optional<int> read_queue_num;
    std::optional<int> write_queue_num;
  };
  std::vector<BrokerQueueNums> queues;
  std::optional<TopicPermission> permission;
  std::optional<std::string> description;
  std::optional<absl::Duration> retention;
};

// How Produce chooses the queue.
struct QueueSelector {
  enum class Kind {
    kRoundRobin,  // next writable queue in (broker name, queue id) order,
                  // one counter per topic
    kKeyHash,     // writable queue chosen by a stable hash of `key`
    kExplicit,    // exactly `queue` (must exist; may be beyond the write
                  // count: an explicit choice is honoured)
  };
  Kind kind = Kind::kRoundRobin;
  std::string key;  // kKeyHash
  QueueRef queue;   // kExplicit
  static QueueSelector RoundRobin() { return {}; }
  static QueueSelector ByKey(std::string k) {
    return {Kind::kKeyHash, std::move(k), {}};
  }
  static QueueSelector Exactly(QueueRef q) {
    return {Kind::kExplicit, {}, std::move(q)};
  }
};

struct ProduceRequest {
  std::string topic;
  std::string body;  // bytes, kept exactly; must not be empty
  // RocketMQ KEYS (lookup keys) and TAGS.
  std::vector<std::string> keys;
  std::vector<std::string> tags;
  // User properties, in order (stored as a map: a repeated name keeps the
  // last value).
  std::vector<std::pair<std::string, std::string>> properties;
  // The producer's clock (RocketMQ born timestamp); kept as given.
  std::optional<absl::Time> born_time;
  QueueSelector selector;
  // RocketMQ client fields, stored and returned as given (Message below).
  int32_t flag = 0;
  int32_t sys_flag = 0;
  std::string born_host;  // "ip:port" of the producer
  int32_t reconsume_times = 0;
  // A delayed message: when this is in the future the message goes to the
  // durable schedule store and is appended to its queue when due, stamped
  // with the store time of that append (so the time index stays monotone
  // and a rewind to a time before it was due never replays it early).
  std::optional<absl::Time> deliver_time;
};

struct ProduceResult {
  // 32 upper-case hex characters, unique in the instance, never reused.
  std::string msg_id;
  QueueRef queue;
  Offset offset;          // the queue's max_offset before the append
  absl::Time store_time;  // assigned by storage; never decreasing per queue
  // True when the message went to the schedule store (deliver_time in the
  // future): then `offset` is its sequence in the schedule store, `msg_id`
  // is empty and `store_time` is the time it is due.
  bool scheduled = false;
  // The storage queue's id (Message::storage_queue_id); 0 when scheduled.
  uint64_t storage_queue_id = 0;
};

// A stored message as queries and fetches return it.
struct Message {
  std::string msg_id;
  std::string topic;
  QueueRef queue;
  Offset offset;
  absl::Time store_time;
  std::optional<absl::Time> born_time;
  std::vector<std::string> keys;
  std::vector<std::string> tags;
  std::vector<std::pair<std::string, std::string>> properties;  // by name
  std::string body;
  // Bytes the stored record takes (body plus keys, tags and properties).
  int64_t stored_bytes = 0;
  // RocketMQ client fields as produced (ProduceRequest); 0 / empty for
  // messages from the HTTP facades.
  int32_t flag = 0;
  int32_t sys_flag = 0;
  std::string born_host;
  int32_t reconsume_times = 0;
  // The storage queue's id: with `offset` it names the record uniquely in
  // the store (RocketMQ's physical offset is derived from the two).
  uint64_t storage_queue_id = 0;
};

struct MessageQuery {
  std::string topic;
  // Restrict to queue id `queue_id` on every broker.
  std::optional<int> queue_id;
  // When set, only messages whose keys include `key` exactly.
  std::optional<std::string> key;
  // When set, only messages whose UNIQ_KEY property (a RocketMQ client's
  // own message id) is exactly this.
  std::optional<std::string> uniq_key;
  // Inclusive store-time bounds.
  absl::Time start_time = absl::InfinitePast();
  absl::Time end_time = absl::InfiniteFuture();
  // Page over the matches ordered by (store time, broker, queue id, offset).
  int64_t skip = 0;
  int64_t limit = 10;
};

struct MessageQueryResult {
  std::vector<Message> messages;  // the page
  int64_t total = 0;              // matches before paging
  // True when BrokerOptions::max_query_scan_records stopped the scan; then
  // `total` counts only what was examined.
  bool truncated = false;
};

struct QueueStatus {
  QueueRef queue;
  Offset min_offset;
  Offset max_offset;
  // Store time of the record at max_offset-1; absent when none is retained.
  std::optional<absl::Time> last_store_time;
};

struct TopicStatus {
  std::string topic;
  // Every existing queue, by broker name then queue id.
  std::vector<QueueStatus> queues;
};

// Thread-safe. Owned by the Broker (Broker::topics()); valid while it lives.
// Every call names the instance first; kInstanceNotFound when it does not
// exist. Unknown topics give NotFound + kTopicNotFound.
class Topics {
 public:
  Topics(const Topics&) = delete;
  Topics& operator=(const Topics&) = delete;

  // Creates the topic and its queues.
  // InvalidArgument: kInvalidName (3-64 of [A-Za-z0-9%|_-]), kReservedName,
  //   kBrokerNotFound, kInvalidQueueNum (1..max_queue_num).
  // AlreadyExists: kTopicExists. ResourceExhausted: kTopicLimit.
  absl::StatusOr<TopicInfo> CreateTopic(absl::string_view instance,
                                        const CreateTopicRequest& req);

  // Every topic of the instance in creation order.
  absl::StatusOr<std::vector<TopicInfo>> ListTopics(
      absl::string_view instance) const;

  absl::StatusOr<TopicInfo> GetTopic(absl::string_view instance,
                                     absl::string_view topic) const;

  // Applies `req` atomically. Raising a count creates empty queues with the
  // next ids; lowering one keeps every queue and its data (a lower write
  // count stops round-robin and key-hash sends to the higher ids).
  // InvalidArgument: kInvalidQueueNum, kBrokerNotFound (a broker the topic
  // is not on).
  absl::StatusOr<TopicInfo> UpdateTopic(absl::string_view instance,
                                        absl::string_view topic,
                                        const UpdateTopicRequest& req);

  // Removes the topic, its queues' data and index (Store::DeleteQueue), and
  // every consumer group's offsets and reset epoch for it.
  absl::Status DeleteTopic(absl::string_view instance, absl::string_view topic);

  // Appends one message to the queue `req.selector` picks.
  // InvalidArgument: kMessageEmpty, kMessageTooLarge (body above
  //   max_topic_body_bytes, or properties, keys and tags above
  //   max_topic_property_bytes).
  // FailedPrecondition: kTopicNotWritable (permission "sub").
  // NotFound: kTopicQueueNotFound for an explicit queue that does not exist.
  // Unavailable / ResourceExhausted: storage could not write; nothing stored.
  absl::StatusOr<ProduceResult> Produce(absl::string_view instance,
                                        const ProduceRequest& req);

  // Appends `reqs` to the one queue `queue` of `topic` as one batch: all
  // are stored, with consecutive offsets, or none. Each request is checked
  // as Produce checks it; their `topic`, `selector` and `deliver_time` are
  // ignored. REQUIRES: !reqs.empty().
  absl::StatusOr<std::vector<ProduceResult>> ProduceBatch(
      absl::string_view instance, absl::string_view topic,
      const QueueRef& queue, const std::vector<ProduceRequest>& reqs);
  // The same, taking the requests' bodies instead of copying them (bulk
  // loads); `reqs` is left in a valid but unspecified state.
  absl::StatusOr<std::vector<ProduceResult>> ProduceBatch(
      absl::string_view instance, absl::string_view topic,
      const QueueRef& queue, std::vector<ProduceRequest>&& reqs);

  // The message stored at `offset` of the storage queue `storage_queue_id`
  // (Message::storage_queue_id) in `topic`. NotFound + kMessageNotFound
  // when no such message is retained there.
  absl::StatusOr<Message> GetMessageAt(absl::string_view instance,
                                       absl::string_view topic,
                                       uint64_t storage_queue_id,
                                       Offset offset) const;

  // The topic holding storage queue `storage_queue_id`, with the message at
  // `offset`: for clients that name a message by its physical position
  // only. NotFound + kMessageNotFound.
  absl::StatusOr<Message> FindMessageAt(absl::string_view instance,
                                        uint64_t storage_queue_id,
                                        Offset offset) const;

  // Waiting for messages (long-polling pulls). Calls `done` exactly once,
  // with no broker lock held, on the first of: the queue's max_offset
  // passes `offset`; a reset of any consumer group on the topic (the
  // consumer's position may have moved); `deadline`; Broker::StopWaiting().
  // When max_offset is already past `offset`, `done` runs before this
  // returns. Holds no thread. CancelWatch() removes it without calling it.
  // NotFound: kTopicNotFound, kTopicQueueNotFound.
  using WatchId = uint64_t;
  absl::StatusOr<WatchId> WatchQueue(absl::string_view instance,
                                     absl::string_view topic,
                                     const QueueRef& queue, Offset offset,
                                     absl::Time deadline,
                                     absl::AnyInvocable<void()> done);
  // False when the watch already fired or never existed.
  bool CancelWatch(WatchId id);

  // The message with id `msg_id` in `topic`; NotFound + kMessageNotFound
  // when the id is malformed, names another topic, or was removed by
  // retention.
  absl::StatusOr<Message> GetMessage(absl::string_view instance,
                                     absl::string_view topic,
                                     absl::string_view msg_id) const;

  // Messages of `q.topic` by store-time range and optional key. Each queue
  // is entered with one time-index lookup (FirstOffsetAtOrAfter) and read
  // forward until a record is past `end_time`.
  // InvalidArgument: kInvalidTimeRange (start before the epoch). A start
  // after the end yields an empty result.
  absl::StatusOr<MessageQueryResult> QueryMessages(absl::string_view instance,
                                                   const MessageQuery& q) const;

  absl::StatusOr<TopicStatus> GetTopicStatus(absl::string_view instance,
                                             absl::string_view topic) const;

  // The first offset of one queue whose record was stored at or after `t`
  // (one time-index lookup), with that record's store time; max_offset
  // (and no store time) when every retained record is older.
  // NotFound: kTopicQueueNotFound.
  struct TimePosition {
    Offset offset;
    std::optional<absl::Time> store_time;
  };
  absl::StatusOr<TimePosition> LookupTime(absl::string_view instance,
                                          absl::string_view topic,
                                          const QueueRef& queue,
                                          absl::Time t) const;

 private:
  friend class BrokerCore;
  explicit Topics(BrokerCore* core) : core_(core) {}
  BrokerCore* const core_;
};

}  // namespace rewindmq::broker

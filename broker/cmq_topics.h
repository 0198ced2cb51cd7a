// CMQ topics and their queue subscriptions (tdmq-cmq-v3.md section 10).
//
// A topic is metadata: a name, an id, a few attributes, tags and an ordered
// list of subscriptions. It stores no message. Each subscription binds the
// topic to one CMQ queue (by name) with an optional filter: filter tags on
// a tag topic, binding keys on a routing-key topic. Publish() fans a message
// out synchronously: before it returns, every matching subscription's queue
// holds one new message, sent exactly as CmqQueues::SendMessage(queue, body)
// sends it; from then on it is an ordinary queue message (receive, delete,
// ClearQueue and RewindQueue apply unchanged).
//
// Topic metadata, with its subscriptions, is durable broker metadata next
// to the queue metadata: every change is written to the Store's key-value
// area before the call returns, and Broker::Open loads it. Deleting a queue
// keeps the subscriptions that name it (Publish skips them); deleting a
// topic deletes its subscriptions and leaves the copies already in queues.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "broker/cmq_queues.h"

namespace rewindmq::broker {

class BrokerCore;

// How a topic's subscriptions select messages, fixed at creation
// (tdmq-cmq-v3.md 10.2). The values are the vendor's FilterType.
enum class CmqFilterType : int {
  kTags = 1,        // subscriptions filter by tag
  kRoutingKey = 2,  // subscriptions filter by binding key
};

inline constexpr int64_t kCmqTopicDefaultMaxMsgSize = 65536;
inline constexpr int64_t kCmqTopicDefaultRetentionSeconds = 86400;
inline constexpr absl::string_view kCmqDefaultNotifyStrategy =
    "EXPONENTIAL_DECAY_RETRY";
inline constexpr absl::string_view kCmqDefaultNotifyContentFormat =
    "SIMPLIFIED";

struct CmqTopicInfo {
  std::string name;      // as created (lookups ignore case)
  std::string topic_id;  // "topic-<n>", unique in the instance, never reused
  CmqFilterType filter_type = CmqFilterType::kTags;
  int64_t max_msg_size = kCmqTopicDefaultMaxMsgSize;  // bytes, 1024..1048576
  // 60..86400; stored only (a topic holds no message).
  int64_t msg_retention_seconds = kCmqTopicDefaultRetentionSeconds;
  bool trace = false;        // stored only
  std::vector<CmqTag> tags;  // in the order given
  absl::Time create_time;
  absl::Time last_modify_time;
  int64_t subscription_count = 0;
};

// For CreateTopic: absent fields take the defaults above.
struct CmqTopicCreate {
  CmqFilterType filter_type = CmqFilterType::kTags;
  std::optional<int64_t> max_msg_size;
  std::optional<int64_t> msg_retention_seconds;
  bool trace = false;
  std::vector<CmqTag> tags;  // the caller validates them (tdmq-cmq-v3.md 8.2)
};

// For SetTopicAttributes: absent fields keep their value.
struct CmqTopicUpdate {
  std::optional<int64_t> max_msg_size;
  std::optional<int64_t> msg_retention_seconds;
  std::optional<bool> trace;
};

struct CmqSubscriptionInfo {
  std::string topic_name;  // the topic's name as created
  std::string name;        // as created (lookups ignore case)
  // "sub-<n>", unique in the instance, never reused; n grows with creation.
  std::string subscription_id;
  std::string endpoint;  // the target queue's name, as given
  // Tag topics only: deliver when the message carries one of these tags;
  // empty: deliver every message.
  std::vector<std::string> filter_tags;
  // Routing-key topics only: deliver when the routing key matches one of
  // these; empty: deliver every message.
  std::vector<std::string> binding_keys;
  std::string notify_strategy;        // stored only
  std::string notify_content_format;  // stored only
  absl::Time create_time;
  absl::Time last_modify_time;
};

// For CreateSubscription. The caller checks the vendor's value rules (counts,
// lengths, the strategy and format names); the broker checks that a filter
// suits the topic's filter type.
struct CmqSubscriptionCreate {
  std::string endpoint;  // an existing queue
  std::vector<std::string> filter_tags;
  std::vector<std::string> binding_keys;
  std::string notify_strategy = std::string(kCmqDefaultNotifyStrategy);
  std::string notify_content_format =
      std::string(kCmqDefaultNotifyContentFormat);
};

// For SetSubscriptionAttributes: present fields replace the stored ones.
struct CmqSubscriptionUpdate {
  std::optional<std::string> notify_strategy;
  std::optional<std::string> notify_content_format;
  std::optional<std::vector<std::string>> filter_tags;
  std::optional<std::vector<std::string>> binding_keys;
};

// One queue copy of a published message.
struct CmqPublishCopy {
  std::string subscription;  // the subscription's name
  std::string queue;         // its endpoint
  std::string msg_id;        // the copy's id in that queue
};

struct CmqPublishResult {
  // The publish's own id, from the instance's CMQ message-id sequence and
  // distinct from every copy's id.
  std::string msg_id;
  // The copies made, in subscription creation order.
  std::vector<CmqPublishCopy> copies;
  // Matching subscriptions skipped: their queue does not exist, the body
  // exceeds its maxMsgSize, or its heap is full.
  int64_t skipped = 0;
};

// The tag rule of tdmq-cmq-v3.md 10.2: true when `filter_tags` is empty, or
// when it shares a tag with `msg_tags` (exact, case-sensitive); so never for
// a non-empty filter and a message without tags.
bool CmqFilterTagsMatch(absl::Span<const std::string> filter_tags,
                        absl::Span<const std::string> msg_tags);

// The routing-key rule of tdmq-cmq-v3.md 10.2 (the AMQP topic rule): both
// are split on '.' into words ("" has zero words); in `binding_key`, '*'
// matches exactly one word, '#' zero or more, any other word itself
// (case-sensitive). `a.*.c` matches `a.b.c`, not `a.c`; `a.#` matches `a`,
// `a.b` and `a.b.c`; `#` matches every key, "" included.
bool CmqBindingKeyMatches(absl::string_view binding_key,
                          absl::string_view routing_key);

// Whether `subscription` of a topic of `filter_type` takes a message with
// `msg_tags` (on a routing-key topic, its at most one entry is the routing
// key; none is the empty key). A routing-key subscription without binding
// keys takes every message.
bool CmqSubscriptionMatches(CmqFilterType filter_type,
                            const CmqSubscriptionInfo& subscription,
                            absl::Span<const std::string> msg_tags);

// Thread-safe. Owned by the Broker (Broker::cmq_topics()); valid while it
// lives. Names follow ^[A-Za-z][A-Za-z0-9_-]{0,63}$ (IsCmqV3QueueName),
// InvalidArgument + kInvalidName otherwise, and compare case-insensitively:
// topics within an instance, subscriptions within their topic. Every call
// names the instance first (kInstanceNotFound); an unknown topic gives
// NotFound + kCmqTopicNotFound, an unknown subscription NotFound +
// kCmqSubscriptionNotFound. A failed call changes nothing.
class CmqTopics {
 public:
  CmqTopics(const CmqTopics&) = delete;
  CmqTopics& operator=(const CmqTopics&) = delete;

  // Creates the topic with create time = last modify time = now.
  // InvalidArgument: kInvalidName; kAttributeOutOfRange (the message names
  //   the attribute: filter type, max_msg_size, msg_retention_seconds).
  // AlreadyExists: kCmqTopicExists. ResourceExhausted: kCmqTopicLimit (the
  //   instance has BrokerOptions::max_cmq_queues topics).
  absl::StatusOr<CmqTopicInfo> CreateTopic(absl::string_view instance,
                                           absl::string_view name,
                                           const CmqTopicCreate& create = {});

  // Every topic of the instance, in creation order.
  absl::StatusOr<std::vector<CmqTopicInfo>> ListTopics(
      absl::string_view instance) const;

  absl::StatusOr<CmqTopicInfo> GetTopic(absl::string_view instance,
                                        absl::string_view name) const;

  // Merges `update` and sets last modify time = now (also when `update`
  // sets nothing). InvalidArgument + kAttributeOutOfRange as CreateTopic.
  absl::StatusOr<CmqTopicInfo> SetTopicAttributes(absl::string_view instance,
                                                  absl::string_view name,
                                                  const CmqTopicUpdate& update);

  // Deletes the topic and its subscriptions; copies already sent stay in
  // their queues.
  absl::Status DeleteTopic(absl::string_view instance, absl::string_view name);

  // Appends a subscription to the topic's list, with create time = last
  // modify time = now. Errors, in this order: kInvalidName;
  // kCmqTopicNotFound; InvalidArgument + kAttributeOutOfRange for filter
  // tags on a routing-key topic or binding keys on a tag topic; NotFound +
  // kQueueNotFound when `create.endpoint` names no queue;
  // kCmqSubscriptionExists.
  absl::StatusOr<CmqSubscriptionInfo> CreateSubscription(
      absl::string_view instance, absl::string_view topic,
      absl::string_view name, const CmqSubscriptionCreate& create);

  // The topic's subscriptions in creation order.
  absl::StatusOr<std::vector<CmqSubscriptionInfo>> ListSubscriptions(
      absl::string_view instance, absl::string_view topic) const;

  // Every subscription of any topic whose endpoint is `queue` (compared
  // case-insensitively; the queue need not exist), in creation order.
  absl::StatusOr<std::vector<CmqSubscriptionInfo>> ListSubscriptionsOfQueue(
      absl::string_view instance, absl::string_view queue) const;

  absl::StatusOr<CmqSubscriptionInfo> GetSubscription(
      absl::string_view instance, absl::string_view topic,
      absl::string_view name) const;

  // Replaces the fields `update` sets and sets last modify time = now.
  // InvalidArgument + kAttributeOutOfRange for a filter the topic's filter
  // type does not take (as CreateSubscription).
  absl::StatusOr<CmqSubscriptionInfo> SetSubscriptionAttributes(
      absl::string_view instance, absl::string_view topic,
      absl::string_view name, const CmqSubscriptionUpdate& update);

  absl::Status DeleteSubscription(absl::string_view instance,
                                  absl::string_view topic,
                                  absl::string_view name);

  // PublishMessage: allocates the publish's msg id, then, for each
  // subscription in creation order whose filter matches `msg_tags`
  // (CmqSubscriptionMatches), sends `body` to its queue with no delay. A
  // subscription whose queue does not exist, is too small for the body or
  // is full is skipped and logged, not an error: the publisher does not see
  // a subscriber's state. Any other send failure ends the call with that
  // error (copies already made stay).
  // InvalidArgument: kMessageEmpty; kMessageTooLarge (above the topic's
  //   max_msg_size bytes); kAttributeOutOfRange (more than one routing key
  //   on a routing-key topic).
  absl::StatusOr<CmqPublishResult> Publish(
      absl::string_view instance, absl::string_view topic,
      absl::string_view body, absl::Span<const std::string> msg_tags = {});

 private:
  friend class BrokerCore;
  explicit CmqTopics(BrokerCore* core) : core_(core) {}
  BrokerCore* const core_;
};

}  // namespace rewindmq::broker

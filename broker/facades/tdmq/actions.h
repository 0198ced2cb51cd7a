// The API 3.0 actions of TDMQ for CMQ (spec tdmq-cmq-v3.md §9, §10, §12):
// their names, and running one against the broker's CMQ queues and topics
// (the topic and subscription actions live in topic_actions.h).
//
//   absl::StatusOr<Action> action = ParseAction(header_value);
//   absl::StatusOr<boost::json::object> fields =
//       RunAction(broker.cmq(), context, *action, params);
//
// RunAction validates in the order of §6.2 (unknown keys, required fields,
// types, ranges, cross-field rules, option values, then existence,
// uniqueness and counts, then state) and returns the success fields of the
// `Response` object (RequestId is added by the caller), or a Status that
// ToTdmqError() turns into the wire error. Thread-safe: it keeps no state.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/cmq_queues.h"
#include "broker/cmq_topics.h"
#include "broker/facades/tdmq/params.h"

namespace rewindmq::facade::tdmq {

// The actions this facade answers.
enum class Action {
  kCreateCmqQueue,
  kDescribeCmqQueues,
  kDescribeCmqQueueDetail,
  kModifyCmqQueueAttribute,
  kDeleteCmqQueue,
  kClearCmqQueue,
  kRewindCmqQueue,
  kSendCmqMsg,
  kUnbindCmqDeadLetter,
  // Topics and subscriptions (§10, topic_actions.h).
  kCreateCmqTopic,
  kDescribeCmqTopics,
  kDescribeCmqTopicDetail,
  kModifyCmqTopicAttribute,
  kDeleteCmqTopic,
  kPublishCmqMsg,
  kCreateCmqSubscribe,
  kDescribeCmqSubscriptionDetail,
  kModifyCmqSubscriptionAttribute,
  kDeleteCmqSubscribe,
  kClearCmqSubscriptionFilterTags,
};

// The action named by `X-TC-Action` (or the v1 `Action` parameter), its
// first character upper-cased, then matched exactly (§3.1). Errors:
// MissingParameter `Action` for an empty name; UnsupportedOperation for the
// actions of §12 (the Pulsar data plane, DescribeCmqDeadLetterSourceQueues);
// InvalidAction for any other name.
absl::StatusOr<Action> ParseAction(absl::string_view name);

absl::string_view ActionName(Action action);

// What an action needs besides its parameters.
struct ActionContext {
  std::string instance;  // the broker instance CMQ queues live in
  int64_t min_max_msg_heap_num = 1'000'000;  // BrokerOptions'
  absl::Time now;                            // the broker clock's
  // The broker's CMQ topics, for the actions of §10 (InternalError when
  // null). Borrowed.
  broker::CmqTopics* topics = nullptr;
};

absl::StatusOr<boost::json::object> RunAction(broker::CmqQueues& cmq,
                                              const ActionContext& context,
                                              Action action,
                                              const Params& params);

// StartConsumeTime (§9.7): a value >= 10^12 is milliseconds (floored to
// whole seconds), any smaller value seconds. Returns Unix seconds.
int64_t NormalizeStartConsumeTime(uint64_t value);

}  // namespace rewindmq::facade::tdmq

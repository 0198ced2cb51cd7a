// The topic and subscription actions of TDMQ for CMQ (spec tdmq-cmq-v3.md
// §10) over broker::CmqTopics: CreateCmqTopic, DescribeCmqTopics,
// DescribeCmqTopicDetail, ModifyCmqTopicAttribute, DeleteCmqTopic,
// PublishCmqMsg, CreateCmqSubscribe, DescribeCmqSubscriptionDetail,
// ModifyCmqSubscriptionAttribute, DeleteCmqSubscribe and
// ClearCmqSubscriptionFilterTags. RunAction() (actions.h) dispatches them
// here.
//
// Validation follows §6.2: unknown keys, required fields, types, formats
// and ranges in the order of the action's table, option values
// (UnsupportedOperation), then existence, uniqueness and counts. The checks
// that need the stored topic (a filter that does not suit its FilterType, a
// routing key count, a body above its MaxMsgSize) come right after the
// topic is found. Responses hold every field of CmqTopic (§8.3) and
// CmqSubscription (§8.4), arrays as [] when empty, times in milliseconds.
// Thread-safe: it keeps no state.
#pragma once

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "broker/cmq_topics.h"
#include "broker/facades/tdmq/actions.h"
#include "broker/facades/tdmq/params.h"

namespace rewindmq::facade::tdmq {

// Whether `action` is one of the eleven actions above.
bool IsTopicAction(Action action);

// Runs a topic or subscription action and returns the success fields of the
// `Response` object, or a Status that ToTdmqError() turns into the wire
// error. REQUIRES: IsTopicAction(action).
absl::StatusOr<boost::json::object> RunTopicAction(broker::CmqTopics& topics,
                                                   const ActionContext& context,
                                                   Action action,
                                                   const Params& params);

}  // namespace rewindmq::facade::tdmq

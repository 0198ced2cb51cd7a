// Error reasons of the broker core.
//
// Every broker call that fails returns an absl::Status whose code says what
// the caller should do next (STYLE.md section 5) and, for every failure a
// vendor facade must tell apart, a `Reason` attached as a Status payload.
// Facades map the reason first and fall back on the code; nobody parses
// message text.
//
//   absl::Status s = broker.topics().Produce(...).status();
//   switch (broker::ReasonOf(s)) {
//     case broker::Reason::kTopicNotFound: ...
//   }
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rewindmq::broker {

// Why a broker call failed. The comment after each value names the
// absl::StatusCode it always travels with. Values are never renumbered;
// new ones are added at the end.
enum class Reason : int {
  kNone = 0,  // no reason attached (OK, or a plain storage error)

  // Instances, names, quotas.
  kInstanceNotFound = 1,  // NotFound
  kInvalidName = 2,       // InvalidArgument: a topic, group, queue or
                          // instance name breaks its naming rule
  kReservedName = 3,      // InvalidArgument: a reserved topic name

  // Topics (RocketMQ model).
  kTopicNotFound = 10,       // NotFound
  kTopicExists = 11,         // AlreadyExists
  kTopicLimit = 12,          // ResourceExhausted: instance topic quota
  kTopicNotWritable = 13,    // FailedPrecondition: permission "sub"
  kTopicNotReadable = 14,    // FailedPrecondition: permission "pub"
  kBrokerNotFound = 15,      // InvalidArgument: a broker name the instance
                             // does not have
  kTopicQueueNotFound = 16,  // NotFound: (broker, queue id) not in topic
  kInvalidQueueNum = 17,     // InvalidArgument: a queue count out of range

  // Consumer groups.
  kGroupNotFound = 20,     // NotFound
  kGroupExists = 21,       // AlreadyExists
  kGroupLimit = 22,        // ResourceExhausted: instance group quota
  kGroupDisabled = 23,     // FailedPrecondition: enabled == false
  kBroadcastGroup = 24,    // FailedPrecondition: reset of a broadcast group
  kStaleResetEpoch = 25,   // FailedPrecondition: a commit carries a reset
                           // epoch older than the group's current one (the
                           // group was rewound since the consumer fetched);
                           // fetch again, then commit
  kOffsetOutOfRange = 26,  // OutOfRange: commit past max_offset

  // Messages (both models).
  kMessageTooLarge = 30,   // InvalidArgument: body (or properties) larger
                           // than the limit
  kMessageEmpty = 31,      // InvalidArgument: empty body
  kMessageNotFound = 32,   // NotFound: no message with that id
  kBatchTooLarge = 33,     // InvalidArgument: batch total above the limit
  kBatchEmpty = 34,        // InvalidArgument: a batch with no message
  kInvalidTimeRange = 35,  // InvalidArgument: bad or negative time

  // CMQ queues.
  kQueueNotFound = 40,           // NotFound
  kQueueExists = 41,             // AlreadyExists (names compare
                                 // case-insensitively)
  kQueueLimit = 42,              // ResourceExhausted: instance queue quota
  kAttributeOutOfRange = 43,     // InvalidArgument: an attribute outside
                                 // its range; the message names it
  kRewindExceedsRetention = 44,  // InvalidArgument: rewindSeconds >
                                 // msgRetentionSeconds after merging
  kDelayOutOfRange = 45,         // InvalidArgument: delaySeconds
  kHeapFull = 46,                // ResourceExhausted: maxMsgHeapNum
  kRewindDisabled = 47,          // FailedPrecondition: rewindSeconds == 0
  kRewindTimeOutOfRange = 48,    // InvalidArgument: T outside
                                 // [now - rewindSeconds, now]
  kReceiptHandleInvalid = 49,    // InvalidArgument: unknown, stale or
                                 // expired receipt handle
  kNoMessage = 50,               // DeadlineExceeded: nothing to receive
                                 // within the wait
  kPollWaitOutOfRange = 51,      // InvalidArgument: wait longer than the
                                 // broker allows
  kWaitCancelled = 52,           // Cancelled: a long poll was cancelled by
                                 // its caller or by broker shutdown

  kShuttingDown = 60,  // Unavailable: the broker is closing

  // CMQ topics and their subscriptions (tdmq-cmq-v3.md section 10).
  kCmqTopicNotFound = 70,         // NotFound
  kCmqTopicExists = 71,           // AlreadyExists (names compare
                                  // case-insensitively)
  kCmqTopicLimit = 72,            // ResourceExhausted: instance topic quota
                                  // (the CMQ queue quota's count)
  kCmqSubscriptionNotFound = 73,  // NotFound
  kCmqSubscriptionExists = 74,    // AlreadyExists (per topic, names compare
                                  // case-insensitively)
};

// Stable lower-case name, e.g. "topic_not_found". "unknown" for values
// this build does not know.
absl::string_view ReasonName(Reason r);

// Returns `s` with `r` attached (replacing any reason it had). OK stays OK.
absl::Status WithReason(absl::Status s, Reason r);

// The reason attached to `s`, or Reason::kNone.
Reason ReasonOf(const absl::Status& s);

// Builds a status with `code`, `message` and reason `r` in one step:
//   return Error(absl::StatusCode::kNotFound, Reason::kTopicNotFound,
//                absl::StrCat("topic ", name, " does not exist"));
absl::Status Error(absl::StatusCode code, Reason r, absl::string_view message);

// The payload type URL the reason is stored under (for tests and logs).
inline constexpr absl::string_view kReasonPayloadUrl =
    "type.rewindmq.dev/rewindmq.broker.Reason";

}  // namespace rewindmq::broker

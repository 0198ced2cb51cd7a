#include "broker/facades/tdmq/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/errors.h"

namespace rewindmq::facade::tdmq {
namespace {

constexpr char kPayloadUrl[] = "rewindmq.facade.tdmq/Code";

absl::StatusCode CodeFor(absl::string_view code) {
  using SC = absl::StatusCode;
  if (absl::StartsWith(code, "AuthFailure")) return SC::kUnauthenticated;
  if (absl::StartsWith(code, "ResourceNotFound")) return SC::kNotFound;
  if (absl::StartsWith(code, "ResourceInUse")) return SC::kAlreadyExists;
  if (absl::StartsWith(code, "LimitExceeded")) return SC::kResourceExhausted;
  if (code == "FailedOperation") return SC::kFailedPrecondition;
  if (code == kInternalError) return SC::kInternal;
  if (code == "ServiceUnavailable" || code == "ResourceUnavailable") {
    return SC::kUnavailable;
  }
  if (code == kUnsupportedOperation || code == "UnsupportedProtocol" ||
      code == "InvalidAction" || code == "NoSuchVersion") {
    return SC::kUnimplemented;
  }
  return SC::kInvalidArgument;
}

TdmqError FromReason(const absl::Status& s) {
  using broker::Reason;
  switch (broker::ReasonOf(s)) {
    case Reason::kQueueNotFound:
      return {std::string(kResourceNotFound),
              "queue is not existed, or deleted"};
    case Reason::kQueueExists:
      return {"ResourceInUse.Queue",
              "queue is already existed,case insensitive"};
    case Reason::kQueueLimit:
      return {"LimitExceeded", "number of queues has reached the limit"};
    case Reason::kInvalidName:
      return {std::string(kInvalidParameterValue), "queue name format error"};
    case Reason::kAttributeOutOfRange:
      return {std::string(kInvalidParameterValue),
              "an attribute value is out of range"};
    case Reason::kRewindExceedsRetention:
      return {std::string(kInvalidParameterValue),
              "rewindSeconds cannot be greater than msgRetentionSeconds"};
    case Reason::kDelayOutOfRange:
      return {std::string(kInvalidParameterValue),
              "delay seconds is out of range"};
    case Reason::kMessageEmpty:
      return {std::string(kInvalidParameterValue),
              "message body can't be empty"};
    case Reason::kMessageTooLarge:
      return {std::string(kInvalidParameterValue),
              "exceed maximum message size"};
    case Reason::kHeapFull:
      return {"LimitExceeded", "reach maximum retention number of message"};
    case Reason::kRewindDisabled:
      return {"FailedOperation", "your queue cannot be rewinded"};
    case Reason::kRewindTimeOutOfRange:
      return {std::string(kInvalidParameterValue),
              "invalid rewind time, you can get the vaild range of that via "
              "GetQueueAttributes"};
    case Reason::kShuttingDown:
      return {"ServiceUnavailable", "service is shutting down"};
    case Reason::kCmqTopicNotFound:
      return {"ResourceNotFound.Topic", "topic is not existed, or deleted"};
    case Reason::kCmqTopicExists:
      return {"ResourceInUse.Topic",
              "topic is already existed,case insensitive"};
    case Reason::kCmqTopicLimit:
      return {"LimitExceeded.Topics", "number of topics has reached the limit"};
    case Reason::kCmqSubscriptionNotFound:
      return {"ResourceNotFound.Subscription",
              "subscription is not existed, or deleted"};
    case Reason::kCmqSubscriptionExists:
      return {"ResourceInUse.Subscription",
              "subscription is already existed,case insensitive"};
    default:
      break;
  }
  if (s.code() == absl::StatusCode::kUnavailable) {
    return {"ServiceUnavailable", "service is shutting down"};
  }
  return {std::string(kInternalError), "server internal error"};
}

}  // namespace

absl::Status TdmqStatus(absl::string_view code, absl::string_view message) {
  absl::Status s(CodeFor(code), message);
  s.SetPayload(kPayloadUrl, absl::Cord(code));
  return s;
}

absl::Status MissingParameterError(absl::string_view name) {
  return TdmqStatus(
      kMissingParameter,
      absl::StrCat("The request is missing a required parameter `", name,
                   "`."));
}

absl::Status UnknownParameterError(absl::string_view name) {
  return TdmqStatus(kUnknownParameter, absl::StrCat("The parameter `", name,
                                                    "` is not recognized."));
}

absl::Status InvalidParameterError(absl::string_view name,
                                   absl::string_view why) {
  return TdmqStatus(
      kInvalidParameter,
      absl::StrCat("The parameter `", name, "` is invalid: ", why, "."));
}

absl::Status ValueOutOfRange(absl::string_view name) {
  return TdmqStatus(
      kInvalidParameterValue,
      absl::StrCat("The value of parameter `", name, "` is out of range."));
}

absl::Status InvalidValueError(absl::string_view message) {
  return TdmqStatus(kInvalidParameterValue, message);
}

absl::Status UnsupportedError(absl::string_view message) {
  return TdmqStatus(kUnsupportedOperation, message);
}

std::optional<TdmqError> TdmqErrorFromPayload(const absl::Status& s) {
  auto code = s.GetPayload(kPayloadUrl);
  if (!code.has_value()) return std::nullopt;
  return TdmqError{std::string(*code), std::string(s.message())};
}

TdmqError ToTdmqError(const absl::Status& s) {
  if (std::optional<TdmqError> e = TdmqErrorFromPayload(s); e.has_value()) {
    return *std::move(e);
  }
  return FromReason(s);
}

}  // namespace rewindmq::facade::tdmq

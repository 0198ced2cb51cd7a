#include "broker/facades/cmq/error_mapping.h"

#include <optional>

#include "broker/errors.h"

namespace rewindmq::facade::cmq {
namespace {

std::optional<CmqError> FromReason(broker::Reason reason) {
  using broker::Reason;
  switch (reason) {
    case Reason::kQueueNotFound:
      return MakeCmqError(ErrorKind::kQueueNotFound);
    case Reason::kQueueExists:
      return MakeCmqError(ErrorKind::kQueueExists);
    case Reason::kQueueLimit:
      return MakeCmqError(ErrorKind::kQueueLimitReached);
    case Reason::kInvalidName:
      return MakeCmqError(ErrorKind::kInvalidQueueName);
    case Reason::kAttributeOutOfRange:
      // The facade checks every range first with the broker's own bounds;
      // the broker's message names the attribute but is not parsed.
      return MakeCmqError(ErrorKind::kOutOfRange, "attribute");
    case Reason::kRewindExceedsRetention:
      return MakeCmqError(ErrorKind::kRewindExceedsRetention);
    case Reason::kDelayOutOfRange:
      return MakeCmqError(ErrorKind::kDelayOutOfRange);
    case Reason::kPollWaitOutOfRange:
      return MakeCmqError(ErrorKind::kOutOfRange, "pollingWaitSeconds");
    case Reason::kMessageEmpty:
      return MakeCmqError(ErrorKind::kEmptyMessageBody);
    case Reason::kBatchEmpty:
      return MakeCmqError(ErrorKind::kMissingParameter, "msgBody");
    case Reason::kMessageTooLarge:
      return MakeCmqError(ErrorKind::kMessageTooLarge);
    case Reason::kBatchTooLarge:
      return MakeCmqError(ErrorKind::kBatchTooLarge);
    case Reason::kHeapFull:
      return MakeCmqError(ErrorKind::kHeapFull);
    case Reason::kRewindDisabled:
      return MakeCmqError(ErrorKind::kRewindDisabled);
    case Reason::kRewindTimeOutOfRange:
      return MakeCmqError(ErrorKind::kInvalidRewindTime);
    case Reason::kReceiptHandleInvalid:
      return MakeCmqError(ErrorKind::kInvalidReceiptHandle);
    case Reason::kNoMessage:
      return MakeCmqError(ErrorKind::kNoMessage);
    default:
      // Topic and group reasons cannot come from CMQ calls; an unknown
      // instance, a cancelled wait or a closing broker is a server fault.
      return std::nullopt;
  }
}

}  // namespace

CmqError ToCmqError(const absl::Status& s) {
  if (std::optional<CmqError> own = CmqErrorFromPayload(s)) return *own;
  if (std::optional<CmqError> e = FromReason(broker::ReasonOf(s))) return *e;
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return MakeCmqError(ErrorKind::kInvalidParameters);
    case absl::StatusCode::kUnauthenticated:
      return MakeCmqError(ErrorKind::kAuthenticationFailed);
    default:
      return MakeCmqError(ErrorKind::kInternal);
  }
}

}  // namespace rewindmq::facade::cmq

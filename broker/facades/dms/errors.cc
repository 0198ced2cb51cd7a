#include "broker/facades/dms/errors.h"

#include <optional>

#include "broker/errors.h"

namespace rewindmq::facade::dms {

DmsError ToDmsError(const absl::Status& s) {
  if (std::optional<DmsError> e = DmsErrorFromPayload(s); e.has_value()) {
    return *std::move(e);
  }
  using broker::Reason;
  switch (broker::ReasonOf(s)) {
    case Reason::kInstanceNotFound:
      return MakeDmsError(DmsCode::kInstanceNotFound);
    case Reason::kTopicNotFound:
      return MakeDmsError(DmsCode::kTopicNotFound);
    case Reason::kGroupNotFound:
      return MakeDmsError(DmsCode::kGroupNotFound);
    case Reason::kTopicExists:
      return MakeDmsError(DmsCode::kTopicExists);
    case Reason::kGroupExists:
      return MakeDmsError(DmsCode::kGroupExists);
    case Reason::kMessageTooLarge:
      // The facade checks the documented limits itself and names the sizes;
      // this is a tighter broker limit, whose message names them instead.
      return MakeDmsError(DmsCode::kMessageTooLarge, s.message());
    case Reason::kInvalidTimeRange:
      return MakeDmsError(DmsCode::kTimestampInvalid);
    case Reason::kBroadcastGroup:
      return MakeDmsError(
          DmsCode::kInvalidParameter,
          "reset is not supported for broadcast consumer groups");
    case Reason::kInvalidName:
    case Reason::kReservedName:
    case Reason::kBrokerNotFound:
    case Reason::kInvalidQueueNum:
    case Reason::kTopicLimit:
    case Reason::kTopicNotWritable:
    case Reason::kTopicNotReadable:
    case Reason::kTopicQueueNotFound:
    case Reason::kGroupLimit:
    case Reason::kGroupDisabled:
    case Reason::kStaleResetEpoch:
    case Reason::kOffsetOutOfRange:
    case Reason::kMessageEmpty:
    case Reason::kMessageNotFound:
      return MakeDmsError(DmsCode::kInvalidParameter, s.message());
    default:
      break;
  }
  return DmsErrorFromCode(s);
}

}  // namespace rewindmq::facade::dms

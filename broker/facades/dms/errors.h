// The one mapping from an absl::Status to the DMS error a client sees
// (STYLE.md §5, spec §9).
#pragma once

#include "absl/status/status.h"
#include "broker/facades/dms/dms_error.h"

namespace rewindmq::facade::dms {

// In this order:
//   1. a DmsCode payload (the facade's own parsers and checks) decides;
//   2. else the broker::Reason:
//        kInstanceNotFound      404 DMS.00404022
//        kTopicNotFound         400 DMS.00400876
//        kGroupNotFound         404 DMS.10240405
//        kTopicExists           400 DMS.40050005
//        kGroupExists           400 DMS.40050015
//        kMessageTooLarge       400 DMS.10540011
//        kInvalidTimeRange      400 DMS.00400142
//        kBroadcastGroup        400 DMS.00400800 "...: reset is not
//                               supported for broadcast consumer groups"
//        other client reasons   400 DMS.00400800 with the broker's message
//                               (names, reserved names, brokers, queue
//                               counts, quotas, permissions, disabled group,
//                               empty message, offsets)
//   3. else the code: InvalidArgument / OutOfRange → 400 DMS.00400800,
//      anything else → 500 DMS.00500000 (the caller logs the status).
DmsError ToDmsError(const absl::Status& s);

}  // namespace rewindmq::facade::dms

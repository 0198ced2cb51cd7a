// The one mapping from an absl::Status to the CMQ error the client sees
// (STYLE.md §5): the facade's own rejections first (errors.h payload), then
// the broker::Reason, then the status code.
#pragma once

#include "absl/status/status.h"
#include "broker/facades/cmq/errors.h"

namespace rewindmq::facade::cmq {

// REQUIRES: !s.ok().
// Anything unrecognised is 6000/10050 with the generic text only: the
// caller logs the full Status (IsInternal()) and never shows it.
CmqError ToCmqError(const absl::Status& s);

}  // namespace rewindmq::facade::cmq

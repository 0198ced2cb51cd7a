// Early-return helpers for absl::Status and absl::StatusOr (our abseil
// predates its own).
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RMQ_RETURN_IF_ERROR(expr)                                  \
  do {                                                             \
    if (absl::Status rmq_s_ = (expr); !rmq_s_.ok()) return rmq_s_; \
  } while (false)

#define RMQ_ASSIGN_OR_RETURN(lhs, rexpr) \
  RMQ_ASSIGN_OR_RETURN_IMPL_(RMQ_CONCAT_(rmq_or_, __LINE__), lhs, rexpr)
#define RMQ_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                               \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = *std::move(tmp)
#define RMQ_CONCAT_(a, b) RMQ_CONCAT_INNER_(a, b)
#define RMQ_CONCAT_INNER_(a, b) a##b

namespace rewindmq {

// Returns `s` with `context: ` put before its message, keeping its code and
// payloads. OK stays OK.
absl::Status Annotate(const absl::Status& s, absl::string_view context);

}  // namespace rewindmq

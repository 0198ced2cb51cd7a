// RMQ_CHECK: for invariants whose violation would corrupt data. Logs and
// aborts in every build type; never compiled out.
#pragma once

#include "absl/base/optimization.h"

namespace rewindmq::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr,
                              const char* msg);
}  // namespace rewindmq::internal

#define RMQ_CHECK(cond)                                                 \
  do {                                                                  \
    if (ABSL_PREDICT_FALSE(!(cond))) {                                  \
      ::rewindmq::internal::CheckFailed(__FILE__, __LINE__, #cond, ""); \
    }                                                                   \
  } while (false)

#define RMQ_CHECK_MSG(cond, msg)                                         \
  do {                                                                   \
    if (ABSL_PREDICT_FALSE(!(cond))) {                                   \
      ::rewindmq::internal::CheckFailed(__FILE__, __LINE__, #cond, msg); \
    }                                                                    \
  } while (false)

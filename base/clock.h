// The injectable wall clock. Production code takes a `Clock*` and never
// calls absl::Now() directly, so tests drive time with a fake.
#pragma once

#include "absl/time/time.h"

namespace rewindmq {

// Thread-safe implementations only.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // The process-wide real clock. Never null; lives forever.
  static Clock* Real();
};

}  // namespace rewindmq

// Settings of the TDMQ (API 3.0) facade. Fixed at start-up; the facade keeps
// no other state (everything that must survive a restart lives in the
// broker).
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace rewindmq::facade::tdmq {

struct TdmqConfig {
  // SecretId -> SecretKey, the same pairs as the CMQ 2.0 facade's
  // (--cmq-credentials). Empty means open mode: Authorization and
  // X-TC-Timestamp are neither required nor checked (spec §4.1).
  absl::flat_hash_map<std::string, std::string> secret_keys;

  // Largest body accepted (§3.2); larger ones get RequestSizeLimitExceeded.
  uint64_t body_limit = uint64_t{4} << 20;

  bool open_mode() const { return secret_keys.empty(); }
};

}  // namespace rewindmq::facade::tdmq

// Settings of the CMQ facade. Fixed at start-up; the facade keeps no other
// state (everything that must survive a restart lives in the broker).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace rewindmq::facade::cmq {

struct CmqConfig {
  // SecretId -> SecretKey. Empty means open mode: signatures are not checked
  // and SecretId/Signature/Nonce/Timestamp may be missing (spec §4.4).
  absl::flat_hash_map<std::string, std::string> secret_keys;

  // Extra host names (optionally with `:port`) that clients may have signed
  // with, e.g. "cmq-queue-gz.api.tencentyun.com" behind a DNS override.
  std::vector<std::string> host_aliases;

  // Largest POST body accepted (spec §2.5: at least 4 MiB, since a 1 MiB
  // message can triple in size once percent-encoded). Larger bodies get
  // 4000/10420.
  uint64_t body_limit = uint64_t{4} << 20;

  bool open_mode() const { return secret_keys.empty(); }
};

}  // namespace rewindmq::facade::cmq

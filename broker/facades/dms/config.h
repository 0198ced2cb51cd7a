// Settings of the DMS facade. Instances, brokers and quotas are the
// broker's (broker/options.h); what is here is only what the facade itself
// needs to answer like DMS.
#pragma once

#include <cstdint>
#include <string>

#include "base/clock.h"
#include "broker/facades/dms/signature.h"

namespace rewindmq::facade::dms {

// The address rewindmq listens on by default; shown as namesrv_address,
// broker_address and store_host.
inline constexpr absl::string_view kDefaultAdvertisedAddress = "127.0.0.1:9555";

struct DmsConfig {
  // AK → SK pairs. Empty (the default): open mode, signatures are not
  // checked. Otherwise every request must carry a valid SDK-HMAC-SHA256
  // signature (spec §10).
  Credentials credentials;

  // Reported as namesrv_address / broker_address of instances and as
  // store_host of messages: "host:port" of this server.
  std::string advertised_address = std::string(kDefaultAdvertisedAddress);

  // Largest accepted request body. The signed-body limit of the API gateway
  // (12 MB); a send of a 4 MiB body escaped in JSON fits.
  uint64_t body_limit = uint64_t{12} << 20;

  // Clock for the signature's X-Sdk-Date window. Not owned; never null.
  const Clock* clock = Clock::Real();
};

}  // namespace rewindmq::facade::dms

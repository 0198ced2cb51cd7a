// Reads the line the rewindmq binary prints once it listens:
// "rewindmq listening on 127.0.0.1:PORT, data in DIR".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"

namespace rmqtest {

// The port of a startup line; nullopt for any other line.
inline std::optional<uint16_t> PortOf(const std::string& line) {
  const std::string prefix = "rewindmq listening on 127.0.0.1:";
  if (line.rfind(prefix, 0) != 0) return std::nullopt;
  const size_t comma = line.find(',', prefix.size());
  int port;
  if (comma == std::string::npos ||
      !absl::SimpleAtoi(line.substr(prefix.size(), comma - prefix.size()),
                        &port) ||
      port <= 0 || port > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(port);
}

}  // namespace rmqtest

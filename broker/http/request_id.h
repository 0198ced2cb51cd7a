// Request ids: every request gets one, every response carries it as
// X-Request-Id, and every log line about the request names it.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace rewindmq::httpd {

// The header carrying the id, both ways.
inline constexpr absl::string_view kRequestIdHeader = "X-Request-Id";

// A fresh id: 32 lowercase hex digits (128 random bits), the shape the DMS
// gateway uses. Thread-safe.
std::string NewRequestId();

// Whether a client-supplied id may be echoed: 1 to 64 characters, each a
// letter, digit, '-', '_', '.' or ':'. Anything else (empty, long, spaces,
// control or non-ASCII characters) is replaced by NewRequestId(), so ids
// stay safe to put in headers, JSON bodies and log lines.
bool IsAcceptableRequestId(absl::string_view id);

// `client_id` when acceptable, else a new id.
std::string RequestIdFor(absl::string_view client_id);

}  // namespace rewindmq::httpd

// Small text helpers shared by the vendor facades.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace rewindmq {

// True if `s` is well-formed UTF-8: no overlong forms, no UTF-16
// surrogates, nothing above U+10FFFF.
bool IsValidUtf8(absl::string_view s);

// Decodes an application/x-www-form-urlencoded component: `+` is a space,
// `%XX` (hex digits in either case) is the byte XX, and a `%` not followed
// by two hex digits is kept as is (as PHP's urldecode does).
std::string FormDecode(absl::string_view s);

// "host:port", with an IPv6 address (any host holding ':') in brackets:
// "[::1]:8080".
std::string FormatHostPort(absl::string_view host, int port);

}  // namespace rewindmq

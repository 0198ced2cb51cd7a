// Splitting request targets and query strings, shared by the HTTP layer and
// the facades' parsers. Pure string functions: no HTTP type, so the
// facades' core libraries use them without depending on Beast.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace rewindmq::httpd {

// The path of a request target (everything before '?').
absl::string_view TargetPath(absl::string_view target);
// The query of a request target (everything after the first '?'), or "".
absl::string_view TargetQuery(absl::string_view target);

// One `name=value` item of a query string or form body, as written (still
// percent-encoded). An item without '=' has an empty value and
// has_value false.
struct QueryItem {
  absl::string_view name;
  absl::string_view value;
  bool has_value = false;
};
// The non-empty '&'-separated items of `raw`, in order.
std::vector<QueryItem> SplitQuery(absl::string_view raw);

// `s` with its %XX escapes decoded, and '+' as a space when `plus_is_space`
// (form bodies and query strings as browsers and SDKs write them); nullopt
// when an escape is malformed. The result may hold any bytes.
std::optional<std::string> PercentDecode(absl::string_view s,
                                         bool plus_is_space);

// The decoded value of the first parameter called `name` in `encoded`, a
// query string or a form body (names compared after decoding, '+' as a
// space); nullopt when there is none or its value does not decode.
std::optional<std::string> UrlEncodedValue(absl::string_view encoded,
                                           absl::string_view name);

}  // namespace rewindmq::httpd

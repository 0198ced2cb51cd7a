// Splitting request targets and query strings, shared by the HTTP layer and
// the facades' parsers. Pure string functions: no HTTP type, so the
// facades' core libraries use them without depending on Beast.
#pragma once

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

}  // namespace rewindmq::httpd

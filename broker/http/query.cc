#include "broker/http/query.h"

#include "absl/strings/str_split.h"

namespace rewindmq::httpd {

absl::string_view TargetPath(absl::string_view target) {
  const size_t q = target.find('?');
  return q == absl::string_view::npos ? target : target.substr(0, q);
}

absl::string_view TargetQuery(absl::string_view target) {
  const size_t q = target.find('?');
  return q == absl::string_view::npos ? absl::string_view()
                                      : target.substr(q + 1);
}

std::vector<QueryItem> SplitQuery(absl::string_view raw) {
  std::vector<QueryItem> items;
  for (absl::string_view item : absl::StrSplit(raw, '&', absl::SkipEmpty())) {
    const size_t eq = item.find('=');
    if (eq == absl::string_view::npos) {
      items.push_back({item, {}, false});
    } else {
      items.push_back({item.substr(0, eq), item.substr(eq + 1), true});
    }
  }
  return items;
}

}  // namespace rewindmq::httpd

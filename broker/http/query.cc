#include "broker/http/query.h"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>

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

std::optional<std::string> PercentDecode(absl::string_view s,
                                         bool plus_is_space) {
  boost::system::result<boost::urls::pct_string_view> pct =
      boost::urls::make_pct_string_view(
          boost::urls::string_view(s.data(), s.size()));
  if (!pct.has_value()) return std::nullopt;
  boost::urls::encoding_opts opts;
  opts.space_as_plus = plus_is_space;
  std::string out;
  out.reserve(pct->decoded_size());
  pct->decode(opts, boost::urls::string_token::assign_to(out));
  return out;
}

std::optional<std::string> UrlEncodedValue(absl::string_view encoded,
                                           absl::string_view name) {
  for (const QueryItem& item : SplitQuery(encoded)) {
    std::optional<std::string> n = PercentDecode(item.name, true);
    if (!n.has_value() || *n != name) continue;
    return PercentDecode(item.value, true);
  }
  return std::nullopt;
}

}  // namespace rewindmq::httpd

#include "broker/facades/cmq/form.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "broker/facades/cmq/errors.h"
#include "broker/http/query.h"

namespace rewindmq::facade::cmq {
namespace {

absl::StatusOr<Params> ToParams(FormPairs pairs) {
  Params params;
  for (auto& [name, value] : pairs) {
    auto [it, inserted] = params.try_emplace(std::move(name), std::move(value));
    if (!inserted) return CmqStatus(ErrorKind::kNotRepeatable, it->first);
  }
  return params;
}

// The index part of `name.N` as an integer, if it is a canonical decimal.
// Indices longer than 9 digits saturate: no valid array reaches them.
std::optional<int64_t> CanonicalIndex(absl::string_view digits) {
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0')) {
    return std::nullopt;
  }
  if (!std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
    return std::nullopt;
  }
  if (digits.size() > 9) return INT64_MAX;
  int64_t n = 0;
  if (!absl::SimpleAtoi(digits, &n)) return std::nullopt;
  return n;
}

}  // namespace

absl::StatusOr<FormPairs> DecodeForm(absl::string_view text) {
  FormPairs pairs;
  for (const httpd::QueryItem& raw : httpd::SplitQuery(text)) {
    std::string name = FormDecode(raw.name);
    if (name.empty()) continue;
    std::string value = FormDecode(raw.value);
    if (!IsValidUtf8(name)) {
      return CmqStatus(ErrorKind::kCannotParse, "parameter name");
    }
    if (!IsValidUtf8(value)) return CmqStatus(ErrorKind::kCannotParse, name);
    pairs.emplace_back(std::move(name), std::move(value));
  }
  return pairs;
}

absl::StatusOr<Params> RequestParams(absl::string_view method,
                                     absl::string_view query,
                                     absl::string_view body) {
  if (method == "GET") {
    RMQ_ASSIGN_OR_RETURN(FormPairs pairs, DecodeForm(query));
    return ToParams(std::move(pairs));
  }
  if (method != "POST") return CmqStatus(ErrorKind::kMethodNotAllowed, method);
  RMQ_ASSIGN_OR_RETURN(FormPairs query_pairs, DecodeForm(query));
  RMQ_ASSIGN_OR_RETURN(FormPairs body_pairs, DecodeForm(body));
  RMQ_ASSIGN_OR_RETURN(Params merged, ToParams(std::move(query_pairs)));
  RMQ_ASSIGN_OR_RETURN(Params from_body, ToParams(std::move(body_pairs)));
  for (auto& [name, value] : from_body) {
    merged.insert_or_assign(name, std::move(value));
  }
  return merged;
}

bool HasArrayParam(const Params& p, absl::string_view name) {
  const std::string prefix = std::string(name) + ".";
  auto it = p.lower_bound(prefix);
  return it != p.end() && absl::StartsWith(it->first, prefix);
}

absl::StatusOr<std::vector<std::string>> ArrayParam(const Params& p,
                                                    absl::string_view name,
                                                    size_t max_size) {
  const std::string prefix = std::string(name) + ".";
  std::vector<std::pair<int64_t, const std::string*>> entries;
  for (auto it = p.lower_bound(prefix);
       it != p.end() && absl::StartsWith(it->first, prefix); ++it) {
    std::optional<int64_t> index =
        CanonicalIndex(absl::string_view(it->first).substr(prefix.size()));
    if (!index.has_value()) return CmqStatus(ErrorKind::kKeyFormat, it->first);
    entries.emplace_back(*index, &it->second);
  }
  if (entries.size() > max_size) return CmqStatus(ErrorKind::kBatchSize, name);
  std::sort(entries.begin(), entries.end());
  std::vector<std::string> values;
  values.reserve(entries.size());
  if (!entries.empty()) {
    const int64_t first = entries.front().first;
    if (first != 0 && first != 1) {
      return CmqStatus(ErrorKind::kNotConsecutive, name);
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].first != first + static_cast<int64_t>(i)) {
        return CmqStatus(ErrorKind::kNotConsecutive, name);
      }
      values.push_back(*entries[i].second);
    }
  }
  return values;
}

}  // namespace rewindmq::facade::cmq

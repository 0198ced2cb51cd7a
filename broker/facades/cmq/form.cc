#include "broker/facades/cmq/form.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "broker/facades/cmq/errors.h"

namespace rewindmq::facade::cmq {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Unescape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

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

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
      cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      cp = b0 & 0x07;
    } else {
      return false;  // continuation byte, overlong lead (C0, C1) or > F4
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

absl::StatusOr<FormPairs> DecodeForm(absl::string_view text) {
  FormPairs pairs;
  for (absl::string_view item : absl::StrSplit(text, '&')) {
    if (item.empty()) continue;
    std::pair<absl::string_view, absl::string_view> raw =
        absl::StrSplit(item, absl::MaxSplits('=', 1));
    std::string name = Unescape(raw.first);
    if (name.empty()) continue;
    std::string value = Unescape(raw.second);
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

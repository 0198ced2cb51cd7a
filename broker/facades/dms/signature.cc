#include "broker/facades/dms/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "broker/facades/dms/dms_error.h"
#include "broker/facades/dms/route.h"
#include "broker/http/query.h"

namespace rewindmq::facade::dms {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr absl::string_view kSdkDateFormat = "%Y%m%dT%H%M%SZ";

std::string ToHex(const unsigned char* data, size_t n) {
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0x0F]);
  }
  return out;
}

bool IsUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

// Node's legacy url.parse escapes these when they appear raw in a path.
std::string EscapeLikeNodeUrlParse(absl::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    switch (c) {
      case '{':
        out += "%7B";
        break;
      case '}':
        out += "%7D";
        break;
      case '|':
        out += "%7C";
        break;
      case '^':
        out += "%5E";
        break;
      case '`':
        out += "%60";
        break;
      case '<':
        out += "%3C";
        break;
      case '>':
        out += "%3E";
        break;
      case '"':
        out += "%22";
        break;
      case '\'':
        out += "%27";
        break;
      case ' ':
        out += "%20";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

absl::Status AuthError(absl::string_view reason) {
  return DmsStatus(DmsCode::kAuthFailed, reason);
}

std::string FormatSdkDate(absl::Time t) {
  return absl::FormatTime(kSdkDateFormat, t, absl::UTCTimeZone());
}

}  // namespace

std::string HexSha256(absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return ToHex(md, len);
}

std::string HexHmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md,
       &len);
  return ToHex(md, len);
}

std::string SdkUrlEncode(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0x0F]);
    }
  }
  return out;
}

std::string CanonicalUri(absl::string_view raw_path) {
  const std::string escaped = EscapeLikeNodeUrlParse(raw_path);
  std::vector<std::string> segments;
  for (absl::string_view seg : absl::StrSplit(escaped, '/')) {
    segments.push_back(SdkUrlEncode(seg));
  }
  std::string out = absl::StrJoin(segments, "/");
  if (out.empty() || out.back() != '/') out.push_back('/');
  return out;
}

std::string CanonicalQueryString(absl::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> items;
  for (const httpd::QueryItem& item : httpd::SplitQuery(raw_query)) {
    std::optional<std::string> n = PercentDecode(item.name, false);
    std::optional<std::string> v = PercentDecode(item.value, false);
    items.emplace_back(SdkUrlEncode(n ? *n : item.name),
                       SdkUrlEncode(v ? *v : item.value));
  }
  std::sort(items.begin(), items.end());
  return absl::StrJoin(items, "&", absl::PairFormatter("="));
}

std::string CanonicalRequest(const SigningInput& in) {
  const absl::string_view path = httpd::TargetPath(in.target);
  const absl::string_view query = httpd::TargetQuery(in.target);
  std::string canonical_headers;
  std::vector<absl::string_view> names;
  for (const auto& [name, value] : in.headers) {
    absl::StrAppend(&canonical_headers, name, ":", value, "\n");
    names.push_back(name);
  }
  return absl::StrCat(in.method, "\n", CanonicalUri(path), "\n",
                      CanonicalQueryString(query), "\n", canonical_headers,
                      "\n", absl::StrJoin(names, ";"), "\n", in.payload_hash);
}

std::string StringToSign(const SigningInput& in) {
  return absl::StrCat(kSignAlgorithm, "\n", in.sdk_date, "\n",
                      HexSha256(CanonicalRequest(in)));
}

std::string Signature(absl::string_view sk, const SigningInput& in) {
  return HexHmacSha256(sk, StringToSign(in));
}

std::string SignRequest(
    absl::string_view ak, absl::string_view sk, absl::string_view method,
    absl::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers,
    absl::string_view body) {
  SigningInput in;
  in.method = method;
  in.target = target;
  std::optional<std::string> content_sha;
  for (const auto& [name, value] : headers) {
    std::string lower = absl::AsciiStrToLower(name);
    if (lower == "x-sdk-date") in.sdk_date = value;
    if (lower == "x-sdk-content-sha256") content_sha = value;
    in.headers.emplace_back(std::move(lower), value);
  }
  std::sort(in.headers.begin(), in.headers.end());
  in.payload_hash = content_sha ? *content_sha : HexSha256(body);
  std::vector<absl::string_view> names;
  for (const auto& h : in.headers) names.push_back(h.first);
  return absl::StrCat(kSignAlgorithm, " Access=", ak,
                      ", SignedHeaders=", absl::StrJoin(names, ";"),
                      ", Signature=", Signature(sk, in));
}

std::optional<Authorization> ParseAuthorization(absl::string_view value) {
  // Reads "<key>=" then everything up to the next ',' (or the end when
  // `last`), skipping one optional space after the comma.
  auto take = [&value](absl::string_view key,
                       bool last) -> std::optional<std::string> {
    if (value.substr(0, key.size()) != key) return std::nullopt;
    value.remove_prefix(key.size());
    size_t end = last ? value.size() : value.find(',');
    if (end == absl::string_view::npos || end == 0) return std::nullopt;
    std::string out(value.substr(0, end));
    if (out.find(',') != std::string::npos) return std::nullopt;
    value.remove_prefix(end);
    if (!last) {
      value.remove_prefix(1);  // ','
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    return out;
  };
  const std::string prefix = absl::StrCat(kSignAlgorithm, " ");
  if (value.substr(0, prefix.size()) != prefix) return std::nullopt;
  value.remove_prefix(prefix.size());
  std::optional<std::string> access = take("Access=", false);
  if (!access) return std::nullopt;
  std::optional<std::string> signed_headers = take("SignedHeaders=", false);
  if (!signed_headers) return std::nullopt;
  std::optional<std::string> signature = take("Signature=", true);
  if (!signature || signature->size() != 64) return std::nullopt;
  for (char c : *signature) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        (c < 'a' || c > 'f')) {
      return std::nullopt;
    }
  }
  Authorization out;
  out.access = *std::move(access);
  out.signed_headers = absl::StrSplit(*signed_headers, ';');
  out.signature = *std::move(signature);
  return out;
}

std::optional<absl::Time> ParseSdkDate(absl::string_view value) {
  if (value.size() != 16 || value[8] != 'T' || value[15] != 'Z') {
    return std::nullopt;
  }
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(value[i]))) {
      return std::nullopt;
    }
  }
  auto num = [&value](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (value[i] - '0');
    return v;
  };
  const absl::CivilSecond civil(num(0, 4), num(4, 2), num(6, 2), num(9, 2),
                                num(11, 2), num(13, 2));
  // CivilSecond normalizes out-of-range fields (month 13); refuse those.
  if (civil.year() != num(0, 4) || civil.month() != num(4, 2) ||
      civil.day() != num(6, 2) || civil.hour() != num(9, 2) ||
      civil.minute() != num(11, 2) || civil.second() != num(13, 2)) {
    return std::nullopt;
  }
  const absl::Time t = absl::FromCivil(civil, absl::UTCTimeZone());
  return t;
}

// The X-Sdk-Content-Sha256 value that leaves the body out of the signature.
constexpr absl::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

absl::Status VerifySignature(const VerifyInput& req,
                             const Credentials& credentials, absl::Time now,
                             absl::Duration max_skew) {
  if (credentials.empty()) return absl::OkStatus();

  std::optional<absl::string_view> auth_header = req.header("authorization");
  std::optional<Authorization> auth;
  if (auth_header.has_value()) {
    auth = ParseAuthorization(absl::StripAsciiWhitespace(*auth_header));
  }
  if (!auth.has_value()) {
    return AuthError("Authorization header missing or malformed");
  }
  auto it = credentials.find(auth->access);
  if (it == credentials.end()) {
    return AuthError(absl::StrCat("ak ", auth->access, " not exist"));
  }

  std::vector<std::pair<std::string, std::string>> headers;
  bool date_signed = false;
  for (const std::string& name : auth->signed_headers) {
    const std::string lower = absl::AsciiStrToLower(name);
    if (lower == "x-sdk-date") date_signed = true;
    std::optional<absl::string_view> v = req.header(lower);
    headers.emplace_back(lower,
                         v ? std::string(absl::StripAsciiWhitespace(*v)) : "");
  }
  std::optional<absl::string_view> date_value = req.header("x-sdk-date");
  std::optional<absl::Time> date;
  if (date_value.has_value()) {
    date = ParseSdkDate(absl::StripAsciiWhitespace(*date_value));
  }
  if (!date_signed || !date.has_value()) {
    return AuthError("x-sdk-date missing or malformed");
  }
  if (absl::AbsDuration(now - *date) > max_skew) {
    return AuthError(absl::StrCat("signature expired, signature time:",
                                  absl::StripAsciiWhitespace(*date_value),
                                  ",server time:", FormatSdkDate(now)));
  }

  SigningInput in;
  in.method = req.method;
  in.target = req.target;
  in.headers = std::move(headers);
  in.sdk_date = std::string(absl::StripAsciiWhitespace(*date_value));
  std::optional<absl::string_view> content_sha =
      req.header("x-sdk-content-sha256");
  in.payload_hash = content_sha
                        ? std::string(absl::StripAsciiWhitespace(*content_sha))
                        : HexSha256(req.body);
  const std::string expected = Signature(it->second, in);
  if (expected.size() != auth->signature.size() ||
      CRYPTO_memcmp(expected.data(), auth->signature.data(), expected.size()) !=
          0) {
    return AuthError("verify aksk signature fail");
  }
  // The signature covers the header, not the body: a header naming a hash
  // must name this body's, or a captured request's body could be swapped.
  if (content_sha.has_value() && in.payload_hash != kUnsignedPayload &&
      !absl::EqualsIgnoreCase(in.payload_hash, HexSha256(req.body))) {
    return AuthError("x-sdk-content-sha256 does not match the request body");
  }
  return absl::OkStatus();
}

}  // namespace rewindmq::facade::dms

#include "broker/facades/tdmq/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace rewindmq::facade::tdmq {
namespace {

constexpr absl::string_view kScopeTerminator = "tc3_request";
constexpr absl::string_view kScopeDateFormat = "%Y-%m-%d";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
bool IsSignedHeadersChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || c == ';' || c == '-';
}
bool AllDigits(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), IsDigit);
}

// Raw HMAC-SHA256 of `data` keyed by `key`.
std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), md,
           &len) == nullptr) {
    return "";  // never equal to a client's signature
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

// Takes the characters before the first `delimiter` off the front of `s`,
// leaving `s` at the delimiter; nullopt (and `s` unchanged) when there is no
// delimiter or nothing before it.
std::optional<absl::string_view> TakeUntil(absl::string_view& s,
                                           char delimiter) {
  const size_t end = s.find(delimiter);
  if (end == absl::string_view::npos || end == 0) return std::nullopt;
  absl::string_view out = s.substr(0, end);
  s.remove_prefix(end);
  return out;
}

// "\d{4}-\d{2}-\d{2}".
bool IsScopeDate(absl::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsDigit(s[i])) return false;
  }
  return true;
}

std::string HeaderValue(const Tc3Request& request, absl::string_view name) {
  std::optional<absl::string_view> v = request.header(name);
  return v ? std::string(absl::StripAsciiWhitespace(*v)) : std::string();
}

std::string PayloadHash(const Tc3Request& request) {
  if (HeaderValue(request, "x-tc-content-sha256") == kUnsignedPayload) {
    return Sha256Hex(kUnsignedPayload);
  }
  return Sha256Hex(request.body);
}

// The canonical headers for `names`: each value as received and trimmed,
// except host's, which is `host`; all lower-cased with `lower_case`.
std::vector<CanonicalHeader> SignedValues(const Tc3Request& request,
                                          const std::vector<std::string>& names,
                                          absl::string_view host,
                                          bool lower_case) {
  std::vector<CanonicalHeader> headers;
  headers.reserve(names.size());
  for (const std::string& name : names) {
    std::string value =
        name == "host" ? std::string(host) : HeaderValue(request, name);
    if (lower_case) absl::AsciiStrToLower(&value);
    headers.push_back({name, std::move(value)});
  }
  return headers;
}

std::string UtcDate(absl::Time t) {
  return absl::FormatTime(kScopeDateFormat, t, absl::UTCTimeZone());
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Tc3Result Fail(Tc3Failure failure, std::string detail) {
  return {failure, std::move(detail)};
}

// Quoted and escaped, for a log line: the text comes from the client.
std::string Quoted(absl::string_view s) {
  return absl::StrCat("\"", absl::CHexEscape(s), "\"");
}

}  // namespace

absl::string_view Tc3ErrorCode(Tc3Failure failure) {
  switch (failure) {
    case Tc3Failure::kInvalidAuthorization:
      return "AuthFailure.InvalidAuthorization";
    case Tc3Failure::kSecretIdNotFound:
      return "AuthFailure.SecretIdNotFound";
    case Tc3Failure::kSignatureExpire:
      return "AuthFailure.SignatureExpire";
    case Tc3Failure::kSignatureFailure:
      return "AuthFailure.SignatureFailure";
  }
  return "AuthFailure.SignatureFailure";
}

SecretLookup SecretsFromMap(
    const absl::flat_hash_map<std::string, std::string>& keys) {
  return [&keys](absl::string_view secret_id) -> std::optional<std::string> {
    auto it = keys.find(secret_id);
    if (it == keys.end()) return std::nullopt;
    return it->second;
  };
}

std::optional<Tc3AuthorizationFields> ParseTc3Authorization(
    absl::string_view value) {
  // A hand-written matcher for
  //   ^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([^/]+)/
  //   tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$
  // Every group ends at a character it cannot contain, so a single left to
  // right pass decides.
  absl::string_view s = value;
  if (!absl::ConsumePrefix(&s, kTc3Algorithm) ||
      !absl::ConsumePrefix(&s, " Credential=")) {
    return std::nullopt;
  }
  std::optional<absl::string_view> secret_id = TakeUntil(s, '/');
  if (!secret_id || !absl::ConsumePrefix(&s, "/")) return std::nullopt;
  const absl::string_view date = s.substr(0, 10);
  if (!IsScopeDate(date)) return std::nullopt;
  s.remove_prefix(date.size());
  if (!absl::ConsumePrefix(&s, "/")) return std::nullopt;
  std::optional<absl::string_view> service = TakeUntil(s, '/');
  if (!service || !absl::ConsumePrefix(&s, "/tc3_request, SignedHeaders=")) {
    return std::nullopt;
  }
  const size_t names_end =
      std::find_if_not(s.begin(), s.end(), IsSignedHeadersChar) - s.begin();
  if (names_end == 0) return std::nullopt;
  const absl::string_view names = s.substr(0, names_end);
  s.remove_prefix(names_end);
  if (!absl::ConsumePrefix(&s, ", Signature=")) return std::nullopt;
  if (s.size() != 64 || !std::all_of(s.begin(), s.end(), IsLowerHex)) {
    return std::nullopt;
  }
  Tc3AuthorizationFields out;
  out.secret_id = std::string(*secret_id);
  out.date = std::string(date);
  out.service = std::string(*service);
  out.signed_headers = absl::StrSplit(names, ';');
  out.signature = std::string(s);
  return out;
}

std::vector<std::string> CandidateHosts(absl::string_view host_header) {
  const absl::string_view host = absl::StripAsciiWhitespace(host_header);
  std::vector<std::string> out = {std::string(host)};
  // The port follows the last ':' outside an IPv6 literal's brackets. A
  // bare IPv6 address ("::1") has several colons and no port.
  const size_t colon = host.rfind(':');
  if (colon == absl::string_view::npos) return out;
  const bool bracketed = absl::StartsWith(host, "[");
  if (bracketed ? host[colon - 1] != ']' : host.find(':') != colon) {
    return out;
  }
  if (!AllDigits(host.substr(colon + 1))) return out;
  out.emplace_back(host.substr(0, colon));
  return out;
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(md), len));
}

std::string CanonicalRequest(absl::string_view method, absl::string_view path,
                             absl::string_view query,
                             const std::vector<CanonicalHeader>& headers,
                             absl::string_view hashed_payload) {
  std::string canonical_headers;
  std::vector<absl::string_view> names;
  names.reserve(headers.size());
  for (const CanonicalHeader& h : headers) {
    absl::StrAppend(&canonical_headers, h.name, ":", h.value, "\n");
    names.push_back(h.name);
  }
  return absl::StrCat(method, "\n", path, "\n", query, "\n", canonical_headers,
                      "\n", absl::StrJoin(names, ";"), "\n", hashed_payload);
}

std::string StringToSign(absl::string_view timestamp, absl::string_view date,
                         absl::string_view service,
                         absl::string_view canonical_request) {
  return absl::StrCat(kTc3Algorithm, "\n", timestamp, "\n", date, "/", service,
                      "/", kScopeTerminator, "\n",
                      Sha256Hex(canonical_request));
}

Tc3DerivedKeys DeriveTc3Keys(absl::string_view secret_key,
                             absl::string_view date,
                             absl::string_view service) {
  Tc3DerivedKeys keys;
  keys.secret_date = HmacSha256(absl::StrCat("TC3", secret_key), date);
  keys.secret_service = HmacSha256(keys.secret_date, service);
  keys.secret_signing = HmacSha256(keys.secret_service, kScopeTerminator);
  return keys;
}

std::string Tc3SignatureHex(absl::string_view secret_key,
                            absl::string_view date, absl::string_view service,
                            absl::string_view string_to_sign) {
  const Tc3DerivedKeys keys = DeriveTc3Keys(secret_key, date, service);
  return absl::BytesToHexString(
      HmacSha256(keys.secret_signing, string_to_sign));
}

std::string Tc3Authorization(const Tc3Request& request,
                             const Tc3SignOptions& options) {
  const std::string timestamp = absl::StrCat(options.timestamp);
  const std::string date = UtcDate(absl::FromUnixSeconds(options.timestamp));
  const std::string canonical = CanonicalRequest(
      request.method, request.path, request.query,
      SignedValues(request, options.signed_headers, options.signed_host,
                   options.lower_case_values),
      PayloadHash(request));
  const std::string signature = Tc3SignatureHex(
      options.secret_key, date, options.service,
      StringToSign(timestamp, date, options.service, canonical));
  return absl::StrCat(
      kTc3Algorithm, " Credential=", options.secret_id, "/", date, "/",
      options.service, "/", kScopeTerminator,
      ", SignedHeaders=", absl::StrJoin(options.signed_headers, ";"),
      ", Signature=", signature);
}

Tc3Result VerifyTc3(const Tc3Request& request, const SecretLookup& secrets,
                    absl::Time now) {
  // 1. The Authorization header.
  std::optional<absl::string_view> authorization =
      request.header("authorization");
  if (!authorization.has_value()) {
    return Fail(Tc3Failure::kInvalidAuthorization,
                "authorization header is missing");
  }
  std::optional<Tc3AuthorizationFields> auth =
      ParseTc3Authorization(absl::StripAsciiWhitespace(*authorization));
  if (!auth.has_value()) {
    return Fail(Tc3Failure::kInvalidAuthorization,
                "authorization header is not \"TC3-HMAC-SHA256 "
                "Credential=<SecretId>/<YYYY-MM-DD>/<service>/tc3_request, "
                "SignedHeaders=<names>, Signature=<64 lower-case hex>\"");
  }

  // 2. The SecretId.
  const std::optional<std::string> secret_key = secrets(auth->secret_id);
  if (!secret_key.has_value()) {
    return Fail(Tc3Failure::kSecretIdNotFound,
                absl::StrCat("secret id ", Quoted(auth->secret_id),
                             " is not configured"));
  }

  // 3. X-TC-Timestamp and the clock window.
  const std::string timestamp = HeaderValue(request, "x-tc-timestamp");
  if (timestamp.empty() || !AllDigits(timestamp)) {
    return Fail(Tc3Failure::kInvalidAuthorization,
                absl::StrCat("x-tc-timestamp ",
                             request.header("x-tc-timestamp").has_value()
                                 ? Quoted(timestamp)
                                 : std::string("(absent)"),
                             " is not decimal unix seconds"));
  }
  int64_t seconds = 0;
  const bool in_range = absl::SimpleAtoi(timestamp, &seconds);
  const absl::Time signed_at = absl::FromUnixSeconds(seconds);
  if (!in_range || absl::AbsDuration(now - signed_at) > kTc3MaxClockSkew) {
    return Fail(
        Tc3Failure::kSignatureExpire,
        absl::StrCat("x-tc-timestamp ", timestamp, " is more than ",
                     absl::ToInt64Seconds(kTc3MaxClockSkew),
                     " s from the server time ", absl::ToUnixSeconds(now)));
  }

  // 4. The scope date.
  const std::string date = UtcDate(signed_at);
  if (auth->date != date) {
    return Fail(Tc3Failure::kSignatureFailure,
                absl::StrCat("credential scope date ", auth->date,
                             " is not the utc date ", date,
                             " of x-tc-timestamp ", timestamp));
  }

  // 5. The signed header names.
  const std::vector<std::string>& names = auth->signed_headers;
  for (absl::string_view required : {"content-type", "host"}) {
    if (std::find(names.begin(), names.end(), required) == names.end()) {
      return Fail(
          Tc3Failure::kInvalidAuthorization,
          absl::StrCat("signed headers ", Quoted(absl::StrJoin(names, ";")),
                       " do not include ", required));
    }
  }

  // 6-9. Every candidate canonical request, signed with the scope's service.
  const std::string payload_hash = PayloadHash(request);
  const std::string host_header = HeaderValue(request, "host");
  const std::string secret_signing =
      DeriveTc3Keys(*secret_key, date, auth->service).secret_signing;
  std::vector<std::string> tried;  // canonical requests, each signed once
  bool matched = false;
  for (const std::string& host : CandidateHosts(host_header)) {
    for (bool lower_case : {true, false}) {
      std::string canonical = CanonicalRequest(
          request.method, request.path, request.query,
          SignedValues(request, names, host, lower_case), payload_hash);
      if (std::find(tried.begin(), tried.end(), canonical) != tried.end()) {
        continue;
      }
      const std::string expected = absl::BytesToHexString(
          HmacSha256(secret_signing,
                     StringToSign(timestamp, date, auth->service, canonical)));
      // No early exit, so the time taken does not depend on which matched.
      matched |= ConstantTimeEquals(expected, auth->signature);
      tried.push_back(std::move(canonical));
    }
  }
  if (!matched) {
    return Fail(
        Tc3Failure::kSignatureFailure,
        absl::StrCat("no candidate signature matches (service ",
                     Quoted(auth->service), ", host ", Quoted(host_header),
                     ", ", tried.size(), " canonical requests tried)"));
  }
  return {};
}

}  // namespace rewindmq::facade::tdmq

// SDK-HMAC-SHA256, the AK/SK request signature of the Huawei Cloud SDKs
// (spec §10): canonical request, string to sign, signature, and the
// server-side verification of §10.3 with its compatibility rules for the
// Node SDK. Pure functions over OpenSSL; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rewindmq::facade::dms {

inline constexpr absl::string_view kSignAlgorithm = "SDK-HMAC-SHA256";
// Largest accepted difference between X-Sdk-Date and the server clock.
inline constexpr absl::Duration kMaxClockSkew = absl::Minutes(15);

// AK → SK. Empty means open mode: nothing is checked.
using Credentials = absl::flat_hash_map<std::string, std::string>;

// Lower-case hex SHA-256 of `data`.
std::string HexSha256(absl::string_view data);
// Lower-case hex HMAC-SHA256 of `data` keyed by `key`.
std::string HexHmacSha256(absl::string_view key, absl::string_view data);

// The SDK's urlEncode: every byte except A-Z a-z 0-9 - _ . ~ becomes %XX
// (upper-case hex).
std::string SdkUrlEncode(absl::string_view s);

// CanonicalURI of a raw request path as received (§10.3 step 4): raw
// { } | ^ ` < > " ' and space are first escaped as Node's url.parse does,
// then every '/'-separated segment is SdkUrlEncode-d, and a trailing '/'
// is appended when absent. No percent-decoding happens.
std::string CanonicalUri(absl::string_view raw_path);

// CanonicalQueryString of a raw query (without '?') (§10.3 step 5): items
// split on '&' and at the first '=', percent-decoded ('+' is not a space),
// re-encoded with SdkUrlEncode, sorted by name then value, joined with '&'.
std::string CanonicalQueryString(absl::string_view raw_query);

// The pieces a signature covers.
struct SigningInput {
  absl::string_view method;  // "GET"
  absl::string_view target;  // raw request-target: path[?query]
  // Signed header names, lower case, sorted, with their values.
  std::vector<std::pair<std::string, std::string>> headers;
  // The payload hash: HexSha256(body), or X-Sdk-Content-Sha256's value.
  std::string payload_hash;
  std::string sdk_date;  // X-Sdk-Date, e.g. "20220908T160000Z"
};

// METHOD\nCanonicalURI\nCanonicalQueryString\nCanonicalHeaders\n
// SignedHeaders\nPayloadHash, where CanonicalHeaders is "name:value\n" per
// header (§10.2 step 8).
std::string CanonicalRequest(const SigningInput& in);
// "SDK-HMAC-SHA256\n<date>\n<hex sha256 of canonical request>".
std::string StringToSign(const SigningInput& in);
// Lower-case hex HMAC-SHA256(sk, StringToSign(in)).
std::string Signature(absl::string_view sk, const SigningInput& in);

// What a client sends: signs `method target` with the given headers (names
// in any case; they are all signed) and `body`, as the SDK does, and
// returns the Authorization header value
//   SDK-HMAC-SHA256 Access=<ak>, SignedHeaders=<...>, Signature=<...>
// REQUIRES: `headers` contains X-Sdk-Date.
std::string SignRequest(
    absl::string_view ak, absl::string_view sk, absl::string_view method,
    absl::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers,
    absl::string_view body);

// The parsed Authorization header.
struct Authorization {
  std::string access;
  std::vector<std::string> signed_headers;  // as listed
  std::string signature;                    // 64 lower-case hex
};
// Parses "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=<hex>"
// (the space after each comma is optional). nullopt when malformed.
std::optional<Authorization> ParseAuthorization(absl::string_view value);

// Parses X-Sdk-Date (YYYYMMDD'T'HHMMSS'Z', UTC). nullopt when malformed.
std::optional<absl::Time> ParseSdkDate(absl::string_view value);

// The request as the verifier sees it. `header` returns the value of a
// header by case-insensitive name, or nullopt when absent.
struct VerifyInput {
  absl::string_view method;
  absl::string_view target;
  absl::string_view body;
  absl::FunctionRef<std::optional<absl::string_view>(absl::string_view)> header;
};

// Verifies the request against `credentials` (spec §10.3) at time `now`.
// OK in open mode (no credentials). Otherwise Unauthenticated, as a
// DmsStatus(kAuthFailed) whose message is the gateway's reason:
//   "Authorization header missing or malformed"
//   "ak <AK> not exist"
//   "x-sdk-date missing or malformed"
//   "signature expired, signature time:<X-Sdk-Date>,server time:<now>"
//   "verify aksk signature fail"
// The signature is compared in constant time.
absl::Status VerifySignature(const VerifyInput& req,
                             const Credentials& credentials, absl::Time now,
                             absl::Duration max_skew = kMaxClockSkew);

}  // namespace rewindmq::facade::dms

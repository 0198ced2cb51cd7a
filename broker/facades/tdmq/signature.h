// TC3-HMAC-SHA256, the request signature of Tencent Cloud API 3.0 (spec
// tdmq-cmq-v3.md section 4): how a client signs, and how the facade verifies
// a request in strict mode, absorbing the SDK quirks of section 4.3 (the
// service taken from the endpoint, the host signed without its port).
//
// Pure functions over OpenSSL; thread-safe. Open mode (no credential
// configured, 4.1) is the caller's business: it simply does not call
// VerifyTc3().
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rewindmq::facade::tdmq {

inline constexpr absl::string_view kTc3Algorithm = "TC3-HMAC-SHA256";
// Largest accepted difference between X-TC-Timestamp and the server clock,
// in either direction (4.5).
inline constexpr absl::Duration kTc3MaxClockSkew = absl::Seconds(300);
// The X-TC-Content-SHA256 value that leaves the body out of the signature:
// the payload hash is then the SHA-256 of this literal string (4.3).
inline constexpr absl::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// What verification needs of the HTTP request, as received. The views (and
// whatever `header` reads from) must outlive the call they are passed to.
struct Tc3Request {
  absl::string_view method;  // "POST" or "GET"
  absl::string_view path;    // raw path without query, normally "/"
  absl::string_view query;   // raw query after '?', empty for none
  absl::string_view body;    // raw body bytes
  // Value of a request header by lower-case name; nullopt when absent.
  // REQUIRES: set.
  std::function<std::optional<absl::string_view>(absl::string_view)> header;
};

// Why a request was refused; each is one API 3.0 error code (4.7).
enum class Tc3Failure {
  kInvalidAuthorization,  // no or malformed Authorization or X-TC-Timestamp,
                          // SignedHeaders without content-type or host
  kSecretIdNotFound,      // the SecretId is not configured
  kSignatureExpire,       // X-TC-Timestamp more than 300 s from the clock
  kSignatureFailure,      // wrong scope date or wrong signature
};

// "AuthFailure.InvalidAuthorization", "AuthFailure.SecretIdNotFound",
// "AuthFailure.SignatureExpire" or "AuthFailure.SignatureFailure".
absl::string_view Tc3ErrorCode(Tc3Failure failure);

// The outcome of VerifyTc3().
struct Tc3Result {
  std::optional<Tc3Failure> failure;  // nullopt: the signature is valid
  std::string detail;  // what went wrong, for logs; never holds a secret key
  bool ok() const { return !failure; }
};

// Secret key for a SecretId; nullopt when not configured.
using SecretLookup =
    std::function<std::optional<std::string>(absl::string_view secret_id)>;

// A SecretLookup over SecretId -> SecretKey pairs. `keys` is borrowed and
// must outlive the returned function.
SecretLookup SecretsFromMap(
    const absl::flat_hash_map<std::string, std::string>& keys);

// Verifies the TC3-HMAC-SHA256 signature of `request` in strict mode (4.4),
// stopping at the first failing step:
//   1. Authorization absent or not matching ParseTc3Authorization():
//      kInvalidAuthorization.
//   2. SecretId unknown to `secrets`: kSecretIdNotFound.
//   3. X-TC-Timestamp absent or not decimal digits: kInvalidAuthorization;
//      more than kTc3MaxClockSkew away from `now` (either way):
//      kSignatureExpire.
//   4. The scope date is not the UTC date of X-TC-Timestamp:
//      kSignatureFailure.
//   5. SignedHeaders lacks content-type or host: kInvalidAuthorization.
//   6-9. The canonical request is rebuilt from the request as received, the
//      key derived with the service the credential scope names (whatever it
//      is), and the signature computed for each candidate: host value in
//      CandidateHosts(Host) x header values lower-cased or as received
//      (trimmed), at most 4 HMACs, each compared in constant time. None
//      matches: kSignatureFailure.
// A signed header that is absent contributes an empty value. The payload
// hash is Sha256Hex(body) whatever the method (a GET's body is empty, so
// that is the hash of ""), or Sha256Hex(kUnsignedPayload) when
// X-TC-Content-SHA256 is UNSIGNED-PAYLOAD.
Tc3Result VerifyTc3(const Tc3Request& request, const SecretLookup& secrets,
                    absl::Time now);

// The fields of an Authorization header value of the form (4.4 step 1)
//   TC3-HMAC-SHA256 Credential=<id>/<YYYY-MM-DD>/<service>/tc3_request,
//   SignedHeaders=<[a-z0-9;-]+>, Signature=<64 lower-case hex>
// with exactly one space after the algorithm and after each comma. The id
// and the service are any non-empty text without '/' (so a service such as
// "localhost:9555" or "[::1]:9555" is fine).
struct Tc3AuthorizationFields {
  std::string secret_id;
  std::string date;     // "YYYY-MM-DD", digits not checked as a calendar date
  std::string service;  // as the client put it in the credential scope
  std::vector<std::string> signed_headers;  // as listed, split on ';'
  std::string signature;                    // 64 lower-case hex digits
};
// nullopt when `value` does not have the form above.
std::optional<Tc3AuthorizationFields> ParseTc3Authorization(
    absl::string_view value);

// The host values a client may have signed, given the Host header as
// received (4.4 step 8): (a) that header, trimmed; (b) the same without a
// trailing ":<port>" ("127.0.0.1:9555" -> "127.0.0.1", "[::1]:9555" ->
// "[::1]"), when that differs from (a).
std::vector<std::string> CandidateHosts(absl::string_view host_header);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// One line of CanonicalHeaders: the lower-case name and the value exactly as
// it enters the canonical request (already trimmed, and lower-cased if the
// signer lower-cases).
struct CanonicalHeader {
  std::string name;
  std::string value;
};

// method "\n" path "\n" query "\n" CanonicalHeaders "\n" SignedHeaders "\n"
// hashed_payload (4.2), where CanonicalHeaders is "name:value\n" for each of
// `headers` in the given order and SignedHeaders their names joined with ';'.
// Nothing is normalized: the caller chooses order, case and trimming.
std::string CanonicalRequest(absl::string_view method, absl::string_view path,
                             absl::string_view query,
                             const std::vector<CanonicalHeader>& headers,
                             absl::string_view hashed_payload);

// "TC3-HMAC-SHA256\n" timestamp "\n" date "/" service "/tc3_request\n"
// Sha256Hex(canonical_request).
std::string StringToSign(absl::string_view timestamp, absl::string_view date,
                         absl::string_view service,
                         absl::string_view canonical_request);

// The derived keys of 4.2, raw 32-byte HMAC-SHA256 values:
// SecretDate = HMAC("TC3" + secret_key, date), SecretService =
// HMAC(SecretDate, service), SecretSigning = HMAC(SecretService,
// "tc3_request").
struct Tc3DerivedKeys {
  std::string secret_date;
  std::string secret_service;
  std::string secret_signing;
};
Tc3DerivedKeys DeriveTc3Keys(absl::string_view secret_key,
                             absl::string_view date, absl::string_view service);

// Lower-case hex HMAC-SHA256(SecretSigning, string_to_sign).
std::string Tc3SignatureHex(absl::string_view secret_key,
                            absl::string_view date, absl::string_view service,
                            absl::string_view string_to_sign);

// How a client signs a request. The views are borrowed for the call.
struct Tc3SignOptions {
  absl::string_view secret_id;
  absl::string_view secret_key;
  // The credential-scope service, e.g. "tdmq", or "127" as S-node and S-py
  // derive it from the endpoint 127.0.0.1:9555.
  absl::string_view service;
  // The host value in the canonical request, e.g. "127.0.0.1" (S-node) while
  // the Host header says "127.0.0.1:9555".
  absl::string_view signed_host;
  // The X-TC-Timestamp the request carries; the scope date is its UTC date.
  int64_t timestamp = 0;
  // Lower-case names, signed in this order. Every value but host's is the
  // request's header, trimmed (empty when absent).
  std::vector<std::string> signed_headers = {"content-type", "host"};
  // D-sig lower-cases every value (vector C); the SDKs sign them verbatim.
  bool lower_case_values = true;
};

// The Authorization header value a client sends for `request` (4.2):
//   TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request,
//   SignedHeaders=<names>, Signature=<hex>
// The payload hash follows the same rule as VerifyTc3(), so a request signed
// here with options.signed_host among its CandidateHosts() verifies.
std::string Tc3Authorization(const Tc3Request& request,
                             const Tc3SignOptions& options);

}  // namespace rewindmq::facade::tdmq

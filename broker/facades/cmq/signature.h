// CMQ API 2.0 request signatures (spec cmq-v2.md §4): how clients sign, and
// how the facade verifies a request in open or strict mode.
//
// Pure and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "broker/facades/cmq/config.h"
#include "broker/facades/cmq/form.h"

namespace rewindmq::facade::cmq {

enum class SignatureMethod { kHmacSha1, kHmacSha256 };

// HmacSHA256 when the `SignatureMethod` parameter is exactly "HmacSHA256";
// HmacSHA1 when it is absent or anything else (§3).
SignatureMethod SignatureMethodOf(const Params& params);

// The string to sign (§4.1): method + host + path + "?" + every parameter
// except `Signature` as `name=value` with raw values, sorted byte-wise by the
// original name, each `_` in a name written as `.`, joined with `&`. With
// `drop_at_values`, parameters whose value starts with `@` are left out (the
// Python and PHP SDKs do so on POST).
std::string StringToSign(absl::string_view method, absl::string_view host,
                         absl::string_view path, const Params& params,
                         bool drop_at_values);

// Base64 (standard alphabet, padded) of the HMAC of `string_to_sign` keyed
// with `secret_key`.
std::string ComputeSignature(absl::string_view string_to_sign,
                             absl::string_view secret_key,
                             SignatureMethod method);

// The host names a client may have signed with, given the Host header as
// received (§4.4): that header; the same with ":80" removed, or added when it
// names no port; then each configured alias with the same ":80" twin.
// Duplicates and empty names are left out.
std::vector<std::string> CandidateHosts(
    absl::string_view host_header, const std::vector<std::string>& aliases);

// What verification needs to know about the HTTP request.
struct SignedRequest {
  absl::string_view method;       // "GET" or "POST"
  absl::string_view host_header;  // Host as received; may be empty
  absl::string_view path;         // the path actually requested, no query
};

// Checks the credentials of a request (§4.4). OK in open mode. In strict mode:
// 4100/10270 when SecretId is missing or not configured; 4100/10030 when
// Signature is missing or no variant (candidate host x with/without dropping
// `@` values on POST) yields it. The comparison is constant-time.
absl::Status VerifySignature(const SignedRequest& request, const Params& params,
                             const CmqConfig& config);

}  // namespace rewindmq::facade::cmq

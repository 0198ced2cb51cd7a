#include "broker/facades/cmq/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/facades/cmq/errors.h"

namespace rewindmq::facade::cmq {
namespace {

constexpr absl::string_view kDefaultPortSuffix = ":80";

// True if `host` ends in ":<digits>" (an IPv6 literal ends in ']' instead).
bool HasPort(absl::string_view host) {
  const size_t colon = host.rfind(':');
  if (colon == absl::string_view::npos || colon + 1 == host.size()) {
    return false;
  }
  const absl::string_view port = host.substr(colon + 1);
  return std::all_of(port.begin(), port.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

void AddWithPortTwin(absl::string_view host, std::vector<std::string>& out) {
  auto add = [&out](std::string h) {
    if (!h.empty() && std::find(out.begin(), out.end(), h) == out.end()) {
      out.push_back(std::move(h));
    }
  };
  if (host.empty()) return;
  add(std::string(host));
  if (absl::EndsWith(host, kDefaultPortSuffix)) {
    add(std::string(host.substr(0, host.size() - kDefaultPortSuffix.size())));
  } else if (!HasPort(host)) {
    add(absl::StrCat(host, kDefaultPortSuffix));
  }
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

SignatureMethod SignatureMethodOf(const Params& params) {
  auto it = params.find("SignatureMethod");
  if (it != params.end() && it->second == "HmacSHA256") {
    return SignatureMethod::kHmacSha256;
  }
  return SignatureMethod::kHmacSha1;
}

std::string StringToSign(absl::string_view method, absl::string_view host,
                         absl::string_view path, const Params& params,
                         bool drop_at_values) {
  std::string out = absl::StrCat(method, host, path, "?");
  bool first = true;
  for (const auto& [name, value] : params) {
    if (name == "Signature") continue;
    if (drop_at_values && absl::StartsWith(value, "@")) continue;
    if (!first) out.push_back('&');
    first = false;
    std::string signed_name = name;
    std::replace(signed_name.begin(), signed_name.end(), '_', '.');
    absl::StrAppend(&out, signed_name, "=", value);
  }
  return out;
}

std::string ComputeSignature(absl::string_view string_to_sign,
                             absl::string_view secret_key,
                             SignatureMethod method) {
  const EVP_MD* md =
      method == SignatureMethod::kHmacSha256 ? EVP_sha256() : EVP_sha1();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (HMAC(md, secret_key.data(), static_cast<int>(secret_key.size()),
           reinterpret_cast<const unsigned char*>(string_to_sign.data()),
           string_to_sign.size(), digest, &digest_len) == nullptr) {
    return "";  // never equal to a client's signature
  }
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest), digest_len));
}

std::vector<std::string> CandidateHosts(
    absl::string_view host_header, const std::vector<std::string>& aliases) {
  std::vector<std::string> hosts;
  AddWithPortTwin(host_header, hosts);
  for (const std::string& alias : aliases) AddWithPortTwin(alias, hosts);
  return hosts;
}

absl::Status VerifySignature(const SignedRequest& request, const Params& params,
                             const CmqConfig& config) {
  if (config.open_mode()) return absl::OkStatus();
  auto id = params.find("SecretId");
  if (id == params.end()) return CmqStatus(ErrorKind::kSecretIdNotFound);
  auto key = config.secret_keys.find(id->second);
  if (key == config.secret_keys.end()) {
    return CmqStatus(ErrorKind::kSecretIdNotFound);
  }
  auto signature = params.find("Signature");
  if (signature == params.end()) {
    return CmqStatus(ErrorKind::kAuthenticationFailed);
  }
  // Base64 has no spaces: a space can only be a '+' that the client forgot
  // to percent-encode (a hand-made query string), so read it back as one.
  std::string given = signature->second;
  std::replace(given.begin(), given.end(), ' ', '+');
  const SignatureMethod method = SignatureMethodOf(params);
  // Dropping `@` values is a POST-only habit of two SDKs.
  std::vector<bool> at_rules = {false};
  if (request.method == "POST") at_rules.push_back(true);
  bool matched = false;
  for (const std::string& host :
       CandidateHosts(request.host_header, config.host_aliases)) {
    for (bool drop_at : at_rules) {
      const std::string expected = ComputeSignature(
          StringToSign(request.method, host, request.path, params, drop_at),
          key->second, method);
      // No early exit, so the time taken does not depend on which matched.
      matched |= ConstantTimeEquals(expected, given);
    }
  }
  if (!matched) return CmqStatus(ErrorKind::kAuthenticationFailed);
  return absl::OkStatus();
}

}  // namespace rewindmq::facade::cmq

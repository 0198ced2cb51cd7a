// Fuzzes CMQ signature verification (signature.h, spec cmq-v2.md §4) in
// strict mode. Each input is a request (method, Host, path, parameters)
// that is
//   1. verified as given: OK or a 4100 error, never a crash;
//   2. signed as a client does (SecretId set, Signature computed over the
//      same parameters) and verified again: it must pass, for both
//      signature methods and for both GET and POST.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "base/check.h"
#include "broker/facades/cmq/config.h"
#include "broker/facades/cmq/errors.h"
#include "broker/facades/cmq/form.h"
#include "broker/facades/cmq/signature.h"

namespace rewindmq::facade::cmq {
namespace {

constexpr char kSecretId[] = "AKIDrewindmqDemo0001";
constexpr char kSecretKey[] = "rewindmq-demo-secret-key";

const CmqConfig& Strict() {
  static const CmqConfig* const config = [] {
    auto* c = new CmqConfig;
    c->secret_keys[kSecretId] = kSecretKey;
    c->host_aliases = {"cmq-queue-gz.api.tencentyun.com"};
    return c;
  }();
  return *config;
}

}  // namespace
}  // namespace rewindmq::facade::cmq

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewindmq::facade::cmq;
  FuzzedDataProvider in(data, size);
  const std::string method = in.ConsumeBool() ? "POST" : "GET";
  const std::string host = in.ConsumeRandomLengthString(64);
  const std::string path = in.ConsumeRandomLengthString(64);
  Params params;
  const int n = in.ConsumeIntegralInRange(0, 12);
  for (int i = 0; i < n; ++i) {
    std::string name = in.ConsumeRandomLengthString(32);
    std::string value = in.ConsumeRandomLengthString(128);
    params[std::move(name)] = std::move(value);
  }
  const bool sha256 = in.ConsumeBool();

  const SignedRequest request{method, host, path};
  const absl::Status as_given = VerifySignature(request, params, Strict());
  if (!as_given.ok()) {
    std::optional<CmqError> e = CmqErrorFromPayload(as_given);
    RMQ_CHECK(e.has_value() && e->code == 4100);
  }

  // The same request signed correctly verifies.
  if (host.empty()) return 0;  // no candidate host to have signed with
  params["SecretId"] = kSecretId;
  params["SignatureMethod"] = sha256 ? "HmacSHA256" : "HmacSHA1";
  params.erase("Signature");
  const std::string signature = ComputeSignature(
      StringToSign(method, host, path, params, /*drop_at_values=*/false),
      kSecretKey, SignatureMethodOf(params));
  params["Signature"] = signature;
  const absl::Status signed_ok = VerifySignature(request, params, Strict());
  RMQ_CHECK_MSG(signed_ok.ok(), signed_ok.ToString().c_str());

  // A different key does not.
  params["Signature"] =
      ComputeSignature(StringToSign(method, host, path, params, false),
                       "another-key", SignatureMethodOf(params));
  RMQ_CHECK(!VerifySignature(request, params, Strict()).ok());
  return 0;
}

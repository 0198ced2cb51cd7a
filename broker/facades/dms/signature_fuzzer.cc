// Fuzzes DMS signature verification (signature.h, spec §10). Each input is a
// request (method, target, body, headers) that is
//   1. verified as given, with an arbitrary Authorization header: OK or
//      the gateway's 401 (APIGW.0301), never a crash;
//   2. signed as the SDK does and verified again: it must pass; signed with
//      another secret key it must not.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/check.h"
#include "broker/facades/dms/dms_error.h"
#include "broker/facades/dms/signature.h"

namespace rewindmq::facade::dms {
namespace {

constexpr char kAk[] = "EXAMPLEAK0000000000";
constexpr char kSk[] = "ExampleSecretKey0000000000000000000000000";
constexpr char kDate[] = "20220908T160000Z";
const absl::Time kNow = absl::FromUnixMillis(1662652800000);

// Headers by lower-case name, as the HTTP layer finds them.
using Headers = std::map<std::string, std::string>;

absl::Status Verify(absl::string_view method, absl::string_view target,
                    absl::string_view body, const Headers& headers) {
  static const Credentials* const credentials =
      new Credentials{{kAk, kSk}, {"OTHERAK", "other-secret"}};
  auto lookup =
      [&headers](absl::string_view name) -> std::optional<absl::string_view> {
    auto it = headers.find(absl::AsciiStrToLower(name));
    if (it == headers.end()) return std::nullopt;
    return absl::string_view(it->second);
  };
  return VerifySignature({method, target, body, lookup}, *credentials, kNow);
}

// A header name of the token characters a client would use.
std::string HeaderName(FuzzedDataProvider& in) {
  std::string name = in.ConsumeRandomLengthString(16);
  std::string out = "x-";
  for (char c : name) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-') {
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

}  // namespace
}  // namespace rewindmq::facade::dms

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewindmq::facade::dms;
  FuzzedDataProvider in(data, size);
  static constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
  const std::string method = kMethods[in.ConsumeIntegralInRange(0, 3)];
  const std::string target = in.ConsumeRandomLengthString(256);
  const std::string authorization = in.ConsumeRandomLengthString(200);
  const std::string date =
      in.ConsumeBool() ? kDate : in.ConsumeRandomLengthString(20);
  Headers headers;
  headers["host"] = "127.0.0.1:9555";
  headers["content-type"] = "application/json";
  const int n = in.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < n; ++i) {
    std::string name = HeaderName(in);
    std::string value(
        absl::StripAsciiWhitespace(in.ConsumeRandomLengthString(64)));
    headers[std::move(name)] = std::move(value);
  }
  const std::string body = in.ConsumeRemainingBytesAsString();

  // 1. Whatever Authorization and X-Sdk-Date arrive.
  Headers given = headers;
  given["authorization"] = authorization;
  given["x-sdk-date"] = date;
  const absl::Status s = Verify(method, target, body, given);
  if (!s.ok()) {
    RMQ_CHECK(DmsCodeOf(s) == DmsCode::kAuthFailed);
  }

  // 2. The SDK's signature over the same request.
  headers["x-sdk-date"] = kDate;
  std::vector<std::pair<std::string, std::string>> to_sign(headers.begin(),
                                                           headers.end());
  headers["authorization"] =
      SignRequest(kAk, kSk, method, target, to_sign, body);
  const absl::Status signed_ok = Verify(method, target, body, headers);
  RMQ_CHECK_MSG(signed_ok.ok(), signed_ok.ToString().c_str());

  headers["authorization"] =
      SignRequest(kAk, "another-secret", method, target, to_sign, body);
  RMQ_CHECK(!Verify(method, target, body, headers).ok());
  return 0;
}

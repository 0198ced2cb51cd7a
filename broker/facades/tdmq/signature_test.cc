#include "broker/facades/tdmq/signature.h"

#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rewindmq::facade::tdmq {

// How gtest prints a result (found by argument-dependent lookup).
void PrintTo(const Tc3Result& result, std::ostream* os) {
  if (result.ok()) {
    *os << "ok";
  } else {
    *os << Tc3ErrorCode(*result.failure) << " (" << result.detail << ")";
  }
}

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// A request as the server receives it: headers kept by lower-case name.
class FakeRequest {
 public:
  FakeRequest(std::string method, std::string body)
      : method_(std::move(method)), body_(std::move(body)) {}

  FakeRequest& Set(absl::string_view name, absl::string_view value) {
    headers_[absl::AsciiStrToLower(name)] = std::string(value);
    return *this;
  }
  FakeRequest& Remove(absl::string_view name) {
    headers_.erase(absl::AsciiStrToLower(name));
    return *this;
  }
  FakeRequest& SetQuery(absl::string_view query) {
    query_ = std::string(query);
    return *this;
  }
  FakeRequest& SetBody(absl::string_view body) {
    body_ = std::string(body);
    return *this;
  }
  // Signs as a client would and sets Authorization.
  FakeRequest& Sign(const Tc3SignOptions& options) {
    return Set("authorization", Tc3Authorization(view(), options));
  }

  // Valid while this object lives and is not changed.
  Tc3Request view() const {
    return {method_, path_, query_, body_,
            [this](absl::string_view name) -> std::optional<absl::string_view> {
              auto it = headers_.find(std::string(name));
              if (it == headers_.end()) return std::nullopt;
              return absl::string_view(it->second);
            }};
  }
  Tc3Result Verify(const SecretLookup& secrets, absl::Time now) const {
    return VerifyTc3(view(), secrets, now);
  }

 private:
  std::string method_;
  std::string path_ = "/";
  std::string query_;
  std::string body_;
  std::map<std::string, std::string> headers_;
};

MATCHER(Verifies, "verifies") { return arg.ok(); }

MATCHER_P(FailsWith, failure,
          absl::StrCat("fails with ", Tc3ErrorCode(failure))) {
  return arg.failure == failure;
}

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

// ---------------------------------------------------------------------------
// Spec 4.8, the official CVM example (D-sig).

// 86 ASCII bytes: the \u sequences are literal backslashes, not characters.
constexpr absl::string_view kCvmBody =
    R"({"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]})";
constexpr absl::string_view kCvmPayloadHash =
    "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064";
constexpr absl::string_view kCvmContentType = "application/json; charset=utf-8";
constexpr absl::string_view kCvmHost = "cvm.tencentcloudapi.com";
constexpr int64_t kCvmTimestamp = 1551113065;
constexpr absl::string_view kCvmDate = "2019-02-25";
const absl::Time kCvmNow = absl::FromUnixSeconds(kCvmTimestamp + 42);

constexpr absl::string_view kVectorASecretId =
    "AKID**********************0123456789EXAMPLE";
constexpr absl::string_view kVectorASecretKey =
    "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
constexpr absl::string_view kVectorACanonicalRequest =
    "POST\n"
    "/\n"
    "\n"
    "content-type:application/json; charset=utf-8\n"
    "host:cvm.tencentcloudapi.com\n"
    "\n"
    "content-type;host\n"
    "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064";
constexpr absl::string_view kVectorAHashedCanonicalRequest =
    "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031";
constexpr absl::string_view kVectorAStringToSign =
    "TC3-HMAC-SHA256\n"
    "1551113065\n"
    "2019-02-25/cvm/tc3_request\n"
    "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031";
constexpr absl::string_view kVectorASignature =
    "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168";

FakeRequest CvmRequest() {
  FakeRequest req("POST", std::string(kCvmBody));
  req.Set("Content-Type", kCvmContentType)
      .Set("Host", kCvmHost)
      .Set("X-TC-Action", "DescribeInstances")
      .Set("X-TC-Version", "2017-03-12")
      .Set("X-TC-Region", "ap-guangzhou")
      .Set("X-TC-Timestamp", absl::StrCat(kCvmTimestamp));
  return req;
}

std::vector<CanonicalHeader> CvmSignedHeaders() {
  return {{"content-type", std::string(kCvmContentType)},
          {"host", std::string(kCvmHost)}};
}

std::string CvmAuthorization(absl::string_view secret_id,
                             absl::string_view signed_headers,
                             absl::string_view signature) {
  return absl::StrCat("TC3-HMAC-SHA256 Credential=", secret_id,
                      "/2019-02-25/cvm/tc3_request, SignedHeaders=",
                      signed_headers, ", Signature=", signature);
}

TEST(Tc3CvmExample, PayloadHashIsOverTheBodyBytesAsReceived) {
  EXPECT_EQ(kCvmBody.size(), 86u);
  EXPECT_EQ(Sha256Hex(kCvmBody), kCvmPayloadHash);
  // The decoded UTF-8 form is a different body with a different hash.
  const std::string decoded = absl::StrReplaceAll(
      kCvmBody,
      {{R"(\u672a\u547d\u540d)", "\xe6\x9c\xaa\xe5\x91\xbd\xe5\x90\x8d"}});
  EXPECT_EQ(Sha256Hex(decoded),
            "1e07682a01ae959704b7d77a9c0dd92ad8284fc90f9bb2ab5cc941be1d7ea716");
}

TEST(Tc3CvmExample, VectorAIntermediateValues) {
  const std::string canonical =
      CanonicalRequest("POST", "/", "", CvmSignedHeaders(), kCvmPayloadHash);
  EXPECT_EQ(canonical, kVectorACanonicalRequest);
  EXPECT_EQ(Sha256Hex(canonical), kVectorAHashedCanonicalRequest);

  const std::string string_to_sign =
      StringToSign("1551113065", kCvmDate, "cvm", canonical);
  EXPECT_EQ(string_to_sign, kVectorAStringToSign);

  const Tc3DerivedKeys keys = DeriveTc3Keys(kVectorASecretKey, kCvmDate, "cvm");
  EXPECT_EQ(Hex(keys.secret_date),
            "d1308c81fe71cfd4e06437bbc067b2b8a3d2d8c0e375d547f15c41d5214b395a");
  EXPECT_EQ(Hex(keys.secret_service),
            "3c7cb7c7795393edc14fd2e0e6434a518564b4504b88e94f5d11bf59ba3e7050");
  EXPECT_EQ(Hex(keys.secret_signing),
            "ac658d5dde49e9bfdd14e04e062f66b05d9f637d44b8a8d845327d4a77f666b1");
  EXPECT_EQ(Tc3SignatureHex(kVectorASecretKey, kCvmDate, "cvm", string_to_sign),
            kVectorASignature);
}

TEST(Tc3CvmExample, VectorAVerifies) {
  const absl::flat_hash_map<std::string, std::string> keys = {
      {std::string(kVectorASecretId), std::string(kVectorASecretKey)}};
  FakeRequest req = CvmRequest();
  req.Set("Authorization",
          CvmAuthorization(kVectorASecretId, "content-type;host",
                           kVectorASignature));
  EXPECT_THAT(req.Verify(SecretsFromMap(keys), kCvmNow), Verifies());
}

TEST(Tc3CvmExample, VectorAIsWhatTheClientSends) {
  const FakeRequest req = CvmRequest();
  EXPECT_EQ(Tc3Authorization(req.view(), {.secret_id = kVectorASecretId,
                                          .secret_key = kVectorASecretKey,
                                          .service = "cvm",
                                          .signed_host = kCvmHost,
                                          .timestamp = kCvmTimestamp}),
            CvmAuthorization(kVectorASecretId, "content-type;host",
                             kVectorASignature));
}

// Vector B: the older Chinese edition. The seven '*' are key characters.
TEST(Tc3CvmExample, VectorBSignsTheSameStringToSignWithAnotherKey) {
  constexpr absl::string_view kSecretId =
      "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******";
  constexpr absl::string_view kSecretKey = "Gu5t9xGARNpq86cd98joQYCN3*******";
  constexpr absl::string_view kSignature =
      "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c";
  const std::string string_to_sign = StringToSign(
      "1551113065", kCvmDate, "cvm",
      CanonicalRequest("POST", "/", "", CvmSignedHeaders(), kCvmPayloadHash));
  EXPECT_EQ(string_to_sign, kVectorAStringToSign);
  EXPECT_EQ(Tc3SignatureHex(kSecretKey, kCvmDate, "cvm", string_to_sign),
            kSignature);

  const absl::flat_hash_map<std::string, std::string> keys = {
      {std::string(kSecretId), std::string(kSecretKey)}};
  FakeRequest req = CvmRequest();
  req.Set("Authorization",
          CvmAuthorization(kSecretId, "content-type;host", kSignature));
  EXPECT_THAT(req.Verify(SecretsFromMap(keys), kCvmNow), Verifies());
}

// Vector C: the current Chinese edition signs X-TC-Action with its value
// lower-cased, which the verifier's lower-cased candidate reproduces.
TEST(Tc3CvmExample, VectorCSignsALowerCasedExtraHeader) {
  constexpr absl::string_view kSecretId =
      "AKID********************************";
  constexpr absl::string_view kSecretKey = "********************************";
  constexpr absl::string_view kSignature =
      "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f";
  ASSERT_EQ(kSecretKey.size(), 32u);
  std::vector<CanonicalHeader> headers = CvmSignedHeaders();
  headers.push_back({"x-tc-action", "describeinstances"});
  const std::string canonical =
      CanonicalRequest("POST", "/", "", headers, kCvmPayloadHash);
  EXPECT_EQ(canonical,
            absl::StrReplaceAll(
                kVectorACanonicalRequest,
                {{"host:cvm.tencentcloudapi.com\n",
                  "host:cvm.tencentcloudapi.com\n"
                  "x-tc-action:describeinstances\n"},
                 {"content-type;host\n", "content-type;host;x-tc-action\n"}}));
  EXPECT_EQ(Sha256Hex(canonical),
            "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84");
  EXPECT_EQ(
      Tc3SignatureHex(kSecretKey, kCvmDate, "cvm",
                      StringToSign("1551113065", kCvmDate, "cvm", canonical)),
      kSignature);

  const absl::flat_hash_map<std::string, std::string> keys = {
      {std::string(kSecretId), std::string(kSecretKey)}};
  FakeRequest req = CvmRequest();  // X-TC-Action: DescribeInstances
  req.Set(
      "Authorization",
      CvmAuthorization(kSecretId, "content-type;host;x-tc-action", kSignature));
  EXPECT_THAT(req.Verify(SecretsFromMap(keys), kCvmNow), Verifies());
}

// ---------------------------------------------------------------------------
// Spec 4.8, the local tdmq vectors: one row per SDK quirk.

constexpr absl::string_view kSecretId = "AKIDEXAMPLE";
constexpr absl::string_view kSecretKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
constexpr absl::string_view kBody =
    R"({"QueueName":"orders","RewindSeconds":600,"VisibilityTimeout":30})";
constexpr absl::string_view kPayloadHash =
    "9e4da08f34d2e346c13fe2469bf31252b9e8da6eac50d105435f43945da909b4";
constexpr int64_t kTimestamp = 1700000000;
constexpr absl::string_view kDate = "2023-11-14";
const absl::Time kSignedAt = absl::FromUnixSeconds(kTimestamp);
const absl::Time kNow = kSignedAt + absl::Seconds(17);

const absl::flat_hash_map<std::string, std::string>& Keys() {
  static const auto* keys = new absl::flat_hash_map<std::string, std::string>{
      {std::string(kSecretId), std::string(kSecretKey)}};
  return *keys;
}

// Which entry of CandidateHosts(Host) the client signed.
enum class HostCandidate { kAsReceived = 0, kPortRemoved = 1 };

struct LocalVector {
  const char* name;
  const char* host_header;
  const char* signed_host;
  const char* service;
  HostCandidate candidate;
  const char* hashed_canonical_request;
  const char* signature;
};

constexpr LocalVector kCloudHost = {
    "AnySdkCloudHost",
    "tdmq.tencentcloudapi.com",
    "tdmq.tencentcloudapi.com",
    "tdmq",
    HostCandidate::kAsReceived,
    "867a276dd7365bab16e44c660eebafad801c1ebee55afffcb40ebd564d2a9391",
    "c8d07b0bd310d0c8a65a948f3e2547ddd2d2937df1ba86b31b3ea40aa964b873"};
constexpr LocalVector kNodeLoopback = {
    "SNode127",
    "127.0.0.1:9555",
    "127.0.0.1",
    "127",
    HostCandidate::kPortRemoved,
    "e6f92f588a196dee7feea368eac9a1310a37cc6ca6c2fec429aa8989a94e7320",
    "81975aea90f8858efd95235f65ddcb23c2b966d6f1172db093c2aa2f158ad03f"};
constexpr LocalVector kNodeLocalhost = {
    "SNodeLocalhost",
    "localhost:9555",
    "localhost",
    "localhost:9555",
    HostCandidate::kPortRemoved,
    "fe481eb7f5ed4c7a10498d3990155adada451204aa69cb9b656536514960e199",
    "ebd0140121e8d38246de81fba766f213ea3c0965fca5180cd4edd91c4b94627c"};
constexpr LocalVector kGoLoopback = {
    "SGo127",
    "127.0.0.1:9555",
    "127.0.0.1:9555",
    "tdmq",
    HostCandidate::kAsReceived,
    "983a3041b254b5d0ea4e0ea712006031e9ff24d2c18f0cfb25834229502e07d3",
    "0163de1ccf54c6551540f1e5e8f52898f3b31a00704a797da319931f8d79bad7"};
constexpr LocalVector kPythonLoopback = {
    "SPy127",
    "127.0.0.1:9555",
    "127.0.0.1:9555",
    "127",
    HostCandidate::kAsReceived,
    "983a3041b254b5d0ea4e0ea712006031e9ff24d2c18f0cfb25834229502e07d3",
    "c4224e665f7369ef30db32423bded0ade51a679fc220b00a413953acf89ad60e"};

void PrintTo(const LocalVector& row, std::ostream* os) { *os << row.name; }

// The Authorization header of a row, written out from the spec's values.
std::string VectorAuthorization(absl::string_view service,
                                absl::string_view signature) {
  return absl::StrCat("TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/",
                      service, "/tc3_request, SignedHeaders=content-type;host",
                      ", Signature=", signature);
}

FakeRequest LocalRequest(absl::string_view host_header) {
  FakeRequest req("POST", std::string(kBody));
  req.Set("Content-Type", "application/json")
      .Set("Host", host_header)
      .Set("X-TC-Action", "CreateCmqQueue")
      .Set("X-TC-Version", "2020-02-17")
      .Set("X-TC-Timestamp", absl::StrCat(kTimestamp));
  return req;
}

std::string LocalCanonicalRequest(absl::string_view signed_host) {
  return CanonicalRequest("POST", "/", "",
                          {{"content-type", "application/json"},
                           {"host", std::string(signed_host)}},
                          kPayloadHash);
}

TEST(Tc3LocalVectors, BodyAndPayloadHash) {
  EXPECT_EQ(kBody.size(), 65u);
  EXPECT_EQ(Sha256Hex(kBody), kPayloadHash);
}

TEST(Tc3LocalVectors, SNodeLoopbackAuthorizationIsTheSpecsHeader) {
  const FakeRequest req = LocalRequest("127.0.0.1:9555");
  EXPECT_EQ(
      Tc3Authorization(req.view(), {.secret_id = kSecretId,
                                    .secret_key = kSecretKey,
                                    .service = "127",
                                    .signed_host = "127.0.0.1",
                                    .timestamp = kTimestamp,
                                    .lower_case_values = false}),
      "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/127/tc3_request, "
      "SignedHeaders=content-type;host, "
      "Signature="
      "81975aea90f8858efd95235f65ddcb23c2b966d6f1172db093c2aa2f158ad03f");
}

class Tc3LocalVectorTest : public ::testing::TestWithParam<LocalVector> {
 protected:
  const LocalVector& row() const { return GetParam(); }

  FakeRequest SignedRequest() const {
    FakeRequest req = LocalRequest(row().host_header);
    req.Set("Authorization",
            VectorAuthorization(row().service, row().signature));
    return req;
  }
};

TEST_P(Tc3LocalVectorTest, CanonicalRequestHashesToTheVector) {
  EXPECT_EQ(Sha256Hex(LocalCanonicalRequest(row().signed_host)),
            row().hashed_canonical_request);
}

TEST_P(Tc3LocalVectorTest, SignedHostIsTheNamedCandidateAndNoOther) {
  const std::vector<std::string> hosts = CandidateHosts(row().host_header);
  const size_t expected = static_cast<size_t>(row().candidate);
  ASSERT_GT(hosts.size(), expected);
  EXPECT_EQ(hosts[expected], row().signed_host);
  for (size_t i = 0; i < hosts.size(); ++i) {
    SCOPED_TRACE(hosts[i]);
    EXPECT_EQ(Sha256Hex(LocalCanonicalRequest(hosts[i])) ==
                  row().hashed_canonical_request,
              i == expected);
  }
}

TEST_P(Tc3LocalVectorTest, SignatureMatchesTheVector) {
  const std::string string_to_sign =
      StringToSign("1700000000", kDate, row().service,
                   LocalCanonicalRequest(row().signed_host));
  EXPECT_EQ(Tc3SignatureHex(kSecretKey, kDate, row().service, string_to_sign),
            row().signature);
}

TEST_P(Tc3LocalVectorTest, ClientSignerProducesTheVectorHeader) {
  const FakeRequest req = LocalRequest(row().host_header);
  EXPECT_EQ(Tc3Authorization(req.view(), {.secret_id = kSecretId,
                                          .secret_key = kSecretKey,
                                          .service = row().service,
                                          .signed_host = row().signed_host,
                                          .timestamp = kTimestamp}),
            VectorAuthorization(row().service, row().signature));
}

TEST_P(Tc3LocalVectorTest, VerifiesAsReceived) {
  EXPECT_THAT(SignedRequest().Verify(SecretsFromMap(Keys()), kNow), Verifies());
}

TEST_P(Tc3LocalVectorTest, OneBodyByteChangedIsSignatureFailure) {
  std::string body(kBody);
  body[15] = 'X';  // "orders" -> "orXers"
  FakeRequest req = SignedRequest();
  req.SetBody(body);
  EXPECT_THAT(req.Verify(SecretsFromMap(Keys()), kNow),
              FailsWith(Tc3Failure::kSignatureFailure));
}

TEST_P(Tc3LocalVectorTest, ClockWithinThreeHundredSecondsVerifies) {
  const FakeRequest req = SignedRequest();
  EXPECT_THAT(
      req.Verify(SecretsFromMap(Keys()), kSignedAt + absl::Seconds(300)),
      Verifies());
  EXPECT_THAT(
      req.Verify(SecretsFromMap(Keys()), kSignedAt - absl::Seconds(300)),
      Verifies());
}

TEST_P(Tc3LocalVectorTest, Clock301SecondsLaterIsSignatureExpire) {
  EXPECT_THAT(SignedRequest().Verify(SecretsFromMap(Keys()),
                                     kSignedAt + absl::Seconds(301)),
              FailsWith(Tc3Failure::kSignatureExpire));
}

TEST_P(Tc3LocalVectorTest, Clock301SecondsEarlierIsSignatureExpire) {
  EXPECT_THAT(SignedRequest().Verify(SecretsFromMap(Keys()),
                                     kSignedAt - absl::Seconds(301)),
              FailsWith(Tc3Failure::kSignatureExpire));
}

std::string RowName(const ::testing::TestParamInfo<LocalVector>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Spec48, Tc3LocalVectorTest,
                         ::testing::Values(kCloudHost, kNodeLoopback,
                                           kNodeLocalhost, kGoLoopback,
                                           kPythonLoopback),
                         RowName);

// The rows whose service is not "tdmq": the verifier must use the scope's
// service, so claiming "tdmq" with the same signature fails.
using Tc3EndpointServiceTest = Tc3LocalVectorTest;

TEST_P(Tc3EndpointServiceTest, ServiceReplacedByTdmqIsSignatureFailure) {
  ASSERT_NE(absl::string_view(row().service), "tdmq");
  FakeRequest req = LocalRequest(row().host_header);
  req.Set("Authorization", VectorAuthorization("tdmq", row().signature));
  EXPECT_THAT(req.Verify(SecretsFromMap(Keys()), kNow),
              FailsWith(Tc3Failure::kSignatureFailure));
}

INSTANTIATE_TEST_SUITE_P(Spec48, Tc3EndpointServiceTest,
                         ::testing::Values(kNodeLoopback, kNodeLocalhost,
                                           kPythonLoopback),
                         RowName);

// ---------------------------------------------------------------------------
// Verifier steps (4.4), in order.

class Tc3VerifyTest : public ::testing::Test {
 protected:
  // Signed as S-node signs for endpoint 127.0.0.1:9555 (vector row 2).
  static FakeRequest NodeRequest() {
    FakeRequest req = LocalRequest("127.0.0.1:9555");
    req.Sign(NodeOptions());
    return req;
  }
  static Tc3SignOptions NodeOptions() {
    return {.secret_id = kSecretId,
            .secret_key = kSecretKey,
            .service = "127",
            .signed_host = "127.0.0.1",
            .timestamp = kTimestamp,
            .lower_case_values = false};
  }

  Tc3Result Verify(const FakeRequest& req) const {
    return req.Verify(SecretsFromMap(Keys()), kNow);
  }
};

TEST_F(Tc3VerifyTest, SignedRequestVerifies) {
  EXPECT_THAT(Verify(NodeRequest()), Verifies());
}

TEST_F(Tc3VerifyTest, MissingAuthorizationIsInvalidAuthorization) {
  FakeRequest req = NodeRequest();
  req.Remove("Authorization");
  EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kInvalidAuthorization));
}

TEST_F(Tc3VerifyTest, MalformedAuthorizationIsInvalidAuthorization) {
  const std::string sig(64, 'a');
  const std::string good = absl::StrCat(
      "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/127/tc3_request, "
      "SignedHeaders=content-type;host, Signature=",
      sig);
  ASSERT_TRUE(ParseTc3Authorization(good).has_value());
  const std::vector<std::string> malformed = {
      "",
      "TC3-HMAC-SHA256",
      absl::StrReplaceAll(good, {{"TC3-HMAC-SHA256", "TC3-HMAC-SHA1"}}),
      absl::AsciiStrToLower(good),
      absl::StrReplaceAll(good, {{"HMAC-SHA256 ", "HMAC-SHA256  "}}),
      absl::StrReplaceAll(good, {{", SignedHeaders", ",SignedHeaders"}}),
      absl::StrReplaceAll(good, {{", Signature", ",Signature"}}),
      absl::StrReplaceAll(good, {{"Credential=AKIDEXAMPLE/", "Credential=/"}}),
      absl::StrReplaceAll(good, {{"AKIDEXAMPLE/", "AKIDEXAMPLE/extra/"}}),
      absl::StrReplaceAll(good, {{"2023-11-14", "2023-11-4"}}),
      absl::StrReplaceAll(good, {{"2023-11-14", "2023-11-1x"}}),
      absl::StrReplaceAll(good, {{"2023-11-14", "20231114"}}),
      absl::StrReplaceAll(good, {{"/127/", "//"}}),
      absl::StrReplaceAll(good, {{"tc3_request", "tc3-request"}}),
      absl::StrReplaceAll(good, {{"/tc3_request", "/tc3_request/x"}}),
      absl::StrReplaceAll(good, {{"content-type;host", "Content-Type;Host"}}),
      absl::StrReplaceAll(good, {{"content-type;host", "content-type,host"}}),
      absl::StrReplaceAll(good, {{"content-type;host", ""}}),
      absl::StrReplaceAll(good, {{"Signature=", "Signature= "}}),
      absl::StrCat(good, "a"),
      good.substr(0, good.size() - 1),
      good.substr(0, good.size() - 1) + "A",
      good.substr(0, good.size() - 1) + "g",
      absl::StrCat(good, ", Extra=1"),
  };
  for (const std::string& value : malformed) {
    SCOPED_TRACE(absl::CHexEscape(value));
    EXPECT_FALSE(ParseTc3Authorization(value).has_value());
    FakeRequest req = NodeRequest();
    req.Set("Authorization", value);
    EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kInvalidAuthorization));
  }
}

TEST_F(Tc3VerifyTest, AuthorizationFieldsAreParsed) {
  const std::optional<Tc3AuthorizationFields> auth = ParseTc3Authorization(
      "TC3-HMAC-SHA256 Credential=AKID x,y/2023-11-14/[::1]:9555/tc3_request, "
      "SignedHeaders=content-type;host;x-tc-action, Signature=" +
      std::string(64, 'f'));
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(auth->secret_id, "AKID x,y");
  EXPECT_EQ(auth->date, "2023-11-14");
  EXPECT_EQ(auth->service, "[::1]:9555");
  EXPECT_THAT(auth->signed_headers,
              ElementsAre("content-type", "host", "x-tc-action"));
  EXPECT_EQ(auth->signature, std::string(64, 'f'));
}

TEST_F(Tc3VerifyTest, ServiceMayHoldColonsAndBrackets) {
  for (absl::string_view host : {"localhost:9555", "[::1]:9555"}) {
    SCOPED_TRACE(host);
    FakeRequest req = LocalRequest(host);
    Tc3SignOptions options = NodeOptions();
    options.service = host;  // S-node: endpoint.split(".")[0]
    const std::vector<std::string> hosts = CandidateHosts(host);
    options.signed_host = hosts.back();
    req.Sign(options);
    EXPECT_THAT(Verify(req), Verifies());
  }
}

TEST_F(Tc3VerifyTest, UnknownSecretIdIsSecretIdNotFound) {
  FakeRequest req = LocalRequest("127.0.0.1:9555");
  Tc3SignOptions options = NodeOptions();
  options.secret_id = "AKIDUNKNOWN";
  req.Sign(options);
  const Tc3Result result = Verify(req);
  EXPECT_THAT(result, FailsWith(Tc3Failure::kSecretIdNotFound));
  EXPECT_THAT(result.detail, HasSubstr("AKIDUNKNOWN"));
}

TEST_F(Tc3VerifyTest, SecretIdIsLookedUpBeforeTheTimestamp) {
  FakeRequest req = LocalRequest("127.0.0.1:9555");
  Tc3SignOptions options = NodeOptions();
  options.secret_id = "AKIDUNKNOWN";
  req.Sign(options).Remove("X-TC-Timestamp");
  EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kSecretIdNotFound));
}

TEST_F(Tc3VerifyTest, MissingTimestampIsInvalidAuthorization) {
  FakeRequest req = NodeRequest();
  req.Remove("X-TC-Timestamp");
  EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kInvalidAuthorization));
}

TEST_F(Tc3VerifyTest, NonDecimalTimestampIsInvalidAuthorization) {
  for (absl::string_view ts :
       {"", "  ", "1700000000.0", "-1700000000", "+1700000000", "0x6553f100",
        "17e8", "1700000000s", "1 700 000 000"}) {
    SCOPED_TRACE(ts);
    FakeRequest req = NodeRequest();
    req.Set("X-TC-Timestamp", ts);
    EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kInvalidAuthorization));
  }
}

TEST_F(Tc3VerifyTest, TimestampBeyondInt64IsSignatureExpire) {
  FakeRequest req = NodeRequest();
  req.Set("X-TC-Timestamp", "99999999999999999999");
  EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kSignatureExpire));
}

TEST_F(Tc3VerifyTest, TimestampIsCheckedBeforeTheSignature) {
  FakeRequest req = NodeRequest();
  req.SetBody("{}");
  EXPECT_THAT(req.Verify(SecretsFromMap(Keys()), kSignedAt + absl::Hours(1)),
              FailsWith(Tc3Failure::kSignatureExpire));
}

// D-sig: 1551113065 is 2019-02-25 in UTC but 2019-02-26 in UTC+8. A client
// that signs with its local date fails even though its HMAC is right.
TEST_F(Tc3VerifyTest, ScopeDateOtherThanTheUtcDateIsSignatureFailure) {
  constexpr absl::string_view kLocalDate = "2019-02-26";
  FakeRequest req = LocalRequest("127.0.0.1:9555");
  req.Set("X-TC-Timestamp", "1551113065");
  const std::string signature =
      Tc3SignatureHex(kSecretKey, kLocalDate, "127",
                      StringToSign("1551113065", kLocalDate, "127",
                                   LocalCanonicalRequest("127.0.0.1")));
  req.Set("Authorization",
          absl::StrCat("TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2019-02-26/127/"
                       "tc3_request, SignedHeaders=content-type;host, "
                       "Signature=",
                       signature));
  const Tc3Result result =
      req.Verify(SecretsFromMap(Keys()), absl::FromUnixSeconds(1551113065));
  EXPECT_THAT(result, FailsWith(Tc3Failure::kSignatureFailure));
  EXPECT_THAT(result.detail, HasSubstr("2019-02-25"));
}

TEST_F(Tc3VerifyTest, SignedHeadersWithoutHostIsInvalidAuthorization) {
  FakeRequest req = LocalRequest("127.0.0.1:9555");
  Tc3SignOptions options = NodeOptions();
  options.signed_headers = {"content-type"};
  req.Sign(options);
  EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kInvalidAuthorization));
}

TEST_F(Tc3VerifyTest, SignedHeadersWithoutContentTypeIsInvalidAuthorization) {
  FakeRequest req = LocalRequest("127.0.0.1:9555");
  Tc3SignOptions options = NodeOptions();
  options.signed_headers = {"host", "x-tc-action"};
  req.Sign(options);
  EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kInvalidAuthorization));
}

TEST_F(Tc3VerifyTest, ExtraSignedHeaderIsCoveredByTheSignature) {
  FakeRequest req = LocalRequest("127.0.0.1:9555");
  Tc3SignOptions options = NodeOptions();
  options.signed_headers = {"content-type", "host", "x-tc-action"};
  req.Sign(options);
  ASSERT_THAT(Verify(req), Verifies());
  req.Set("X-TC-Action", "DeleteCmqQueue");
  EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kSignatureFailure));
}

TEST_F(Tc3VerifyTest, AbsentSignedHeaderContributesAnEmptyValue) {
  FakeRequest req = LocalRequest("127.0.0.1:9555");
  Tc3SignOptions options = NodeOptions();
  options.signed_headers = {"content-type", "host", "x-tc-region"};
  req.Sign(options);
  ASSERT_THAT(Verify(req), Verifies());
  req.Set("X-TC-Region", "ap-guangzhou");
  EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kSignatureFailure));
}

TEST_F(Tc3VerifyTest, ChangedHostIsSignatureFailure) {
  FakeRequest req = NodeRequest();
  req.Set("Host", "127.0.0.2:9555");
  EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kSignatureFailure));
}

TEST_F(Tc3VerifyTest, WrongSecretKeyIsSignatureFailureAndDetailHidesKeys) {
  FakeRequest req = LocalRequest("127.0.0.1:9555");
  Tc3SignOptions options = NodeOptions();
  options.secret_key = "not-the-configured-key";
  req.Sign(options);
  const Tc3Result result = Verify(req);
  EXPECT_THAT(result, FailsWith(Tc3Failure::kSignatureFailure));
  EXPECT_THAT(result.detail, Not(HasSubstr(std::string(kSecretKey))));
  EXPECT_THAT(result.detail, Not(HasSubstr("not-the-configured-key")));
}

// Every combination of host candidate (a)/(b) and value candidate
// lower-cased/as received verifies, for a client that signs "LOCALHOST".
TEST_F(Tc3VerifyTest, EveryHostAndCaseCandidateVerifies) {
  for (absl::string_view signed_host : {"LOCALHOST:9555", "LOCALHOST"}) {
    for (bool lower_case : {true, false}) {
      SCOPED_TRACE(absl::StrCat(signed_host, lower_case ? " lower" : " raw"));
      FakeRequest req = LocalRequest("LOCALHOST:9555");
      req.Set("Content-Type", "Application/JSON");
      Tc3SignOptions options = NodeOptions();
      options.service = "localhost:9555";
      options.signed_host = signed_host;
      options.lower_case_values = lower_case;
      req.Sign(options);
      EXPECT_THAT(Verify(req), Verifies());
    }
  }
}

// A client signing mixed-case values verbatim (reference signature computed
// independently of this library).
TEST_F(Tc3VerifyTest, ValuesSignedAsReceivedVerify) {
  FakeRequest req = LocalRequest("LOCALHOST:9555");
  req.Set("Content-Type", "Application/JSON")
      .Set("Authorization",
           "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/localhost:9555/"
           "tc3_request, SignedHeaders=content-type;host, Signature="
           "bd69dc79e6fc53a49d510042cd2e9b07576439d515e19c9d2572e177b14a035f");
  EXPECT_THAT(Verify(req), Verifies());
}

TEST_F(Tc3VerifyTest, UnsignedPayloadLeavesTheBodyOutOfTheSignature) {
  EXPECT_EQ(Sha256Hex(kUnsignedPayload),
            "438d4109ef0d676b8c2c7ed13cdfcb418e494d53b843d4634ce3b1085f07bb96");
  // Signed by S-go with UNSIGNED-PAYLOAD for endpoint 127.0.0.1:9555
  // (reference signature computed independently of this library).
  FakeRequest req = LocalRequest("127.0.0.1:9555");
  req.Set("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD")
      .Set("Authorization",
           "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/tdmq/"
           "tc3_request, SignedHeaders=content-type;host, Signature="
           "af9003d17411c672e6d84f58feb2e09abb6428abbbff2b6781155f953a6f329a");
  ASSERT_THAT(Verify(req), Verifies());

  req.SetBody(R"({"QueueName":"other"})");
  EXPECT_THAT(Verify(req), Verifies());

  req.Remove("X-TC-Content-SHA256");
  EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kSignatureFailure));
}

TEST_F(Tc3VerifyTest, OtherContentSha256ValuesAreIgnored) {
  FakeRequest req = NodeRequest();
  req.Set("X-TC-Content-SHA256", Sha256Hex("{}"));
  EXPECT_THAT(Verify(req), Verifies());
}

// S-node with reqMethod "GET": parameters in the query, no body (reference
// signature computed independently of this library).
TEST_F(Tc3VerifyTest, GetSignsTheRawQueryAndAnEmptyPayload) {
  constexpr absl::string_view kQuery =
      "Limit=20&Offset=0&QueueName=orders&Tags.0.TagKey=env";
  EXPECT_EQ(
      CanonicalRequest("GET", "/", kQuery,
                       {{"content-type", "application/x-www-form-urlencoded"},
                        {"host", "127.0.0.1:9555"}},
                       Sha256Hex("")),
      "GET\n/\nLimit=20&Offset=0&QueueName=orders&Tags.0.TagKey=env\n"
      "content-type:application/x-www-form-urlencoded\nhost:127.0.0.1:9555\n"
      "\ncontent-type;host\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  FakeRequest req("GET", "");
  req.SetQuery(kQuery)
      .Set("Content-Type", "application/x-www-form-urlencoded")
      .Set("Host", "127.0.0.1:9555")
      .Set("X-TC-Action", "DescribeCmqQueues")
      .Set("X-TC-Version", "2020-02-17")
      .Set("X-TC-Timestamp", "1700000000")
      .Set("Authorization",
           "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/127/tc3_request, "
           "SignedHeaders=content-type;host, Signature="
           "945801fd7d4014dce7e3aad3f3ba57927593a1eee025e9e3c8e609a5a8422bf2");
  ASSERT_THAT(Verify(req), Verifies());

  req.SetQuery("Limit=20&Offset=0&QueueName=orderz&Tags.0.TagKey=env");
  EXPECT_THAT(Verify(req), FailsWith(Tc3Failure::kSignatureFailure));
}

TEST_F(Tc3VerifyTest, HeaderValuesAreTrimmed) {
  FakeRequest req = NodeRequest();
  req.Set("Content-Type", "  application/json\t")
      .Set("Host", " 127.0.0.1:9555 ");
  EXPECT_THAT(Verify(req), Verifies());
}

// ---------------------------------------------------------------------------
// Building blocks.

TEST(Tc3CandidateHosts, PortIsRemovedAsSNodeDoes) {
  EXPECT_THAT(CandidateHosts("127.0.0.1:9555"),
              ElementsAre("127.0.0.1:9555", "127.0.0.1"));
  EXPECT_THAT(CandidateHosts("localhost:9555"),
              ElementsAre("localhost:9555", "localhost"));
  EXPECT_THAT(CandidateHosts("[::1]:9555"), ElementsAre("[::1]:9555", "[::1]"));
}

TEST(Tc3CandidateHosts, HostWithoutPortIsTheOnlyCandidate) {
  EXPECT_THAT(CandidateHosts("tdmq.tencentcloudapi.com"),
              ElementsAre("tdmq.tencentcloudapi.com"));
  EXPECT_THAT(CandidateHosts("[::1]"), ElementsAre("[::1]"));
  EXPECT_THAT(CandidateHosts("::1"), ElementsAre("::1"));
  EXPECT_THAT(CandidateHosts("host:http"), ElementsAre("host:http"));
  EXPECT_THAT(CandidateHosts(""), ElementsAre(""));
}

TEST(Tc3CandidateHosts, HostHeaderIsTrimmed) {
  EXPECT_THAT(CandidateHosts(" localhost:9555\t"),
              ElementsAre("localhost:9555", "localhost"));
}

TEST(Tc3BuildingBlocks, Sha256HexOfNothing) {
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Tc3BuildingBlocks, ErrorCodesAreTheApiCodes) {
  EXPECT_EQ(Tc3ErrorCode(Tc3Failure::kInvalidAuthorization),
            "AuthFailure.InvalidAuthorization");
  EXPECT_EQ(Tc3ErrorCode(Tc3Failure::kSecretIdNotFound),
            "AuthFailure.SecretIdNotFound");
  EXPECT_EQ(Tc3ErrorCode(Tc3Failure::kSignatureExpire),
            "AuthFailure.SignatureExpire");
  EXPECT_EQ(Tc3ErrorCode(Tc3Failure::kSignatureFailure),
            "AuthFailure.SignatureFailure");
}

TEST(Tc3BuildingBlocks, SecretsFromMapFindsConfiguredIdsOnly) {
  const SecretLookup secrets = SecretsFromMap(Keys());
  EXPECT_EQ(secrets("AKIDEXAMPLE"), std::string(kSecretKey));
  EXPECT_EQ(secrets("akidexample"), std::nullopt);
  EXPECT_EQ(secrets(""), std::nullopt);
}

}  // namespace
}  // namespace rewindmq::facade::tdmq

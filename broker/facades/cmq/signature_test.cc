#include "broker/facades/cmq/signature.h"

#include <string>

#include "broker/facades/cmq/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::facade::cmq {
namespace {

using ::testing::ElementsAre;

constexpr char kSecretId[] = "AKIDrewindmqDemo0001";
constexpr char kSecretKey[] = "rewindmq-demo-secret-key";

// The parameters of worked example 1 (spec §4.2), without Signature.
Params RewindExampleParams() {
  return {
      {"Action", "RewindQueue"},           {"Nonce", "4815162342"},
      {"RequestClient", "SDK_Python_1.3"}, {"SecretId", kSecretId},
      {"SignatureMethod", "HmacSHA256"},   {"Timestamp", "1700000000"},
      {"queueName", "orders-q1"},          {"startConsumeTime", "1699999400"}};
}

// The parameters of worked example 2 (spec §4.3), without Signature.
Params BatchSendExampleParams() {
  return {{"Action", "BatchSendMessage"},
          {"Nonce", "77"},
          {"RequestClient", "SDK_Python_1.3"},
          {"SecretId", kSecretId},
          {"SignatureMethod", "HmacSHA1"},
          {"Timestamp", "1700000000"},
          {"delaySeconds", "0"},
          {"msgBody.1", "hello world"},
          {"msgBody.2", "北京 & co=1"},
          {"msgBody.3", "@home"},
          {"queueName", "orders-q1"},
          {"x_trace", "a_b"}};
}

CmqConfig StrictConfig() {
  CmqConfig config;
  config.secret_keys[kSecretId] = kSecretKey;
  return config;
}

CmqError ErrorOf(const absl::Status& s) {
  return CmqErrorFromPayload(s).value_or(CmqError{});
}

TEST(StringToSignTest, WorkedExampleOneMatchesTheSpec) {
  EXPECT_EQ(StringToSign("GET", "127.0.0.1:8181", "/v2/index.php",
                         RewindExampleParams(), false),
            "GET127.0.0.1:8181/v2/index.php?Action=RewindQueue&Nonce="
            "4815162342&RequestClient=SDK_Python_1.3&SecretId="
            "AKIDrewindmqDemo0001&SignatureMethod=HmacSHA256&Timestamp="
            "1700000000&queueName=orders-q1&startConsumeTime=1699999400");
}

TEST(ComputeSignatureTest, WorkedExampleOneIsHmacSha256) {
  const std::string to_sign = StringToSign(
      "GET", "127.0.0.1:8181", "/v2/index.php", RewindExampleParams(), false);
  EXPECT_EQ(ComputeSignature(to_sign, kSecretKey, SignatureMethod::kHmacSha256),
            "8NY7JWdwg/R48wz/V2H9VefEhWjzXpaveCOS6NuVWBE=");
}

TEST(StringToSignTest,
     WorkedExampleTwoDropsAtValuesAndWritesUnderscoresAsDots) {
  EXPECT_EQ(StringToSign("POST", "127.0.0.1:8181", "/v2/index.php",
                         BatchSendExampleParams(), true),
            "POST127.0.0.1:8181/v2/index.php?Action=BatchSendMessage&Nonce=77&"
            "RequestClient=SDK_Python_1.3&SecretId=AKIDrewindmqDemo0001&"
            "SignatureMethod=HmacSHA1&Timestamp=1700000000&delaySeconds=0&"
            "msgBody.1=hello world&msgBody.2=北京 & co=1&queueName=orders-q1&"
            "x.trace=a_b");
}

TEST(ComputeSignatureTest, WorkedExampleTwoUnderThePythonRule) {
  const std::string to_sign =
      StringToSign("POST", "127.0.0.1:8181", "/v2/index.php",
                   BatchSendExampleParams(), /*drop_at_values=*/true);
  EXPECT_EQ(ComputeSignature(to_sign, kSecretKey, SignatureMethod::kHmacSha1),
            "/7SWYK8RzRmNHC7XkuYvoF1/b1M=");
}

TEST(ComputeSignatureTest, WorkedExampleTwoUnderTheJavaRule) {
  const std::string to_sign =
      StringToSign("POST", "127.0.0.1:8181", "/v2/index.php",
                   BatchSendExampleParams(), /*drop_at_values=*/false);
  EXPECT_THAT(to_sign, ::testing::HasSubstr("&msgBody.3=@home&queueName="));
  EXPECT_EQ(ComputeSignature(to_sign, kSecretKey, SignatureMethod::kHmacSha1),
            "5ogZE8fNefYHWtflKcNQoUK4+FU=");
}

TEST(ComputeSignatureTest, PublishedVectorOfTheVendorDocumentation) {
  EXPECT_EQ(
      ComputeSignature(
          "POSTcmq-queue-gz.api.tencentyun.com/v2/index.php?Action=SendMessage&"
          "Nonce=2889712707386595659&RequestClient=SDK_Python_1.3&SecretId="
          "AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT&SignatureMethod=HmacSHA1&"
          "Timestamp=1534154812&clientRequestId=1231231231&delaySeconds=0&"
          "msgBody=msg&queueName=test1",
          "pPgfLipfEXZ7VcRzhAMIyPaU7UbQyFFx", SignatureMethod::kHmacSha1),
      "C16WEtEXsD5v5tnaUMLAbZewXhI=");
}

TEST(StringToSignTest, LeavesOutTheSignatureParameter) {
  Params p = {{"Action", "ListQueue"}, {"Signature", "abc"}};
  EXPECT_EQ(StringToSign("GET", "h", "/", p, false), "GETh/?Action=ListQueue");
}

TEST(SignatureMethodOfTest, OnlyExactHmacSha256SelectsSha256) {
  EXPECT_EQ(SignatureMethodOf({{"SignatureMethod", "HmacSHA256"}}),
            SignatureMethod::kHmacSha256);
  EXPECT_EQ(SignatureMethodOf({{"SignatureMethod", "hmacsha256"}}),
            SignatureMethod::kHmacSha1);
  EXPECT_EQ(SignatureMethodOf({{"SignatureMethod", "HmacSHA1"}}),
            SignatureMethod::kHmacSha1);
  EXPECT_EQ(SignatureMethodOf({}), SignatureMethod::kHmacSha1);
}

TEST(CandidateHostsTest, AddsOrRemovesTheDefaultPortAndAppendsAliases) {
  EXPECT_THAT(CandidateHosts("127.0.0.1:9555", {}),
              ElementsAre("127.0.0.1:9555"));
  EXPECT_THAT(CandidateHosts("example.com", {}),
              ElementsAre("example.com", "example.com:80"));
  EXPECT_THAT(CandidateHosts("example.com:80", {"cmq-queue-gz.api.qcloud.com"}),
              ElementsAre("example.com:80", "example.com",
                          "cmq-queue-gz.api.qcloud.com",
                          "cmq-queue-gz.api.qcloud.com:80"));
}

TEST(CandidateHostsTest, SkipsEmptyHostsAndDuplicates) {
  EXPECT_THAT(CandidateHosts("", {"a:80", "a"}), ElementsAre("a:80", "a"));
}

// Signs `params` the way a client configured with `host` would.
Params Signed(Params params, absl::string_view method, absl::string_view host,
              absl::string_view path, bool drop_at_values) {
  const std::string signature =
      ComputeSignature(StringToSign(method, host, path, params, drop_at_values),
                       kSecretKey, SignatureMethodOf(params));
  params["Signature"] = signature;
  return params;
}

TEST(VerifySignatureTest, OpenModeAcceptsARequestWithoutCredentials) {
  EXPECT_OK(VerifySignature({"GET", "127.0.0.1:9555", "/v2/index.php"},
                            {{"Action", "ListQueue"}}, CmqConfig{}));
}

TEST(VerifySignatureTest, WorkedExampleOneVerifiesInStrictMode) {
  Params p = RewindExampleParams();
  p["Signature"] = "8NY7JWdwg/R48wz/V2H9VefEhWjzXpaveCOS6NuVWBE=";
  EXPECT_OK(VerifySignature({"GET", "127.0.0.1:8181", "/v2/index.php"}, p,
                            StrictConfig()));
}

TEST(VerifySignatureTest, AnUnencodedPlusInTheSignatureStillVerifies) {
  Params p = BatchSendExampleParams();
  p["Signature"] = "5ogZE8fNefYHWtflKcNQoUK4 FU=";  // '+' decoded as ' '
  EXPECT_OK(VerifySignature({"POST", "127.0.0.1:8181", "/v2/index.php"}, p,
                            StrictConfig()));
}

TEST(VerifySignatureTest, BothAtRulesVerifyOnPost) {
  Params python = BatchSendExampleParams();
  python["Signature"] = "/7SWYK8RzRmNHC7XkuYvoF1/b1M=";
  Params java = BatchSendExampleParams();
  java["Signature"] = "5ogZE8fNefYHWtflKcNQoUK4+FU=";
  const SignedRequest request{"POST", "127.0.0.1:8181", "/v2/index.php"};
  EXPECT_OK(VerifySignature(request, python, StrictConfig()));
  EXPECT_OK(VerifySignature(request, java, StrictConfig()));
}

TEST(VerifySignatureTest, DroppingAtValuesIsNotAcceptedOnGet) {
  Params p = Signed(BatchSendExampleParams(), "GET", "h:1", "/v2/index.php",
                    /*drop_at_values=*/true);
  EXPECT_EQ(ErrorOf(VerifySignature({"GET", "h:1", "/v2/index.php"}, p,
                                    StrictConfig())),
            MakeCmqError(ErrorKind::kAuthenticationFailed));
}

TEST(VerifySignatureTest, ClientThatSignedWithoutPort80Verifies) {
  Params p = Signed(RewindExampleParams(), "POST", "cmq.local", "/v2/index.php",
                    false);
  EXPECT_OK(VerifySignature({"POST", "cmq.local:80", "/v2/index.php"}, p,
                            StrictConfig()));
}

TEST(VerifySignatureTest, ClientThatSignedWithPort80Verifies) {
  Params p = Signed(RewindExampleParams(), "POST", "cmq.local:80",
                    "/v2/index.php", false);
  EXPECT_OK(VerifySignature({"POST", "cmq.local", "/v2/index.php"}, p,
                            StrictConfig()));
}

TEST(VerifySignatureTest, ConfiguredHostAliasVerifies) {
  Params p = Signed(RewindExampleParams(), "POST",
                    "cmq-queue-gz.api.tencentyun.com", "/v2/index.php", false);
  CmqConfig config = StrictConfig();
  EXPECT_EQ(ErrorOf(VerifySignature({"POST", "127.0.0.1:9555", "/v2/index.php"},
                                    p, config))
                .module,
            10030);
  config.host_aliases = {"cmq-queue-gz.api.tencentyun.com"};
  EXPECT_OK(
      VerifySignature({"POST", "127.0.0.1:9555", "/v2/index.php"}, p, config));
}

TEST(VerifySignatureTest, SignsTheActualPathSoTheGoSdkRootPathVerifies) {
  Params p = Signed(RewindExampleParams(), "POST", "h:1", "/", false);
  EXPECT_OK(VerifySignature({"POST", "h:1", "/"}, p, StrictConfig()));
  EXPECT_EQ(ErrorOf(VerifySignature({"POST", "h:1", "/v2/index.php"}, p,
                                    StrictConfig()))
                .module,
            10030);
}

TEST(VerifySignatureTest, TheMethodIsPartOfTheSignature) {
  Params p =
      Signed(RewindExampleParams(), "POST", "h:1", "/v2/index.php", false);
  EXPECT_EQ(ErrorOf(VerifySignature({"GET", "h:1", "/v2/index.php"}, p,
                                    StrictConfig()))
                .module,
            10030);
}

TEST(VerifySignatureTest, AChangedParameterFailsAuthentication) {
  Params p =
      Signed(RewindExampleParams(), "GET", "h:1", "/v2/index.php", false);
  p["startConsumeTime"] = "1699999401";
  EXPECT_EQ(ErrorOf(VerifySignature({"GET", "h:1", "/v2/index.php"}, p,
                                    StrictConfig())),
            MakeCmqError(ErrorKind::kAuthenticationFailed));
}

TEST(VerifySignatureTest, AnotherKeysSignatureFailsAuthentication) {
  Params p = RewindExampleParams();
  p["Signature"] =
      ComputeSignature(StringToSign("GET", "h:1", "/v2/index.php", p, false),
                       "other-key", SignatureMethod::kHmacSha256);
  EXPECT_EQ(ErrorOf(VerifySignature({"GET", "h:1", "/v2/index.php"}, p,
                                    StrictConfig()))
                .module,
            10030);
}

TEST(VerifySignatureTest, MissingSecretIdIsSecretIdNotExisted) {
  Params p = RewindExampleParams();
  p.erase("SecretId");
  p["Signature"] = "x";
  EXPECT_EQ(ErrorOf(VerifySignature({"GET", "h:1", "/v2/index.php"}, p,
                                    StrictConfig())),
            MakeCmqError(ErrorKind::kSecretIdNotFound));
}

TEST(VerifySignatureTest, UnknownSecretIdIsSecretIdNotExisted) {
  Params p = RewindExampleParams();
  p["SecretId"] = "AKIDsomeoneElse";
  p["Signature"] = "x";
  const CmqError e = ErrorOf(
      VerifySignature({"GET", "h:1", "/v2/index.php"}, p, StrictConfig()));
  EXPECT_EQ(e.code, 4100);
  EXPECT_EQ(e.module, 10270);
}

TEST(VerifySignatureTest, MissingSignatureFailsAuthentication) {
  const CmqError e = ErrorOf(VerifySignature(
      {"GET", "h:1", "/v2/index.php"}, RewindExampleParams(), StrictConfig()));
  EXPECT_EQ(e.code, 4100);
  EXPECT_EQ(e.module, 10030);
}

TEST(VerifySignatureTest, AppIdWithoutSecretIdIsRefusedInStrictMode) {
  EXPECT_EQ(ErrorOf(VerifySignature({"GET", "h:1", "/"},
                                    {{"Action", "ListQueue"}, {"appId", "1"}},
                                    StrictConfig()))
                .module,
            10270);
}

}  // namespace
}  // namespace rewindmq::facade::cmq

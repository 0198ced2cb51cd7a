#include "broker/facades/dms/signature.h"

#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "broker/facades/dms/dms_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::facade::dms {
namespace {

using ::rmqtest::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

// Spec §10.4.
constexpr absl::string_view kAk = "EXAMPLEAK0000000000";
constexpr absl::string_view kSk = "ExampleSecretKey0000000000000000000000000";
constexpr absl::string_view kPid = "0123456789abcdef0123456789abcdef";
constexpr absl::string_view kDate = "20220908T160000Z";
constexpr absl::string_view kResetTarget =
    "/v2/reliability/0123456789abcdef0123456789abcdef/instances/"
    "11111111-2222-3333-4444-555555555555/groups/group_01/"
    "reset-message-offset";
constexpr absl::string_view kResetBody =
    R"({"topic":"topic_01","timestamp":1662652800000})";
constexpr absl::string_view kQueryTarget =
    "/v2/reliability/0123456789abcdef0123456789abcdef/instances/"
    "11111111-2222-3333-4444-555555555555/messages?topic=topic_01&limit=10&"
    "offset=0&start_time=1662652800000&end_time=1662656400000";

const absl::Time kSignedAt = absl::FromUnixMillis(1662652800000);

SigningInput ResetInput() {
  SigningInput in;
  in.method = "POST";
  in.target = kResetTarget;
  in.headers = {{"content-type", "application/json"},
                {"host", "127.0.0.1:9876"},
                {"x-project-id", std::string(kPid)},
                {"x-sdk-date", std::string(kDate)}};
  in.payload_hash = HexSha256(kResetBody);
  in.sdk_date = std::string(kDate);
  return in;
}

// A request as the server receives it: headers by case-insensitive name.
class FakeRequest {
 public:
  FakeRequest(std::string method, std::string target, std::string body)
      : method_(std::move(method)),
        target_(std::move(target)),
        body_(std::move(body)) {}

  FakeRequest& Set(absl::string_view name, std::string value) {
    headers_[absl::AsciiStrToLower(name)] = std::move(value);
    return *this;
  }
  FakeRequest& Remove(absl::string_view name) {
    headers_.erase(absl::AsciiStrToLower(name));
    return *this;
  }
  // Signs with the SDK's header set and sets Authorization.
  FakeRequest& SignAsSdk(absl::string_view ak, absl::string_view sk) {
    std::vector<std::pair<std::string, std::string>> signed_headers;
    for (const char* h :
         {"Content-Type", "Host", "X-Project-Id", "X-Sdk-Date"}) {
      auto it = headers_.find(absl::AsciiStrToLower(h));
      if (it != headers_.end()) signed_headers.emplace_back(h, it->second);
    }
    return Set("Authorization",
               SignRequest(ak, sk, method_, target_, signed_headers, body_));
  }

  absl::Status Verify(const Credentials& creds, absl::Time now) const {
    auto lookup =
        [this](absl::string_view name) -> std::optional<absl::string_view> {
      auto it = headers_.find(absl::AsciiStrToLower(name));
      if (it == headers_.end()) return std::nullopt;
      return absl::string_view(it->second);
    };
    return VerifySignature({method_, target_, body_, lookup}, creds, now);
  }

 private:
  std::string method_;
  std::string target_;
  std::string body_;
  std::map<std::string, std::string> headers_;
};

FakeRequest SdkResetRequest() {
  FakeRequest r("POST", std::string(kResetTarget), std::string(kResetBody));
  r.Set("Host", "127.0.0.1:9876")
      .Set("Content-Type", "application/json")
      .Set("X-Project-Id", std::string(kPid))
      .Set("X-Sdk-Date", std::string(kDate))
      .Set("User-Agent", "huaweicloud-usdk-nodejs/3.0")
      .Set("Accept", "application/json");
  return r;
}

Credentials ExampleCredentials() {
  return {{std::string(kAk), std::string(kSk)}};
}

std::optional<DmsCode> CodeOf(const absl::Status& s) { return DmsCodeOf(s); }

// ---- The worked example of §10.4 ----------------------------------------

TEST(SignatureWorkedExampleTest, TheCanonicalRequestMatchesTheSpec) {
  EXPECT_EQ(CanonicalRequest(ResetInput()),
            "POST\n"
            "/v2/reliability/0123456789abcdef0123456789abcdef/instances/"
            "11111111-2222-3333-4444-555555555555/groups/group_01/"
            "reset-message-offset/\n"
            "\n"
            "content-type:application/json\n"
            "host:127.0.0.1:9876\n"
            "x-project-id:0123456789abcdef0123456789abcdef\n"
            "x-sdk-date:20220908T160000Z\n"
            "\n"
            "content-type;host;x-project-id;x-sdk-date\n"
            "d8572fa7bfd20aa9abbe2cd455e0d622ccdab40848d28cae8e7df6ed0f8dbdb9");
}

TEST(SignatureWorkedExampleTest, TheStringToSignMatchesTheSpec) {
  EXPECT_EQ(StringToSign(ResetInput()),
            "SDK-HMAC-SHA256\n20220908T160000Z\n"
            "41fac74794ba79b9bbf8b9532cbb9f217607b185693b344015924152f81e185c");
}

TEST(SignatureWorkedExampleTest, TheAuthorizationHeaderMatchesTheSpec) {
  EXPECT_EQ(SignRequest(kAk, kSk, "POST", kResetTarget,
                        {{"Content-Type", "application/json"},
                         {"Host", "127.0.0.1:9876"},
                         {"X-Project-Id", std::string(kPid)},
                         {"X-Sdk-Date", std::string(kDate)}},
                        kResetBody),
            "SDK-HMAC-SHA256 Access=EXAMPLEAK0000000000, "
            "SignedHeaders=content-type;host;x-project-id;x-sdk-date, "
            "Signature="
            "98437dfd4b16c49941c96c821ca7b5c768fc94a054a352c9f41b987af2b14c3f");
}

TEST(SignatureWorkedExampleTest, TheSecondExampleWithAQueryMatchesTheSpec) {
  SigningInput in = ResetInput();
  in.method = "GET";
  in.target = kQueryTarget;
  in.payload_hash = HexSha256("");
  EXPECT_EQ(in.payload_hash,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(CanonicalQueryString("topic=topic_01&limit=10&offset=0&start_time="
                                 "1662652800000&end_time=1662656400000"),
            "end_time=1662656400000&limit=10&offset=0&start_time="
            "1662652800000&topic=topic_01");
  EXPECT_EQ(StringToSign(in),
            "SDK-HMAC-SHA256\n20220908T160000Z\n"
            "5d2c9e37e7576bf46f2bed9d131068245173cf7c7ec02fe045fa9ce6123aaf1a");
  EXPECT_EQ(Signature(kSk, in),
            "2826d582867f286bc32c8755fbf5af8a9fb8f1a49b4eb232e2d7c8d67b3713c3");
}

TEST(SignatureWorkedExampleTest, TheServerAcceptsTheSpecsRequest) {
  FakeRequest r = SdkResetRequest();
  r.Set("Authorization",
        "SDK-HMAC-SHA256 Access=EXAMPLEAK0000000000, "
        "SignedHeaders=content-type;host;x-project-id;x-sdk-date, "
        "Signature="
        "98437dfd4b16c49941c96c821ca7b5c768fc94a054a352c9f41b987af2b14c3f");
  EXPECT_OK(r.Verify(ExampleCredentials(), kSignedAt));
}

// ---- Canonical pieces ----------------------------------------------------

TEST(SdkUrlEncodeTest, KeepsOnlyUnreservedBytes) {
  EXPECT_EQ(SdkUrlEncode("aZ09-_.~"), "aZ09-_.~");
  EXPECT_EQ(SdkUrlEncode("a b/c%|"), "a%20b%2Fc%25%7C");
  EXPECT_EQ(SdkUrlEncode("\xE6\xB6\x88"), "%E6%B6%88");
}

TEST(CanonicalUriTest, AppendsATrailingSlashOnce) {
  EXPECT_EQ(CanonicalUri("/v2/p/instances"), "/v2/p/instances/");
  EXPECT_EQ(CanonicalUri("/v2/p/instances/"), "/v2/p/instances/");
}

TEST(CanonicalUriTest, EscapedSequencesAreEncodedAgain) {
  EXPECT_EQ(CanonicalUri("/v2/p/topics/test%2501"),
            "/v2/p/topics/test%252501/");
}

TEST(CanonicalUriTest, RawCharactersAreEscapedLikeNodeUrlParseFirst) {
  // The Node SDK sends a|b raw but signs url.parse's a%7Cb, encoded again.
  EXPECT_EQ(CanonicalUri("/v2/p/topics/a|b"), "/v2/p/topics/a%257Cb/");
  EXPECT_EQ(CanonicalUri("/v2/p/topics/a%7Cb"), "/v2/p/topics/a%257Cb/");
  EXPECT_EQ(CanonicalUri("/x/{}^`<>\"' "),
            "/x/%257B%257D%255E%2560%253C%253E%2522%2527%2520/");
}

TEST(CanonicalUriTest, ARawPercentIsEncodedOnce) {
  // topic "test%01" sent raw by the Node SDK.
  EXPECT_EQ(CanonicalUri("/t/test%01"), "/t/test%2501/");
}

TEST(CanonicalQueryStringTest, DecodesReencodesAndSorts) {
  EXPECT_EQ(CanonicalQueryString("b=2&a=x%20y&a=1&c"), "a=1&a=x%20y&b=2&c=");
  EXPECT_EQ(CanonicalQueryString("key=a+b"), "key=a%2Bb");
  EXPECT_EQ(CanonicalQueryString(""), "");
}

TEST(ParseAuthorizationTest, AcceptsTheSdkFormWithOrWithoutSpaces) {
  const std::string sig(64, 'a');
  std::optional<Authorization> a = ParseAuthorization(
      absl::StrCat("SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, "
                   "Signature=",
                   sig));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->access, "AK1");
  EXPECT_THAT(a->signed_headers, ElementsAre("host", "x-sdk-date"));
  EXPECT_EQ(a->signature, sig);
  EXPECT_TRUE(
      ParseAuthorization(
          absl::StrCat(
              "SDK-HMAC-SHA256 Access=AK1,SignedHeaders=host,Signature=", sig))
          .has_value());
}

TEST(ParseAuthorizationTest, RefusesMalformedHeaders) {
  const std::string sig(64, 'a');
  for (const std::string& v : {
           std::string(""),
           absl::StrCat("HMAC-SHA256 Access=AK1, SignedHeaders=host, "
                        "Signature=",
                        sig),
           absl::StrCat("SDK-HMAC-SHA256 Access=, SignedHeaders=host, "
                        "Signature=",
                        sig),
           absl::StrCat("SDK-HMAC-SHA256 SignedHeaders=host, Signature=", sig),
           std::string("SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, "
                       "Signature=abc"),
           absl::StrCat("SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, "
                        "Signature=",
                        std::string(64, 'A')),
           absl::StrCat("SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, "
                        "Signature=",
                        sig, ", Extra=1"),
       }) {
    SCOPED_TRACE(v);
    EXPECT_FALSE(ParseAuthorization(v).has_value());
  }
}

TEST(ParseSdkDateTest, ParsesUtcAndRefusesOtherShapes) {
  EXPECT_THAT(ParseSdkDate("20220908T160000Z"), Optional(kSignedAt));
  for (absl::string_view v :
       {"", "20220908T160000", "2022-09-08T16:00:00Z", "20221308T160000Z",
        "20220908T250000Z", "2022090xT160000Z"}) {
    SCOPED_TRACE(v);
    EXPECT_EQ(ParseSdkDate(v), std::nullopt);
  }
}

// ---- Verification --------------------------------------------------------

TEST(VerifySignatureTest, OpenModeAcceptsUnsignedAndWronglySignedRequests) {
  FakeRequest unsigned_req("GET", "/v2/p/instances", "");
  EXPECT_OK(unsigned_req.Verify({}, kSignedAt));
  FakeRequest wrong = SdkResetRequest();
  wrong.SignAsSdk(kAk, "not-the-key");
  EXPECT_OK(wrong.Verify({}, absl::UnixEpoch()));
}

TEST(VerifySignatureTest, ARequestSignedAsTheSdkDoesIsAccepted) {
  FakeRequest r = SdkResetRequest();
  r.SignAsSdk(kAk, kSk);
  EXPECT_OK(r.Verify(ExampleCredentials(), kSignedAt + absl::Minutes(14)));
}

TEST(VerifySignatureTest, AMissingAuthorizationIsRefusedWith401) {
  absl::Status s = SdkResetRequest().Verify(ExampleCredentials(), kSignedAt);
  EXPECT_THAT(CodeOf(s), Optional(DmsCode::kAuthFailed));
  EXPECT_EQ(s.message(), "Authorization header missing or malformed");
  EXPECT_EQ(DmsErrorFromPayload(s)->error_msg,
            "Incorrect IAM authentication information: Authorization header "
            "missing or malformed");
}

TEST(VerifySignatureTest, AnUnknownAkIsNamed) {
  FakeRequest r = SdkResetRequest();
  r.SignAsSdk("OTHERAK", kSk);
  absl::Status s = r.Verify(ExampleCredentials(), kSignedAt);
  EXPECT_THAT(CodeOf(s), Optional(DmsCode::kAuthFailed));
  EXPECT_EQ(s.message(), "ak OTHERAK not exist");
}

TEST(VerifySignatureTest, AWrongSecretFailsVerification) {
  FakeRequest r = SdkResetRequest();
  r.SignAsSdk(kAk, "WrongSecret");
  EXPECT_EQ(r.Verify(ExampleCredentials(), kSignedAt).message(),
            "verify aksk signature fail");
}

TEST(VerifySignatureTest, ATamperedBodyFailsVerification) {
  FakeRequest r("POST", std::string(kResetTarget),
                R"({"topic":"topic_01","timestamp":0})");
  r.Set("Host", "127.0.0.1:9876")
      .Set("Content-Type", "application/json")
      .Set("X-Project-Id", std::string(kPid))
      .Set("X-Sdk-Date", std::string(kDate))
      .Set("Authorization",
           "SDK-HMAC-SHA256 Access=EXAMPLEAK0000000000, "
           "SignedHeaders=content-type;host;x-project-id;x-sdk-date, "
           "Signature="
           "98437dfd4b16c49941c96c821ca7b5c768fc94a054a352c9f41b987af2b14c3f");
  EXPECT_EQ(r.Verify(ExampleCredentials(), kSignedAt).message(),
            "verify aksk signature fail");
}

TEST(VerifySignatureTest, AChangedSignedHeaderFailsVerification) {
  FakeRequest r = SdkResetRequest();
  r.SignAsSdk(kAk, kSk);
  r.Set("Host", "127.0.0.1:9877");
  EXPECT_EQ(r.Verify(ExampleCredentials(), kSignedAt).message(),
            "verify aksk signature fail");
}

TEST(VerifySignatureTest, UnsignedHeadersMayChange) {
  FakeRequest r = SdkResetRequest();
  r.SignAsSdk(kAk, kSk);
  r.Set("User-Agent", "curl/8").Set("Accept", "*/*");
  EXPECT_OK(r.Verify(ExampleCredentials(), kSignedAt));
}

TEST(VerifySignatureTest, SignedHeaderValuesAreTrimmed) {
  FakeRequest r = SdkResetRequest();
  r.SignAsSdk(kAk, kSk);
  r.Set("Content-Type", "  application/json ");
  EXPECT_OK(r.Verify(ExampleCredentials(), kSignedAt));
}

TEST(VerifySignatureTest, ADateOutsideFifteenMinutesHasExpired) {
  FakeRequest r = SdkResetRequest();
  r.SignAsSdk(kAk, kSk);
  absl::Status s = r.Verify(ExampleCredentials(),
                            kSignedAt + absl::Minutes(15) + absl::Seconds(1));
  EXPECT_THAT(CodeOf(s), Optional(DmsCode::kAuthFailed));
  EXPECT_EQ(s.message(),
            "signature expired, signature time:20220908T160000Z,server "
            "time:20220908T161501Z");
  EXPECT_THAT(
      r.Verify(ExampleCredentials(), kSignedAt - absl::Minutes(16)).message(),
      HasSubstr("signature expired"));
}

TEST(VerifySignatureTest, AMissingOrUnsignedOrMalformedDateIsRefused) {
  FakeRequest missing = SdkResetRequest();
  missing.SignAsSdk(kAk, kSk).Remove("X-Sdk-Date");
  EXPECT_EQ(missing.Verify(ExampleCredentials(), kSignedAt).message(),
            "x-sdk-date missing or malformed");

  FakeRequest not_signed = SdkResetRequest();
  not_signed.Set("Authorization",
                 SignRequest(kAk, kSk, "POST", kResetTarget,
                             {{"Host", "127.0.0.1:9876"}}, kResetBody));
  EXPECT_EQ(not_signed.Verify(ExampleCredentials(), kSignedAt).message(),
            "x-sdk-date missing or malformed");

  FakeRequest malformed = SdkResetRequest();
  malformed.Set("X-Sdk-Date", "2022-09-08").SignAsSdk(kAk, kSk);
  EXPECT_EQ(malformed.Verify(ExampleCredentials(), kSignedAt).message(),
            "x-sdk-date missing or malformed");
}

TEST(VerifySignatureTest, ANodeSdkPathWithARawBarVerifies) {
  const std::string raw =
      "/v2/p1/instances/i1/topics/a|b";  // what reaches the server
  FakeRequest r("DELETE", raw, "");
  r.Set("Host", "127.0.0.1:9876")
      .Set("Content-Type", "application/json")
      .Set("X-Sdk-Date", std::string(kDate));
  // The SDK signed url.parse's path, which has %7C.
  r.Set("Authorization",
        SignRequest(kAk, kSk, "DELETE", "/v2/p1/instances/i1/topics/a%7Cb",
                    {{"Content-Type", "application/json"},
                     {"Host", "127.0.0.1:9876"},
                     {"X-Sdk-Date", std::string(kDate)}},
                    ""));
  EXPECT_OK(r.Verify(ExampleCredentials(), kSignedAt));
}

TEST(VerifySignatureTest, AContentSha256HeaderReplacesTheBodyHash) {
  FakeRequest r("POST", "/v2/p1/instances/i1/messages", "{\"a\":1}");
  r.Set("Host", "h")
      .Set("X-Sdk-Date", std::string(kDate))
      .Set("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD");
  r.Set("Authorization",
        SignRequest(kAk, kSk, "POST", "/v2/p1/instances/i1/messages",
                    {{"Host", "h"},
                     {"X-Sdk-Date", std::string(kDate)},
                     {"X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD"}},
                    "anything"));
  EXPECT_OK(r.Verify(ExampleCredentials(), kSignedAt));
}

// A signed request carrying a body hash, as the SDK sends it.
FakeRequest WithContentSha(absl::string_view body, absl::string_view sha) {
  FakeRequest r("POST", "/v2/p1/instances/i1/messages", std::string(body));
  r.Set("Host", "h")
      .Set("X-Sdk-Date", std::string(kDate))
      .Set("X-Sdk-Content-Sha256", std::string(sha));
  r.Set("Authorization",
        SignRequest(kAk, kSk, "POST", "/v2/p1/instances/i1/messages",
                    {{"Host", "h"},
                     {"X-Sdk-Date", std::string(kDate)},
                     {"X-Sdk-Content-Sha256", std::string(sha)}},
                    std::string(body)));
  return r;
}

TEST(VerifySignatureTest, AContentSha256OfTheBodyIsAccepted) {
  const std::string body = "{\"a\":1}";
  EXPECT_OK(WithContentSha(body, HexSha256(body))
                .Verify(ExampleCredentials(), kSignedAt));
  EXPECT_OK(WithContentSha(body, absl::AsciiStrToUpper(HexSha256(body)))
                .Verify(ExampleCredentials(), kSignedAt));
}

TEST(VerifySignatureTest, AContentSha256OfAnotherBodyIsRefused) {
  // A captured request whose body was swapped: the signature still matches
  // the headers, but the hash they name is not the body's.
  FakeRequest r = WithContentSha("{\"a\":2}", HexSha256("{\"a\":1}"));
  EXPECT_THAT(
      r.Verify(ExampleCredentials(), kSignedAt),
      StatusIs(absl::StatusCode::kUnauthenticated,
               HasSubstr("x-sdk-content-sha256 does not match the request "
                         "body")));
  // Not a hash at all.
  EXPECT_THAT(WithContentSha("{}", "not-a-hash")
                  .Verify(ExampleCredentials(), kSignedAt),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(HexDigestTest, KnownVectors) {
  EXPECT_EQ(HexSha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(HexHmacSha256("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace rewindmq::facade::dms

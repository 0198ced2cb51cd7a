#include "broker/facades/cmq/form.h"

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/facades/cmq/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::facade::cmq {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// The vendor error a failed call would be answered with.
template <typename T>
CmqError ErrorOf(const absl::StatusOr<T>& s) {
  return CmqErrorFromPayload(s.status()).value_or(CmqError{});
}

TEST(DecodeFormTest, PlusIsASpaceAndPercentEscapesDecodeInEitherCase) {
  ASSERT_OK_AND_ASSIGN(FormPairs pairs,
                       DecodeForm("a=hello+world&b=%2f%2F%41%e5%8c%97"));
  EXPECT_THAT(pairs, ElementsAre(Pair("a", "hello world"),
                                 Pair("b", "//A\xe5\x8c\x97")));
}

TEST(DecodeFormTest, PercentTwentyAndEncodedPlusBothSurvive) {
  ASSERT_OK_AND_ASSIGN(FormPairs pairs, DecodeForm("a=x%20y%2Bz"));
  EXPECT_THAT(pairs, ElementsAre(Pair("a", "x y+z")));
}

TEST(DecodeFormTest, ItemWithoutEqualsHasAnEmptyValue) {
  ASSERT_OK_AND_ASSIGN(FormPairs pairs, DecodeForm("flag&a=1"));
  EXPECT_THAT(pairs, ElementsAre(Pair("flag", ""), Pair("a", "1")));
}

TEST(DecodeFormTest, SplitsOnTheFirstEqualsOnly) {
  ASSERT_OK_AND_ASSIGN(FormPairs pairs, DecodeForm("a=b=c&d=="));
  EXPECT_THAT(pairs, ElementsAre(Pair("a", "b=c"), Pair("d", "=")));
}

TEST(DecodeFormTest, EmptyItemsAndEmptyNamesAreSkipped) {
  ASSERT_OK_AND_ASSIGN(FormPairs pairs, DecodeForm("&a=1&&=x&b=2&"));
  EXPECT_THAT(pairs, ElementsAre(Pair("a", "1"), Pair("b", "2")));
}

TEST(DecodeFormTest, EmptyTextHasNoPairs) {
  ASSERT_OK_AND_ASSIGN(FormPairs pairs, DecodeForm(""));
  EXPECT_TRUE(pairs.empty());
}

TEST(DecodeFormTest, MalformedPercentEscapesStayLiteral) {
  ASSERT_OK_AND_ASSIGN(FormPairs pairs, DecodeForm("a=100%&b=%zz&c=%4"));
  EXPECT_THAT(
      pairs, ElementsAre(Pair("a", "100%"), Pair("b", "%zz"), Pair("c", "%4")));
}

TEST(DecodeFormTest, EncodedAmpersandAndEqualsStayInsideTheValue) {
  // The body of spec §4.3 as the Python SDK encodes it.
  ASSERT_OK_AND_ASSIGN(
      FormPairs pairs,
      DecodeForm("msgBody.2=%E5%8C%97%E4%BA%AC+%26+co%3D1&msgBody.3=%40home"));
  EXPECT_THAT(pairs, ElementsAre(Pair("msgBody.2", "北京 & co=1"),
                                 Pair("msgBody.3", "@home")));
}

TEST(DecodeFormTest, InvalidUtf8ValueIsCannotParseNamingTheParameter) {
  const absl::StatusOr<FormPairs> pairs = DecodeForm("a=1&msgBody=%FF%FE");
  EXPECT_EQ(ErrorOf(pairs), MakeCmqError(ErrorKind::kCannotParse, "msgBody"));
  EXPECT_EQ(ErrorOf(pairs).code, 4000);
  EXPECT_EQ(ErrorOf(pairs).module, 10420);
}

TEST(DecodeFormTest, InvalidUtf8NameIsCannotParse) {
  EXPECT_EQ(ErrorOf(DecodeForm("%C0%AF=1")).module, 10420);
}

TEST(IsValidUtf8Test, AcceptsAsciiAndMultiByteCharacters) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9"));          // é
  EXPECT_TRUE(IsValidUtf8("\xe5\x8c\x97"));      // 北
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));  // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
}

TEST(IsValidUtf8Test, RejectsOverlongsSurrogatesTruncationsAndTooLarge) {
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong, 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xf0\x80\x80\xaf"));  // overlong, 4 bytes
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe5\x8c"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("a\xe5x\x97"));        // bad continuation
}

TEST(RequestParamsTest, GetTakesTheQueryAndIgnoresTheBody) {
  ASSERT_OK_AND_ASSIGN(Params p,
                       RequestParams("GET", "Action=ListQueue", "limit=3"));
  EXPECT_THAT(p, ElementsAre(Pair("Action", "ListQueue")));
}

TEST(RequestParamsTest, PostTakesTheBody) {
  ASSERT_OK_AND_ASSIGN(Params p,
                       RequestParams("POST", "", "Action=ListQueue&limit=3"));
  EXPECT_THAT(p, ElementsAre(Pair("Action", "ListQueue"), Pair("limit", "3")));
}

TEST(RequestParamsTest, PostMergesQueryAndBodyAndTheBodyWinsAClash) {
  ASSERT_OK_AND_ASSIGN(
      Params p, RequestParams("POST", "Action=ListQueue&limit=3&offset=1",
                              "limit=5&searchWord=x"));
  EXPECT_THAT(p, ElementsAre(Pair("Action", "ListQueue"), Pair("limit", "5"),
                             Pair("offset", "1"), Pair("searchWord", "x")));
}

TEST(RequestParamsTest, ParametersIterateInByteOrderSoCapitalsComeFirst) {
  ASSERT_OK_AND_ASSIGN(
      Params p,
      RequestParams("GET", "queueName=q&Timestamp=1&Action=A&_x=1", ""));
  EXPECT_THAT(p, ElementsAre(Pair("Action", "A"), Pair("Timestamp", "1"),
                             Pair("_x", "1"), Pair("queueName", "q")));
}

TEST(RequestParamsTest, ARepeatedNameIsNotRepeatable) {
  const absl::StatusOr<Params> p =
      RequestParams("GET", "queueName=a&queueName=b", "");
  EXPECT_EQ(ErrorOf(p), MakeCmqError(ErrorKind::kNotRepeatable, "queueName"));
  EXPECT_EQ(ErrorOf(p).module, 10330);
}

TEST(RequestParamsTest, ARepeatedNameInsideThePostBodyIsNotRepeatable) {
  EXPECT_EQ(ErrorOf(RequestParams("POST", "", "a=1&b=2&a=1")).module, 10330);
}

TEST(RequestParamsTest, DecodingErrorsComeBeforeRepeatedNames) {
  EXPECT_EQ(ErrorOf(RequestParams("POST", "a=1&a=2", "b=%FF")).module, 10420);
}

TEST(RequestParamsTest, OtherMethodsAreRejectedNamingTheMethod) {
  const absl::StatusOr<Params> p = RequestParams("PUT", "Action=ListQueue", "");
  EXPECT_EQ(ErrorOf(p), MakeCmqError(ErrorKind::kMethodNotAllowed, "PUT"));
  EXPECT_EQ(ErrorOf(p).message,
            "(10410)unexpected http PUT only GET or POST is supported");
}

TEST(HasArrayParamTest, SeesAnyIndexedKeyButNotThePlainName) {
  const Params p = {{"msgBody", "x"}, {"msgBody.3", "y"}};
  EXPECT_TRUE(HasArrayParam(p, "msgBody"));
  EXPECT_FALSE(
      HasArrayParam({{"msgBody", "x"}, {"msgBodyX.1", "y"}}, "msgBody"));
}

TEST(ArrayParamTest, OneBasedIndicesGiveValuesInIndexOrder) {
  const Params p = {{"msgBody.1", "a"}, {"msgBody.2", "b"}, {"other.1", "z"}};
  EXPECT_THAT(ArrayParam(p, "msgBody", 16),
              rmqtest::IsOkAndHolds(ElementsAre("a", "b")));
}

TEST(ArrayParamTest, ZeroBasedIndicesAreAccepted) {
  const Params p = {{"receiptHandle.0", "h0"}, {"receiptHandle.1", "h1"}};
  EXPECT_THAT(ArrayParam(p, "receiptHandle", 16),
              rmqtest::IsOkAndHolds(ElementsAre("h0", "h1")));
}

TEST(ArrayParamTest, IndicesCompareAsIntegersSoTenFollowsNine) {
  Params p;
  for (int i = 1; i <= 11; ++i) {
    p[absl::StrCat("msgBody.", i)] = absl::StrCat("m", i);
  }
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> values,
                       ArrayParam(p, "msgBody", 16));
  EXPECT_THAT(values, ElementsAre("m1", "m2", "m3", "m4", "m5", "m6", "m7",
                                  "m8", "m9", "m10", "m11"));
}

TEST(ArrayParamTest, NoKeysGiveAnEmptyVector) {
  EXPECT_THAT(ArrayParam({{"msgBody", "x"}}, "msgBody", 16),
              rmqtest::IsOkAndHolds(ElementsAre()));
}

TEST(ArrayParamTest, AGapIsNotConsequent) {
  const auto values =
      ArrayParam({{"msgBody.1", "a"}, {"msgBody.3", "c"}}, "msgBody", 16);
  EXPECT_EQ(ErrorOf(values),
            MakeCmqError(ErrorKind::kNotConsecutive, "msgBody"));
}

TEST(ArrayParamTest, StartingAboveOneIsNotConsequent) {
  EXPECT_EQ(ErrorOf(ArrayParam({{"msgBody.2", "a"}}, "msgBody", 16)).module,
            10380);
}

TEST(ArrayParamTest, AHugeIndexIsNotConsequent) {
  EXPECT_EQ(ErrorOf(ArrayParam({{"msgBody.1", "a"},
                                {"msgBody.99999999999999999999999", "b"}},
                               "msgBody", 16))
                .module,
            10380);
}

TEST(ArrayParamTest, MoreThanMaxEntriesIsBatchSizeEvenWithGaps) {
  Params p;
  for (int i = 1; i <= 17; ++i)
    p.try_emplace(absl::StrCat("msgBody.", i * 2), "x");
  EXPECT_EQ(ErrorOf(ArrayParam(p, "msgBody", 16)),
            MakeCmqError(ErrorKind::kBatchSize, "msgBody"));
}

TEST(ArrayParamTest, SixteenEntriesAreAccepted) {
  Params p;
  for (int i = 0; i < 16; ++i) p.try_emplace(absl::StrCat("msgBody.", i), "x");
  EXPECT_OK(ArrayParam(p, "msgBody", 16));
}

TEST(ArrayParamTest, NonNumericIndexIsAKeyFormatErrorNamingTheKey) {
  EXPECT_EQ(ErrorOf(ArrayParam({{"msgBody.1", "a"}, {"msgBody.x", "b"}},
                               "msgBody", 16)),
            MakeCmqError(ErrorKind::kKeyFormat, "msgBody.x"));
  EXPECT_EQ(ErrorOf(ArrayParam({{"msgBody.", "a"}}, "msgBody", 16)).module,
            10310);
  EXPECT_EQ(ErrorOf(ArrayParam({{"msgBody.-1", "a"}}, "msgBody", 16)).module,
            10310);
}

TEST(ArrayParamTest, LeadingZeroIndexIsAKeyFormatError) {
  EXPECT_EQ(ErrorOf(ArrayParam({{"msgBody.1", "a"}, {"msgBody.02", "b"}},
                               "msgBody", 16))
                .module,
            10310);
}

TEST(DecodeFormTest, ArbitraryBytesDecodeOrFailWithCannotParseOnly) {
  std::mt19937 rng(42);
  const std::string alphabet = "ab=&%+.0123456789AFaf\x80\xc3\xa9\xff";
  for (int round = 0; round < 20000; ++round) {
    std::string text(rng() % 24, ' ');
    for (char& c : text) c = alphabet[rng() % alphabet.size()];
    const absl::StatusOr<FormPairs> pairs = DecodeForm(text);
    if (!pairs.ok()) {
      ASSERT_EQ(ErrorOf(pairs).module, 10420) << text;
      continue;
    }
    for (const auto& [name, value] : *pairs) {
      ASSERT_FALSE(name.empty()) << text;
      ASSERT_TRUE(IsValidUtf8(name) && IsValidUtf8(value)) << text;
    }
    // Whatever decodes also builds parameters or reports a repeated name.
    const absl::StatusOr<Params> params = RequestParams("GET", text, "");
    if (!params.ok()) {
      ASSERT_EQ(ErrorOf(params).module, 10330) << text;
    }
  }
}

}  // namespace
}  // namespace rewindmq::facade::cmq

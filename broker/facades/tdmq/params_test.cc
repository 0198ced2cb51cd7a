#include "broker/facades/tdmq/params.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/facades/tdmq/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::facade::tdmq {
namespace {

using ::rmqtest::IsOkAndHolds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

// The wire code a failed Status answers with.
std::string CodeOf(const absl::Status& s) { return ToTdmqError(s).code; }

Params Json(absl::string_view body) {
  absl::StatusOr<Params> p = Params::FromJson(body);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : *Params::FromJson("{}");
}

TEST(ParamsJsonTest, AnEmptyBodyIsAnEmptyObject) {
  Params p = Json("");
  EXPECT_TRUE(p.object().empty());
  EXPECT_OK(p.CheckKnown({}));
}

TEST(ParamsJsonTest, BadJsonAndNonObjectsAreInvalidParameter) {
  for (absl::string_view body : {"{", "[1]", "\"x\"", "{\"a\":1} x", "null"}) {
    EXPECT_EQ(CodeOf(Params::FromJson(body).status()), "InvalidParameter")
        << body;
  }
  // Invalid UTF-8 inside a string.
  EXPECT_EQ(CodeOf(Params::FromJson("{\"a\":\"\xff\"}").status()),
            "InvalidParameter");
}

TEST(ParamsJsonTest, ARepeatedKeyAtAnyDepthIsInvalidParameter) {
  absl::Status top = Params::FromJson(R"({"A":1,"A":2})").status();
  EXPECT_EQ(CodeOf(top), "InvalidParameter");
  EXPECT_THAT(top.message(), HasSubstr("`A`"));
  EXPECT_EQ(CodeOf(Params::FromJson(R"({"Tags":[{"TagKey":"a","TagKey":"b"}]})")
                       .status()),
            "InvalidParameter");
  // The same key in two sibling objects is fine.
  EXPECT_OK(
      Params::FromJson(R"({"Tags":[{"TagKey":"a"},{"TagKey":"b"}]})").status());
}

TEST(ParamsJsonTest, UnknownKeysAreReportedInBodyOrder) {
  Params p = Json(R"({"QueueName":"q","Foo":1,"Bar":2})");
  absl::Status s = p.CheckKnown({"QueueName"});
  EXPECT_EQ(CodeOf(s), "UnknownParameter");
  EXPECT_THAT(s.message(), HasSubstr("`Foo`"));
  EXPECT_OK(p.CheckKnown({"QueueName", "Foo", "Bar"}));
}

TEST(ParamsJsonTest, NullCountsAsAbsent) {
  Params p = Json(R"({"QueueName":null,"Limit":null})");
  EXPECT_THAT(p.String("QueueName"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(p.U64("Limit"), IsOkAndHolds(std::nullopt));
  EXPECT_EQ(CodeOf(p.RequiredString("QueueName").status()), "MissingParameter");
}

TEST(ParamsJsonTest, AnEmptyRequiredStringIsMissing) {
  Params p = Json(R"({"QueueName":""})");
  EXPECT_EQ(CodeOf(p.RequiredString("QueueName").status()), "MissingParameter");
  EXPECT_THAT(p.String("QueueName"), IsOkAndHolds(Optional(std::string())));
}

TEST(ParamsJsonTest, IntegersFollowTheTypeRules) {
  Params p = Json(
      R"({"A":30,"B":30.0,"C":30.5,"D":"30","E":-1,"F":18446744073709551615,)"
      R"("G":1e30,"H":true})");
  EXPECT_THAT(p.U64("A"), IsOkAndHolds(Optional(uint64_t{30})));
  EXPECT_THAT(p.U64("B"), IsOkAndHolds(Optional(uint64_t{30})));
  EXPECT_EQ(CodeOf(p.U64("C").status()), "InvalidParameter");
  EXPECT_EQ(CodeOf(p.U64("D").status()), "InvalidParameter");
  EXPECT_EQ(CodeOf(p.U64("E").status()), "InvalidParameterValue");
  EXPECT_THAT(p.I64("E"), IsOkAndHolds(Optional(int64_t{-1})));
  EXPECT_THAT(p.U64("F"),
              IsOkAndHolds(Optional(uint64_t{18446744073709551615u})));
  EXPECT_EQ(CodeOf(p.I64("F").status()), "InvalidParameter");
  EXPECT_EQ(CodeOf(p.U64("G").status()), "InvalidParameter");
  EXPECT_EQ(CodeOf(p.U64("H").status()), "InvalidParameter");
}

TEST(ParamsJsonTest, StringsBoolsAndArraysAreTyped) {
  Params p = Json(
      R"({"S":1,"B":"true","L":["a",1],"M":"a","OK":["x","y"],"T":false})");
  EXPECT_EQ(CodeOf(p.String("S").status()), "InvalidParameter");
  EXPECT_EQ(CodeOf(p.Bool("B").status()), "InvalidParameter");
  EXPECT_EQ(CodeOf(p.Strings("L").status()), "InvalidParameter");
  EXPECT_EQ(CodeOf(p.Strings("M").status()), "InvalidParameter");
  EXPECT_THAT(p.Strings("OK"), IsOkAndHolds(Optional(ElementsAre("x", "y"))));
  EXPECT_THAT(p.Bool("T"), IsOkAndHolds(Optional(false)));
}

TEST(ParamsJsonTest, ObjectElementsRejectUnknownFields) {
  Params p = Json(R"({"Tags":[{"TagKey":"k","TagValue":"v","Color":"red"}]})");
  absl::Status s = p.Objects("Tags", {"TagKey", "TagValue"}).status();
  EXPECT_EQ(CodeOf(s), "UnknownParameter");
  EXPECT_THAT(s.message(), HasSubstr("Tags.0.Color"));

  Params good = Json(R"({"Tags":[{"TagKey":"k","TagValue":"v"}]})");
  ASSERT_OK_AND_ASSIGN(std::optional<std::vector<Params::Element>> tags,
                       good.Objects("Tags", {"TagKey", "TagValue"}));
  ASSERT_TRUE(tags.has_value());
  ASSERT_EQ(tags->size(), 1u);
  EXPECT_THAT(good.String((*tags)[0], "TagKey"),
              IsOkAndHolds(Optional(std::string("k"))));
}

TEST(ParamsFlattenedTest, NamesBecomeArraysAndObjects) {
  ASSERT_OK_AND_ASSIGN(
      Params p,
      Params::FromFlattened("QueueNameList.0=a&QueueNameList.1=b&Filters.0."
                            "Name=tag%3Ax&Filters.0.Values.0=1&Action="
                            "DescribeCmqQueues&Version=2020-02-17&Limit=5"));
  EXPECT_TRUE(p.flattened());
  EXPECT_OK(p.CheckKnown({"QueueNameList", "Filters", "Limit"}));
  EXPECT_THAT(p.Strings("QueueNameList"),
              IsOkAndHolds(Optional(ElementsAre("a", "b"))));
  EXPECT_THAT(p.U64("Limit"), IsOkAndHolds(Optional(uint64_t{5})));
  ASSERT_OK_AND_ASSIGN(std::optional<std::vector<Params::Element>> filters,
                       p.Objects("Filters", {"Name", "Values"}));
  ASSERT_TRUE(filters.has_value());
  EXPECT_THAT(p.String((*filters)[0], "Name"),
              IsOkAndHolds(Optional(std::string("tag:x"))));
  EXPECT_THAT(p.Strings((*filters)[0], "Values"),
              IsOkAndHolds(Optional(ElementsAre("1"))));
}

TEST(ParamsFlattenedTest, ValuesConvertToTheFieldsType) {
  ASSERT_OK_AND_ASSIGN(
      Params p, Params::FromFlattened("A=30&B=x&C=true&D=0&E=-5&F=30.0"));
  EXPECT_THAT(p.U64("A"), IsOkAndHolds(Optional(uint64_t{30})));
  EXPECT_EQ(CodeOf(p.U64("B").status()), "InvalidParameter");
  EXPECT_THAT(p.Bool("C"), IsOkAndHolds(Optional(true)));
  EXPECT_THAT(p.Bool("D"), IsOkAndHolds(Optional(false)));
  ASSERT_OK_AND_ASSIGN(Params py,
                       Params::FromFlattened("T=True&F=False&X=yes"));
  EXPECT_THAT(py.Bool("T"), IsOkAndHolds(Optional(true)));
  EXPECT_THAT(py.Bool("F"), IsOkAndHolds(Optional(false)));
  EXPECT_EQ(CodeOf(py.Bool("X").status()), "InvalidParameter");
  EXPECT_EQ(CodeOf(p.U64("E").status()), "InvalidParameterValue");
  EXPECT_THAT(p.I64("E"), IsOkAndHolds(Optional(int64_t{-5})));
  EXPECT_EQ(CodeOf(p.U64("F").status()), "InvalidParameter");
}

TEST(ParamsFlattenedTest, IndicesStartAtZeroWithoutGaps) {
  EXPECT_EQ(CodeOf(Params::FromFlattened("L.1=a").status()),
            "InvalidParameter");
  EXPECT_EQ(CodeOf(Params::FromFlattened("L.0=a&L.2=b").status()),
            "InvalidParameter");
  EXPECT_EQ(CodeOf(Params::FromFlattened("L.01=a").status()),
            "InvalidParameter");
  EXPECT_EQ(CodeOf(Params::FromFlattened("L.0=a&L.0=b").status()),
            "InvalidParameter");
  EXPECT_EQ(CodeOf(Params::FromFlattened("L.x=a&L.0=b").status()),
            "InvalidParameter");
}

TEST(ParamsFlattenedTest, PlusIsASpaceAndBadEscapesFail) {
  ASSERT_OK_AND_ASSIGN(Params p, Params::FromFlattened("MsgContent=a+b%21"));
  EXPECT_THAT(p.String("MsgContent"),
              IsOkAndHolds(Optional(std::string("a b!"))));
  EXPECT_EQ(CodeOf(Params::FromFlattened("MsgContent=%zz").status()),
            "InvalidParameter");
  EXPECT_EQ(CodeOf(Params::FromFlattened("MsgContent=%FF").status()),
            "InvalidParameter");
  EXPECT_EQ(CodeOf(Params::FromFlattened("Na%C3me=x").status()),
            "InvalidParameter");
}

}  // namespace
}  // namespace rewindmq::facade::tdmq

#include "broker/kv_codec.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::broker::internal {
namespace {

TEST(KvCodecTest, FieldsRoundTrip) {
  KvWriter w;
  w.U64(1, 42)
      .I64(2, -7)
      .I64(3, std::numeric_limits<int64_t>::min())
      .Str(4, "hello")
      .Str(4, std::string(300, 'x'))
      .Bool(5, true);
  ASSERT_OK_AND_ASSIGN(KvFields f, KvFields::Parse(w.data()));
  EXPECT_EQ(f.U64(1), 42u);
  EXPECT_EQ(f.I64(2), -7);
  EXPECT_EQ(f.I64(3), std::numeric_limits<int64_t>::min());
  EXPECT_THAT(f.AllStr(4),
              ::testing::ElementsAre("hello", std::string(300, 'x')));
  EXPECT_TRUE(f.Bool(5));
}

TEST(KvCodecTest, AbsentFieldsTakeTheirDefault) {
  ASSERT_OK_AND_ASSIGN(KvFields f, KvFields::Parse(""));
  EXPECT_FALSE(f.Has(1));
  EXPECT_EQ(f.I64(1, 9), 9);
  EXPECT_EQ(f.Str(2, "d"), "d");
}

TEST(KvCodecTest, AParsedValueSurvivesACopy) {
  KvWriter w;
  w.Str(1, "short");
  ASSERT_OK_AND_ASSIGN(KvFields f, KvFields::Parse(w.data()));
  KvFields copy = f;
  KvFields moved = std::move(f);
  EXPECT_EQ(copy.Str(1), "short");
  EXPECT_EQ(moved.Str(1), "short");
}

TEST(KvCodecTest, TruncatedValueIsDataLoss) {
  KvWriter w;
  w.Str(1, "hello");
  std::string cut = w.data().substr(0, w.data().size() - 2);
  EXPECT_THAT(KvFields::Parse(cut),
              rmqtest::StatusIs(absl::StatusCode::kDataLoss));
}

TEST(KvCodecTest, Hex16SortsLikeTheNumber) {
  EXPECT_EQ(Hex16(255), "00000000000000FF");
  EXPECT_LT(Hex16(9), Hex16(10));
  uint64_t v = 0;
  EXPECT_TRUE(ParseHex16("00000000000000ff", &v));
  EXPECT_EQ(v, 255u);
  EXPECT_FALSE(ParseHex16("FF", &v));
  EXPECT_FALSE(ParseHex16("000000000000000G", &v));
}

}  // namespace
}  // namespace rewindmq::broker::internal

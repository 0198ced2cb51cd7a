// Golden tests of both header encodings (rocketmq-remoting.md sections 1.2
// and 1.3). Binary vectors follow RocketMQSerializableTest and
// RocketMQSerializable.rocketMQProtocolEncode; JSON vectors are written as
// fastjson serializes RemotingCommand (bean fields sorted by name, nulls and
// transient fields skipped, extFields in HashMap iteration order).
#include "broker/facades/remoting/header_codec.h"

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "broker/facades/remoting/command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::facade::remoting {
namespace {

using ::rmqtest::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

std::string Hex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

// The fixed part of RocketMQSerializableTest's command: REGISTER_BROKER,
// JAVA, version 2333, opaque 7, flag 0.
constexpr absl::string_view kFixedHex =
    "0067"       // 0  code 103
    "00"         // 2  language JAVA
    "091D"       // 3  version 2333
    "00000007"   // 5  opaque
    "00000000";  // 9  flag

RemotingCommand RegisterBroker() {
  RemotingCommand cmd;
  cmd.type = SerializeType::kRocketMq;
  cmd.code = 103;
  cmd.language = 0;
  cmd.version = 2333;
  cmd.opaque = 7;
  return cmd;
}

// testRocketMQProtocolEncodeAndDecode_WithoutRemarkWithoutExtFields.
const std::string kNoRemarkNoExt = Hex(absl::StrCat(kFixedHex,
                                                    "00000000"     // 13 remark
                                                    "00000000"));  // 17 ext

// testRocketMQProtocolEncodeAndDecode_WithRemarkWithoutExtFields.
const std::string kRemarkNoExt =
    absl::StrCat(Hex(absl::StrCat(kFixedHex, "0000000D")), "Sample Remark",
                 Hex("00000000"));  // at 30

// testRocketMQProtocolEncodeAndDecode_WithoutRemarkWithExtFields.
const std::string kExtNoRemark =
    absl::StrCat(Hex(absl::StrCat(kFixedHex,
                                  "00000000"  // remark
                                  "0000000E"  // 17 extFields length 14
                                  "0003")),   // 21 key length
                 "key", Hex("00000005"), "value");

TEST(BinaryHeaderTest, NoRemarkNoExtFieldsIsTwentyOneBytes) {
  const std::string header = EncodeBinaryHeader(RegisterBroker());

  ASSERT_EQ(header.size(), 21u);
  EXPECT_EQ(absl::BytesToHexString(header),
            absl::BytesToHexString(kNoRemarkNoExt));
}

TEST(BinaryHeaderTest, NoRemarkNoExtFieldsDecodesToNullRemarkAndNoFields) {
  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd, DecodeBinaryHeader(kNoRemarkNoExt));

  EXPECT_EQ(cmd.code, 103);
  EXPECT_EQ(cmd.language, 0);
  EXPECT_EQ(cmd.version, 2333);
  EXPECT_EQ(cmd.opaque, 7);
  EXPECT_EQ(cmd.flag, 0);
  EXPECT_FALSE(cmd.remark.has_value());
  EXPECT_THAT(cmd.ext_fields, IsEmpty());
}

TEST(BinaryHeaderTest, RemarkIsThirtyFourBytesWithItsLengthAtThirteen) {
  RemotingCommand cmd = RegisterBroker();
  cmd.remark = "Sample Remark";

  const std::string header = EncodeBinaryHeader(cmd);

  ASSERT_EQ(header.size(), 34u);
  EXPECT_EQ(absl::BytesToHexString(header),
            absl::BytesToHexString(kRemarkNoExt));
}

TEST(BinaryHeaderTest, RemarkDecodes) {
  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd, DecodeBinaryHeader(kRemarkNoExt));

  EXPECT_EQ(cmd.code, 103);
  EXPECT_EQ(cmd.version, 2333);
  EXPECT_EQ(cmd.remark, "Sample Remark");
  EXPECT_THAT(cmd.ext_fields, IsEmpty());
}

TEST(BinaryHeaderTest, ExtFieldIsThirtyFiveBytesWithLengthFourteen) {
  RemotingCommand cmd = RegisterBroker();
  cmd.ext_fields = {{"key", "value"}};

  const std::string header = EncodeBinaryHeader(cmd);

  ASSERT_EQ(header.size(), 35u);
  EXPECT_EQ(absl::BytesToHexString(header),
            absl::BytesToHexString(kExtNoRemark));
}

TEST(BinaryHeaderTest, ExtFieldDecodes) {
  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd, DecodeBinaryHeader(kExtNoRemark));

  EXPECT_FALSE(cmd.remark.has_value());
  EXPECT_THAT(cmd.ext_fields, ElementsAre(Pair("key", "value")));
}

// RocketMQSerializable writes a non-null but empty remark as length 0.
TEST(BinaryHeaderTest, EmptyRemarkIsWrittenAsNone) {
  RemotingCommand cmd = RegisterBroker();
  cmd.remark = "";

  EXPECT_EQ(absl::BytesToHexString(EncodeBinaryHeader(cmd)),
            absl::BytesToHexString(kNoRemarkNoExt));
}

// RocketMQSerializableTest.testFastEncode: code 1, version 99, opaque 1001,
// flag 3, remark "remark", custom header {str: "s1", num: 100} (in the
// HashMap's iteration order: str, num).
TEST(BinaryHeaderTest, FastEncodeVectorDecodes) {
  const std::string header = absl::StrCat(
      Hex("0001"        // code 1
          "00"          // JAVA
          "0063"        // version 99
          "000003E9"    // opaque 1001
          "00000003"    // flag: response | oneway
          "00000006"),  // remark length
      "remark",
      Hex("00000017"  // extFields length 23
          "0003"),
      "str", Hex("00000002"), "s1", Hex("0003"), "num", Hex("00000003"), "100");

  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd, DecodeBinaryHeader(header));

  EXPECT_EQ(cmd.code, 1);
  EXPECT_EQ(cmd.language, 0);
  EXPECT_EQ(cmd.version, 99);
  EXPECT_EQ(cmd.opaque, 1001);
  EXPECT_EQ(cmd.flag, 3);
  EXPECT_TRUE(cmd.is_response());
  EXPECT_TRUE(cmd.is_oneway());
  EXPECT_EQ(cmd.remark, "remark");
  EXPECT_THAT(cmd.ext_fields,
              ElementsAre(Pair("str", "s1"), Pair("num", "100")));
  EXPECT_EQ(absl::BytesToHexString(EncodeBinaryHeader(cmd)),
            absl::BytesToHexString(header));
}

// Java reads code and version with readShort.
TEST(BinaryHeaderTest, CodeAndVersionAreSignedInt16) {
  const std::string header =
      Hex("FFFF"
          "00"
          "8000"
          "00000001"
          "00000001"
          "00000000"
          "00000000");

  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd, DecodeBinaryHeader(header));

  EXPECT_EQ(cmd.code, -1);
  EXPECT_EQ(cmd.version, -32768);
}

TEST(BinaryHeaderTest, EveryTruncationIsInvalidArgument) {
  for (size_t n = 0; n < kExtNoRemark.size(); ++n) {
    EXPECT_THAT(DecodeBinaryHeader(kExtNoRemark.substr(0, n)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << n;
  }
}

TEST(BinaryHeaderTest, RemarkLengthPastTheHeaderIsInvalidArgument) {
  const std::string header = Hex(absl::StrCat(kFixedHex,
                                              "000000FF"
                                              "00000000"));

  EXPECT_THAT(DecodeBinaryHeader(header),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BinaryHeaderTest, NegativeRemarkLengthIsInvalidArgument) {
  const std::string header = Hex(absl::StrCat(kFixedHex,
                                              "FFFFFFFF"
                                              "00000000"));

  EXPECT_THAT(DecodeBinaryHeader(header),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BinaryHeaderTest, ExtFieldsLengthPastTheHeaderIsInvalidArgument) {
  const std::string header =
      absl::StrCat(Hex(absl::StrCat(kFixedHex,
                                    "00000000"
                                    "0000000F"  // 15 of 14
                                    "0003")),
                   "key", Hex("00000005"), "value");

  EXPECT_THAT(DecodeBinaryHeader(header),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// The extFields block says 9 bytes: key length, key, value length; the
// value itself would be past the block although the header has it.
TEST(BinaryHeaderTest, ExtEntryValuePastItsBlockIsInvalidArgument) {
  const std::string header = absl::StrCat(Hex(absl::StrCat(kFixedHex,
                                                           "00000000"
                                                           "00000009"
                                                           "0003")),
                                          "key", Hex("00000005"), "value");

  EXPECT_THAT(DecodeBinaryHeader(header),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BinaryHeaderTest, ExtEntryKeyPastItsBlockIsInvalidArgument) {
  const std::string header = absl::StrCat(Hex(absl::StrCat(kFixedHex,
                                                           "00000000"
                                                           "00000004"
                                                           "0010")),
                                          "ab");

  EXPECT_THAT(DecodeBinaryHeader(header),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BinaryHeaderTest, ExtEntryWithoutValueLengthIsInvalidArgument) {
  const std::string header = absl::StrCat(Hex(absl::StrCat(kFixedHex,
                                                           "00000000"
                                                           "00000005"
                                                           "0003")),
                                          "key");

  EXPECT_THAT(DecodeBinaryHeader(header),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// RemotingCommandTest.testEncodeAndDecode_FilledBodyWithExtFields: an
// ExtFieldsHeader plus addExtField("key", "value"); the map was created
// with capacity 256, so fastjson writes it in that table's bucket order.
constexpr absl::string_view kFastjsonExtFieldsHeader =
    R"({"code":103,"extFields":{"doubleValue":"0.618","longValue":"23333333",)"
    R"("key":"value","stringValue":"bilibili","booleanValue":"true",)"
    R"("intValue":"2333"},"flag":0,"language":"JAVA","opaque":5,)"
    R"("serializeTypeCurrentRPC":"JSON","version":2333})";

TEST(JsonHeaderTest, FastjsonHeaderDecodesWithExtFieldsInWireOrder) {
  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd,
                       DecodeJsonHeader(kFastjsonExtFieldsHeader));

  EXPECT_EQ(cmd.code, 103);
  EXPECT_EQ(cmd.language, 0);
  EXPECT_EQ(cmd.version, 2333);
  EXPECT_EQ(cmd.opaque, 5);
  EXPECT_EQ(cmd.flag, 0);
  EXPECT_FALSE(cmd.remark.has_value());
  EXPECT_THAT(
      cmd.ext_fields,
      ElementsAre(Pair("doubleValue", "0.618"), Pair("longValue", "23333333"),
                  Pair("key", "value"), Pair("stringValue", "bilibili"),
                  Pair("booleanValue", "true"), Pair("intValue", "2333")));
}

TEST(JsonHeaderTest, EncodingWritesWhatFastjsonWrites) {
  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd,
                       DecodeJsonHeader(kFastjsonExtFieldsHeader));

  EXPECT_EQ(EncodeJsonHeader(cmd), kFastjsonExtFieldsHeader);
}

// A 4.9.8 SEND_MESSAGE_V2 request: SendMessageRequestHeaderV2's one-letter
// fields (null l and n omitted), the properties with \u0001 and \u0002 as
// fastjson escapes them.
constexpr absl::string_view kFastjsonSendV2Header =
    R"({"code":310,"extFields":{"a":"PG","b":"orders","c":"TBW102","d":"4",)"
    R"("e":"0","f":"0","g":"1700000000000","h":"0","i":"UNIQ_KEY\u0001)"
    R"(7F0000010B8C18B4AAC2463F8B8E0000\u0002WAIT\u0001true\u0002TAGS\u0001)"
    R"(tagA\u0002","j":"0","k":"false","m":"false"},"flag":0,)"
    R"("language":"JAVA","opaque":42,"serializeTypeCurrentRPC":"JSON",)"
    R"("version":409})";

TEST(JsonHeaderTest, SendMessageV2HeaderDecodesPropertiesSeparators) {
  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd,
                       DecodeJsonHeader(kFastjsonSendV2Header));

  EXPECT_EQ(cmd.code, 310);
  EXPECT_EQ(cmd.version, 409);
  EXPECT_EQ(cmd.opaque, 42);
  ASSERT_EQ(cmd.ext_fields.size(), 12u);
  ASSERT_NE(cmd.Field("i"), nullptr);
  EXPECT_EQ(*cmd.Field("i"),
            absl::StrCat("UNIQ_KEY", "\x01", "7F0000010B8C18B4AAC2463F8B8E0000",
                         "\x02", "WAIT", "\x01", "true", "\x02", "TAGS", "\x01",
                         "tagA", "\x02"));
  ASSERT_NE(cmd.Field("g"), nullptr);
  EXPECT_EQ(*cmd.Field("g"), "1700000000000");
  EXPECT_THAT(cmd.ext_fields.back(), Pair("m", "false"));
}

TEST(JsonHeaderTest, SeparatorsAreEscapedAsFastjsonEscapesThem) {
  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd,
                       DecodeJsonHeader(kFastjsonSendV2Header));

  EXPECT_EQ(EncodeJsonHeader(cmd), kFastjsonSendV2Header);
}

TEST(JsonHeaderTest, ResponseWithRemarkHasFastjsonFieldOrder) {
  RemotingCommand cmd;
  cmd.code = 0;
  cmd.flag = kFlagResponse;
  cmd.opaque = 42;
  cmd.version = kServerVersion;
  cmd.remark = "ok";
  cmd.ext_fields = {{"msgId", "7F00000100002A9F0000000000001234"},
                    {"queueId", "0"},
                    {"queueOffset", "17"}};

  EXPECT_EQ(EncodeJsonHeader(cmd),
            R"({"code":0,"extFields":{"msgId":)"
            R"("7F00000100002A9F0000000000001234","queueId":"0",)"
            R"("queueOffset":"17"},"flag":1,"language":"JAVA","opaque":42,)"
            R"("remark":"ok","serializeTypeCurrentRPC":"JSON","version":401})");
}

TEST(JsonHeaderTest, NullRemarkAndNoExtFieldsAreOmitted) {
  RemotingCommand cmd;
  cmd.code = 34;
  cmd.language = 9;
  cmd.version = 317;
  cmd.opaque = -1;

  EXPECT_EQ(EncodeJsonHeader(cmd),
            R"({"code":34,"flag":0,"language":"GO","opaque":-1,)"
            R"("serializeTypeCurrentRPC":"JSON","version":317})");
}

// Go's jsoniter (codec.go): struct field order, remark always present.
TEST(JsonHeaderTest, GoHeaderDecodes) {
  ASSERT_OK_AND_ASSIGN(
      RemotingCommand cmd,
      DecodeJsonHeader(
          R"({"code":11,"language":"GO","version":317,"opaque":3,"flag":0,)"
          R"("remark":"","extFields":{"consumerGroup":"CG","queueId":"2"}})"));

  EXPECT_EQ(cmd.code, 11);
  EXPECT_EQ(cmd.language, 9);
  EXPECT_EQ(cmd.version, 317);
  EXPECT_EQ(cmd.opaque, 3);
  EXPECT_EQ(cmd.remark.value_or(""), "");
  EXPECT_THAT(cmd.ext_fields,
              ElementsAre(Pair("consumerGroup", "CG"), Pair("queueId", "2")));
}

TEST(JsonHeaderTest, NumbersMayComeAsStrings) {
  ASSERT_OK_AND_ASSIGN(
      RemotingCommand cmd,
      DecodeJsonHeader(
          R"({"code":"310","version":"409","opaque":"-7","flag":"2"})"));

  EXPECT_EQ(cmd.code, 310);
  EXPECT_EQ(cmd.version, 409);
  EXPECT_EQ(cmd.opaque, -7);
  EXPECT_EQ(cmd.flag, 2);
}

TEST(JsonHeaderTest, ExtFieldNumbersAndBooleansAreTakenAsText) {
  ASSERT_OK_AND_ASSIGN(
      RemotingCommand cmd,
      DecodeJsonHeader(
          R"({"code":310,"extFields":{"d":4,"k":false,"m":true,"s":"x"}})"));

  EXPECT_THAT(cmd.ext_fields, ElementsAre(Pair("d", "4"), Pair("k", "false"),
                                          Pair("m", "true"), Pair("s", "x")));
}

TEST(JsonHeaderTest, UnknownKeysAreIgnored) {
  ASSERT_OK_AND_ASSIGN(
      RemotingCommand cmd,
      DecodeJsonHeader(
          R"({"code":12,"suspended":false,"serializeTypeCurrentRPC":"JSON",)"
          R"("future":{"x":[1,2]},"flag":1})"));

  EXPECT_EQ(cmd.code, 12);
  EXPECT_EQ(cmd.flag, 1);
  EXPECT_THAT(cmd.ext_fields, IsEmpty());
}

TEST(JsonHeaderTest, UnknownLanguageIsOther) {
  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd,
                       DecodeJsonHeader(R"({"language":"KOTLIN"})"));

  EXPECT_EQ(cmd.language, 7);
}

TEST(JsonHeaderTest, NullRemarkAndNullExtFieldsAreAbsent) {
  ASSERT_OK_AND_ASSIGN(
      RemotingCommand cmd,
      DecodeJsonHeader(R"({"code":1,"remark":null,"extFields":null})"));

  EXPECT_FALSE(cmd.remark.has_value());
  EXPECT_THAT(cmd.ext_fields, IsEmpty());
}

TEST(JsonHeaderTest, InvalidJsonIsInvalidArgument) {
  EXPECT_THAT(DecodeJsonHeader(R"({"code":103,"flag":)"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeJsonHeader(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeJsonHeader(R"({"code":1}garbage)"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonHeaderTest, NonObjectIsInvalidArgument) {
  EXPECT_THAT(DecodeJsonHeader("[1,2]"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeJsonHeader(R"("code")"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonHeaderTest, FieldOfTheWrongTypeIsInvalidArgument) {
  EXPECT_THAT(DecodeJsonHeader(R"({"code":"abc"})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeJsonHeader(R"({"opaque":1.5})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeJsonHeader(R"({"flag":[0]})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeJsonHeader(R"({"extFields":["a"]})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace rewindmq::facade::remoting

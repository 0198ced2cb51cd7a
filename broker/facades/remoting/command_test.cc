// Golden tests of the remoting frame (rocketmq-remoting.md section 1.1).
// The expected bytes are written out by hand from Apache's layouts
// (RemotingCommand.encode / markProtocolType, RocketMQSerializable, fastjson
// as RemotingSerializable calls it, Go internal/remote/codec.go), not taken
// from our encoder.
#include "broker/facades/remoting/command.h"

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::facade::remoting {
namespace {

using ::rmqtest::IsOkAndHolds;
using ::rmqtest::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

std::string Hex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

// RocketMQSerializableTest: REGISTER_BROKER (103), version 2333, JAVA, no
// remark, no extFields: a 21-byte header; here with opaque 7 and no body.
// RemotingCommand.encode: L = 4 + 21 = 25, mark = (1 << 24) | 21.
const std::string kJavaBinaryRegisterBroker =
    Hex("00000019"  // L
        "01000015"  // ROCKETMQ << 24 | 21
        "0067"      // code 103
        "00"        // JAVA
        "091D"      // version 2333
        "00000007"  // opaque
        "00000000"  // flag: request
        "00000000"  // remark: null
        "00000000"  // extFields: none
    );

// RemotingCommandTest.testEncodeAndDecode_FilledBody: code 103 with an
// empty custom header, which makeCustomHeaderToNet turns into an empty
// extFields map, body {0,1,2,3,4}; fastjson sorts bean fields by name and
// skips the transient body. The header is 113 (0x71) bytes,
// L = 4 + 113 + 5 = 122.
constexpr absl::string_view kFastjsonRegisterBrokerHeader =
    R"({"code":103,"extFields":{},"flag":0,"language":"JAVA","opaque":5,)"
    R"("serializeTypeCurrentRPC":"JSON","version":2333})";

std::string JavaJsonRegisterBrokerFrame() {
  return absl::StrCat(Hex("0000007A"    // L
                          "00000071"),  // JSON << 24 | 113
                      kFastjsonRegisterBrokerHeader, Hex("0001020304"));
}

TEST(DecodeFrameTest, JavaBinaryHeaderFrameDecodesToItsFields) {
  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd,
                       DecodeFrame(kJavaBinaryRegisterBroker));

  EXPECT_EQ(cmd.type, SerializeType::kRocketMq);
  EXPECT_EQ(cmd.code, 103);
  EXPECT_EQ(cmd.language, 0);
  EXPECT_EQ(cmd.version, 2333);
  EXPECT_EQ(cmd.opaque, 7);
  EXPECT_EQ(cmd.flag, 0);
  EXPECT_FALSE(cmd.is_response());
  EXPECT_FALSE(cmd.is_oneway());
  EXPECT_FALSE(cmd.remark.has_value());
  EXPECT_THAT(cmd.ext_fields, IsEmpty());
  EXPECT_THAT(cmd.body, IsEmpty());
}

TEST(EncodeFrameTest, BinaryHeaderFrameIsByteForByteWhatJavaWrites) {
  RemotingCommand cmd;
  cmd.type = SerializeType::kRocketMq;
  cmd.code = 103;
  cmd.language = 0;
  cmd.version = 2333;
  cmd.opaque = 7;

  EXPECT_EQ(absl::BytesToHexString(EncodeFrame(cmd)),
            absl::BytesToHexString(kJavaBinaryRegisterBroker));
}

TEST(EncodeFrameTest, BinaryHeaderFrameCountsTheBodyInTheLengthOnly) {
  RemotingCommand cmd;
  cmd.type = SerializeType::kRocketMq;
  cmd.code = 103;
  cmd.version = 2333;
  cmd.opaque = 7;
  cmd.body = "hello";

  // L = 4 + 21 + 5 = 30; the mark still says 21.
  EXPECT_EQ(absl::BytesToHexString(EncodeFrame(cmd)),
            absl::BytesToHexString(
                absl::StrCat(Hex("0000001E"
                                 "01000015"),
                             kJavaBinaryRegisterBroker.substr(8), "hello")));
}

TEST(DecodeFrameTest, FastjsonHeaderFrameDecodesWithItsBody) {
  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd,
                       DecodeFrame(JavaJsonRegisterBrokerFrame()));

  EXPECT_EQ(cmd.type, SerializeType::kJson);
  EXPECT_EQ(cmd.code, 103);
  EXPECT_EQ(cmd.language, 0);
  EXPECT_EQ(cmd.version, 2333);
  EXPECT_EQ(cmd.opaque, 5);
  EXPECT_EQ(cmd.flag, 0);
  EXPECT_FALSE(cmd.remark.has_value());
  EXPECT_THAT(cmd.ext_fields, IsEmpty());
  EXPECT_EQ(cmd.body, Hex("0001020304"));
}

// RemotingCommandTest.testMarkProtocolType_JSONProtocolType: 261 -> 00 00 01
// 05. A response header of exactly 261 bytes: the fixed part is 107 bytes,
// the remark 154.
TEST(EncodeFrameTest, JsonMarkOfA261ByteHeaderIs00000105) {
  const std::string remark(154, 'x');
  RemotingCommand cmd;
  cmd.type = SerializeType::kJson;
  cmd.code = 0;
  cmd.flag = kFlagResponse;
  cmd.opaque = 9;
  cmd.version = kServerVersion;
  cmd.remark = remark;

  const std::string frame = EncodeFrame(cmd);

  const std::string header = absl::StrCat(
      R"({"code":0,"flag":1,"language":"JAVA","opaque":9,"remark":")", remark,
      R"(","serializeTypeCurrentRPC":"JSON","version":401})");
  ASSERT_EQ(header.size(), 261u);
  EXPECT_EQ(absl::BytesToHexString(frame.substr(0, 8)),
            "00000109"    // L = 4 + 261
            "00000105");  // JSON << 24 | 261
  EXPECT_EQ(frame.substr(8), header);
}

// RemotingCommandTest.testMarkProtocolType_ROCKETMQProtocolType: 16777215
// -> 01 FF FF FF. No frame within 16 MiB has such a header; one that says
// so is past its frame.
TEST(DecodeFrameTest, HeaderLengthPastTheFrameIsInvalidArgument) {
  std::string frame = kJavaBinaryRegisterBroker;
  frame.replace(4, 4, Hex("01FFFFFF"));

  EXPECT_THAT(DecodeFrame(frame), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DecodeFrameTest, HeaderLengthOneByteBeyondTheFrameIsInvalidArgument) {
  std::string frame = kJavaBinaryRegisterBroker;
  frame.replace(4, 4, Hex("01000016"));  // 22 of 21 bytes

  EXPECT_THAT(DecodeFrame(frame), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DecodeFrameTest, UnknownSerializeTypeIsInvalidArgument) {
  std::string frame = kJavaBinaryRegisterBroker;
  frame[4] = '\x02';

  EXPECT_THAT(DecodeFrame(frame), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DecodeFrameTest, TruncatedBinaryHeaderIsInvalidArgument) {
  // The mark says 20 header bytes: the extFields length is cut.
  const std::string frame =
      Hex("00000018"
          "01000014"
          "0067"
          "00"
          "091D"
          "00000007"
          "00000000"
          "00000000"
          "000000");

  EXPECT_THAT(DecodeFrame(frame), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DecodeFrameTest, InvalidJsonHeaderIsInvalidArgument) {
  const std::string frame = absl::StrCat(Hex("0000000D"
                                             "00000009"),
                                         R"({"code":1)");

  EXPECT_THAT(DecodeFrame(frame), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DecodeFrameTest, LengthFieldThatDisagreesWithTheFrameIsInvalidArgument) {
  std::string frame = kJavaBinaryRegisterBroker;
  frame.replace(0, 4, Hex("0000001A"));

  EXPECT_THAT(DecodeFrame(frame), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DecodeFrameTest, FrameShorterThanEightBytesIsInvalidArgument) {
  EXPECT_THAT(DecodeFrame(Hex("00000003000000")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DecodeFrameTest, HeaderOfZeroBytesWithAllBodyIsAnUnparsableJsonHeader) {
  const std::string frame = absl::StrCat(Hex("00000006"
                                             "00000000"),
                                         "{}");

  EXPECT_THAT(DecodeFrame(frame), StatusIs(absl::StatusCode::kInvalidArgument));
}

// Go's jsoniter writes its struct in field order, always with a remark and
// language "GO" (codec.go RemotingCommand, LanguageCode.MarshalJSON).
TEST(DecodeFrameTest, GoJsonHeaderFrameDecodes) {
  const std::string frame = absl::StrCat(
      Hex("00000078"    // 4 + 96 + 20
          "00000060"),  // 96
      R"({"code":192,"language":"GO","version":317,"opaque":1,"flag":0,)"
      R"("remark":"","extFields":{"k":"v"}})",
      "Hello RocketMQCodecs");

  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd, DecodeFrame(frame));

  EXPECT_EQ(cmd.type, SerializeType::kJson);
  EXPECT_EQ(cmd.code, 192);
  EXPECT_EQ(cmd.language, 9);
  EXPECT_EQ(LanguageName(cmd.language), "GO");
  EXPECT_EQ(cmd.version, 317);
  EXPECT_EQ(cmd.opaque, 1);
  EXPECT_EQ(cmd.remark.value_or(""), "");
  EXPECT_THAT(cmd.ext_fields, ElementsAre(Pair("k", "v")));
  EXPECT_EQ(cmd.body, "Hello RocketMQCodecs");
}

// Go's rmqCodec always writes language _Go (9).
TEST(DecodeFrameTest, GoBinaryHeaderFrameDecodes) {
  const std::string frame = absl::StrCat(Hex("0000002F"  // 4 + 29 + 14
                                             "0100001D"  // 29
                                             "00C0"      // 192
                                             "09"        // GO
                                             "013D"      // 317
                                             "00000002"
                                             "00000000"
                                             "00000000"
                                             "00000008"
                                             "0001"
                                             "6B"
                                             "00000001"
                                             "76"),
                                         "Hello Go!!!!!!");

  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd, DecodeFrame(frame));

  EXPECT_EQ(cmd.type, SerializeType::kRocketMq);
  EXPECT_EQ(cmd.code, 192);
  EXPECT_EQ(cmd.language, 9);
  EXPECT_EQ(cmd.version, 317);
  EXPECT_EQ(cmd.opaque, 2);
  EXPECT_FALSE(cmd.remark.has_value());
  EXPECT_THAT(cmd.ext_fields, ElementsAre(Pair("k", "v")));
  EXPECT_EQ(cmd.body, "Hello Go!!!!!!");
}

// Java's requestId counter wraps to negative opaques.
TEST(DecodeFrameTest, OpaqueIsASignedInt32) {
  std::string frame = kJavaBinaryRegisterBroker;
  frame.replace(13, 4, Hex("FFFFFFFE"));

  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd, DecodeFrame(frame));

  EXPECT_EQ(cmd.opaque, -2);
}

// RPC_ONEWAY = 1 is bit 1: a oneway request carries flag 2.
TEST(DecodeFrameTest, OnewayRequestHasFlagTwo) {
  std::string frame = kJavaBinaryRegisterBroker;
  frame.replace(17, 4, Hex("00000002"));

  ASSERT_OK_AND_ASSIGN(RemotingCommand cmd, DecodeFrame(frame));

  EXPECT_TRUE(cmd.is_oneway());
  EXPECT_FALSE(cmd.is_response());
}

TEST(EncodeFrameTest, EncodedFramesDecodeToTheSameCommandInBothTypes) {
  for (SerializeType type : {SerializeType::kJson, SerializeType::kRocketMq}) {
    RemotingCommand cmd;
    cmd.type = type;
    cmd.code = 310;
    cmd.version = 409;
    cmd.opaque = -42;
    cmd.flag = kFlagOneway;
    cmd.remark = "r";
    cmd.ext_fields = {{"a", "PG"}, {"b", "T"}, {"i", "TAGS\x01x\x02"}};
    cmd.body = std::string("\0\xff\x01", 3);

    ASSERT_OK_AND_ASSIGN(RemotingCommand back, DecodeFrame(EncodeFrame(cmd)));

    EXPECT_EQ(back.type, type);
    EXPECT_EQ(back.code, 310);
    EXPECT_EQ(back.version, 409);
    EXPECT_EQ(back.opaque, -42);
    EXPECT_EQ(back.flag, kFlagOneway);
    EXPECT_EQ(back.remark, "r");
    EXPECT_EQ(back.ext_fields, cmd.ext_fields);
    EXPECT_EQ(back.body, cmd.body);
  }
}

TEST(FrameSizeTest, FewerThanFourBytesNeedMore) {
  EXPECT_THAT(FrameSize(""), IsOkAndHolds(size_t{0}));
  EXPECT_THAT(FrameSize(Hex("000000")), IsOkAndHolds(size_t{0}));
}

TEST(FrameSizeTest, WholeFrameIsItsLengthPlusFour) {
  EXPECT_THAT(FrameSize(kJavaBinaryRegisterBroker), IsOkAndHolds(size_t{29}));
}

TEST(FrameSizeTest, PartFrameNeedsMore) {
  for (size_t n = 4; n < kJavaBinaryRegisterBroker.size(); ++n) {
    EXPECT_THAT(FrameSize(kJavaBinaryRegisterBroker.substr(0, n)),
                IsOkAndHolds(size_t{0}))
        << n;
  }
}

TEST(FrameSizeTest, LengthBelowFourIsInvalidArgument) {
  EXPECT_THAT(FrameSize(Hex("00000000")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(FrameSize(Hex("00000003000000")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FrameSizeTest, LengthOfSixteenMebibytesIsAcceptedAndWaitsForMore) {
  EXPECT_THAT(FrameSize(Hex("01000000")), IsOkAndHolds(size_t{0}));
}

TEST(FrameSizeTest, LengthAboveSixteenMebibytesIsInvalidArgument) {
  EXPECT_THAT(FrameSize(Hex("01000001")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(FrameSize(Hex("FFFFFFFF")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// As a connection reads: the first frame of a buffer that holds one and a
// half.
TEST(FrameSizeTest, BufferWithTwoFramesYieldsThemOneAfterTheOther) {
  const std::string json = JavaJsonRegisterBrokerFrame();
  const std::string stream =
      absl::StrCat(kJavaBinaryRegisterBroker, json, json.substr(0, 10));
  absl::string_view rest = stream;

  ASSERT_OK_AND_ASSIGN(size_t first, FrameSize(rest));
  ASSERT_EQ(first, kJavaBinaryRegisterBroker.size());
  ASSERT_OK_AND_ASSIGN(RemotingCommand a, DecodeFrame(rest.substr(0, first)));
  rest.remove_prefix(first);
  ASSERT_OK_AND_ASSIGN(size_t second, FrameSize(rest));
  ASSERT_EQ(second, json.size());
  ASSERT_OK_AND_ASSIGN(RemotingCommand b, DecodeFrame(rest.substr(0, second)));
  rest.remove_prefix(second);

  EXPECT_EQ(a.type, SerializeType::kRocketMq);
  EXPECT_EQ(b.type, SerializeType::kJson);
  EXPECT_EQ(b.body, Hex("0001020304"));
  EXPECT_THAT(FrameSize(rest), IsOkAndHolds(size_t{0}));
}

TEST(ResponseToTest, ResponseKeepsOpaqueAndSerializeType) {
  RemotingCommand request;
  request.type = SerializeType::kRocketMq;
  request.code = 310;
  request.language = 9;
  request.version = 317;
  request.opaque = 77;
  request.ext_fields = {{"a", "PG"}};

  const RemotingCommand r = ResponseTo(request, 17, "topic not exist");

  EXPECT_EQ(r.code, 17);
  EXPECT_EQ(r.opaque, 77);
  EXPECT_EQ(r.type, SerializeType::kRocketMq);
  EXPECT_EQ(r.flag, kFlagResponse);
  EXPECT_TRUE(r.is_response());
  EXPECT_EQ(r.language, 0);
  EXPECT_EQ(r.version, 401);
  EXPECT_EQ(r.remark, "topic not exist");
  EXPECT_THAT(r.ext_fields, IsEmpty());
}

TEST(RemotingCommandTest, SetReplacesAnExistingFieldInPlace) {
  RemotingCommand cmd;
  cmd.Set("msgId", "A");
  cmd.Set("queueId", "1");
  cmd.Set("msgId", "B");

  EXPECT_THAT(cmd.ext_fields,
              ElementsAre(Pair("msgId", "B"), Pair("queueId", "1")));
  ASSERT_NE(cmd.Field("queueId"), nullptr);
  EXPECT_EQ(*cmd.Field("queueId"), "1");
  EXPECT_EQ(cmd.Field("queueOffset"), nullptr);
}

// LanguageCode.java: the ordinal order of the enum.
TEST(LanguageTest, NamesFollowLanguageCodeJava) {
  EXPECT_EQ(LanguageName(0), "JAVA");
  EXPECT_EQ(LanguageName(1), "CPP");
  EXPECT_EQ(LanguageName(2), "DOTNET");
  EXPECT_EQ(LanguageName(3), "PYTHON");
  EXPECT_EQ(LanguageName(4), "DELPHI");
  EXPECT_EQ(LanguageName(5), "ERLANG");
  EXPECT_EQ(LanguageName(6), "RUBY");
  EXPECT_EQ(LanguageName(7), "OTHER");
  EXPECT_EQ(LanguageName(8), "HTTP");
  EXPECT_EQ(LanguageName(9), "GO");
  EXPECT_EQ(LanguageName(10), "PHP");
  EXPECT_EQ(LanguageName(11), "OMS");
  EXPECT_EQ(LanguageName(12), "RUST");
  EXPECT_EQ(LanguageName(13), "NODE_JS");
}

TEST(LanguageTest, UnknownCodesAreOther) {
  EXPECT_EQ(LanguageName(14), "OTHER");
  EXPECT_EQ(LanguageName(-1), "OTHER");
  EXPECT_EQ(LanguageName(127), "OTHER");
}

TEST(LanguageTest, CodeIsTheInverseOfName) {
  for (int32_t code = 0; code <= 13; ++code) {
    EXPECT_EQ(LanguageCode(LanguageName(code)), code);
  }
  EXPECT_EQ(LanguageCode("KOTLIN"), 7);
  EXPECT_EQ(LanguageCode(""), 7);
}

}  // namespace
}  // namespace rewindmq::facade::remoting

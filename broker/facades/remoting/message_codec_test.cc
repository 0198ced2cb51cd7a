// Golden tests of message bytes (rocketmq-remoting.md sections 3.3, 3.6-3.8).
// Records are laid out as MessageDecoder.encode writes them and read at the
// offsets MessageDecoder.decode reads; batch bodies as
// MessageDecoder.encodeMessages writes them; properties by the rules of
// string2messageProperties (MessageDecoderTest's cases); message ids by
// createMessageId and the Go client's UnmarshalMsgID vectors; compressed
// bodies as java.util.zip.Deflater (zlib) writes them.
#include "broker/facades/remoting/message_codec.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

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
using ::testing::SizeIs;

std::string Hex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

// Big-endian integer of `n` bytes at `offset`.
uint64_t At(absl::string_view bytes, size_t offset, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) {
    v = (v << 8) | static_cast<uint8_t>(bytes[offset + i]);
  }
  return v;
}

constexpr absl::string_view kNv = "\x01";  // NAME_VALUE_SEPARATOR
constexpr absl::string_view kPs = "\x02";  // PROPERTY_SEPARATOR

// messageProperties2String of {a=123, b=hello, c=3.14} (HashMap order a, b,
// c): 21 bytes.
const std::string kAbcProperties = absl::StrCat(
    "a", kNv, "123", kPs, "b", kNv, "hello", kPs, "c", kNv, "3.14", kPs);

// MessageDecoderTest.testEncodeAndDecode's message with fixed times and a
// reachable store host: topic abc, body "hello!q!", queue 1, queue offset
// 123, commit log offset 123456, born 127.0.0.1:0, stored by
// 127.0.0.1:10911, bodyCRC = crc32("hello!q!") & 0x7FFFFFFF = 0x3CD1C123.
WireMessage JavaTestMessage() {
  WireMessage m;
  m.queue_id = 1;
  m.flag = 0;
  m.queue_offset = 123;
  m.physical_offset = 123456;
  m.sys_flag = 0;
  m.born_timestamp_ms = 1700000000000;
  m.born_host = {Hex("7F000001"), 0};
  m.store_timestamp_ms = 1700000000123;
  m.store_host = {Hex("7F000001"), 10911};
  m.reconsume_times = 0;
  m.prepared_transaction_offset = 0;
  m.body = "hello!q!";
  m.topic = "abc";
  m.properties = kAbcProperties;
  return m;
}

// MessageDecoder.encode of JavaTestMessage(): 84 fixed bytes, then body,
// topic and properties: 84 + 12 + 4 + 23 = 123.
const std::string kJavaRecord =
    absl::StrCat(Hex("0000007B"          //  0 TOTALSIZE 123
                     "DAA320A7"          //  4 MAGICCODE V1
                     "3CD1C123"          //  8 BODYCRC
                     "00000001"          // 12 QUEUEID
                     "00000000"          // 16 FLAG
                     "000000000000007B"  // 20 QUEUEOFFSET
                     "000000000001E240"  // 28 PHYSICALOFFSET 123456
                     "00000000"          // 36 SYSFLAG
                     "0000018BCFE56800"  // 40 BORNTIMESTAMP 1700000000000
                     "7F000001"          // 48 BORNHOST
                     "00000000"          // 52   port 0
                     "0000018BCFE5687B"  // 56 STORETIMESTAMP 1700000000123
                     "7F000001"          // 64 STOREHOST
                     "00002A9F"          // 68   port 10911
                     "00000000"          // 72 RECONSUMETIMES
                     "0000000000000000"  // 76 PREPAREDTRANSACTIONOFFSET
                     "00000008"),        // 84 BODY length
                 "hello!q!",             // 88
                 Hex("03"), "abc",       // 96 TOPIC
                 Hex("0015"),            // 100 PROPERTIES length 21
                 kAbcProperties);        // 102

// testEncodeAndDecodeOnIPv6Host: BORNHOST_V6 | STOREHOSTADDRESS_V6 (0x30),
// born [1050::5:600:300c:326b]:0, stored by [::1]:0. 123 + 2 * 12 = 147.
const std::string kJavaIpv6Record =
    absl::StrCat(Hex("00000093"  //  0 TOTALSIZE 147
                     "DAA320A7"
                     "3CD1C123"
                     "00000001"
                     "00000000"
                     "000000000000007B"
                     "000000000001E240"
                     "00000030"  // 36 SYSFLAG
                     "0000018BCFE56800"
                     "10500000000000000005"
                     "0600300C326B"      // 48 BORNHOST, 16 bytes
                     "00000000"          // 64   port
                     "0000018BCFE5687B"  // 68
                     "00000000000000000000000000000001"  // 76 STOREHOST ::1
                     "00000000"                          // 92   port
                     "00000000"                          // 96 RECONSUMETIMES
                     "0000000000000000"                  // 100
                     "00000008"),                        // 108
                 "hello!q!", Hex("03"), "abc", Hex("0015"), kAbcProperties);

TEST(MessageRecordTest, RecordIsByteForByteWhatMessageDecoderEncodeWrites) {
  std::string out;
  AppendMessageRecord(JavaTestMessage(), &out);

  EXPECT_EQ(absl::BytesToHexString(out), absl::BytesToHexString(kJavaRecord));
}

TEST(MessageRecordTest, FieldsSitAtTheOffsetsMessageDecoderDecodeReads) {
  std::string out;
  AppendMessageRecord(JavaTestMessage(), &out);

  ASSERT_EQ(out.size(), 123u);
  EXPECT_EQ(At(out, 0, 4), 123u);         // TOTALSIZE = record size
  EXPECT_EQ(At(out, 4, 4), 0xDAA320A7u);  // MAGICCODE
  EXPECT_EQ(At(out, 8, 4), 0x3CD1C123u);  // BODYCRC
  EXPECT_EQ(At(out, 12, 4), 1u);          // QUEUEID
  EXPECT_EQ(At(out, 16, 4), 0u);          // FLAG
  EXPECT_EQ(At(out, 20, 8), 123u);        // QUEUE_OFFSET_POSITION
  EXPECT_EQ(At(out, 28, 8), 123456u);     // PHY_POS_POSITION
  EXPECT_EQ(At(out, 36, 4), 0u);          // SYSFLAG_POSITION
  EXPECT_EQ(At(out, 40, 8), 1700000000000u);
  EXPECT_EQ(out.substr(48, 4), Hex("7F000001"));
  EXPECT_EQ(At(out, 52, 4), 0u);
  EXPECT_EQ(At(out, 56, 8), 1700000000123u);
  EXPECT_EQ(out.substr(64, 4), Hex("7F000001"));
  EXPECT_EQ(At(out, 68, 4), 10911u);
  EXPECT_EQ(At(out, 72, 4), 0u);
  EXPECT_EQ(At(out, 76, 8), 0u);
  EXPECT_EQ(At(out, 84, 4), 8u);
  EXPECT_EQ(out.substr(88, 8), "hello!q!");
  EXPECT_EQ(At(out, 96, 1), 3u);
  EXPECT_EQ(out.substr(97, 3), "abc");
  EXPECT_EQ(At(out, 100, 2), 21u);
  EXPECT_EQ(out.substr(102), kAbcProperties);
}

TEST(MessageRecordTest, BodyCrcIsZlibCrc32WithTheSignBitCleared) {
  WireMessage m = JavaTestMessage();
  m.body = "hello";  // crc32 0x3610A686, already positive
  std::string a;
  AppendMessageRecord(m, &a);
  m.body = "world!";  // crc32 0x718498E8
  std::string b;
  AppendMessageRecord(m, &b);
  m.body = "hello!q!";  // crc32 0xBCD1C123: the top bit is cleared
  std::string c;
  AppendMessageRecord(m, &c);

  EXPECT_EQ(At(a, 8, 4), 0x3610A686u);
  EXPECT_EQ(At(b, 8, 4), 0x718498E8u);
  EXPECT_EQ(At(c, 8, 4), 0x3CD1C123u);
}

TEST(MessageRecordTest, JavaRecordDecodesFieldByField) {
  ASSERT_OK_AND_ASSIGN(std::vector<WireMessage> msgs,
                       DecodeMessageRecords(kJavaRecord));

  ASSERT_THAT(msgs, SizeIs(1));
  const WireMessage& m = msgs[0];
  EXPECT_EQ(m.queue_id, 1);
  EXPECT_EQ(m.flag, 0);
  EXPECT_EQ(m.queue_offset, 123);
  EXPECT_EQ(m.physical_offset, 123456);
  EXPECT_EQ(m.sys_flag, 0);
  EXPECT_EQ(m.born_timestamp_ms, 1700000000000);
  EXPECT_EQ(m.born_host.ip, Hex("7F000001"));
  EXPECT_EQ(m.born_host.port, 0);
  EXPECT_EQ(m.store_timestamp_ms, 1700000000123);
  EXPECT_EQ(m.store_host.ip, Hex("7F000001"));
  EXPECT_EQ(m.store_host.port, 10911);
  EXPECT_EQ(m.reconsume_times, 0);
  EXPECT_EQ(m.prepared_transaction_offset, 0);
  EXPECT_EQ(m.body, "hello!q!");
  EXPECT_EQ(m.topic, "abc");
  EXPECT_EQ(m.properties, kAbcProperties);
}

TEST(MessageRecordTest, JavaIpv6RecordDecodesSixteenByteHosts) {
  ASSERT_OK_AND_ASSIGN(std::vector<WireMessage> msgs,
                       DecodeMessageRecords(kJavaIpv6Record));

  ASSERT_THAT(msgs, SizeIs(1));
  const WireMessage& m = msgs[0];
  EXPECT_EQ(m.sys_flag, kSysFlagBornHostV6 | kSysFlagStoreHostV6);
  EXPECT_EQ(m.born_host.ip, Hex("10500000000000000005"
                                "0600300C326B"));
  EXPECT_EQ(m.store_host.ip, Hex("00000000000000000000000000000001"));
  EXPECT_EQ(m.store_timestamp_ms, 1700000000123);
  EXPECT_EQ(m.body, "hello!q!");
  EXPECT_EQ(m.topic, "abc");
  EXPECT_EQ(m.properties, kAbcProperties);
}

TEST(MessageRecordTest, Ipv6BornHostSetsBornHostV6AndTakesTwentyBytes) {
  WireMessage m = JavaTestMessage();
  m.born_host = ParseHostPort("[1050:0000:0000:0000:0005:0600:300c:326b]:0");
  ASSERT_EQ(m.born_host.ip.size(), 16u);
  std::string out;

  AppendMessageRecord(m, &out);

  ASSERT_EQ(out.size(), 135u);
  EXPECT_EQ(At(out, 0, 4), 135u);
  EXPECT_EQ(At(out, 36, 4), static_cast<uint64_t>(kSysFlagBornHostV6));
  EXPECT_EQ(out.substr(48, 16), Hex("10500000000000000005"
                                    "0600300C326B"));
  EXPECT_EQ(At(out, 64, 4), 0u);                  // born port
  EXPECT_EQ(At(out, 68, 8), 1700000000123u);      // STORETIMESTAMP
  EXPECT_EQ(out.substr(76, 4), Hex("7F000001"));  // STOREHOST stays IPv4
  EXPECT_EQ(At(out, 80, 4), 10911u);
}

TEST(MessageRecordTest, StoreHostV6FlagIsNeverWritten) {
  WireMessage m = JavaTestMessage();
  m.sys_flag = kSysFlagStoreHostV6 | kSysFlagBornHostV6 | 0x8;
  std::string out;

  AppendMessageRecord(m, &out);

  EXPECT_EQ(At(out, 36, 4), 0x8u);
  EXPECT_EQ(out.size(), 123u);
}

TEST(MessageRecordTest, MissingBornHostIsWrittenAsZeroAddress) {
  WireMessage m = JavaTestMessage();
  m.born_host = {};
  std::string out;

  AppendMessageRecord(m, &out);

  EXPECT_EQ(out.substr(48, 8), Hex("0000000000000000"));
}

TEST(MessageRecordTest, RecordsAppendAndDecodeInOrder) {
  WireMessage a = JavaTestMessage();
  WireMessage b = JavaTestMessage();
  b.queue_offset = 124;
  b.physical_offset = 123457;
  b.body = "";
  b.topic = "%RETRY%CG";
  b.properties = "";
  b.reconsume_times = 2;
  std::string out;
  AppendMessageRecord(a, &out);
  AppendMessageRecord(b, &out);

  ASSERT_OK_AND_ASSIGN(std::vector<WireMessage> msgs,
                       DecodeMessageRecords(out));

  ASSERT_THAT(msgs, SizeIs(2));
  EXPECT_EQ(msgs[0].queue_offset, 123);
  EXPECT_EQ(msgs[0].body, "hello!q!");
  EXPECT_EQ(msgs[1].queue_offset, 124);
  EXPECT_EQ(msgs[1].physical_offset, 123457);
  EXPECT_EQ(msgs[1].body, "");
  EXPECT_EQ(msgs[1].topic, "%RETRY%CG");
  EXPECT_EQ(msgs[1].properties, "");
  EXPECT_EQ(msgs[1].reconsume_times, 2);
}

TEST(MessageRecordTest, TopicOf127BytesHasLengthByte7F) {
  WireMessage m = JavaTestMessage();
  m.topic = std::string(127, 't');
  std::string out;

  AppendMessageRecord(m, &out);

  EXPECT_EQ(At(out, 96, 1), 0x7Fu);
  ASSERT_OK_AND_ASSIGN(std::vector<WireMessage> msgs,
                       DecodeMessageRecords(out));
  ASSERT_THAT(msgs, SizeIs(1));
  EXPECT_EQ(msgs[0].topic, m.topic);
}

TEST(MessageRecordTest, EmptyBodyDecodesToNoRecords) {
  EXPECT_THAT(DecodeMessageRecords(""), IsOkAndHolds(IsEmpty()));
}

TEST(MessageRecordTest, EveryTruncationIsInvalidArgument) {
  for (size_t n = 1; n < kJavaRecord.size(); ++n) {
    EXPECT_THAT(DecodeMessageRecords(kJavaRecord.substr(0, n)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << n;
  }
}

TEST(MessageRecordTest, TruncatedSecondRecordIsInvalidArgument) {
  const std::string data =
      absl::StrCat(kJavaRecord, kJavaRecord.substr(0, 100));

  EXPECT_THAT(DecodeMessageRecords(data),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MessageRecordTest, MagicV2IsInvalidArgument) {
  std::string data = kJavaRecord;
  data.replace(4, 4, Hex("DAA320AB"));

  EXPECT_THAT(DecodeMessageRecords(data),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MessageRecordTest, BodyLengthPastTheRecordIsInvalidArgument) {
  std::string data = kJavaRecord;
  data.replace(84, 4, Hex("7FFFFFFF"));

  EXPECT_THAT(DecodeMessageRecords(data),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// SEND_BATCH_MESSAGE: MessageDecoder.encodeMessages of two messages with
// the properties a Java producer sets (KEYS, TAGS from the constructor,
// WAIT, UNIQ_KEY), in HashMap order KEYS, UNIQ_KEY, WAIT, TAGS: 70 bytes.
std::string BatchProperties(absl::string_view keys, absl::string_view uniq,
                            absl::string_view tags) {
  return absl::StrCat("KEYS", kNv, keys, kPs, "UNIQ_KEY", kNv, uniq, kPs,
                      "WAIT", kNv, "true", kPs, "TAGS", kNv, tags, kPs);
}
const std::string kProps1 =
    BatchProperties("k1", "7F0000010B8C18B4AAC2463F8B8E0000", "tagA");
const std::string kProps2 =
    BatchProperties("k2", "7F0000010B8C18B4AAC2463F8B8E0001", "tagB");

const std::string kJavaBatchBody =
    absl::StrCat(Hex("00000061"    // TOTALSIZE 20 + 5 + 2 + 70 = 97
                     "00000000"    // MAGICCODE 0
                     "00000000"    // BODYCRC 0
                     "00000000"    // FLAG
                     "00000005"),  // BODY
                 "hello", Hex("0046"), kProps1,
                 Hex("00000062"  // 20 + 6 + 2 + 70 = 98
                     "00000000"
                     "00000000"
                     "00000001"  // FLAG 1
                     "00000006"),
                 "world!", Hex("0046"), kProps2);

TEST(BatchBodyTest, JavaBatchSplitsIntoItsMessages) {
  ASSERT_OK_AND_ASSIGN(std::vector<BatchItem> items,
                       DecodeBatchBody(kJavaBatchBody));

  ASSERT_THAT(items, SizeIs(2));
  EXPECT_EQ(items[0].flag, 0);
  EXPECT_EQ(items[0].body, "hello");
  EXPECT_EQ(items[0].properties, kProps1);
  EXPECT_EQ(items[1].flag, 1);
  EXPECT_EQ(items[1].body, "world!");
  EXPECT_EQ(items[1].properties, kProps2);
  EXPECT_THAT(DecodeProperties(items[1].properties),
              ElementsAre(Pair("KEYS", "k2"),
                          Pair("UNIQ_KEY", "7F0000010B8C18B4AAC2463F8B8E0001"),
                          Pair("WAIT", "true"), Pair("TAGS", "tagB")));
}

TEST(BatchBodyTest, EncodingIsByteForByteWhatEncodeMessagesWrites) {
  const std::vector<BatchItem> items = {{0, "hello", kProps1},
                                        {1, "world!", kProps2}};

  EXPECT_EQ(absl::BytesToHexString(EncodeBatchBody(items)),
            absl::BytesToHexString(kJavaBatchBody));
}

TEST(BatchBodyTest, EveryTruncationIsInvalidArgument) {
  for (size_t n = 1; n < kJavaBatchBody.size(); ++n) {
    if (n == 97) continue;  // exactly the first message
    EXPECT_THAT(DecodeBatchBody(kJavaBatchBody.substr(0, n)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << n;
  }
}

TEST(BatchBodyTest, TotalSizeThatDoesNotAddUpIsInvalidArgument) {
  std::string body = kJavaBatchBody;
  body.replace(0, 4, Hex("00000060"));

  EXPECT_THAT(DecodeBatchBody(body),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BatchBodyTest, EmptyBodyIsInvalidArgument) {
  EXPECT_THAT(DecodeBatchBody(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PropertiesTest, EncodingEndsEveryPropertyWithTheSeparator) {
  EXPECT_EQ(EncodeProperties({{"a", "123"}, {"b", "hello"}, {"c", "3.14"}}),
            kAbcProperties);
  EXPECT_EQ(EncodeProperties({}), "");
}

TEST(PropertiesTest, DecodingKeepsWireOrder) {
  EXPECT_THAT(
      DecodeProperties(kAbcProperties),
      ElementsAre(Pair("a", "123"), Pair("b", "hello"), Pair("c", "3.14")));
}

// MessageDecoderTest.testString2messageProperties, case by case.
TEST(PropertiesTest, DecodingFollowsString2messageProperties) {
  using Props = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(DecodeProperties(absl::StrCat("k1", kNv, "v1")),
            (Props{{"k1", "v1"}}));
  EXPECT_THAT(DecodeProperties(""), IsEmpty());
  EXPECT_THAT(DecodeProperties(" "), IsEmpty());
  EXPECT_THAT(DecodeProperties("aaa"), IsEmpty());
  EXPECT_THAT(DecodeProperties(absl::StrCat("k1", kNv)), IsEmpty());
  EXPECT_THAT(DecodeProperties(absl::StrCat(kNv, "v1")), IsEmpty());
  EXPECT_EQ(DecodeProperties(absl::StrCat("k1", kNv, "v1", kPs)),
            (Props{{"k1", "v1"}}));
  EXPECT_EQ(
      DecodeProperties(absl::StrCat("k1", kNv, "v1", kPs, "k2", kNv, "v2")),
      (Props{{"k1", "v1"}, {"k2", "v2"}}));
  EXPECT_EQ(DecodeProperties(absl::StrCat("k1", kNv, "v1", kPs, kNv, "v2")),
            (Props{{"k1", "v1"}}));
  EXPECT_EQ(DecodeProperties(absl::StrCat("k1", kNv, "v1", kPs, "k2", kNv)),
            (Props{{"k1", "v1"}}));
  EXPECT_EQ(DecodeProperties(absl::StrCat(kNv, "v1", kPs, "k2", kNv, "v2")),
            (Props{{"k2", "v2"}}));
  EXPECT_EQ(DecodeProperties(absl::StrCat("k1", kNv, kPs, "k2", kNv, "v2")),
            (Props{{"k2", "v2"}}));
  EXPECT_EQ(DecodeProperties(absl::StrCat("1", kNv, "1", kPs, "2", kNv, "2")),
            (Props{{"1", "1"}, {"2", "2"}}));
  EXPECT_EQ(DecodeProperties(absl::StrCat("1", kNv, kPs, "2", kNv, "2")),
            (Props{{"2", "2"}}));
  EXPECT_EQ(DecodeProperties(absl::StrCat(kNv, "1", kPs, "2", kNv, "2")),
            (Props{{"2", "2"}}));
  EXPECT_EQ(DecodeProperties(absl::StrCat("1", kNv, "1", kPs, "2", kNv)),
            (Props{{"1", "1"}}));
  EXPECT_EQ(DecodeProperties(absl::StrCat("1", kNv, "1", kPs, kNv, "2")),
            (Props{{"1", "1"}}));
}

// string2messageProperties splits at the first NAME_VALUE_SEPARATOR; the
// rest, separators included, is the value.
TEST(PropertiesTest, ValueKeepsLaterNameValueSeparators) {
  EXPECT_THAT(DecodeProperties(absl::StrCat("k", kNv, "a", kNv, "b", kPs)),
              ElementsAre(Pair("k", absl::StrCat("a", kNv, "b"))));
}

// An item without a separator is skipped even when a later item has one.
TEST(PropertiesTest, ItemWithoutSeparatorIsSkipped) {
  EXPECT_THAT(DecodeProperties(absl::StrCat("abcd", kPs, "k", kNv, "v", kPs)),
              ElementsAre(Pair("k", "v")));
}

// MessageDecoder.createMessageId: IPv4 (4) + port (int32) + offset (int64).
TEST(OffsetMsgIdTest, IsHexOfStoreHostPortAndOffset) {
  EXPECT_EQ(OffsetMsgId(ParseHostPort("127.0.0.1:10911"), 0x1234),
            "7F00000100002A9F0000000000001234");
}

// MessageDecoderTest's msgId: 100.81.0.250:10911 at 0x489A3AA09E.
TEST(OffsetMsgIdTest, MatchesMessageDecoderTestId) {
  EXPECT_EQ(OffsetMsgId(ParseHostPort("100.81.0.250:10911"), 0x489A3AA09E),
            "645100FA00002A9F000000489A3AA09E");
}

// primitive/message_test.go TestMessageID.
TEST(OffsetMsgIdTest, ParsesTheGoClientVector) {
  HostPort host;
  int64_t offset = 0;

  ASSERT_TRUE(
      ParseOffsetMsgId("0AAF0895000078BF000000000009BB4A", &host, &offset));

  EXPECT_EQ(host.ip, Hex("0AAF0895"));  // 10.175.8.149
  EXPECT_EQ(host.port, 30911);
  EXPECT_EQ(offset, 637770);
}

// UtilAll.string2bytes upper-cases first.
TEST(OffsetMsgIdTest, ParsesLowerCaseHex) {
  HostPort host;
  int64_t offset = 0;

  ASSERT_TRUE(
      ParseOffsetMsgId("7f00000100002a9f0000000000001234", &host, &offset));

  EXPECT_EQ(host.ip, Hex("7F000001"));
  EXPECT_EQ(host.port, 10911);
  EXPECT_EQ(offset, 0x1234);
}

TEST(OffsetMsgIdTest, RejectsIpv6AndMalformedIds) {
  HostPort host;
  int64_t offset = 0;
  // primitive/message_test.go TestIpv6MessageID
  EXPECT_FALSE(ParseOffsetMsgId(
      "FDBDDC4100010136C800000000000024000078BF0000000000004F45", &host,
      &offset));
  EXPECT_FALSE(
      ParseOffsetMsgId("7F00000100002A9F000000000000123", &host, &offset));
  EXPECT_FALSE(
      ParseOffsetMsgId("7F00000100002A9F000000000000123G", &host, &offset));
  EXPECT_FALSE(ParseOffsetMsgId("", &host, &offset));
}

TEST(HostPortTest, ParsesIpv4AndBracketedIpv6) {
  const HostPort v4 = ParseHostPort("10.175.8.149:30911");
  EXPECT_EQ(v4.ip, Hex("0AAF0895"));
  EXPECT_EQ(v4.port, 30911);

  const HostPort v6 = ParseHostPort("[::1]:5");
  EXPECT_EQ(v6.ip, Hex("00000000000000000000000000000001"));
  EXPECT_EQ(v6.port, 5);
}

TEST(HostPortTest, UnparsableTextHasAnEmptyIp) {
  EXPECT_THAT(ParseHostPort("localhost:10911").ip, IsEmpty());
  EXPECT_THAT(ParseHostPort("127.0.0.1").ip, IsEmpty());
  EXPECT_THAT(ParseHostPort("127.0.0.1:port").ip, IsEmpty());
}

TEST(PhysicalOffsetTest, StorageQueueIdIsTheUpperBitsAndOffsetTheLower40) {
  EXPECT_EQ(PhysicalOffset(3, 5), (int64_t{3} << 40) | 5);
  EXPECT_EQ(PhysicalOffset(0, 0x1234), 0x1234);
}

TEST(PhysicalOffsetTest, SplitIsTheInverse) {
  const uint64_t max_queue = (uint64_t{1} << 23) - 1;
  const int64_t max_offset = (int64_t{1} << 40) - 1;
  for (auto [q, o] :
       std::vector<std::pair<uint64_t, int64_t>>{{0, 0},
                                                 {1, 0},
                                                 {0, max_offset},
                                                 {max_queue, max_offset},
                                                 {12345, 987654321}}) {
    const int64_t p = PhysicalOffset(q, o);
    uint64_t q2 = 0;
    int64_t o2 = 0;
    SplitPhysicalOffset(p, &q2, &o2);

    EXPECT_GE(p, 0);
    EXPECT_EQ(q2, q);
    EXPECT_EQ(o2, o);
  }
}

// Go utils.TestUnCompress's "hello, go", deflated as ZlibCompressor does at
// the producer's default level 5 (zlib header 78 5E).
TEST(InflateTest, InflatesAJavaDeflaterStream) {
  EXPECT_THAT(Inflate(Hex("785ecb48cdc9c9d75148cf070010cd0337"), 1024),
              IsOkAndHolds(std::string("hello, go")));
}

// Deflater's default level (-1 = 6, header 78 9C).
TEST(InflateTest, InflatesADefaultLevelStream) {
  EXPECT_THAT(
      Inflate(Hex("789c0bc94855282ccd4cce56482aca2fcf5348cbaf50c82acd2d2856c82"
                  "f4b2d5228014ae72456552aa4e4a703005bdc0fda"),
              1024),
      IsOkAndHolds(std::string("The quick brown fox jumps over the lazy dog")));
}

// 200000 'a's at level 5: 218 bytes that inflate past one 64 KiB buffer.
std::string TwoHundredThousandAs() {
  return absl::StrCat(Hex("785eedc13101000000c2a0aceb5fc20cfe4001"),
                      std::string(193, '\0'), Hex("af01ccee1699"));
}

TEST(InflateTest, InflatesAcrossManyOutputBuffers) {
  EXPECT_THAT(Inflate(TwoHundredThousandAs(), 200000),
              IsOkAndHolds(std::string(200000, 'a')));
}

TEST(InflateTest, OutputPastTheLimitIsInvalidArgument) {
  EXPECT_THAT(Inflate(TwoHundredThousandAs(), 199999),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Inflate(Hex("785ecb48cdc9c9d75148cf070010cd0337"), 8),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(InflateTest, DataThatIsNotZlibIsInvalidArgument) {
  EXPECT_THAT(Inflate("hello, go", 1024),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The raw deflate stream without the zlib header.
  EXPECT_THAT(Inflate(Hex("cb48cdc9c9d75148cf070010cd0337"), 1024),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Inflate("", 1024), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(InflateTest, TruncatedStreamIsInvalidArgument) {
  const std::string stream = Hex("785ecb48cdc9c9d75148cf070010cd0337");
  for (size_t n = 0; n < stream.size(); ++n) {
    EXPECT_THAT(Inflate(stream.substr(0, n), 1024),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << n;
  }
}

}  // namespace
}  // namespace rewindmq::facade::remoting

#include "broker/facades/cmq/render.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rewindmq::facade::cmq {
namespace {

namespace json = boost::json;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

json::object Parse(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << text;
  EXPECT_TRUE(v.is_object()) << text;
  return v.is_object() ? v.get_object() : json::object{};
}

std::vector<std::string> Keys(const json::object& o) {
  std::vector<std::string> keys;
  for (const auto& kv : o) keys.emplace_back(kv.key());
  return keys;
}

const ResponseMeta kMeta{"req-1", std::nullopt};

broker::CmqReceivedMessage Message(std::string id) {
  broker::CmqReceivedMessage m;
  m.msg_id = std::move(id);
  m.body = "hello";
  m.receipt_handle = "q3:4178:2:e81f0c";
  m.enqueue_time = absl::FromUnixSeconds(1700000100);
  m.first_dequeue_time = absl::FromUnixSeconds(1700000105);
  m.next_visible_time = absl::FromUnixSeconds(1700000135);
  m.dequeue_count = 1;
  return m;
}

TEST(MetaForTest, DigitsClientRequestIdIsKeptAsANumber) {
  EXPECT_EQ(MetaFor("r", {{"clientRequestId", "1231231231"}}).client_request_id,
            1231231231u);
  EXPECT_EQ(MetaFor("r", {{"clientRequestId", "18446744073709551615"}})
                .client_request_id,
            18446744073709551615u);
}

TEST(MetaForTest, OtherClientRequestIdsAreNotEchoed) {
  for (const char* id : {"", "abc", "-1", "12a", "18446744073709551616"}) {
    EXPECT_EQ(MetaFor("r", {{"clientRequestId", id}}).client_request_id,
              std::nullopt)
        << id;
  }
  EXPECT_EQ(MetaFor("r", {}).client_request_id, std::nullopt);
}

TEST(RenderTest, SuccessEnvelopeIsExactlyCodeMessageRequestId) {
  EXPECT_EQ(RenderEmptySuccess(kMeta),
            R"({"code":0,"message":"","requestId":"req-1"})");
}

TEST(RenderTest, ErrorHasIntegerCodeAndModuleMessage) {
  EXPECT_EQ(
      RenderError(kMeta, MakeCmqError(ErrorKind::kNoMessage)),
      R"({"code":7000,"message":"(10200)no message","requestId":"req-1"})");
}

TEST(RenderTest, ClientRequestIdIsEchoedAsANumberInSuccessAndError) {
  const ResponseMeta meta{"r", 42};
  EXPECT_EQ(RenderEmptySuccess(meta),
            R"({"code":0,"message":"","requestId":"r","clientRequestId":42})");
  EXPECT_THAT(RenderError(meta, MakeCmqError(ErrorKind::kQueueNotFound)),
              HasSubstr(R"("clientRequestId":42)"));
}

TEST(RenderTest, CreateQueueAnswersTheQueueId) {
  broker::CmqQueueInfo q;
  q.queue_id = "queue-7";
  EXPECT_EQ(
      RenderCreateQueue(kMeta, q),
      R"({"code":0,"message":"","requestId":"req-1","queueId":"queue-7"})");
}

TEST(RenderTest, ListQueueHasTotalCountAndQueueList) {
  broker::CmqQueueListResult r;
  r.total = 7;
  r.queues.resize(2);
  r.queues[0].queue_id = "queue-1";
  r.queues[0].name = "a";
  r.queues[1].queue_id = "queue-2";
  r.queues[1].name = "b";
  EXPECT_EQ(RenderListQueue(kMeta, r),
            R"({"code":0,"message":"","requestId":"req-1","totalCount":7,)"
            R"("queueList":[{"queueId":"queue-1","queueName":"a"},)"
            R"({"queueId":"queue-2","queueName":"b"}]})");
}

TEST(RenderTest, GetQueueAttributesHasEveryFieldAsIntegersAndBothRewindKeys) {
  broker::CmqQueueInfo q;
  q.name = "orders";
  q.queue_id = "queue-3";
  q.attributes.rewind_seconds = 600;
  q.create_time = absl::FromUnixSeconds(1700000000);
  q.last_modify_time =
      absl::FromUnixSeconds(1700000500) + absl::Milliseconds(900);
  q.counters = {.active = 1,
                .inactive = 2,
                .delayed = 3,
                .rewindable = 4,
                .min_msg_time = absl::FromUnixSeconds(1700000001)};
  const json::object o = Parse(RenderGetQueueAttributes(kMeta, q));
  EXPECT_THAT(
      Keys(o),
      ElementsAre("code", "message", "requestId", "maxMsgHeapNum",
                  "pollingWaitSeconds", "visibilityTimeout", "maxMsgSize",
                  "msgRetentionSeconds", "rewindSeconds", "createTime",
                  "lastModifyTime", "activeMsgNum", "inactiveMsgNum",
                  "delayMsgNum", "rewindMsgNum", "rewindmsgNum", "minMsgTime",
                  "queueName", "queueId"));
  EXPECT_EQ(o.at("maxMsgHeapNum").as_int64(), 10'000'000);
  EXPECT_EQ(o.at("pollingWaitSeconds").as_int64(), 0);
  EXPECT_EQ(o.at("visibilityTimeout").as_int64(), 30);
  EXPECT_EQ(o.at("maxMsgSize").as_int64(), 65536);
  EXPECT_EQ(o.at("msgRetentionSeconds").as_int64(), 345600);
  EXPECT_EQ(o.at("rewindSeconds").as_int64(), 600);
  EXPECT_EQ(o.at("createTime").as_int64(), 1700000000);
  EXPECT_EQ(o.at("lastModifyTime").as_int64(), 1700000500);
  EXPECT_EQ(o.at("activeMsgNum").as_int64(), 1);
  EXPECT_EQ(o.at("inactiveMsgNum").as_int64(), 2);
  EXPECT_EQ(o.at("delayMsgNum").as_int64(), 3);
  EXPECT_EQ(o.at("rewindMsgNum").as_int64(), 4);
  EXPECT_EQ(o.at("rewindmsgNum").as_int64(), 4);
  EXPECT_EQ(o.at("minMsgTime").as_int64(), 1700000001);
  EXPECT_EQ(o.at("queueName").as_string(), "orders");
  EXPECT_EQ(o.at("queueId").as_string(), "queue-3");
}

TEST(RenderTest, MinMsgTimeIsZeroWhenNoMessageQualifies) {
  const json::object o =
      Parse(RenderGetQueueAttributes(kMeta, broker::CmqQueueInfo{}));
  EXPECT_EQ(o.at("minMsgTime").as_int64(), 0);
}

TEST(RenderTest, SetQueueAttributesHasTheSixAttributesAndQueueId) {
  broker::CmqQueueInfo q;
  q.queue_id = "queue-3";
  q.attributes.visibility_timeout = 60;
  const json::object o = Parse(RenderSetQueueAttributes(kMeta, q));
  EXPECT_THAT(
      Keys(o),
      ElementsAre("code", "message", "requestId", "maxMsgHeapNum",
                  "pollingWaitSeconds", "visibilityTimeout", "maxMsgSize",
                  "msgRetentionSeconds", "rewindSeconds", "queueId"));
  EXPECT_EQ(o.at("visibilityTimeout").as_int64(), 60);
}

TEST(RenderTest, SendMessageAnswersTheMsgIdAsAString) {
  EXPECT_EQ(RenderSendMessage(kMeta, "4178"),
            R"({"code":0,"message":"","requestId":"req-1","msgId":"4178"})");
}

TEST(RenderTest, BatchSendMessageListsIdsInOrder) {
  const std::vector<std::string> ids = {"1", "2"};
  EXPECT_EQ(RenderBatchSendMessage(kMeta, ids),
            R"({"code":0,"message":"","requestId":"req-1",)"
            R"("msgList":[{"msgId":"1"},{"msgId":"2"}]})");
}

TEST(RenderTest, ReceiveMessageHasTheSevenFieldsAtTopLevel) {
  EXPECT_EQ(RenderReceiveMessage(kMeta, Message("4178")),
            R"({"code":0,"message":"","requestId":"req-1","msgBody":"hello",)"
            R"("msgId":"4178","receiptHandle":"q3:4178:2:e81f0c",)"
            R"("enqueueTime":1700000100,"firstDequeueTime":1700000105,)"
            R"("nextVisibleTime":1700000135,"dequeueCount":1})");
}

TEST(RenderTest, ReceivedBodyRoundTripsThroughJson) {
  broker::CmqReceivedMessage m = Message("1");
  m.body = "北京 \"q\" \\ \n\t\x01 & co=1";
  const json::object o = Parse(RenderReceiveMessage(kMeta, m));
  EXPECT_EQ(std::string(o.at("msgBody").as_string()), m.body);
}

TEST(RenderTest, AnswersAreOneLine) {
  broker::CmqReceivedMessage m = Message("1");
  m.body = "line1\nline2\r\n";
  EXPECT_THAT(RenderReceiveMessage(kMeta, m), Not(HasSubstr("\n")));
  EXPECT_THAT(RenderReceiveMessage(kMeta, m), Not(HasSubstr("\r")));
}

TEST(RenderTest, BatchReceiveMessageListsMessagesWithTheSevenFields) {
  const std::vector<broker::CmqReceivedMessage> ms = {Message("1"),
                                                      Message("2")};
  const json::object o = Parse(RenderBatchReceiveMessage(kMeta, ms));
  const json::array& list = o.at("msgInfoList").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_THAT(
      Keys(list[0].as_object()),
      ElementsAre("msgBody", "msgId", "receiptHandle", "enqueueTime",
                  "firstDequeueTime", "nextVisibleTime", "dequeueCount"));
  EXPECT_EQ(list[1].as_object().at("msgId").as_string(), "2");
}

TEST(RenderTest, BatchDeleteWithoutFailuresIsPlainSuccess) {
  EXPECT_EQ(RenderBatchDeleteMessage(kMeta, 3, {}),
            R"({"code":0,"message":"","requestId":"req-1"})");
}

TEST(RenderTest, BatchDeleteWithSomeFailuresIsPartiallyFailed) {
  const std::vector<DeleteFailure> failures = {
      {"bad-1", MakeCmqError(ErrorKind::kInvalidReceiptHandle)}};
  EXPECT_EQ(RenderBatchDeleteMessage(kMeta, 2, failures),
            R"({"code":6010,"message":"(10150)delete message partially )"
            R"(failed","requestId":"req-1","errorList":[{"code":4430,)"
            R"("message":"(10260)receipt handle is invalid",)"
            R"("receiptHandle":"bad-1"}]})");
}

TEST(RenderTest, BatchDeleteWithAllFailedIsBatchDeleteFailed) {
  const std::vector<DeleteFailure> failures = {
      {"a", MakeCmqError(ErrorKind::kInvalidReceiptHandle)},
      {"b", MakeCmqError(ErrorKind::kInvalidReceiptHandle)}};
  const json::object o = Parse(RenderBatchDeleteMessage(kMeta, 2, failures));
  EXPECT_EQ(o.at("code").as_int64(), 6020);
  EXPECT_EQ(o.at("message").as_string(), "(10290)batch delete message failed");
  const json::array& list = o.at("errorList").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].as_object().at("receiptHandle").as_string(), "a");
  EXPECT_EQ(list[1].as_object().at("receiptHandle").as_string(), "b");
}

}  // namespace
}  // namespace rewindmq::facade::cmq

// The remoting request handlers against an in-process broker with a fake
// clock: each test sends commands as a client would and checks the answers
// the protocol prescribes (rocketmq-remoting.md sections 2-6).
#include "broker/facades/remoting/handler.h"

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "broker/broker.h"
#include "broker/facades/remoting/message_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::facade::remoting {
namespace {

using ::rmqtest::IsOkAndHolds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;

class RemotingHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker::BrokerOptions o;
    o.data_dir = dir_.Sub("data");
    o.clock = &clock_;
    o.start_timer_thread = false;
    o.store.durability = storage::Durability::kNever;
    ASSERT_OK_AND_ASSIGN(broker_, broker::Broker::Open(o));
    config_.instance = broker_->default_instance();
    config_.advertised = {"127.0.0.1:9876"};
    ASSERT_OK(
        broker_->topics()
            .CreateTopic(config_.instance, {.name = "orders", .queue_num = 2})
            .status());
  }

  RequestContext Context() {
    RequestContext ctx;
    ctx.broker = broker_.get();
    ctx.config = &config_;
    ctx.broker_index = 0;
    ctx.broker_name = "broker-0";
    ctx.connection = 1;
    ctx.peer = "127.0.0.1:40000";
    ctx.respond = [this](RemotingCommand r) {
      responses_.push_back(std::move(r));
    };
    ctx.defer = [](std::function<void()> fn) { fn(); };
    ctx.group_changed = [this](const std::string& g) { changed_.push_back(g); };
    return ctx;
  }

  // Sends `req` (JSON header) and returns the answer; fails the test when
  // there is none.
  RemotingCommand Call(RemotingCommand req) {
    req.opaque = ++opaque_;
    const size_t before = responses_.size();
    Dispatch(Context(), req);
    EXPECT_EQ(responses_.size(), before + 1) << "request " << req.code;
    if (responses_.size() != before + 1) return {};
    EXPECT_EQ(responses_.back().opaque, req.opaque);
    EXPECT_TRUE(responses_.back().is_response());
    return responses_.back();
  }

  static RemotingCommand Request(
      int32_t code, std::vector<std::pair<std::string, std::string>> ext,
      std::string body = {}) {
    RemotingCommand r;
    r.code = code;
    r.version = 409;
    r.ext_fields = std::move(ext);
    r.body = std::move(body);
    return r;
  }

  RemotingCommand Send(absl::string_view body, absl::string_view properties,
                       int queue = 0, int32_t sys_flag = 0) {
    return Call(Request(code::kSendMessageV2,
                        {{"a", "PG"},
                         {"b", "orders"},
                         {"e", absl::StrCat(queue)},
                         {"f", absl::StrCat(sys_flag)},
                         {"g", "1700000000123"},
                         {"h", "7"},
                         {"i", std::string(properties)}},
                        std::string(body)));
  }

  RemotingCommand Pull(int64_t offset, int queue = 0, int64_t sys_flag = 0,
                       std::string subscription = "*") {
    return Call(
        Request(code::kPullMessage, {{"consumerGroup", "billing"},
                                     {"topic", "orders"},
                                     {"queueId", absl::StrCat(queue)},
                                     {"queueOffset", absl::StrCat(offset)},
                                     {"maxMsgNums", "32"},
                                     {"sysFlag", absl::StrCat(sys_flag | 0x4)},
                                     {"commitOffset", "0"},
                                     {"suspendTimeoutMillis", "15000"},
                                     {"subscription", subscription},
                                     {"subVersion", "0"},
                                     {"expressionType", "TAG"}}));
  }

  RemotingCommand Commit(int64_t offset, int queue = 0) {
    return Call(Request(code::kUpdateConsumerOffset,
                        {{"consumerGroup", "billing"},
                         {"topic", "orders"},
                         {"queueId", absl::StrCat(queue)},
                         {"commitOffset", absl::StrCat(offset)}}));
  }

  std::string Ext(const RemotingCommand& r, absl::string_view key) {
    const std::string* v = r.Field(key);
    return v == nullptr ? "<absent>" : *v;
  }

  rmqtest::ScopedTempDir dir_;
  rmqtest::FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<broker::Broker> broker_;
  RemotingConfig config_;
  std::vector<RemotingCommand> responses_;
  std::vector<std::string> changed_;
  int32_t opaque_ = 0;
};

TEST_F(RemotingHandlerTest, UnknownCodeIsRequestCodeNotSupported) {
  RemotingCommand r = Call(Request(9999, {}));
  EXPECT_EQ(r.code, status::kRequestCodeNotSupported);
  EXPECT_EQ(r.remark, "request type 9999 not supported");
}

TEST_F(RemotingHandlerTest, RouteOfUnknownTopicIsTopicNotExist) {
  RemotingCommand r =
      Call(Request(code::kGetRouteInfoByTopic, {{"topic", "TBW102"}}));
  EXPECT_EQ(r.code, status::kTopicNotExist);
  EXPECT_THAT(r.remark.value_or(""), HasSubstr("No topic route info"));
}

TEST_F(RemotingHandlerTest, RouteListsEachBrokerWithoutWhitespace) {
  RemotingCommand r =
      Call(Request(code::kGetRouteInfoByTopic, {{"topic", "orders"}}));
  ASSERT_EQ(r.code, status::kSuccess);
  EXPECT_EQ(r.body,
            "{\"brokerDatas\":[{\"brokerAddrs\":{\"0\":\"127.0.0.1:9876\"},"
            "\"brokerName\":\"broker-0\",\"cluster\":\"rewindmq\","
            "\"enableActingMaster\":false}],\"filterServerTable\":{},"
            "\"queueDatas\":[{\"brokerName\":\"broker-0\",\"perm\":6,"
            "\"readQueueNums\":2,\"topicSysFlag\":0,\"writeQueueNums\":2}]}");
}

TEST_F(RemotingHandlerTest, SentMessageIsPulledWithItsPropertiesAndIds) {
  RemotingCommand sent = Send("hello", EncodeProperties({{"TAGS", "tagA"},
                                                         {"KEYS", "k1 k2"},
                                                         {"UNIQ_KEY", "ABC123"},
                                                         {"color", "red"}}));
  ASSERT_EQ(sent.code, status::kSuccess) << sent.remark.value_or("");
  EXPECT_EQ(Ext(sent, "queueId"), "0");
  EXPECT_EQ(Ext(sent, "queueOffset"), "0");
  EXPECT_EQ(Ext(sent, "MSG_REGION"), "DefaultRegion");
  const std::string msg_id = Ext(sent, "msgId");
  ASSERT_EQ(msg_id.size(), 32u);
  EXPECT_EQ(msg_id.substr(0, 16), "7F00000100002694");  // 127.0.0.1:9876

  RemotingCommand pulled = Pull(0);
  ASSERT_EQ(pulled.code, status::kSuccess) << pulled.remark.value_or("");
  EXPECT_EQ(Ext(pulled, "nextBeginOffset"), "1");
  EXPECT_EQ(Ext(pulled, "maxOffset"), "1");
  ASSERT_OK_AND_ASSIGN(std::vector<WireMessage> records,
                       DecodeMessageRecords(pulled.body));
  ASSERT_THAT(records, SizeIs(1));
  const WireMessage& m = records[0];
  EXPECT_EQ(m.body, "hello");
  EXPECT_EQ(m.topic, "orders");
  EXPECT_EQ(m.flag, 7);
  EXPECT_EQ(m.queue_offset, 0);
  EXPECT_EQ(m.born_timestamp_ms, 1700000000123);
  EXPECT_EQ(m.store_timestamp_ms, 1700000000000);
  EXPECT_EQ(OffsetMsgId(m.store_host, m.physical_offset), msg_id);
  EXPECT_THAT(DecodeProperties(m.properties),
              ::testing::UnorderedElementsAre(
                  Pair("TAGS", "tagA"), Pair("KEYS", "k1 k2"),
                  Pair("UNIQ_KEY", "ABC123"), Pair("color", "red")));
}

TEST_F(RemotingHandlerTest, SendToUnknownTopicIsTopicNotExist) {
  RemotingCommand r = Call(Request(
      code::kSendMessageV2, {{"a", "PG"}, {"b", "nope"}, {"e", "0"}}, "x"));
  EXPECT_EQ(r.code, status::kTopicNotExist);
  EXPECT_THAT(r.remark.value_or(""), HasSubstr("topic[nope] not exist"));
}

TEST_F(RemotingHandlerTest, TransactionalSendIsRefusedAndStoresNothing) {
  RemotingCommand r = Send("x", "", 0, kSysFlagTransactionPrepared);
  EXPECT_EQ(r.code, status::kMessageIllegal);
  ASSERT_OK_AND_ASSIGN(broker::TopicStatus st, broker_->topics().GetTopicStatus(
                                                   config_.instance, "orders"));
  EXPECT_EQ(st.queues[0].max_offset.value, 0);
}

TEST_F(RemotingHandlerTest, TagFilterSkipsOtherTags) {
  ASSERT_EQ(Send("a", EncodeProperties({{"TAGS", "tagA"}})).code,
            status::kSuccess);
  ASSERT_EQ(Send("b", EncodeProperties({{"TAGS", "tagB"}})).code,
            status::kSuccess);
  ASSERT_EQ(Send("c", EncodeProperties({{"TAGS", "tagC"}})).code,
            status::kSuccess);
  RemotingCommand r = Pull(0, 0, 0, "tagA || tagC");
  ASSERT_EQ(r.code, status::kSuccess);
  ASSERT_OK_AND_ASSIGN(std::vector<WireMessage> records,
                       DecodeMessageRecords(r.body));
  ASSERT_THAT(records, SizeIs(2));
  EXPECT_EQ(records[0].body, "a");
  EXPECT_EQ(records[1].body, "c");
  EXPECT_EQ(Ext(r, "nextBeginOffset"), "3");

  RemotingCommand none = Pull(1, 0, 0, "tagZ");
  EXPECT_EQ(none.code, status::kPullRetryImmediately);
  EXPECT_EQ(Ext(none, "nextBeginOffset"), "3");
}

TEST_F(RemotingHandlerTest, PullOffsetRulesFollowTheStore) {
  // Empty queue: 0 waits, anything else moves to 0.
  EXPECT_EQ(Pull(0).code, status::kPullNotFound);
  RemotingCommand moved = Pull(5);
  EXPECT_EQ(moved.code, status::kPullOffsetMoved);
  EXPECT_EQ(Ext(moved, "nextBeginOffset"), "0");
  ASSERT_EQ(Send("a", "").code, status::kSuccess);
  RemotingCommand at_max = Pull(1);
  EXPECT_EQ(at_max.code, status::kPullNotFound);
  EXPECT_EQ(Ext(at_max, "nextBeginOffset"), "1");
  RemotingCommand past = Pull(9);
  EXPECT_EQ(past.code, status::kPullOffsetMoved);
  EXPECT_EQ(Ext(past, "nextBeginOffset"), "1");
}

TEST_F(RemotingHandlerTest, SuspendedPullAnswersWhenAMessageArrives) {
  RemotingCommand req =
      Request(code::kPullMessage, {{"consumerGroup", "billing"},
                                   {"topic", "orders"},
                                   {"queueId", "0"},
                                   {"queueOffset", "0"},
                                   {"maxMsgNums", "32"},
                                   {"sysFlag", "2"},
                                   {"suspendTimeoutMillis", "15000"}});
  req.opaque = 77;
  Dispatch(Context(), req);
  EXPECT_TRUE(responses_.empty()) << "the pull must be held";
  RemotingCommand send = Request(
      code::kSendMessageV2, {{"a", "PG"}, {"b", "orders"}, {"e", "0"}}, "late");
  send.opaque = 78;
  Dispatch(Context(), send);
  ASSERT_THAT(responses_, SizeIs(2));
  const RemotingCommand& held =
      responses_[0].opaque == 77 ? responses_[0] : responses_[1];
  EXPECT_EQ(held.code, status::kSuccess);
  ASSERT_OK_AND_ASSIGN(std::vector<WireMessage> records,
                       DecodeMessageRecords(held.body));
  ASSERT_THAT(records, SizeIs(1));
  EXPECT_EQ(records[0].body, "late");
}

TEST_F(RemotingHandlerTest, SuspendedPullEndsWithPullNotFoundAtItsDeadline) {
  RemotingCommand req =
      Request(code::kPullMessage, {{"consumerGroup", "billing"},
                                   {"topic", "orders"},
                                   {"queueId", "1"},
                                   {"queueOffset", "0"},
                                   {"sysFlag", "2"},
                                   {"suspendTimeoutMillis", "1000"}});
  Dispatch(Context(), req);
  EXPECT_TRUE(responses_.empty());
  clock_.Advance(absl::Seconds(2));
  broker_->RunDueTimers();
  ASSERT_THAT(responses_, SizeIs(1));
  EXPECT_EQ(responses_[0].code, status::kPullNotFound);
}

TEST_F(RemotingHandlerTest, ResetMovesAPullerUntilItAdoptsTheNewOffset) {
  ASSERT_EQ(Send("m0", "").code, status::kSuccess);
  clock_.Advance(absl::Seconds(1));
  const absl::Time t = clock_.Now();
  ASSERT_EQ(Send("m1", "").code, status::kSuccess);
  ASSERT_EQ(Send("m2", "").code, status::kSuccess);
  ASSERT_EQ(Commit(3).code, status::kSuccess);

  ASSERT_OK(broker_
                ->ResetGroup(config_.instance, "billing", "orders",
                             broker::ResetTarget::At(t))
                .status());
  RemotingCommand moved = Pull(3);
  EXPECT_EQ(moved.code, status::kPullOffsetMoved);
  EXPECT_EQ(Ext(moved, "nextBeginOffset"), "1");
  EXPECT_EQ(moved.remark, "OFFSET_RESET");

  // A stale commit from before the reset does not undo it.
  ASSERT_EQ(Commit(3).code, status::kSuccess);
  EXPECT_THAT(broker_->groups().GetCommitted(config_.instance, "billing",
                                             "orders", {"broker-0", 0}),
              IsOkAndHolds(std::optional<Offset>(Offset{1})));

  RemotingCommand adopted = Pull(1);
  ASSERT_EQ(adopted.code, status::kSuccess);
  ASSERT_OK_AND_ASSIGN(std::vector<WireMessage> records,
                       DecodeMessageRecords(adopted.body));
  ASSERT_THAT(records, SizeIs(2));
  EXPECT_EQ(records[0].body, "m1");
  ASSERT_EQ(Commit(3).code, status::kSuccess);
  EXPECT_THAT(broker_->groups().GetCommitted(config_.instance, "billing",
                                             "orders", {"broker-0", 0}),
              IsOkAndHolds(std::optional<Offset>(Offset{3})));
}

TEST_F(RemotingHandlerTest, SearchOffsetFindsTheFirstMessageStoredAtOrAfterT) {
  ASSERT_EQ(Send("a", "").code, status::kSuccess);  // 1700000000.000
  clock_.Advance(absl::Seconds(1));
  ASSERT_EQ(Send("b", "").code, status::kSuccess);  // 1700000001.000
  auto search = [&](int64_t ms, absl::string_view boundary = "LOWER") {
    RemotingCommand r =
        Call(Request(code::kSearchOffsetByTimestamp,
                     {{"topic", "orders"},
                      {"queueId", "0"},
                      {"timestamp", absl::StrCat(ms)},
                      {"boundaryType", std::string(boundary)}}));
    EXPECT_EQ(r.code, status::kSuccess);
    return Ext(r, "offset");
  };
  EXPECT_EQ(search(0), "0");
  EXPECT_EQ(search(1700000000000), "0");
  EXPECT_EQ(search(1700000000001), "1");
  EXPECT_EQ(search(1700000001000), "1");
  EXPECT_EQ(search(1700000001001), "2");
  EXPECT_EQ(search(1700000000500, "UPPER"), "0");
  EXPECT_EQ(search(1700000001000, "UPPER"), "1");
}

TEST_F(RemotingHandlerTest, QueryOffsetWithoutCommitFollowsTheYoungQueueRule) {
  auto query = [&](int queue) {
    return Call(Request(code::kQueryConsumerOffset,
                        {{"consumerGroup", "billing"},
                         {"topic", "orders"},
                         {"queueId", absl::StrCat(queue)}}));
  };
  EXPECT_EQ(query(0).code, status::kQueryNotFound);  // empty queue
  ASSERT_EQ(Send("a", "").code, status::kSuccess);
  RemotingCommand young = query(0);
  EXPECT_EQ(young.code, status::kSuccess);
  EXPECT_EQ(Ext(young, "offset"), "0");
  ASSERT_EQ(Commit(1).code, status::kSuccess);
  EXPECT_EQ(Ext(query(0), "offset"), "1");
}

TEST_F(RemotingHandlerTest, OnewayRequestsAreNotAnswered) {
  RemotingCommand req =
      Request(code::kUpdateConsumerOffset, {{"consumerGroup", "billing"},
                                            {"topic", "orders"},
                                            {"queueId", "0"},
                                            {"commitOffset", "0"}});
  req.flag = kFlagOneway;
  Dispatch(Context(), req);
  EXPECT_TRUE(responses_.empty());
  EXPECT_OK(broker_->groups().GetGroup(config_.instance, "billing").status());
}

TEST_F(RemotingHandlerTest,
       BatchIsStoredConsecutivelyWithEachMessagesProperties) {
  std::string body = EncodeBatchBody(
      {{0, "one", EncodeProperties({{"UNIQ_KEY", "U1"}, {"TAGS", "t"}})},
       {0, "two", EncodeProperties({{"UNIQ_KEY", "U2"}})}});
  RemotingCommand r = Call(
      Request(code::kSendBatchMessage,
              {{"a", "PG"}, {"b", "orders"}, {"e", "1"}, {"m", "true"}}, body));
  ASSERT_EQ(r.code, status::kSuccess) << r.remark.value_or("");
  EXPECT_EQ(Ext(r, "queueOffset"), "0");
  std::vector<std::string> ids = absl::StrSplit(Ext(r, "msgId"), ',');
  EXPECT_THAT(ids, SizeIs(2));
  RemotingCommand pulled = Pull(0, 1);
  ASSERT_OK_AND_ASSIGN(std::vector<WireMessage> records,
                       DecodeMessageRecords(pulled.body));
  ASSERT_THAT(records, SizeIs(2));
  EXPECT_EQ(records[1].body, "two");
  EXPECT_EQ(records[1].queue_offset, 1);
  EXPECT_THAT(DecodeProperties(records[1].properties),
              ElementsAre(Pair("UNIQ_KEY", "U2")));
}

TEST_F(RemotingHandlerTest, HeartbeatRegistersTheConsumerAndItsGroup) {
  const std::string hb =
      "{\"clientID\":\"10.0.0.1@123\",\"consumerDataSet\":[{\"groupName\":"
      "\"billing\",\"consumeType\":\"CONSUME_PASSIVELY\",\"messageModel\":"
      "\"CLUSTERING\",\"consumeFromWhere\":\"CONSUME_FROM_LAST_OFFSET\","
      "\"subscriptionDataSet\":[{\"topic\":\"orders\",\"subString\":\"a || "
      "b\",\"expressionType\":\"TAG\"}]}],\"producerDataSet\":[]}";
  ASSERT_EQ(Call(Request(code::kHeartBeat, {}, hb)).code, status::kSuccess);
  EXPECT_THAT(changed_, ElementsAre("billing"));
  EXPECT_OK(broker_->groups().GetGroup(config_.instance, "billing").status());
  EXPECT_OK(
      broker_->topics().GetTopic(config_.instance, "%RETRY%billing").status());

  RemotingCommand list = Call(
      Request(code::kGetConsumerListByGroup, {{"consumerGroup", "billing"}}));
  ASSERT_EQ(list.code, status::kSuccess);
  EXPECT_EQ(list.body, "{\"consumerIdList\":[\"10.0.0.1@123\"]}");
  std::vector<broker::ConsumerClientInfo> c =
      broker_->clients().Consumers(config_.instance, "billing");
  ASSERT_THAT(c, SizeIs(1));
  EXPECT_EQ(c[0].address, "127.0.0.1:40000");
  ASSERT_THAT(c[0].subscriptions, SizeIs(1));
  EXPECT_EQ(c[0].subscriptions[0].expression, "a || b");
}

TEST_F(RemotingHandlerTest, DelayedMessageAppearsOnlyWhenDue) {
  ASSERT_EQ(Send("later", EncodeProperties({{"DELAY", "2"}})).code,
            status::kSuccess);  // 5 s
  EXPECT_EQ(Pull(0).code, status::kPullNotFound);
  clock_.Advance(absl::Seconds(4));
  broker_->RunDueTimers();
  EXPECT_EQ(Pull(0).code, status::kPullNotFound);
  clock_.Advance(absl::Seconds(1));
  broker_->RunDueTimers();
  RemotingCommand r = Pull(0);
  ASSERT_EQ(r.code, status::kSuccess);
  ASSERT_OK_AND_ASSIGN(std::vector<WireMessage> records,
                       DecodeMessageRecords(r.body));
  ASSERT_THAT(records, SizeIs(1));
  EXPECT_EQ(records[0].store_timestamp_ms, absl::ToUnixMillis(clock_.Now()));
}

TEST_F(RemotingHandlerTest, SendBackRetriesThenDeadLetters) {
  ASSERT_EQ(Send("fails", EncodeProperties({{"UNIQ_KEY", "U9"}})).code,
            status::kSuccess);
  ASSERT_OK_AND_ASSIGN(std::vector<WireMessage> first,
                       DecodeMessageRecords(Pull(0).body));
  ASSERT_THAT(first, SizeIs(1));
  RemotingCommand back =
      Call(Request(code::kConsumerSendMsgBack,
                   {{"offset", absl::StrCat(first[0].physical_offset)},
                    {"group", "billing"},
                    {"delayLevel", "0"},
                    {"originMsgId", "U9"},
                    {"maxReconsumeTimes", "1"}}));
  ASSERT_EQ(back.code, status::kSuccess) << back.remark.value_or("");
  clock_.Advance(absl::Seconds(10));  // level 3
  broker_->RunDueTimers();
  ASSERT_OK_AND_ASSIGN(broker::MessageQueryResult retry,
                       broker_->topics().QueryMessages(
                           config_.instance, {.topic = "%RETRY%billing"}));
  ASSERT_THAT(retry.messages, SizeIs(1));
  EXPECT_EQ(retry.messages[0].reconsume_times, 1);
  EXPECT_EQ(retry.messages[0].body, "fails");

  RemotingCommand again = Call(Request(
      code::kConsumerSendMsgBack,
      {{"offset",
        absl::StrCat(PhysicalOffset(retry.messages[0].storage_queue_id, 0))},
       {"group", "billing"},
       {"delayLevel", "0"},
       {"maxReconsumeTimes", "1"}}));
  ASSERT_EQ(again.code, status::kSuccess) << again.remark.value_or("");
  ASSERT_OK_AND_ASSIGN(broker::MessageQueryResult dlq,
                       broker_->topics().QueryMessages(
                           config_.instance, {.topic = "%DLQ%billing"}));
  ASSERT_THAT(dlq.messages, SizeIs(1));
  EXPECT_EQ(dlq.messages[0].body, "fails");
}

TEST_F(RemotingHandlerTest, LockGivesEachQueueToOneClient) {
  auto lock = [&](const std::string& client) {
    RemotingCommand r = Call(Request(
        code::kLockBatchMq, {},
        absl::StrCat("{\"consumerGroup\":\"billing\",\"clientId\":\"", client,
                     "\",\"mqSet\":[{\"topic\":\"orders\",\"brokerName\":"
                     "\"broker-0\",\"queueId\":0}]}")));
    EXPECT_EQ(r.code, status::kSuccess);
    return r.body;
  };
  EXPECT_THAT(lock("c1"), HasSubstr("\"queueId\":0"));
  EXPECT_EQ(lock("c2"), "{\"lockOKMQSet\":[]}");
  clock_.Advance(absl::Seconds(61));
  EXPECT_THAT(lock("c2"), HasSubstr("\"queueId\":0"));
}

}  // namespace
}  // namespace rewindmq::facade::remoting

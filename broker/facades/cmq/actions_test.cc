#include "broker/facades/cmq/actions.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "broker/facades/cmq/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::facade::cmq {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

// The module code a failed parse would be answered with (0 when it did not
// fail with a vendor error).
template <typename T>
int ModuleOf(const absl::StatusOr<T>& s) {
  return CmqErrorFromPayload(s.status()).value_or(CmqError{}).module;
}

template <typename T>
CmqError ErrorOf(const absl::StatusOr<T>& s) {
  return CmqErrorFromPayload(s.status()).value_or(CmqError{});
}

const ParseOptions kOptions;

// --- Action ---

TEST(ParseActionTest, EveryQueueActionIsKnownAndRoundTrips) {
  for (Action a :
       {Action::kCreateQueue, Action::kListQueue, Action::kGetQueueAttributes,
        Action::kSetQueueAttributes, Action::kDeleteQueue, Action::kSendMessage,
        Action::kBatchSendMessage, Action::kReceiveMessage,
        Action::kBatchReceiveMessage, Action::kDeleteMessage,
        Action::kBatchDeleteMessage, Action::kRewindQueue}) {
    EXPECT_THAT(ParseAction({{"Action", std::string(ActionName(a))}}),
                rmqtest::IsOkAndHolds(a))
        << ActionName(a);
  }
}

TEST(ParseActionTest, AbsentOrEmptyActionIsActionNotExisted) {
  EXPECT_EQ(ModuleOf(ParseAction({})), 10280);
  EXPECT_EQ(ModuleOf(ParseAction({{"Action", ""}})), 10280);
}

TEST(ParseActionTest, TopicAndOtherActionsAreUnknownNamingTheAction) {
  EXPECT_EQ(ErrorOf(ParseAction({{"Action", "CreateTopic"}})).message,
            "(10430)action name CreateTopic is not existed");
  for (const char* name :
       {"PublishMessage", "Subscribe", "ChangeMessageVisibility",
        "ListDeadLetterSourceQueues", "UnbindDeadLetterQueue",
        "QueryQueueRoute", "createQueue", "sendmessage"}) {
    EXPECT_EQ(ModuleOf(ParseAction({{"Action", name}})), 10430) << name;
  }
}

// --- Queue names ---

TEST(IsValidQueueNameTest, FollowsTheVendorRule) {
  EXPECT_TRUE(IsValidQueueName("q"));
  EXPECT_TRUE(IsValidQueueName("orders-q1"));
  EXPECT_TRUE(IsValidQueueName(std::string(64, 'a')));
  EXPECT_FALSE(IsValidQueueName(""));
  EXPECT_FALSE(IsValidQueueName(std::string(65, 'a')));
  EXPECT_FALSE(IsValidQueueName("1q"));
  EXPECT_FALSE(IsValidQueueName("-q"));
  EXPECT_FALSE(IsValidQueueName("q_1"));
  EXPECT_FALSE(IsValidQueueName("q.1"));
  EXPECT_FALSE(IsValidQueueName("北京"));
}

TEST(IsValidExistingQueueNameTest, AlsoAcceptsTheUnderscoresOfApi3Names) {
  EXPECT_TRUE(IsValidExistingQueueName("order_events"));
  EXPECT_TRUE(IsValidExistingQueueName("orders-q1"));
  EXPECT_TRUE(
      IsValidExistingQueueName(std::string(64, '_').replace(0, 1, "a")));
  EXPECT_FALSE(IsValidExistingQueueName(""));
  EXPECT_FALSE(IsValidExistingQueueName("_q"));
  EXPECT_FALSE(IsValidExistingQueueName("1q"));
  EXPECT_FALSE(IsValidExistingQueueName("q.1"));
  EXPECT_FALSE(IsValidExistingQueueName(std::string(65, 'a')));
}

// The §6 amendment of tdmq-cmq-v3.md 15: a queue created over API 3.0 may
// have an underscore in its name; 2.0 reaches it but cannot create one.
TEST(QueueNameRuleTest, CreateRefusesUnderscoresEveryOtherActionTakesThem) {
  EXPECT_EQ(
      ErrorOf(ParseCreateQueue({{"queueName", "order_events"}}, kOptions)),
      MakeCmqError(ErrorKind::kInvalidQueueName));
  const Params name = {{"queueName", "order_events"}};
  EXPECT_OK(ParseQueueName(name));
  EXPECT_OK(ParseSetQueueAttributes(name, kOptions));
  EXPECT_OK(
      ParseSendMessage({{"queueName", "order_events"}, {"msgBody", "x"}}));
  EXPECT_OK(ParseBatchSendMessage(
      {{"queueName", "order_events"}, {"msgBody.0", "x"}}));
  EXPECT_OK(ParseReceiveMessage(name));
  EXPECT_OK(ParseBatchReceiveMessage(
      {{"queueName", "order_events"}, {"numOfMsg", "2"}}));
  EXPECT_OK(ParseDeleteMessage(
      {{"queueName", "order_events"}, {"receiptHandle", "h"}}));
  EXPECT_OK(ParseBatchDeleteMessage(
      {{"queueName", "order_events"}, {"receiptHandle.0", "h"}}));
  EXPECT_OK(ParseRewindQueue(
      {{"queueName", "order_events"}, {"startConsumeTime", "1700000000"}}));
}

TEST(QueueNameRuleTest, NamesOutsideTheApi3RuleAreStillFormatErrors) {
  for (const char* bad : {"_orders", "9lives", "a.b", "a/b"}) {
    SCOPED_TRACE(bad);
    const Params name = {{"queueName", bad}};
    EXPECT_EQ(ModuleOf(ParseQueueName(name)), 10020);
    EXPECT_EQ(ModuleOf(ParseSetQueueAttributes(name, kOptions)), 10020);
    EXPECT_EQ(
        ModuleOf(ParseSendMessage({{"queueName", bad}, {"msgBody", "x"}})),
        10020);
    EXPECT_EQ(ModuleOf(ParseReceiveMessage(name)), 10020);
    EXPECT_EQ(ModuleOf(ParseDeleteMessage(
                  {{"queueName", bad}, {"receiptHandle", "h"}})),
              10020);
    EXPECT_EQ(ModuleOf(ParseRewindQueue(
                  {{"queueName", bad}, {"startConsumeTime", "1"}})),
              10020);
  }
}

// --- CreateQueue ---

TEST(ParseCreateQueueTest, OnlyTheNameIsRequired) {
  ASSERT_OK_AND_ASSIGN(CreateQueueInput in,
                       ParseCreateQueue({{"queueName", "q1"}}, kOptions));
  EXPECT_EQ(in.queue_name, "q1");
  EXPECT_EQ(in.attributes.max_msg_heap_num, std::nullopt);
  EXPECT_EQ(in.attributes.rewind_seconds, std::nullopt);
}

TEST(ParseCreateQueueTest, ReadsEveryAttribute) {
  ASSERT_OK_AND_ASSIGN(CreateQueueInput in,
                       ParseCreateQueue({{"queueName", "q1"},
                                         {"maxMsgHeapNum", "1000000"},
                                         {"pollingWaitSeconds", "30"},
                                         {"visibilityTimeout", "43200"},
                                         {"maxMsgSize", "1048576"},
                                         {"msgRetentionSeconds", "1296000"},
                                         {"rewindSeconds", "1296000"}},
                                        kOptions));
  EXPECT_THAT(in.attributes.max_msg_heap_num, Optional(1000000));
  EXPECT_THAT(in.attributes.polling_wait_seconds, Optional(30));
  EXPECT_THAT(in.attributes.visibility_timeout, Optional(43200));
  EXPECT_THAT(in.attributes.max_msg_size, Optional(1048576));
  EXPECT_THAT(in.attributes.msg_retention_seconds, Optional(1296000));
  EXPECT_THAT(in.attributes.rewind_seconds, Optional(1296000));
}

TEST(ParseCreateQueueTest, PythonSdkDefaultsAreAccepted) {
  EXPECT_OK(ParseCreateQueue({{"queueName", "q1"},
                              {"pollingWaitSeconds", "0"},
                              {"visibilityTimeout", "30"},
                              {"maxMsgSize", "65536"},
                              {"msgRetentionSeconds", "345600"},
                              {"rewindSeconds", "0"}},
                             kOptions));
}

TEST(ParseCreateQueueTest, MissingNameIsLackedOfRequiredParameters) {
  EXPECT_EQ(ErrorOf(ParseCreateQueue({{"maxMsgSize", "x"}}, kOptions)),
            MakeCmqError(ErrorKind::kMissingParameter));
}

TEST(ParseCreateQueueTest, BadNameIsQueueNameFormatError) {
  EXPECT_EQ(ModuleOf(ParseCreateQueue({{"queueName", "9lives"}}, kOptions)),
            10020);
}

TEST(ParseCreateQueueTest, EachAttributeOutsideItsRangeIsOutOfRange) {
  struct Case {
    const char* name;
    const char* value;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"maxMsgHeapNum", "999999"},
           {"maxMsgHeapNum", "1000000001"},
           {"pollingWaitSeconds", "-1"},
           {"pollingWaitSeconds", "31"},
           {"visibilityTimeout", "0"},
           {"visibilityTimeout", "43201"},
           {"maxMsgSize", "1023"},
           {"maxMsgSize", "1048577"},
           {"msgRetentionSeconds", "59"},
           {"msgRetentionSeconds", "1296001"},
           {"rewindSeconds", "-1"},
           {"rewindSeconds", "1296001"},
       }) {
    const auto in =
        ParseCreateQueue({{"queueName", "q"}, {c.name, c.value}}, kOptions);
    EXPECT_EQ(ErrorOf(in), MakeCmqError(ErrorKind::kOutOfRange, c.name))
        << c.name << "=" << c.value;
  }
}

TEST(ParseCreateQueueTest, HeapMinimumComesFromTheOptions) {
  const ParseOptions low{.min_max_msg_heap_num = 2};
  EXPECT_OK(
      ParseCreateQueue({{"queueName", "q"}, {"maxMsgHeapNum", "2"}}, low));
  EXPECT_EQ(ModuleOf(ParseCreateQueue(
                {{"queueName", "q"}, {"maxMsgHeapNum", "1"}}, low)),
            10350);
}

TEST(ParseCreateQueueTest, NonIntegerAttributeIsErrorType) {
  for (const char* v : {"", "1.5", "+5", " 5", "5 ", "0x10", "ten", "-"}) {
    EXPECT_EQ(ErrorOf(ParseCreateQueue(
                  {{"queueName", "q"}, {"visibilityTimeout", v}}, kOptions)),
              MakeCmqError(ErrorKind::kWrongType, "visibilityTimeout"))
        << "'" << v << "'";
  }
}

TEST(ParseCreateQueueTest, LeadingZerosAreStillAnInteger) {
  ASSERT_OK_AND_ASSIGN(
      CreateQueueInput in,
      ParseCreateQueue({{"queueName", "q"}, {"visibilityTimeout", "0030"}},
                       kOptions));
  EXPECT_THAT(in.attributes.visibility_timeout, Optional(30));
}

TEST(ParseCreateQueueTest, AnIntegerBeyondSixtyFourBitsIsOutOfRange) {
  EXPECT_EQ(
      ModuleOf(ParseCreateQueue(
          {{"queueName", "q"}, {"maxMsgSize", "99999999999999999999999999"}},
          kOptions)),
      10350);
  EXPECT_EQ(
      ModuleOf(ParseCreateQueue(
          {{"queueName", "q"}, {"maxMsgSize", "-99999999999999999999999999"}},
          kOptions)),
      10350);
}

TEST(ParseCreateQueueTest, TypeErrorsComeBeforeNameAndRangeErrors) {
  EXPECT_EQ(
      ModuleOf(ParseCreateQueue(
          {{"queueName", "_bad"}, {"maxMsgSize", "1"}, {"rewindSeconds", "x"}},
          kOptions)),
      10360);
}

TEST(ParseCreateQueueTest, NameErrorComesBeforeRangeErrors) {
  EXPECT_EQ(ModuleOf(ParseCreateQueue(
                {{"queueName", "_bad"}, {"maxMsgSize", "1"}}, kOptions)),
            10020);
}

TEST(ParseCreateQueueTest, RangesAreCheckedInTheListedOrder) {
  EXPECT_EQ(ErrorOf(ParseCreateQueue({{"queueName", "q"},
                                      {"visibilityTimeout", "0"},
                                      {"pollingWaitSeconds", "99"}},
                                     kOptions)),
            MakeCmqError(ErrorKind::kOutOfRange, "pollingWaitSeconds"));
}

TEST(ParseCreateQueueTest, RewindAboveRetentionIsRejectedAfterDefaults) {
  // Default retention is 345600 s.
  EXPECT_EQ(ErrorOf(ParseCreateQueue(
                {{"queueName", "q"}, {"rewindSeconds", "345601"}}, kOptions)),
            MakeCmqError(ErrorKind::kRewindExceedsRetention));
  EXPECT_EQ(ModuleOf(ParseCreateQueue({{"queueName", "q"},
                                       {"rewindSeconds", "600"},
                                       {"msgRetentionSeconds", "599"}},
                                      kOptions)),
            10700);
  EXPECT_OK(ParseCreateQueue({{"queueName", "q"},
                              {"rewindSeconds", "600"},
                              {"msgRetentionSeconds", "600"}},
                             kOptions));
}

TEST(ParseCreateQueueTest, RangeErrorsComeBeforeTheCrossFieldRule) {
  EXPECT_EQ(ModuleOf(ParseCreateQueue({{"queueName", "q"},
                                       {"rewindSeconds", "1000"},
                                       {"msgRetentionSeconds", "60"},
                                       {"maxMsgSize", "5"}},
                                      kOptions)),
            10350);
}

TEST(ParseCreateQueueTest, UnknownParametersAreIgnored) {
  EXPECT_OK(ParseCreateQueue({{"queueName", "q"},
                              {"deadLetterPolicy", "{}"},
                              {"RequestClient", "SDK_JAVA_1.3"}},
                             kOptions));
}

// --- ListQueue ---

TEST(ParseListQueueTest, DefaultsAreAllQueuesFromZeroTwentyAtATime) {
  ASSERT_OK_AND_ASSIGN(ListQueueInput in, ParseListQueue({}));
  EXPECT_EQ(in.search_word, "");
  EXPECT_EQ(in.offset, 0);
  EXPECT_EQ(in.limit, 20);
}

TEST(ParseListQueueTest, ReadsSearchWordOffsetAndLimit) {
  ASSERT_OK_AND_ASSIGN(ListQueueInput in, ParseListQueue({{"searchWord", "ord"},
                                                          {"offset", "5"},
                                                          {"limit", "50"}}));
  EXPECT_EQ(in.search_word, "ord");
  EXPECT_EQ(in.offset, 5);
  EXPECT_EQ(in.limit, 50);
}

TEST(ParseListQueueTest, LimitOutsideOneToFiftyIsOutOfRange) {
  EXPECT_EQ(ErrorOf(ParseListQueue({{"limit", "51"}})),
            MakeCmqError(ErrorKind::kOutOfRange, "limit"));
  EXPECT_EQ(ModuleOf(ParseListQueue({{"limit", "0"}})), 10350);
}

TEST(ParseListQueueTest, NegativeOffsetIsOutOfRange) {
  EXPECT_EQ(ErrorOf(ParseListQueue({{"offset", "-1"}})),
            MakeCmqError(ErrorKind::kOutOfRange, "offset"));
}

TEST(ParseListQueueTest, NonIntegerLimitIsErrorType) {
  EXPECT_EQ(ModuleOf(ParseListQueue({{"limit", "abc"}, {"offset", "-1"}})),
            10360);
}

// --- GetQueueAttributes / DeleteQueue ---

TEST(ParseQueueNameTest, RequiresAWellFormedName) {
  EXPECT_THAT(ParseQueueName({{"queueName", "q"}}),
              rmqtest::IsOkAndHolds(
                  ::testing::Field(&QueueNameInput::queue_name, "q")));
  EXPECT_EQ(ModuleOf(ParseQueueName({})), 10010);
  EXPECT_EQ(ModuleOf(ParseQueueName({{"queueName", ""}})), 10020);
}

// --- SetQueueAttributes ---

TEST(ParseSetQueueAttributesTest, AbsentAttributesStayAbsent) {
  ASSERT_OK_AND_ASSIGN(
      SetQueueAttributesInput in,
      ParseSetQueueAttributes({{"queueName", "q"}, {"rewindSeconds", "600"}},
                              kOptions));
  EXPECT_EQ(in.queue_name, "q");
  EXPECT_THAT(in.changes.rewind_seconds, Optional(600));
  EXPECT_EQ(in.changes.msg_retention_seconds, std::nullopt);
  EXPECT_EQ(in.changes.visibility_timeout, std::nullopt);
}

TEST(ParseSetQueueAttributesTest, ConflictWithinTheRequestIsRejected) {
  EXPECT_EQ(ModuleOf(ParseSetQueueAttributes({{"queueName", "q"},
                                              {"rewindSeconds", "601"},
                                              {"msgRetentionSeconds", "600"}},
                                             kOptions)),
            10700);
}

TEST(ParseSetQueueAttributesTest, RewindAloneIsLeftToTheBrokerToMerge) {
  // 400000 s exceeds the default retention but not necessarily the queue's.
  EXPECT_OK(ParseSetQueueAttributes(
      {{"queueName", "q"}, {"rewindSeconds", "400000"}}, kOptions));
}

TEST(ParseSetQueueAttributesTest, RangesAreChecked) {
  EXPECT_EQ(ErrorOf(ParseSetQueueAttributes(
                {{"queueName", "q"}, {"maxMsgSize", "100"}}, kOptions)),
            MakeCmqError(ErrorKind::kOutOfRange, "maxMsgSize"));
  EXPECT_EQ(ModuleOf(ParseSetQueueAttributes({}, kOptions)), 10010);
}

// --- SendMessage ---

TEST(ParseSendMessageTest, ReadsBodyAndDelay) {
  ASSERT_OK_AND_ASSIGN(SendMessageInput in,
                       ParseSendMessage({{"queueName", "q"},
                                         {"msgBody", "hello"},
                                         {"delaySeconds", "3600"}}));
  EXPECT_EQ(in.queue_name, "q");
  EXPECT_EQ(in.msg_body, "hello");
  EXPECT_EQ(in.delay_seconds, 3600);
}

TEST(ParseSendMessageTest, DelayDefaultsToZero) {
  ASSERT_OK_AND_ASSIGN(
      SendMessageInput in,
      ParseSendMessage({{"queueName", "q"}, {"msgBody", "x"}}));
  EXPECT_EQ(in.delay_seconds, 0);
}

TEST(ParseSendMessageTest, RequiredParametersInListedOrder) {
  EXPECT_EQ(ModuleOf(ParseSendMessage({{"msgBody", "x"}})), 10010);
  EXPECT_EQ(ModuleOf(ParseSendMessage({{"queueName", "q"}})), 10010);
}

TEST(ParseSendMessageTest, EmptyBodyIsMessageBodyCantBeEmpty) {
  EXPECT_EQ(ErrorOf(ParseSendMessage({{"queueName", "q"}, {"msgBody", ""}})),
            MakeCmqError(ErrorKind::kEmptyMessageBody));
}

TEST(ParseSendMessageTest, DelayOutsideZeroToOneHourIsDelayOutOfRange) {
  for (const char* d : {"-1", "3601", "6048000"}) {
    EXPECT_EQ(ErrorOf(ParseSendMessage(
                  {{"queueName", "q"}, {"msgBody", "x"}, {"delaySeconds", d}})),
              MakeCmqError(ErrorKind::kDelayOutOfRange))
        << d;
  }
}

TEST(ParseSendMessageTest, NonIntegerDelayIsErrorTypeBeforeAnyOtherCheck) {
  EXPECT_EQ(ErrorOf(ParseSendMessage(
                {{"queueName", "_"}, {"msgBody", ""}, {"delaySeconds", "1s"}})),
            MakeCmqError(ErrorKind::kWrongType, "delaySeconds"));
}

TEST(ParseSendMessageTest, EmptyBodyComesBeforeDelay) {
  EXPECT_EQ(ModuleOf(ParseSendMessage(
                {{"queueName", "q"}, {"msgBody", ""}, {"delaySeconds", "-1"}})),
            10120);
}

TEST(ParseSendMessageTest, BodyIsKeptByteForByte) {
  const std::string body = "北京 & co=1\n\t\"quoted\" @home";
  ASSERT_OK_AND_ASSIGN(
      SendMessageInput in,
      ParseSendMessage({{"queueName", "q"}, {"msgBody", body}}));
  EXPECT_EQ(in.msg_body, body);
}

// --- BatchSendMessage ---

TEST(ParseBatchSendMessageTest, ReadsBodiesInIndexOrder) {
  ASSERT_OK_AND_ASSIGN(BatchSendMessageInput in,
                       ParseBatchSendMessage({{"queueName", "q"},
                                              {"msgBody.2", "b"},
                                              {"msgBody.1", "a"},
                                              {"delaySeconds", "5"}}));
  EXPECT_THAT(in.msg_bodies, ElementsAre("a", "b"));
  EXPECT_EQ(in.delay_seconds, 5);
}

TEST(ParseBatchSendMessageTest, NoBodyIsLackedOfRequiredParameters) {
  EXPECT_EQ(ModuleOf(ParseBatchSendMessage(
                {{"queueName", "q"}, {"msgBody", "plain"}})),
            10010);
}

TEST(ParseBatchSendMessageTest, SeventeenBodiesAreBatchSizeOutOfRange) {
  Params p = {{"queueName", "q"}};
  for (int i = 1; i <= 17; ++i) p.try_emplace(absl::StrCat("msgBody.", i), "x");
  EXPECT_EQ(ErrorOf(ParseBatchSendMessage(p)),
            MakeCmqError(ErrorKind::kBatchSize, "msgBody"));
}

TEST(ParseBatchSendMessageTest, GapIsNotConsequent) {
  EXPECT_EQ(ModuleOf(ParseBatchSendMessage(
                {{"queueName", "q"}, {"msgBody.0", "a"}, {"msgBody.2", "c"}})),
            10380);
}

TEST(ParseBatchSendMessageTest, AnyEmptyBodyRejectsTheBatch) {
  EXPECT_EQ(ModuleOf(ParseBatchSendMessage(
                {{"queueName", "q"}, {"msgBody.1", "a"}, {"msgBody.2", ""}})),
            10120);
}

TEST(ParseBatchSendMessageTest, IndexErrorsComeBeforeEmptyBodiesAndDelay) {
  EXPECT_EQ(ModuleOf(ParseBatchSendMessage({{"queueName", "q"},
                                            {"msgBody.1", ""},
                                            {"msgBody.3", "c"},
                                            {"delaySeconds", "-5"}})),
            10380);
}

TEST(ParseBatchSendMessageTest, DelayIsCheckedLast) {
  EXPECT_EQ(
      ModuleOf(ParseBatchSendMessage(
          {{"queueName", "q"}, {"msgBody.1", "a"}, {"delaySeconds", "3601"}})),
      10692);
}

// --- ReceiveMessage / BatchReceiveMessage ---

TEST(ParseReceiveMessageTest, AbsentWaitMeansTheQueueDefault) {
  ASSERT_OK_AND_ASSIGN(ReceiveMessageInput in,
                       ParseReceiveMessage({{"queueName", "q"},
                                            {"UserpollingWaitSeconds", "30"}}));
  EXPECT_EQ(in.num_of_msg, 1);
  EXPECT_EQ(in.polling_wait_seconds, std::nullopt);
}

TEST(ParseReceiveMessageTest, WaitFromZeroToThirty) {
  ASSERT_OK_AND_ASSIGN(
      ReceiveMessageInput in,
      ParseReceiveMessage({{"queueName", "q"}, {"pollingWaitSeconds", "30"}}));
  EXPECT_THAT(in.polling_wait_seconds, Optional(30));
  EXPECT_EQ(ErrorOf(ParseReceiveMessage(
                {{"queueName", "q"}, {"pollingWaitSeconds", "31"}})),
            MakeCmqError(ErrorKind::kOutOfRange, "pollingWaitSeconds"));
  EXPECT_EQ(ModuleOf(ParseReceiveMessage(
                {{"queueName", "q"}, {"pollingWaitSeconds", "-1"}})),
            10350);
}

TEST(ParseBatchReceiveMessageTest, NumOfMsgIsRequiredAndOneToSixteen) {
  ASSERT_OK_AND_ASSIGN(
      ReceiveMessageInput in,
      ParseBatchReceiveMessage({{"queueName", "q"}, {"numOfMsg", "16"}}));
  EXPECT_EQ(in.num_of_msg, 16);
  EXPECT_EQ(ModuleOf(ParseBatchReceiveMessage({{"queueName", "q"}})), 10010);
  EXPECT_EQ(ErrorOf(ParseBatchReceiveMessage(
                {{"queueName", "q"}, {"numOfMsg", "17"}})),
            MakeCmqError(ErrorKind::kOutOfRange, "numOfMsg"));
  EXPECT_EQ(ModuleOf(ParseBatchReceiveMessage(
                {{"queueName", "q"}, {"numOfMsg", "0"}})),
            10350);
  EXPECT_EQ(ModuleOf(ParseBatchReceiveMessage(
                {{"queueName", "q"}, {"numOfMsg", "many"}})),
            10360);
}

TEST(ParseBatchReceiveMessageTest, ReadsTheWait) {
  ASSERT_OK_AND_ASSIGN(ReceiveMessageInput in,
                       ParseBatchReceiveMessage({{"queueName", "q"},
                                                 {"numOfMsg", "3"},
                                                 {"pollingWaitSeconds", "7"}}));
  EXPECT_THAT(in.polling_wait_seconds, Optional(7));
}

// --- DeleteMessage / BatchDeleteMessage ---

TEST(ParseDeleteMessageTest, RequiresQueueNameThenReceiptHandle) {
  ASSERT_OK_AND_ASSIGN(
      DeleteMessageInput in,
      ParseDeleteMessage({{"queueName", "q"}, {"receiptHandle", "h:1"}}));
  EXPECT_EQ(in.receipt_handle, "h:1");
  EXPECT_EQ(ModuleOf(ParseDeleteMessage({{"queueName", "q"}})), 10010);
}

TEST(ParseDeleteMessageTest, AnOddHandleIsLeftForTheBrokerToRefuse) {
  EXPECT_OK(ParseDeleteMessage({{"queueName", "q"}, {"receiptHandle", ""}}));
}

TEST(ParseBatchDeleteMessageTest, ReadsHandlesInIndexOrder) {
  ASSERT_OK_AND_ASSIGN(BatchDeleteMessageInput in,
                       ParseBatchDeleteMessage({{"queueName", "q"},
                                                {"receiptHandle.0", "a"},
                                                {"receiptHandle.1", "b"}}));
  EXPECT_THAT(in.receipt_handles, ElementsAre("a", "b"));
}

TEST(ParseBatchDeleteMessageTest, SizeAndIndexRules) {
  Params p = {{"queueName", "q"}};
  for (int i = 1; i <= 17; ++i)
    p.try_emplace(absl::StrCat("receiptHandle.", i), "h");
  EXPECT_EQ(ErrorOf(ParseBatchDeleteMessage(p)),
            MakeCmqError(ErrorKind::kBatchSize, "receiptHandle"));
  EXPECT_EQ(ModuleOf(ParseBatchDeleteMessage({{"queueName", "q"}})), 10010);
  EXPECT_EQ(ModuleOf(ParseBatchDeleteMessage(
                {{"queueName", "q"}, {"receiptHandle.2", "h"}})),
            10380);
}

// --- RewindQueue ---

TEST(ParseRewindQueueTest, ReadsTheTimeInSeconds) {
  ASSERT_OK_AND_ASSIGN(RewindQueueInput in,
                       ParseRewindQueue({{"queueName", "orders-q1"},
                                         {"startConsumeTime", "1699999400"}}));
  EXPECT_EQ(in.queue_name, "orders-q1");
  EXPECT_EQ(in.start_consume_time, 1699999400);
}

TEST(ParseRewindQueueTest, TimeIsRequired) {
  EXPECT_EQ(ModuleOf(ParseRewindQueue({{"queueName", "q"}})), 10010);
}

TEST(ParseRewindQueueTest, CppSdkOneCharacterTimeIsErrorType) {
  EXPECT_EQ(ErrorOf(ParseRewindQueue(
                {{"queueName", "q"}, {"startConsumeTime", "\x1f"}})),
            MakeCmqError(ErrorKind::kWrongType, "startConsumeTime"));
}

TEST(ParseRewindQueueTest, ARangeIsLeftToTheBroker) {
  // A millisecond value is far in the future; the broker answers 10680.
  EXPECT_OK(ParseRewindQueue(
      {{"queueName", "q"}, {"startConsumeTime", "1699999400000"}}));
  EXPECT_OK(ParseRewindQueue({{"queueName", "q"}, {"startConsumeTime", "-5"}}));
}

}  // namespace
}  // namespace rewindmq::facade::cmq

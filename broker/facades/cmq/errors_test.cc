#include "broker/facades/cmq/errors.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::facade::cmq {
namespace {

using ::rmqtest::StatusIs;

TEST(MakeCmqErrorTest, MessageIsModuleInParenthesesThenTextWithoutSpace) {
  EXPECT_EQ(MakeCmqError(ErrorKind::kNoMessage),
            (CmqError{7000, 10200, "(10200)no message"}));
}

TEST(MakeCmqErrorTest, ArgumentReplacesThePercentS) {
  EXPECT_EQ(MakeCmqError(ErrorKind::kUnknownAction, "CreateTopic").message,
            "(10430)action name CreateTopic is not existed");
  EXPECT_EQ(MakeCmqError(ErrorKind::kOutOfRange, "limit").message,
            "(10350)parameter limit value or length is out of range");
}

TEST(MakeCmqErrorTest, TextsWithoutPercentSIgnoreTheArgument) {
  EXPECT_EQ(MakeCmqError(ErrorKind::kMissingParameter, "queueName").message,
            "(10010)lacked of required parameters");
}

TEST(MakeCmqErrorTest, CodesFollowTheSpecTable) {
  struct Row {
    ErrorKind kind;
    int code;
    int module;
  };
  const Row rows[] = {
      {ErrorKind::kInvalidParameters, 4000, 10000},
      {ErrorKind::kMissingParameter, 4000, 10010},
      {ErrorKind::kInvalidQueueName, 4000, 10020},
      {ErrorKind::kEmptyMessageBody, 4000, 10120},
      {ErrorKind::kMissingAction, 4000, 10280},
      {ErrorKind::kKeyFormat, 4000, 10310},
      {ErrorKind::kNotRepeatable, 4000, 10330},
      {ErrorKind::kOutOfRange, 4000, 10350},
      {ErrorKind::kWrongType, 4000, 10360},
      {ErrorKind::kBatchSize, 4000, 10370},
      {ErrorKind::kNotConsecutive, 4000, 10380},
      {ErrorKind::kMethodNotAllowed, 4000, 10410},
      {ErrorKind::kCannotParse, 4000, 10420},
      {ErrorKind::kUnknownAction, 4000, 10430},
      {ErrorKind::kInvalidRewindTime, 4000, 10680},
      {ErrorKind::kDelayOutOfRange, 4000, 10692},
      {ErrorKind::kRewindExceedsRetention, 4000, 10700},
      {ErrorKind::kAuthenticationFailed, 4100, 10030},
      {ErrorKind::kSecretIdNotFound, 4100, 10270},
      {ErrorKind::kMessageTooLarge, 4400, 10230},
      {ErrorKind::kHeapFull, 4410, 10240},
      {ErrorKind::kThrottled, 4420, 10250},
      {ErrorKind::kInvalidReceiptHandle, 4430, 10260},
      {ErrorKind::kQueueNotFound, 4440, 10100},
      {ErrorKind::kQueueLimitReached, 4450, 10220},
      {ErrorKind::kQueueExists, 4460, 10210},
      {ErrorKind::kBatchTooLarge, 4470, 10300},
      {ErrorKind::kInternal, 6000, 10050},
      {ErrorKind::kDeletePartiallyFailed, 6010, 10150},
      {ErrorKind::kBatchDeleteFailed, 6020, 10290},
      {ErrorKind::kRecreateTooSoon, 6040, 10660},
      {ErrorKind::kRewindDisabled, 6050, 10670},
      {ErrorKind::kNoMessage, 7000, 10200},
  };
  for (const Row& row : rows) {
    const CmqError e = MakeCmqError(row.kind);
    EXPECT_EQ(e.code, row.code) << e.message;
    EXPECT_EQ(e.module, row.module) << e.message;
  }
}

TEST(MakeCmqErrorTest, RewindTimeTextKeepsTheVendorSpelling) {
  EXPECT_EQ(MakeCmqError(ErrorKind::kInvalidRewindTime).message,
            "(10680)invalid rewind time, you can get the vaild range of that "
            "via GetQueueAttributes");
}

TEST(CmqStatusTest, CarriesTheKindAndArgumentBackToTheVendorError) {
  const absl::Status s = CmqStatus(ErrorKind::kNotRepeatable, "a:b");
  EXPECT_EQ(CmqErrorFromPayload(s),
            MakeCmqError(ErrorKind::kNotRepeatable, "a:b"));
}

TEST(CmqStatusTest, CodeSaysWhatTheCallerShouldDo) {
  EXPECT_THAT(CmqStatus(ErrorKind::kWrongType, "limit"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "parameter limit error type"));
  EXPECT_THAT(CmqStatus(ErrorKind::kAuthenticationFailed),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(CmqStatus(ErrorKind::kQueueNotFound),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(CmqErrorFromPayloadTest, OtherStatusesHaveNoVendorError) {
  EXPECT_EQ(CmqErrorFromPayload(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(CmqErrorFromPayload(absl::InvalidArgumentError("bad")),
            std::nullopt);
}

TEST(IsInternalTest, OnlyTheServerInternalErrorIsInternal) {
  EXPECT_TRUE(IsInternal(MakeCmqError(ErrorKind::kInternal)));
  EXPECT_FALSE(IsInternal(MakeCmqError(ErrorKind::kBatchDeleteFailed)));
}

}  // namespace
}  // namespace rewindmq::facade::cmq

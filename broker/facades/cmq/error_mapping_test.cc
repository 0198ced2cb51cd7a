#include "broker/facades/cmq/error_mapping.h"

#include "absl/status/status.h"
#include "broker/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rewindmq::facade::cmq {
namespace {

using broker::Reason;
using SC = absl::StatusCode;

CmqError FromBroker(SC code, Reason reason) {
  return ToCmqError(broker::Error(code, reason, "detail that stays inside"));
}

TEST(ToCmqErrorTest, FacadeRejectionsKeepTheirKindAndArgument) {
  EXPECT_EQ(ToCmqError(CmqStatus(ErrorKind::kOutOfRange, "limit")),
            MakeCmqError(ErrorKind::kOutOfRange, "limit"));
}

TEST(ToCmqErrorTest, BrokerReasonsMapToTheVendorTable) {
  struct Case {
    SC code;
    Reason reason;
    int cmq_code;
    int module;
  };
  const Case cases[] = {
      {SC::kNotFound, Reason::kQueueNotFound, 4440, 10100},
      {SC::kAlreadyExists, Reason::kQueueExists, 4460, 10210},
      {SC::kResourceExhausted, Reason::kQueueLimit, 4450, 10220},
      {SC::kInvalidArgument, Reason::kInvalidName, 4000, 10020},
      {SC::kInvalidArgument, Reason::kAttributeOutOfRange, 4000, 10350},
      {SC::kInvalidArgument, Reason::kRewindExceedsRetention, 4000, 10700},
      {SC::kInvalidArgument, Reason::kDelayOutOfRange, 4000, 10692},
      {SC::kInvalidArgument, Reason::kPollWaitOutOfRange, 4000, 10350},
      {SC::kInvalidArgument, Reason::kMessageEmpty, 4000, 10120},
      {SC::kInvalidArgument, Reason::kBatchEmpty, 4000, 10010},
      {SC::kInvalidArgument, Reason::kMessageTooLarge, 4400, 10230},
      {SC::kInvalidArgument, Reason::kBatchTooLarge, 4470, 10300},
      {SC::kResourceExhausted, Reason::kHeapFull, 4410, 10240},
      {SC::kFailedPrecondition, Reason::kRewindDisabled, 6050, 10670},
      {SC::kInvalidArgument, Reason::kRewindTimeOutOfRange, 4000, 10680},
      {SC::kInvalidArgument, Reason::kReceiptHandleInvalid, 4430, 10260},
      {SC::kDeadlineExceeded, Reason::kNoMessage, 7000, 10200},
  };
  for (const Case& c : cases) {
    const CmqError e = FromBroker(c.code, c.reason);
    EXPECT_EQ(e.code, c.cmq_code) << broker::ReasonName(c.reason);
    EXPECT_EQ(e.module, c.module) << broker::ReasonName(c.reason);
  }
}

TEST(ToCmqErrorTest, VendorTextNotTheBrokerMessageReachesTheClient) {
  EXPECT_EQ(FromBroker(SC::kNotFound, Reason::kQueueNotFound).message,
            "(10100)queue is not existed, or deleted");
}

TEST(ToCmqErrorTest, ServerFaultsAreTheGenericInternalError) {
  for (const absl::Status& s :
       {absl::DataLossError("crc mismatch in /var/lib/rewindmq/seg-00001"),
        absl::UnavailableError("fsync failed"),
        broker::Error(SC::kCancelled, Reason::kWaitCancelled, "cancelled"),
        broker::Error(SC::kUnavailable, Reason::kShuttingDown, "closing"),
        broker::Error(SC::kNotFound, Reason::kInstanceNotFound, "no instance"),
        broker::Error(SC::kNotFound, Reason::kTopicNotFound, "no topic")}) {
    const CmqError e = ToCmqError(s);
    EXPECT_EQ(e, MakeCmqError(ErrorKind::kInternal)) << s;
    EXPECT_TRUE(IsInternal(e));
  }
}

TEST(ToCmqErrorTest, UnreasonedInvalidArgumentIsTheGenericParameterError) {
  EXPECT_EQ(ToCmqError(absl::InvalidArgumentError("bad")),
            MakeCmqError(ErrorKind::kInvalidParameters));
}

}  // namespace
}  // namespace rewindmq::facade::cmq

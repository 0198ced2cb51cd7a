#include "broker/errors.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace rewindmq::broker {
namespace {

TEST(ErrorsTest, ReasonTravelsWithTheStatus) {
  absl::Status s = Error(absl::StatusCode::kNotFound, Reason::kTopicNotFound,
                         "topic orders does not exist");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "topic orders does not exist");
  EXPECT_EQ(ReasonOf(s), Reason::kTopicNotFound);
}

TEST(ErrorsTest, AStatusWithoutReasonHasNone) {
  EXPECT_EQ(ReasonOf(absl::NotFoundError("x")), Reason::kNone);
  EXPECT_EQ(ReasonOf(absl::OkStatus()), Reason::kNone);
}

TEST(ErrorsTest, OkStaysOkWithAReason) {
  EXPECT_TRUE(WithReason(absl::OkStatus(), Reason::kHeapFull).ok());
}

TEST(ErrorsTest, WithReasonReplacesAnEarlierReason) {
  absl::Status s =
      WithReason(WithReason(absl::InternalError("x"), Reason::kGroupExists),
                 Reason::kQueueExists);
  EXPECT_EQ(ReasonOf(s), Reason::kQueueExists);
}

TEST(ErrorsTest, ReasonsHaveStableNames) {
  EXPECT_EQ(ReasonName(Reason::kStaleResetEpoch), "stale_reset_epoch");
  EXPECT_EQ(ReasonName(Reason::kRewindTimeOutOfRange),
            "rewind_time_out_of_range");
  EXPECT_EQ(ReasonName(static_cast<Reason>(9999)), "unknown");
}

}  // namespace
}  // namespace rewindmq::broker

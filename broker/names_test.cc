#include "broker/names.h"

#include <string>

#include "gtest/gtest.h"

namespace rewindmq::broker {
namespace {

TEST(NamesTest, IdentifiersAreOneToSixtyFourOfLettersDigitsDashUnderscore) {
  EXPECT_TRUE(IsIdentifier("a"));
  EXPECT_TRUE(IsIdentifier("00000000-0000-4000-8000-000000000001"));
  EXPECT_TRUE(IsIdentifier("Project_ID-9"));
  EXPECT_TRUE(IsIdentifier(std::string(64, 'x')));
  EXPECT_FALSE(IsIdentifier(""));
  EXPECT_FALSE(IsIdentifier(std::string(65, 'x')));
  for (const char* bad : {"a b", "a.b", "a/b", "a%2F", "{project_id}", "é"}) {
    EXPECT_FALSE(IsIdentifier(bad)) << bad;
  }
}

TEST(NamesTest, InstanceIdsFollowTheIdentifierRule) {
  EXPECT_TRUE(ValidateInstanceId("inst-1").ok());
  EXPECT_EQ(ValidateInstanceId("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateInstanceId("a.b").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateInstanceId(std::string(65, 'a')).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NamesTest, CmqV2QueueNamesAreALetterThenLettersDigitsAndDashes) {
  EXPECT_TRUE(IsCmqV2QueueName("q"));
  EXPECT_TRUE(IsCmqV2QueueName("orders-q1"));
  EXPECT_TRUE(IsCmqV2QueueName(std::string(64, 'a')));
  for (const char* bad : {"", "1q", "-q", "_q", "q_1", "q.1", "q 1", "é"}) {
    EXPECT_FALSE(IsCmqV2QueueName(bad)) << bad;
  }
  EXPECT_FALSE(IsCmqV2QueueName(std::string(65, 'a')));
  EXPECT_TRUE(ValidateCmqQueueName("orders-q1").ok());
  EXPECT_EQ(ValidateCmqQueueName("order_events").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NamesTest, CmqV3QueueNamesAlsoAllowUnderscores) {
  EXPECT_TRUE(IsCmqV3QueueName("order_events"));
  EXPECT_TRUE(IsCmqV3QueueName("q_"));
  EXPECT_TRUE(IsCmqV3QueueName("orders-q1"));
  EXPECT_TRUE(IsCmqV3QueueName(std::string(64, 'a')));
  for (const char* bad : {"", "1q", "-q", "_q", "q.1", "q 1", "é"}) {
    EXPECT_FALSE(IsCmqV3QueueName(bad)) << bad;
  }
  EXPECT_FALSE(IsCmqV3QueueName(std::string(65, 'a')));
  EXPECT_TRUE(ValidateCmqV3QueueName("order_events").ok());
  EXPECT_EQ(ValidateCmqV3QueueName("_q").code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rewindmq::broker

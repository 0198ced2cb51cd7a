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

}  // namespace
}  // namespace rewindmq::broker

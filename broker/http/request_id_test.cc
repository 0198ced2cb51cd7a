#include "broker/http/request_id.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rewindmq::httpd {
namespace {

using ::testing::MatchesRegex;

TEST(RequestIdTest, NewIdsAre32LowercaseHexDigits) {
  EXPECT_THAT(NewRequestId(), MatchesRegex("[0-9a-f]{32}"));
}

TEST(RequestIdTest, NewIdsDoNotRepeat) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(NewRequestId());
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(RequestIdTest, SaneClientIdsAreEchoed) {
  EXPECT_EQ(RequestIdFor("4c1f0b5e0a3d4d1f9c2b7e6a5d4c3b2a"),
            "4c1f0b5e0a3d4d1f9c2b7e6a5d4c3b2a");
  EXPECT_EQ(RequestIdFor("client-7_run.3:1"), "client-7_run.3:1");
  EXPECT_EQ(RequestIdFor(std::string(64, 'a')), std::string(64, 'a'));
}

TEST(RequestIdTest, UnsafeOrOddClientIdsAreReplaced) {
  for (const std::string& bad :
       {std::string(""), std::string(65, 'a'), std::string("a b"),
        std::string("a\"b"), std::string("id\r\nX-Evil: 1"),
        std::string("caf\xc3\xa9"), std::string("<script>")}) {
    EXPECT_FALSE(IsAcceptableRequestId(bad)) << bad;
    EXPECT_THAT(RequestIdFor(bad), MatchesRegex("[0-9a-f]{32}")) << bad;
  }
}

}  // namespace
}  // namespace rewindmq::httpd

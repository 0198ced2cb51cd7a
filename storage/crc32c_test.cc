#include "storage/crc32c.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace rewindmq::storage {
namespace {

TEST(Crc32cTest, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(internal::Crc32cPortable("123456789", 9, 0), 0xE3069283u);
}

TEST(Crc32cTest, EmptyInputIsZero) { EXPECT_EQ(Crc32c("", 0), 0u); }

TEST(Crc32cTest, HardwareAndPortablePathsAgreeOnRandomData) {
  std::mt19937 rng(7);
  for (int len : {1, 7, 8, 9, 63, 64, 1000, 4099}) {
    std::string data(len, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    EXPECT_EQ(Crc32c(data.data(), data.size()),
              internal::Crc32cPortable(data.data(), data.size(), 0))
        << "length " << len;
  }
}

TEST(Crc32cTest, ContinuingInPiecesEqualsOneCall) {
  const std::string data = "the quick brown fox jumps over the lazy dog";
  uint32_t piecewise = Crc32c(data.data(), 10);
  piecewise = Crc32c(data.data() + 10, data.size() - 10, piecewise);
  EXPECT_EQ(piecewise, Crc32c(data.data(), data.size()));
}

}  // namespace
}  // namespace rewindmq::storage

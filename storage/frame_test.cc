#include "storage/frame.h"

#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::storage {
namespace {

using ::rmqtest::IsOk;
using ::rmqtest::StatusIs;

proto::Record Sample() {
  proto::Record r;
  r.set_producer_time_us(123);
  r.add_keys("order-7");
  r.add_tags("paid");
  (*r.mutable_properties())["region"] = "eu";
  r.set_body(std::string("hello\0world", 11));
  return r;
}

// Every test runs against both layouts, with a segment base below the
// offsets it writes.
class FrameTest : public ::testing::TestWithParam<FrameFormat> {
 protected:
  FrameContext ctx_{GetParam(), 40};
};

TEST_P(FrameTest, RoundTripKeepsEveryFieldAndTakesPositionFromTheHeader) {
  std::string buf;
  int64_t payload = 0;
  const int64_t n =
      AppendFrame(ctx_, Sample(), 42, 1'700'000'000'000'000, &buf, &payload);
  ASSERT_EQ(n, static_cast<int64_t>(buf.size()));
  EXPECT_EQ(payload, static_cast<int64_t>(Sample().ByteSizeLong()));

  FrameHeader h;
  ASSERT_EQ(DecodeFrameHeader(ctx_, buf, 1 << 20, &h), HeaderCheck::kOk);
  EXPECT_EQ(h.offset, 42);
  EXPECT_EQ(h.store_time_us, 1'700'000'000'000'000);
  EXPECT_EQ(h.frame_bytes(), n);
  EXPECT_EQ(h.payload_bytes, payload);
  proto::Record out;
  ASSERT_THAT(DecodeFramePayload(
                  h, absl::string_view(buf).substr(h.header_bytes), &out),
              IsOk());
  EXPECT_EQ(out.offset(), 42);
  EXPECT_EQ(out.store_time_us(), 1'700'000'000'000'000);
  EXPECT_EQ(out.body(), std::string("hello\0world", 11));
  EXPECT_EQ(out.keys(0), "order-7");
  EXPECT_EQ(out.tags(0), "paid");
  EXPECT_EQ(out.properties().at("region"), "eu");
  EXPECT_EQ(out.producer_time_us(), 123);
}

TEST_P(FrameTest, PositionFieldsSetByTheCallerAreNotStoredInThePayload) {
  proto::Record r = Sample();
  r.set_offset(999);
  r.set_store_time_us(5);
  std::string with, without;
  AppendFrame(ctx_, r, 41, 2, &with);
  AppendFrame(ctx_, Sample(), 41, 2, &without);
  EXPECT_EQ(with, without);
}

TEST_P(FrameTest, PeekAgreesWithTheCheckedDecoder) {
  std::string buf;
  AppendFrame(ctx_, Sample(), 1'000'000, 77, &buf);
  FrameHeader checked, peeked;
  ASSERT_EQ(DecodeFrameHeader(ctx_, buf, 1 << 20, &checked), HeaderCheck::kOk);
  ASSERT_TRUE(PeekFrameHeader(ctx_, buf, 1 << 20, &peeked));
  EXPECT_TRUE(HeaderChecksumMatches(buf, peeked));
  EXPECT_EQ(peeked.header_bytes, checked.header_bytes);
  EXPECT_EQ(peeked.payload_bytes, checked.payload_bytes);
  EXPECT_EQ(peeked.offset, 1'000'000);
  EXPECT_EQ(peeked.store_time_us, 77);
}

TEST_P(FrameTest, ShortInputIsTruncated) {
  std::string buf;
  AppendFrame(ctx_, Sample(), 40, 0, &buf);
  FrameHeader h;
  ASSERT_EQ(DecodeFrameHeader(ctx_, buf, 1 << 20, &h), HeaderCheck::kOk);
  for (uint32_t cut = 0; cut < h.header_bytes; ++cut) {
    EXPECT_EQ(DecodeFrameHeader(ctx_, absl::string_view(buf).substr(0, cut),
                                1 << 20, &h),
              HeaderCheck::kTruncated)
        << "cut at " << cut;
  }
}

TEST_P(FrameTest, AnyFlippedHeaderByteIsCorrupt) {
  std::string buf;
  AppendFrame(ctx_, Sample(), 43, 4, &buf);
  FrameHeader good;
  ASSERT_EQ(DecodeFrameHeader(ctx_, buf, 1 << 20, &good), HeaderCheck::kOk);
  for (uint32_t i = 0; i < good.header_bytes; ++i) {
    for (int bit : {0x01, 0x10, 0x80}) {
      std::string bad = buf;
      bad[i] = static_cast<char>(bad[i] ^ bit);
      FrameHeader h;
      EXPECT_EQ(DecodeFrameHeader(ctx_, bad, 1 << 20, &h),
                HeaderCheck::kCorrupt)
          << "byte " << i << " bit " << bit;
    }
  }
}

TEST_P(FrameTest, ZeroFilledSpaceIsCorrupt) {
  std::string zeros(64, '\0');
  FrameHeader h;
  EXPECT_EQ(DecodeFrameHeader(ctx_, zeros, 1 << 20, &h), HeaderCheck::kCorrupt);
}

TEST_P(FrameTest, PayloadLongerThanTheLimitIsCorrupt) {
  std::string buf;
  AppendFrame(ctx_, Sample(), 40, 0, &buf);
  FrameHeader h;
  EXPECT_EQ(DecodeFrameHeader(ctx_, buf, 4, &h), HeaderCheck::kCorrupt);
}

TEST_P(FrameTest, FlippedPayloadByteIsDataLoss) {
  std::string buf;
  AppendFrame(ctx_, Sample(), 40, 0, &buf);
  buf[buf.size() - 2] ^= 0x01;
  FrameHeader h;
  ASSERT_EQ(DecodeFrameHeader(ctx_, buf, 1 << 20, &h), HeaderCheck::kOk);
  proto::Record out;
  EXPECT_THAT(DecodeFramePayload(
                  h, absl::string_view(buf).substr(h.header_bytes), &out),
              StatusIs(absl::StatusCode::kDataLoss));
}

INSTANTIATE_TEST_SUITE_P(Layouts, FrameTest,
                         ::testing::Values(FrameFormat::kFixed,
                                           FrameFormat::kCompact),
                         [](const auto& info) {
                           return info.param == FrameFormat::kFixed
                                      ? std::string("Fixed")
                                      : std::string("Compact");
                         });

TEST(CompactFrameTest, AHundredByteMessageTakesAnEighteenToTwentyByteHeader) {
  proto::Record r;
  r.set_body(std::string(100, 'x'));
  const FrameContext ctx{FrameFormat::kCompact, 1'000'000};
  std::string first, later;
  // The first record of a segment, and one about half a million records in
  // (a 64 MiB segment of such records).
  const int64_t n0 =
      AppendFrame(ctx, r, 1'000'000, 1'700'000'000'000'000, &first);
  const int64_t n1 =
      AppendFrame(ctx, r, 1'500'000, 1'700'000'000'000'000, &later);
  const auto payload = static_cast<int64_t>(r.ByteSizeLong());
  EXPECT_EQ(n0 - payload, 18);
  EXPECT_EQ(n1 - payload, 20);
}

TEST(CompactFrameTest, OffsetsAreReadAgainstTheSegmentBaseWithoutOverflow) {
  // A header read against another base (a frame moved into the wrong file)
  // gives another offset, which the sequence check then refuses; one that
  // would overflow is corrupt.
  proto::Record r;
  r.set_body("x");
  std::string buf;
  AppendFrame({FrameFormat::kCompact, 0}, r, 5, 9, &buf);
  FrameHeader h;
  ASSERT_EQ(DecodeFrameHeader({FrameFormat::kCompact, 100}, buf, 1 << 20, &h),
            HeaderCheck::kOk);
  EXPECT_EQ(h.offset, 105);
  ASSERT_EQ(DecodeFrameHeader({FrameFormat::kCompact,
                               std::numeric_limits<int64_t>::max() - 1},
                              buf, 1 << 20, &h),
            HeaderCheck::kCorrupt);
}

}  // namespace
}  // namespace rewindmq::storage

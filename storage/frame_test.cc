#include "storage/frame.h"

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

TEST(FrameTest, RoundTripKeepsEveryFieldAndTakesPositionFromTheHeader) {
  std::string buf;
  const int64_t n = AppendFrame(Sample(), 42, 1'700'000'000'000'000, &buf);
  ASSERT_EQ(n, static_cast<int64_t>(buf.size()));

  FrameHeader h;
  ASSERT_EQ(DecodeFrameHeader(buf, 1 << 20, &h), HeaderCheck::kOk);
  EXPECT_EQ(h.offset, 42);
  EXPECT_EQ(h.store_time_us, 1'700'000'000'000'000);
  EXPECT_EQ(h.frame_bytes(), n);
  proto::Record out;
  ASSERT_THAT(DecodeFramePayload(
                  h, absl::string_view(buf).substr(kFrameHeaderBytes), &out),
              IsOk());
  EXPECT_EQ(out.offset(), 42);
  EXPECT_EQ(out.store_time_us(), 1'700'000'000'000'000);
  EXPECT_EQ(out.body(), std::string("hello\0world", 11));
  EXPECT_EQ(out.keys(0), "order-7");
  EXPECT_EQ(out.tags(0), "paid");
  EXPECT_EQ(out.properties().at("region"), "eu");
  EXPECT_EQ(out.producer_time_us(), 123);
}

TEST(FrameTest, PositionFieldsSetByTheCallerAreNotStoredInThePayload) {
  proto::Record r = Sample();
  r.set_offset(999);
  r.set_store_time_us(5);
  std::string with, without;
  AppendFrame(r, 1, 2, &with);
  AppendFrame(Sample(), 1, 2, &without);
  EXPECT_EQ(with, without);
}

TEST(FrameTest, ShortInputIsTruncated) {
  std::string buf;
  AppendFrame(Sample(), 0, 0, &buf);
  FrameHeader h;
  EXPECT_EQ(
      DecodeFrameHeader(absl::string_view(buf).substr(0, 31), 1 << 20, &h),
      HeaderCheck::kTruncated);
}

TEST(FrameTest, AnyFlippedHeaderByteIsCorrupt) {
  std::string buf;
  AppendFrame(Sample(), 3, 4, &buf);
  for (int i = 0; i < kFrameHeaderBytes; ++i) {
    std::string bad = buf;
    bad[i] ^= 0x10;
    FrameHeader h;
    EXPECT_EQ(DecodeFrameHeader(bad, 1 << 20, &h), HeaderCheck::kCorrupt)
        << "byte " << i;
  }
}

TEST(FrameTest, ZeroFilledSpaceIsCorrupt) {
  std::string zeros(64, '\0');
  FrameHeader h;
  EXPECT_EQ(DecodeFrameHeader(zeros, 1 << 20, &h), HeaderCheck::kCorrupt);
}

TEST(FrameTest, PayloadLongerThanTheLimitIsCorrupt) {
  std::string buf;
  AppendFrame(Sample(), 0, 0, &buf);
  FrameHeader h;
  EXPECT_EQ(DecodeFrameHeader(buf, 4, &h), HeaderCheck::kCorrupt);
}

TEST(FrameTest, FlippedPayloadByteIsDataLoss) {
  std::string buf;
  AppendFrame(Sample(), 0, 0, &buf);
  buf[buf.size() - 2] ^= 0x01;
  FrameHeader h;
  ASSERT_EQ(DecodeFrameHeader(buf, 1 << 20, &h), HeaderCheck::kOk);
  proto::Record out;
  EXPECT_THAT(DecodeFramePayload(
                  h, absl::string_view(buf).substr(kFrameHeaderBytes), &out),
              StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace rewindmq::storage

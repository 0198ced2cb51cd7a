// Fuzzes the segment frame decoder (FORMAT.md): the input is read as a
// segment file's bytes, frame after frame, the way recovery and reads walk
// a segment, in both layouts. Nothing may crash or read out of bounds, and
// whatever decodes must re-encode to a frame that decodes to the same
// values.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "base/check.h"
#include "proto/record.pb.h"
#include "storage/frame.h"
#include "storage/queue_log.h"

namespace rewindmq::storage {
namespace {

// Re-encodes `record` and checks that the frame decodes to it again.
void CheckRoundTrip(const FrameContext& ctx, const proto::Record& record,
                    const FrameHeader& h) {
  std::string frame;
  const int64_t n = AppendFrame(ctx, record, h.offset, h.store_time_us, &frame);
  RMQ_CHECK(n == static_cast<int64_t>(frame.size()));
  FrameHeader again;
  RMQ_CHECK(DecodeFrameHeader(ctx, frame, kMaxRecordBytes, &again) ==
            HeaderCheck::kOk);
  RMQ_CHECK(again.offset == h.offset);
  RMQ_CHECK(again.store_time_us == h.store_time_us);
  RMQ_CHECK(again.frame_bytes() == n);
  proto::Record decoded;
  RMQ_CHECK(
      DecodeFramePayload(
          again, absl::string_view(frame).substr(again.header_bytes), &decoded)
          .ok());
  RMQ_CHECK(decoded.offset() == h.offset);
  RMQ_CHECK(decoded.store_time_us() == h.store_time_us);
  RMQ_CHECK(decoded.body() == record.body());
  RMQ_CHECK(decoded.keys_size() == record.keys_size());
  RMQ_CHECK(decoded.tags_size() == record.tags_size());
  RMQ_CHECK(decoded.properties_size() == record.properties_size());
}

void Walk(const FrameContext& ctx, absl::string_view bytes,
          int64_t max_payload) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    const absl::string_view rest = bytes.substr(pos);
    FrameHeader h;
    const HeaderCheck check = DecodeFrameHeader(ctx, rest, max_payload, &h);
    // The unverified fast path must agree with the checked decoder on
    // every header whose checksum matches.
    FrameHeader peeked;
    const bool peek_ok = PeekFrameHeader(ctx, rest, max_payload, &peeked);
    if (peek_ok) {
      RMQ_CHECK(peeked.header_bytes <= rest.size());
      RMQ_CHECK(peeked.header_bytes <= kMaxFrameHeaderBytes);
      if (HeaderChecksumMatches(rest, peeked)) {
        RMQ_CHECK(check == HeaderCheck::kOk);
      }
    }
    if (check == HeaderCheck::kOk) {
      RMQ_CHECK(peek_ok);
      RMQ_CHECK(peeked.header_bytes == h.header_bytes);
      RMQ_CHECK(peeked.payload_bytes == h.payload_bytes);
      RMQ_CHECK(peeked.offset == h.offset);
      RMQ_CHECK(peeked.store_time_us == h.store_time_us);
    }
    if (check == HeaderCheck::kTruncated) {
      RMQ_CHECK(rest.size() < static_cast<size_t>(kMaxFrameHeaderBytes));
    }
    if (check != HeaderCheck::kOk) break;
    RMQ_CHECK(h.payload_bytes <= max_payload);
    // Compact offsets are stored against the base; fixed ones are absolute
    // (the reader's sequence check is what ties them to the segment).
    RMQ_CHECK(h.offset >=
              (ctx.format == FrameFormat::kCompact ? ctx.base_offset : 0));
    RMQ_CHECK(h.store_time_us >= 0);
    const size_t end = pos + static_cast<size_t>(h.frame_bytes());
    if (end > bytes.size()) break;  // a torn tail
    const absl::string_view payload =
        bytes.substr(pos + h.header_bytes, h.payload_bytes);
    rewindmq::proto::Record record;
    const absl::Status s = DecodeFramePayload(h, payload, &record);
    RMQ_CHECK(s.ok() || s.code() == absl::StatusCode::kDataLoss);
    if (s.ok()) {
      RMQ_CHECK(PayloadChecksumMatches(h, payload));
      RMQ_CHECK(record.offset() == h.offset);
      CheckRoundTrip(ctx, record, h);
    }
    pos = end;
  }
}

}  // namespace
}  // namespace rewindmq::storage

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewindmq::storage;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The payload bound: the real one, and a small one so that length checks
  // are reached with small inputs too.
  for (FrameFormat format : {FrameFormat::kFixed, FrameFormat::kCompact}) {
    for (int64_t base : {int64_t{0}, int64_t{1} << 40}) {
      for (int64_t max_payload : {kMaxRecordBytes, int64_t{64}}) {
        Walk({format, base}, bytes, max_payload);
      }
    }
  }
  return 0;
}

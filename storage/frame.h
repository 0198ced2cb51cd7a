// The frame that wraps every record in a segment file (see FORMAT.md).
// Encoding and decoding are pure functions over bytes, so they are fuzzed
// and tested without files.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/record.pb.h"

namespace rewindmq::storage {

// The two frame layouts. A segment's file name says which one its frames
// use; every frame of a segment uses the same one.
enum class FrameFormat : uint8_t {
  // A fixed 32-byte header (segments named `*.log`): what earlier versions
  // wrote; still read, and still appended to an active segment that has it.
  kFixed = 1,
  // A 19- to 31-byte header with varints (segments named `*.seg`): what new
  // segments get.
  kCompact = 2,
};
inline constexpr FrameFormat kWriteFormat = FrameFormat::kCompact;

// No header of either layout is longer.
inline constexpr int64_t kMaxFrameHeaderBytes = 32;

// What decoding a frame needs besides its bytes: the layout, and the offset
// of the segment's first record, which compact frames store theirs against.
struct FrameContext {
  FrameFormat format = kWriteFormat;
  int64_t base_offset = 0;
};

// The header of a frame, as decoded.
struct FrameHeader {
  uint32_t header_bytes = 0;  // the payload starts this far into the frame
  uint32_t payload_bytes = 0;
  uint32_t payload_crc = 0;
  int64_t offset = 0;
  int64_t store_time_us = 0;

  int64_t frame_bytes() const {
    return static_cast<int64_t>(header_bytes) + payload_bytes;
  }
};

// Appends the frame of `record` to `*out`, stamped with `offset` (at least
// ctx.base_offset) and `store_time_us`. The record's own offset and
// store_time_us fields are not written into the payload. Returns the number
// of bytes appended; `*payload_bytes`, when given, gets the payload's size.
int64_t AppendFrame(const FrameContext& ctx, const proto::Record& record,
                    int64_t offset, int64_t store_time_us, std::string* out,
                    int64_t* payload_bytes = nullptr);

enum class HeaderCheck {
  kOk,
  kTruncated,  // `bytes` ends inside the header
  kCorrupt,    // bad checksum, version, or impossible length
};

// Decodes and checks the header at the start of `bytes`. `max_payload`
// bounds the payload length a valid header may announce.
HeaderCheck DecodeFrameHeader(const FrameContext& ctx, absl::string_view bytes,
                              int64_t max_payload, FrameHeader* header);

// Decodes the header at the start of `bytes` without verifying its
// checksum: only its layout and bounds. For fast forward scans that then
// verify, with HeaderChecksumMatches(), the headers whose values they act
// on. False when the header is not whole in `bytes` or not plausible.
bool PeekFrameHeader(const FrameContext& ctx, absl::string_view bytes,
                     int64_t max_payload, FrameHeader* header);
// Whether the header at the start of `bytes`, as PeekFrameHeader() read it
// into `header`, matches its checksum. REQUIRES: bytes.size() >=
// header.header_bytes.
bool HeaderChecksumMatches(absl::string_view bytes, const FrameHeader& header);

// Checks the payload checksum and parses it into `*record`, filling in
// offset and store time from `header`. REQUIRES: payload.size() ==
// header.payload_bytes. DataLoss on a checksum or parse failure.
absl::Status DecodeFramePayload(const FrameHeader& header,
                                absl::string_view payload,
                                proto::Record* record);

// True when the payload matches the header's checksum.
bool PayloadChecksumMatches(const FrameHeader& header,
                            absl::string_view payload);

}  // namespace rewindmq::storage

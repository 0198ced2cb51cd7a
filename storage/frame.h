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

inline constexpr int64_t kFrameHeaderBytes = 32;
inline constexpr uint16_t kFrameVersion = 1;

// The fixed-size part of a frame, as decoded.
struct FrameHeader {
  uint32_t payload_bytes = 0;
  uint32_t payload_crc = 0;
  int64_t offset = 0;
  int64_t store_time_us = 0;

  int64_t frame_bytes() const { return kFrameHeaderBytes + payload_bytes; }
};

// Appends the frame of `record` to `*out`, stamped with `offset` and
// `store_time_us`. The record's own offset and store_time_us fields are not
// written into the payload. Returns the number of bytes appended.
int64_t AppendFrame(const proto::Record& record, int64_t offset,
                    int64_t store_time_us, std::string* out);

enum class HeaderCheck {
  kOk,
  kTruncated,  // fewer than kFrameHeaderBytes bytes available
  kCorrupt,    // bad checksum, version, or impossible length
};

// Decodes and checks the header at the start of `bytes`. `max_payload`
// bounds the payload length a valid header may announce.
HeaderCheck DecodeFrameHeader(absl::string_view bytes, int64_t max_payload,
                              FrameHeader* header);

// Decodes the header at the start of `bytes` without verifying its
// checksum: only the version and bounds. For fast forward scans that then
// verify, with HeaderChecksumMatches(), the headers whose values they act
// on. REQUIRES: bytes.size() >= kFrameHeaderBytes.
bool PeekFrameHeader(absl::string_view bytes, int64_t max_payload,
                     FrameHeader* header);
bool HeaderChecksumMatches(absl::string_view bytes);

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

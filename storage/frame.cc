#include "storage/frame.h"

#include <boost/endian/conversion.hpp>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "storage/crc32c.h"

namespace rewindmq::storage {
namespace {

namespace be = boost::endian;

unsigned char* U(char* p) { return reinterpret_cast<unsigned char*>(p); }
const unsigned char* U(const char* p) {
  return reinterpret_cast<const unsigned char*>(p);
}

// Header layout, little-endian:
//   0  u32 header_crc   CRC32C of bytes [4, 32)
//   4  u16 version      kFrameVersion
//   6  u16 flags        0
//   8  u32 payload_bytes
//  12  u32 payload_crc  CRC32C of the payload
//  16  i64 offset
//  24  i64 store_time_us
void EncodeHeader(const FrameHeader& h, char* out) {
  be::store_little_u16(U(out + 4), kFrameVersion);
  be::store_little_u16(U(out + 6), 0);
  be::store_little_u32(U(out + 8), h.payload_bytes);
  be::store_little_u32(U(out + 12), h.payload_crc);
  be::store_little_u64(U(out + 16), static_cast<uint64_t>(h.offset));
  be::store_little_u64(U(out + 24), static_cast<uint64_t>(h.store_time_us));
  be::store_little_u32(U(out), Crc32c(out + 4, kFrameHeaderBytes - 4));
}

}  // namespace

int64_t AppendFrame(const proto::Record& record, int64_t offset,
                    int64_t store_time_us, std::string* out) {
  const proto::Record* to_write = &record;
  proto::Record stripped;
  if (record.offset() != 0 || record.store_time_us() != 0) {
    // Rare: the caller left positions in the record. The header is the one
    // place they are stored.
    stripped = record;
    stripped.clear_offset();
    stripped.clear_store_time_us();
    to_write = &stripped;
  }
  const size_t payload = to_write->ByteSizeLong();
  const size_t start = out->size();
  out->resize(start + kFrameHeaderBytes + payload);
  char* frame = out->data() + start;
  to_write->SerializeWithCachedSizesToArray(
      reinterpret_cast<uint8_t*>(frame + kFrameHeaderBytes));
  FrameHeader h;
  h.payload_bytes = static_cast<uint32_t>(payload);
  h.payload_crc = Crc32c(frame + kFrameHeaderBytes, payload);
  h.offset = offset;
  h.store_time_us = store_time_us;
  EncodeHeader(h, frame);
  return kFrameHeaderBytes + static_cast<int64_t>(payload);
}

bool HeaderChecksumMatches(absl::string_view bytes) {
  const char* p = bytes.data();
  return be::load_little_u32(U(p)) == Crc32c(p + 4, kFrameHeaderBytes - 4);
}

bool PeekFrameHeader(absl::string_view bytes, int64_t max_payload,
                     FrameHeader* header) {
  const char* p = bytes.data();
  if (be::load_little_u16(U(p + 4)) != kFrameVersion) return false;
  header->payload_bytes = be::load_little_u32(U(p + 8));
  header->payload_crc = be::load_little_u32(U(p + 12));
  header->offset = static_cast<int64_t>(be::load_little_u64(U(p + 16)));
  header->store_time_us = static_cast<int64_t>(be::load_little_u64(U(p + 24)));
  return header->payload_bytes <= max_payload && header->offset >= 0 &&
         header->store_time_us >= 0;
}

HeaderCheck DecodeFrameHeader(absl::string_view bytes, int64_t max_payload,
                              FrameHeader* header) {
  if (static_cast<int64_t>(bytes.size()) < kFrameHeaderBytes) {
    return HeaderCheck::kTruncated;
  }
  if (!HeaderChecksumMatches(bytes)) return HeaderCheck::kCorrupt;
  const char* p = bytes.data();
  if (be::load_little_u16(U(p + 4)) != kFrameVersion) {
    return HeaderCheck::kCorrupt;
  }
  header->payload_bytes = be::load_little_u32(U(p + 8));
  header->payload_crc = be::load_little_u32(U(p + 12));
  header->offset = static_cast<int64_t>(be::load_little_u64(U(p + 16)));
  header->store_time_us = static_cast<int64_t>(be::load_little_u64(U(p + 24)));
  if (header->payload_bytes > max_payload || header->offset < 0 ||
      header->store_time_us < 0) {
    return HeaderCheck::kCorrupt;
  }
  return HeaderCheck::kOk;
}

bool PayloadChecksumMatches(const FrameHeader& header,
                            absl::string_view payload) {
  return payload.size() == header.payload_bytes &&
         Crc32c(payload.data(), payload.size()) == header.payload_crc;
}

absl::Status DecodeFramePayload(const FrameHeader& header,
                                absl::string_view payload,
                                proto::Record* record) {
  if (!PayloadChecksumMatches(header, payload)) {
    return absl::DataLossError(
        absl::StrCat("checksum mismatch in record ", header.offset));
  }
  if (!record->ParseFromArray(payload.data(),
                              static_cast<int>(payload.size()))) {
    return absl::DataLossError(
        absl::StrCat("record ", header.offset, " does not parse"));
  }
  record->set_offset(header.offset);
  record->set_store_time_us(header.store_time_us);
  return absl::OkStatus();
}

}  // namespace rewindmq::storage

#include "storage/frame.h"

#include <boost/endian/conversion.hpp>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "storage/crc32c.h"

namespace rewindmq::storage {
namespace {

namespace be = boost::endian;

unsigned char* U(char* p) { return reinterpret_cast<unsigned char*>(p); }
const unsigned char* U(const char* p) {
  return reinterpret_cast<const unsigned char*>(p);
}

// The fixed layout, little-endian, 32 bytes:
//   0  u32 header_crc   CRC32C of bytes [4, 32)
//   4  u16 version      1
//   6  u16 flags        0
//   8  u32 payload_bytes
//  12  u32 payload_crc  CRC32C of the payload
//  16  i64 offset
//  24  i64 store_time_us
constexpr int64_t kFixedHeaderBytes = 32;
constexpr uint16_t kFixedVersion = 1;

// The compact layout, little-endian:
//   0  u32 header_crc     CRC32C of bytes [4, header_bytes)
//   4  u32 payload_crc    CRC32C of the payload
//   8  i64 store_time_us
//  16  varint payload_bytes
//      varint offset - base_offset
constexpr int64_t kCompactFixedPart = 16;
constexpr int kMaxVarint32 = 5;
constexpr int kMaxVarint64 = 10;

char* PutVarint(uint64_t v, char* p) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

int VarintBytes(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Reads a varint of at most `max_bytes` bytes from [*p, end); false when it
// runs past `end` (*truncated) or is longer than allowed.
bool GetVarint(const char** p, const char* end, int max_bytes, uint64_t* v,
               bool* truncated) {
  uint64_t result = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (*p == end) {
      *truncated = true;
      return false;
    }
    const auto byte = static_cast<unsigned char>(*(*p)++);
    // The tenth byte of a 64-bit varint has room for one bit only.
    if (i == kMaxVarint64 - 1 && byte > 1) return false;
    result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      *v = result;
      return true;
    }
  }
  return false;
}

int64_t HeaderBytesFor(const FrameContext& ctx, uint64_t payload,
                       int64_t offset) {
  if (ctx.format == FrameFormat::kFixed) return kFixedHeaderBytes;
  return kCompactFixedPart + VarintBytes(payload) +
         VarintBytes(static_cast<uint64_t>(offset - ctx.base_offset));
}

void EncodeHeader(const FrameContext& ctx, const FrameHeader& h, char* out) {
  if (ctx.format == FrameFormat::kFixed) {
    be::store_little_u16(U(out + 4), kFixedVersion);
    be::store_little_u16(U(out + 6), 0);
    be::store_little_u32(U(out + 8), h.payload_bytes);
    be::store_little_u32(U(out + 12), h.payload_crc);
    be::store_little_u64(U(out + 16), static_cast<uint64_t>(h.offset));
    be::store_little_u64(U(out + 24), static_cast<uint64_t>(h.store_time_us));
  } else {
    be::store_little_u32(U(out + 4), h.payload_crc);
    be::store_little_u64(U(out + 8), static_cast<uint64_t>(h.store_time_us));
    char* p = PutVarint(h.payload_bytes, out + kCompactFixedPart);
    PutVarint(static_cast<uint64_t>(h.offset - ctx.base_offset), p);
  }
  be::store_little_u32(U(out), Crc32c(out + 4, h.header_bytes - 4));
}

// Decodes the header's fields without its checksum.
HeaderCheck Parse(const FrameContext& ctx, absl::string_view bytes,
                  int64_t max_payload, FrameHeader* h) {
  const char* p = bytes.data();
  if (ctx.format == FrameFormat::kFixed) {
    if (static_cast<int64_t>(bytes.size()) < kFixedHeaderBytes) {
      return HeaderCheck::kTruncated;
    }
    if (be::load_little_u16(U(p + 4)) != kFixedVersion) {
      return HeaderCheck::kCorrupt;
    }
    h->header_bytes = kFixedHeaderBytes;
    h->payload_bytes = be::load_little_u32(U(p + 8));
    h->payload_crc = be::load_little_u32(U(p + 12));
    h->offset = static_cast<int64_t>(be::load_little_u64(U(p + 16)));
    h->store_time_us = static_cast<int64_t>(be::load_little_u64(U(p + 24)));
  } else {
    if (static_cast<int64_t>(bytes.size()) < kCompactFixedPart + 2) {
      return HeaderCheck::kTruncated;
    }
    h->payload_crc = be::load_little_u32(U(p + 4));
    h->store_time_us = static_cast<int64_t>(be::load_little_u64(U(p + 8)));
    const char* q = p + kCompactFixedPart;
    const char* end = p + bytes.size();
    bool truncated = false;
    uint64_t payload = 0;
    uint64_t delta = 0;
    if (!GetVarint(&q, end, kMaxVarint32, &payload, &truncated) ||
        !GetVarint(&q, end, kMaxVarint64, &delta, &truncated)) {
      return truncated ? HeaderCheck::kTruncated : HeaderCheck::kCorrupt;
    }
    if (payload > std::numeric_limits<uint32_t>::max() || ctx.base_offset < 0 ||
        delta > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() -
                                      ctx.base_offset)) {
      return HeaderCheck::kCorrupt;
    }
    h->header_bytes = static_cast<uint32_t>(q - p);
    h->payload_bytes = static_cast<uint32_t>(payload);
    h->offset = ctx.base_offset + static_cast<int64_t>(delta);
  }
  if (h->payload_bytes > max_payload || h->offset < 0 || h->store_time_us < 0) {
    return HeaderCheck::kCorrupt;
  }
  return HeaderCheck::kOk;
}

}  // namespace

int64_t AppendFrame(const FrameContext& ctx, const proto::Record& record,
                    int64_t offset, int64_t store_time_us, std::string* out,
                    int64_t* payload_bytes) {
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
  if (payload_bytes != nullptr) *payload_bytes = static_cast<int64_t>(payload);
  const int64_t header_bytes = HeaderBytesFor(ctx, payload, offset);
  const size_t start = out->size();
  out->resize(start + header_bytes + payload);
  char* frame = out->data() + start;
  to_write->SerializeWithCachedSizesToArray(
      reinterpret_cast<uint8_t*>(frame + header_bytes));
  FrameHeader h;
  h.header_bytes = static_cast<uint32_t>(header_bytes);
  h.payload_bytes = static_cast<uint32_t>(payload);
  h.payload_crc = Crc32c(frame + header_bytes, payload);
  h.offset = offset;
  h.store_time_us = store_time_us;
  EncodeHeader(ctx, h, frame);
  return header_bytes + static_cast<int64_t>(payload);
}

bool HeaderChecksumMatches(absl::string_view bytes, const FrameHeader& header) {
  const char* p = bytes.data();
  return be::load_little_u32(U(p)) == Crc32c(p + 4, header.header_bytes - 4);
}

bool PeekFrameHeader(const FrameContext& ctx, absl::string_view bytes,
                     int64_t max_payload, FrameHeader* header) {
  return Parse(ctx, bytes, max_payload, header) == HeaderCheck::kOk;
}

HeaderCheck DecodeFrameHeader(const FrameContext& ctx, absl::string_view bytes,
                              int64_t max_payload, FrameHeader* header) {
  FrameHeader h;
  const HeaderCheck parsed = Parse(ctx, bytes, max_payload, &h);
  if (parsed == HeaderCheck::kTruncated) return parsed;
  // A header whose fields do not parse may still be a whole header that
  // was damaged; either way it is not one to act on.
  if (parsed != HeaderCheck::kOk || !HeaderChecksumMatches(bytes, h)) {
    return HeaderCheck::kCorrupt;
  }
  *header = h;
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

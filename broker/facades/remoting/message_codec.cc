#include "broker/facades/remoting/message_codec.h"

#include <arpa/inet.h>
#include <zlib.h>

#include <cstring>

#include "absl/base/internal/endian.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rewindmq::facade::remoting {
namespace {

void Put16(uint16_t v, std::string* out) {
  char b[2];
  absl::big_endian::Store16(b, v);
  out->append(b, 2);
}
void Put32(uint32_t v, std::string* out) {
  char b[4];
  absl::big_endian::Store32(b, v);
  out->append(b, 4);
}
void Put64(uint64_t v, std::string* out) {
  char b[8];
  absl::big_endian::Store64(b, v);
  out->append(b, 8);
}

class Reader {
 public:
  explicit Reader(absl::string_view d) : d_(d) {}
  bool U16(uint16_t* v) {
    return Take(2) && (*v = absl::big_endian::Load16(p_), true);
  }
  bool U32(uint32_t* v) {
    return Take(4) && (*v = absl::big_endian::Load32(p_), true);
  }
  bool U64(uint64_t* v) {
    return Take(8) && (*v = absl::big_endian::Load64(p_), true);
  }
  bool U8(uint8_t* v) {
    return Take(1) && (*v = static_cast<uint8_t>(*p_), true);
  }
  bool Bytes(size_t n, std::string* v) {
    if (!Take(n)) return false;
    v->assign(p_, n);
    return true;
  }
  size_t left() const { return d_.size(); }

 private:
  bool Take(size_t n) {
    if (d_.size() < n) return false;
    p_ = d_.data();
    d_.remove_prefix(n);
    return true;
  }
  absl::string_view d_;
  const char* p_ = nullptr;
};

void PutHost(const HostPort& h, std::string* out) {
  if (h.ip.size() == 4 || h.ip.size() == 16) {
    out->append(h.ip);
  } else {
    out->append(4, '\0');
  }
  Put32(static_cast<uint32_t>(h.port), out);
}

}  // namespace

HostPort ParseHostPort(absl::string_view text) {
  HostPort hp;
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return hp;
  std::string host(text.substr(0, colon));
  int port = 0;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port)) return hp;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1) {
    hp.ip.assign(reinterpret_cast<char*>(buf), 4);
  } else if (inet_pton(AF_INET6, host.c_str(), buf) == 1) {
    hp.ip.assign(reinterpret_cast<char*>(buf), 16);
  } else {
    return hp;
  }
  hp.port = port;
  return hp;
}

void AppendMessageRecord(const WireMessage& m, std::string* out) {
  const bool born_v6 = m.born_host.ip.size() == 16;
  const size_t born_len = (born_v6 ? 16 : 4) + 4;
  const size_t total = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + born_len + 8 + 8 +
                       4 + 8 + 4 + m.body.size() + 1 + m.topic.size() + 2 +
                       m.properties.size();
  out->reserve(out->size() + total);
  Put32(static_cast<uint32_t>(total), out);
  Put32(kMessageMagicV1, out);
  Put32(static_cast<uint32_t>(
            crc32(0, reinterpret_cast<const Bytef*>(m.body.data()),
                  static_cast<uInt>(m.body.size())) &
            0x7FFFFFFF),
        out);
  Put32(static_cast<uint32_t>(m.queue_id), out);
  Put32(static_cast<uint32_t>(m.flag), out);
  Put64(static_cast<uint64_t>(m.queue_offset), out);
  Put64(static_cast<uint64_t>(m.physical_offset), out);
  int32_t sys_flag = m.sys_flag & ~(kSysFlagBornHostV6 | kSysFlagStoreHostV6);
  if (born_v6) sys_flag |= kSysFlagBornHostV6;
  Put32(static_cast<uint32_t>(sys_flag), out);
  Put64(static_cast<uint64_t>(m.born_timestamp_ms), out);
  PutHost(m.born_host, out);
  Put64(static_cast<uint64_t>(m.store_timestamp_ms), out);
  HostPort store = m.store_host;
  if (store.ip.size() != 4) store.ip.assign(4, '\0');
  PutHost(store, out);
  Put32(static_cast<uint32_t>(m.reconsume_times), out);
  Put64(static_cast<uint64_t>(m.prepared_transaction_offset), out);
  Put32(static_cast<uint32_t>(m.body.size()), out);
  out->append(m.body);
  out->push_back(static_cast<char>(m.topic.size()));
  out->append(m.topic);
  Put16(static_cast<uint16_t>(m.properties.size()), out);
  out->append(m.properties);
}

absl::StatusOr<std::vector<WireMessage>> DecodeMessageRecords(
    absl::string_view data) {
  std::vector<WireMessage> out;
  Reader r(data);
  while (r.left() > 0) {
    WireMessage m;
    uint32_t total = 0, magic = 0, crc = 0, u32 = 0;
    uint64_t u64 = 0;
    auto bad = [](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad message record: ", what));
    };
    if (!r.U32(&total) || !r.U32(&magic) || !r.U32(&crc)) return bad("header");
    if (magic != kMessageMagicV1) return bad("magic");
    if (!r.U32(&u32)) return bad("queue id");
    m.queue_id = static_cast<int32_t>(u32);
    if (!r.U32(&u32)) return bad("flag");
    m.flag = static_cast<int32_t>(u32);
    if (!r.U64(&u64)) return bad("queue offset");
    m.queue_offset = static_cast<int64_t>(u64);
    if (!r.U64(&u64)) return bad("physical offset");
    m.physical_offset = static_cast<int64_t>(u64);
    if (!r.U32(&u32)) return bad("sys flag");
    m.sys_flag = static_cast<int32_t>(u32);
    if (!r.U64(&u64)) return bad("born timestamp");
    m.born_timestamp_ms = static_cast<int64_t>(u64);
    if (!r.Bytes((m.sys_flag & kSysFlagBornHostV6) ? 16 : 4, &m.born_host.ip) ||
        !r.U32(&u32)) {
      return bad("born host");
    }
    m.born_host.port = static_cast<int32_t>(u32);
    if (!r.U64(&u64)) return bad("store timestamp");
    m.store_timestamp_ms = static_cast<int64_t>(u64);
    if (!r.Bytes((m.sys_flag & kSysFlagStoreHostV6) ? 16 : 4,
                 &m.store_host.ip) ||
        !r.U32(&u32)) {
      return bad("store host");
    }
    m.store_host.port = static_cast<int32_t>(u32);
    if (!r.U32(&u32)) return bad("reconsume times");
    m.reconsume_times = static_cast<int32_t>(u32);
    if (!r.U64(&u64)) return bad("prepared transaction offset");
    m.prepared_transaction_offset = static_cast<int64_t>(u64);
    uint32_t body_len = 0;
    if (!r.U32(&body_len) || !r.Bytes(body_len, &m.body)) return bad("body");
    uint8_t topic_len = 0;
    if (!r.U8(&topic_len) || !r.Bytes(topic_len, &m.topic)) return bad("topic");
    uint16_t props_len = 0;
    if (!r.U16(&props_len) || !r.Bytes(props_len, &m.properties)) {
      return bad("properties");
    }
    out.push_back(std::move(m));
  }
  return out;
}

absl::StatusOr<std::vector<BatchItem>> DecodeBatchBody(absl::string_view body) {
  std::vector<BatchItem> out;
  Reader r(body);
  while (r.left() > 0) {
    const size_t start_left = r.left();
    uint32_t total = 0, magic = 0, crc = 0, flag = 0, body_len = 0;
    uint16_t props_len = 0;
    BatchItem item;
    if (!r.U32(&total) || !r.U32(&magic) || !r.U32(&crc) || !r.U32(&flag) ||
        !r.U32(&body_len) || !r.Bytes(body_len, &item.body) ||
        !r.U16(&props_len) || !r.Bytes(props_len, &item.properties)) {
      return absl::InvalidArgumentError("batch message body is truncated");
    }
    if (total != start_left - r.left()) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch message of ", start_left - r.left(),
                       " bytes says it has ", total));
    }
    item.flag = static_cast<int32_t>(flag);
    out.push_back(std::move(item));
  }
  if (out.empty()) return absl::InvalidArgumentError("empty message batch");
  return out;
}

std::string EncodeBatchBody(const std::vector<BatchItem>& items) {
  std::string out;
  for (const BatchItem& i : items) {
    const size_t total =
        4 + 4 + 4 + 4 + 4 + i.body.size() + 2 + i.properties.size();
    Put32(static_cast<uint32_t>(total), &out);
    Put32(0, &out);
    Put32(0, &out);
    Put32(static_cast<uint32_t>(i.flag), &out);
    Put32(static_cast<uint32_t>(i.body.size()), &out);
    out += i.body;
    Put16(static_cast<uint16_t>(i.properties.size()), &out);
    out += i.properties;
  }
  return out;
}

std::string EncodeProperties(
    const std::vector<std::pair<std::string, std::string>>& props) {
  std::string out;
  for (const auto& [k, v] : props) {
    absl::StrAppend(&out, k, "\x01", v, "\x02");
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> DecodeProperties(
    absl::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\x02', pos);
    if (end == absl::string_view::npos) end = text.size();
    absl::string_view item = text.substr(pos, end - pos);
    pos = end + 1;
    if (item.size() < 3) continue;
    const size_t sep = item.find('\x01');
    if (sep == absl::string_view::npos || sep == 0 || sep + 1 >= item.size()) {
      continue;
    }
    out.emplace_back(std::string(item.substr(0, sep)),
                     std::string(item.substr(sep + 1)));
  }
  return out;
}

std::string OffsetMsgId(const HostPort& store_host, int64_t physical_offset) {
  std::string raw;
  raw.append(store_host.ip.size() == 4 ? store_host.ip : std::string(4, '\0'));
  Put32(static_cast<uint32_t>(store_host.port), &raw);
  Put64(static_cast<uint64_t>(physical_offset), &raw);
  return absl::AsciiStrToUpper(absl::BytesToHexString(raw));
}

bool ParseOffsetMsgId(absl::string_view id, HostPort* host,
                      int64_t* physical_offset) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  const std::string raw = absl::HexStringToBytes(id);
  host->ip = raw.substr(0, 4);
  host->port = static_cast<int32_t>(absl::big_endian::Load32(raw.data() + 4));
  *physical_offset =
      static_cast<int64_t>(absl::big_endian::Load64(raw.data() + 8));
  return true;
}

int64_t PhysicalOffset(uint64_t storage_queue_id, int64_t offset) {
  return static_cast<int64_t>(
      (storage_queue_id << 40) |
      (static_cast<uint64_t>(offset) & ((uint64_t{1} << 40) - 1)));
}

void SplitPhysicalOffset(int64_t physical, uint64_t* storage_queue_id,
                         int64_t* offset) {
  const uint64_t p = static_cast<uint64_t>(physical);
  *storage_queue_id = p >> 40;
  *offset = static_cast<int64_t>(p & ((uint64_t{1} << 40) - 1));
}

absl::StatusOr<std::string> Inflate(absl::string_view data, size_t max_bytes) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit(&zs) != Z_OK) return absl::InternalError("inflateInit");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError("compressed body is not zlib data");
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError(
          absl::StrCat("compressed body inflates past ", max_bytes, " bytes"));
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError("compressed body is truncated");
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace rewindmq::facade::remoting

// Fuzzes the remoting codecs (rocketmq-remoting.md sections 1, 3.3, 3.6-3.8).
// The input is read
//   1. as a connection reads its stream: FrameSize, then DecodeFrame of each
//      whole frame, until the stream needs more bytes or must be closed.
//      Every decoded command re-encodes, in its own serialize type, to a
//      frame that decodes to the same code, opaque, flag, version, remark,
//      ext fields and body;
//   2. as a PULL body (DecodeMessageRecords), a SEND_BATCH_MESSAGE body
//      (DecodeBatchBody) and a properties string (DecodeProperties): what
//      decodes re-encodes and decodes to the same values;
//   3. as an offsetMsgId and as a compressed body.
// Nothing may crash or read out of bounds.
//
// The codec library links only abseil, Boost.JSON and zlib, so failures
// abort here rather than through base/check.h.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "broker/facades/remoting/command.h"
#include "broker/facades/remoting/header_codec.h"
#include "broker/facades/remoting/message_codec.h"

#define FUZZ_CHECK(cond)                                                    \
  do {                                                                      \
    if (!(cond)) {                                                          \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                  \
      std::abort();                                                         \
    }                                                                       \
  } while (false)

namespace rewindmq::facade::remoting {
namespace {

// Boost.JSON keeps the last of duplicate keys; so does Java's HashMap. A
// JSON header's ext fields are therefore unique, a binary header's need not
// be.
void CheckSameCommand(const RemotingCommand& a, const RemotingCommand& b) {
  FUZZ_CHECK(a.type == b.type);
  FUZZ_CHECK(a.code == b.code);
  FUZZ_CHECK(a.opaque == b.opaque);
  FUZZ_CHECK(a.flag == b.flag);
  FUZZ_CHECK(a.version == b.version);
  FUZZ_CHECK(a.ext_fields == b.ext_fields);
  FUZZ_CHECK(a.body == b.body);
  if (a.type == SerializeType::kRocketMq) {
    // A binary header carries the language byte and writes an empty remark
    // as none.
    FUZZ_CHECK(a.language == b.language);
    FUZZ_CHECK(a.remark.value_or("") == b.remark.value_or(""));
  } else {
    FUZZ_CHECK(a.remark == b.remark);
    // JSON carries names; codes without one come back as OTHER.
    FUZZ_CHECK(LanguageName(a.language) == LanguageName(b.language));
  }
}

void CheckFrameRoundTrip(const RemotingCommand& cmd) {
  const std::string frame = EncodeFrame(cmd);
  FUZZ_CHECK(frame.size() >= 8);
  if (frame.size() - 4 > kMaxFrameBytes) return;  // larger than the input
  absl::StatusOr<size_t> n = FrameSize(frame);
  FUZZ_CHECK(n.ok() && *n == frame.size());
  // One byte short, the frame is not there yet.
  absl::StatusOr<size_t> short_by_one =
      FrameSize(absl::string_view(frame).substr(0, frame.size() - 1));
  FUZZ_CHECK(short_by_one.ok() && *short_by_one == 0);

  absl::StatusOr<RemotingCommand> again = DecodeFrame(frame);
  FUZZ_CHECK(again.ok());
  CheckSameCommand(cmd, *again);
  // The encoding is a fixed point from here on.
  FUZZ_CHECK(EncodeFrame(*again) == frame);
}

void FuzzConnection(absl::string_view stream) {
  while (!stream.empty()) {
    absl::StatusOr<size_t> n = FrameSize(stream);
    if (!n.ok()) return;  // the connection is closed
    if (*n == 0) return;  // waits for more bytes
    FUZZ_CHECK(*n >= 8 && *n <= stream.size());
    absl::StatusOr<RemotingCommand> cmd = DecodeFrame(stream.substr(0, *n));
    if (cmd.ok()) CheckFrameRoundTrip(*cmd);
    stream.remove_prefix(*n);
  }
}

void FuzzHeaders(absl::string_view data) {
  absl::StatusOr<RemotingCommand> binary = DecodeBinaryHeader(data);
  if (binary.ok()) {
    absl::StatusOr<RemotingCommand> again =
        DecodeBinaryHeader(EncodeBinaryHeader(*binary));
    FUZZ_CHECK(again.ok());
    binary->type = SerializeType::kRocketMq;
    again->type = SerializeType::kRocketMq;
    CheckSameCommand(*binary, *again);
  }
  absl::StatusOr<RemotingCommand> json = DecodeJsonHeader(data);
  if (json.ok()) {
    absl::StatusOr<RemotingCommand> again =
        DecodeJsonHeader(EncodeJsonHeader(*json));
    FUZZ_CHECK(again.ok());
    CheckSameCommand(*json, *again);
  }
}

void CheckSameMessage(const WireMessage& a, const WireMessage& b) {
  FUZZ_CHECK(a.queue_id == b.queue_id);
  FUZZ_CHECK(a.flag == b.flag);
  FUZZ_CHECK(a.queue_offset == b.queue_offset);
  FUZZ_CHECK(a.physical_offset == b.physical_offset);
  FUZZ_CHECK(a.sys_flag == b.sys_flag);
  FUZZ_CHECK(a.born_timestamp_ms == b.born_timestamp_ms);
  FUZZ_CHECK(a.born_host.ip == b.born_host.ip);
  FUZZ_CHECK(a.born_host.port == b.born_host.port);
  FUZZ_CHECK(a.store_timestamp_ms == b.store_timestamp_ms);
  FUZZ_CHECK(a.store_host.ip == b.store_host.ip);
  FUZZ_CHECK(a.store_host.port == b.store_host.port);
  FUZZ_CHECK(a.reconsume_times == b.reconsume_times);
  FUZZ_CHECK(a.prepared_transaction_offset == b.prepared_transaction_offset);
  FUZZ_CHECK(a.body == b.body);
  FUZZ_CHECK(a.topic == b.topic);
  FUZZ_CHECK(a.properties == b.properties);
}

void FuzzRecords(absl::string_view data) {
  absl::StatusOr<std::vector<WireMessage>> msgs = DecodeMessageRecords(data);
  if (!msgs.ok()) return;
  std::string out;
  std::vector<const WireMessage*> written;
  for (const WireMessage& m : *msgs) {
    FUZZ_CHECK(m.born_host.ip.size() == 4 || m.born_host.ip.size() == 16);
    FUZZ_CHECK(m.store_host.ip.size() == 4 || m.store_host.ip.size() == 16);
    // rewindmq writes IPv4 store hosts only.
    if ((m.sys_flag & kSysFlagStoreHostV6) != 0) continue;
    const size_t before = out.size();
    AppendMessageRecord(m, &out);
    const absl::string_view record = absl::string_view(out).substr(before);
    // TOTALSIZE is the record's size.
    FUZZ_CHECK(record.size() >= 4);
    const uint32_t total = (static_cast<uint32_t>(uint8_t(record[0])) << 24) |
                           (static_cast<uint32_t>(uint8_t(record[1])) << 16) |
                           (static_cast<uint32_t>(uint8_t(record[2])) << 8) |
                           static_cast<uint32_t>(uint8_t(record[3]));
    FUZZ_CHECK(total == record.size());
    written.push_back(&m);
  }
  absl::StatusOr<std::vector<WireMessage>> again = DecodeMessageRecords(out);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->size() == written.size());
  for (size_t i = 0; i < written.size(); ++i) {
    CheckSameMessage(*written[i], (*again)[i]);
  }
}

void FuzzBatch(absl::string_view data) {
  absl::StatusOr<std::vector<BatchItem>> items = DecodeBatchBody(data);
  if (!items.ok()) return;
  FUZZ_CHECK(!items->empty());
  const std::string body = EncodeBatchBody(*items);
  FUZZ_CHECK(body.size() == data.size());
  absl::StatusOr<std::vector<BatchItem>> again = DecodeBatchBody(body);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->size() == items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    FUZZ_CHECK((*again)[i].flag == (*items)[i].flag);
    FUZZ_CHECK((*again)[i].body == (*items)[i].body);
    FUZZ_CHECK((*again)[i].properties == (*items)[i].properties);
  }
}

void FuzzProperties(absl::string_view data) {
  const std::vector<std::pair<std::string, std::string>> props =
      DecodeProperties(data);
  for (const auto& [k, v] : props) {
    FUZZ_CHECK(!k.empty() && !v.empty());
    FUZZ_CHECK(k.find('\x01') == std::string::npos);
    FUZZ_CHECK(k.find('\x02') == std::string::npos);
    FUZZ_CHECK(v.find('\x02') == std::string::npos);
  }
  FUZZ_CHECK(DecodeProperties(EncodeProperties(props)) == props);
}

void FuzzIds(absl::string_view data) {
  HostPort host;
  int64_t offset = 0;
  if (ParseOffsetMsgId(data, &host, &offset)) {
    FUZZ_CHECK(host.ip.size() == 4);
    FUZZ_CHECK(OffsetMsgId(host, offset) == absl::AsciiStrToUpper(data));
  }
  uint64_t queue = 0;
  int64_t in_queue = 0;
  SplitPhysicalOffset(offset, &queue, &in_queue);
  FUZZ_CHECK(PhysicalOffset(queue, in_queue) == offset);
}

void FuzzInflate(absl::string_view data) {
  constexpr size_t kMax = size_t{1} << 20;
  absl::StatusOr<std::string> body = Inflate(data, kMax);
  if (body.ok()) FUZZ_CHECK(body->size() <= kMax);
}

}  // namespace
}  // namespace rewindmq::facade::remoting

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewindmq::facade::remoting;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  FuzzConnection(bytes);
  FuzzHeaders(bytes);
  FuzzRecords(bytes);
  FuzzBatch(bytes);
  FuzzProperties(bytes);
  FuzzIds(bytes);
  FuzzInflate(bytes);
  return 0;
}

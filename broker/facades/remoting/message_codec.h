// Message bytes of the remoting protocol: the record layout of pulled
// messages (rocketmq-remoting.md 3.6), the body of a batch send (3.3), the
// properties string (3.7) and message ids (3.8). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rewindmq::facade::remoting {

inline constexpr uint32_t kMessageMagicV1 = 0xDAA320A7;
// sysFlag bits (MessageSysFlag).
inline constexpr int32_t kSysFlagCompressed = 0x1;
inline constexpr int32_t kSysFlagTransactionPrepared = 0x4;
inline constexpr int32_t kSysFlagTransactionMask = 0xC;
inline constexpr int32_t kSysFlagBornHostV6 = 0x10;
inline constexpr int32_t kSysFlagStoreHostV6 = 0x20;
inline constexpr int32_t kSysFlagCompressionTypeMask = 0x7 << 8;

// A socket address as records carry it: 4 (IPv4) or 16 (IPv6) address
// bytes and a port.
struct HostPort {
  std::string ip;  // raw address bytes
  int32_t port = 0;
};
// "1.2.3.4:5" or "[::1]:5" -> HostPort; an empty ip when unparsable.
HostPort ParseHostPort(absl::string_view text);

// One pulled message (MessageDecoder.decode's layout, magic V1).
struct WireMessage {
  int32_t queue_id = 0;
  int32_t flag = 0;
  int64_t queue_offset = 0;
  int64_t physical_offset = 0;
  int32_t sys_flag = 0;  // BORNHOST_V6 is set from born_host
  int64_t born_timestamp_ms = 0;
  HostPort born_host;
  int64_t store_timestamp_ms = 0;
  HostPort store_host;  // IPv4
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  std::string body;
  std::string topic;       // at most 127 bytes
  std::string properties;  // EncodeProperties() text, < 32 KiB
};

// Appends the record of `m` to `out`. `m.born_host.ip` empty is written as
// 0.0.0.0:0.
void AppendMessageRecord(const WireMessage& m, std::string* out);
// Decodes concatenated records (for tests, as clients decode them).
// InvalidArgument: a truncated or malformed record.
absl::StatusOr<std::vector<WireMessage>> DecodeMessageRecords(
    absl::string_view data);

// One message of a SEND_BATCH_MESSAGE body.
struct BatchItem {
  int32_t flag = 0;
  std::string body;
  std::string properties;
};
// InvalidArgument: a truncated item or sizes that do not add up.
absl::StatusOr<std::vector<BatchItem>> DecodeBatchBody(absl::string_view body);
// The inverse (as MessageDecoder.encodeMessages does), for tests.
std::string EncodeBatchBody(const std::vector<BatchItem>& items);

// "k\x01v\x02k\x01v\x02" <-> pairs, in order. Decoding skips items shorter
// than 3 bytes or without a separator inside.
std::string EncodeProperties(
    const std::vector<std::pair<std::string, std::string>>& props);
std::vector<std::pair<std::string, std::string>> DecodeProperties(
    absl::string_view text);

// The broker's message id: 32 upper-case hex digits of IPv4 address (4
// bytes), port (int32) and physical offset (int64).
std::string OffsetMsgId(const HostPort& store_host, int64_t physical_offset);
// Parses an offsetMsgId back; false when malformed (IPv6 ids included).
bool ParseOffsetMsgId(absl::string_view id, HostPort* host,
                      int64_t* physical_offset);

// rewindmq has no commit log: a record's physical offset names it by
// storage queue id (upper 23 bits) and offset in the queue (lower 40).
int64_t PhysicalOffset(uint64_t storage_queue_id, int64_t offset);
void SplitPhysicalOffset(int64_t physical, uint64_t* storage_queue_id,
                         int64_t* offset);

// zlib inflate of a compressed body; InvalidArgument when it is not zlib
// data or inflates past `max_bytes`.
absl::StatusOr<std::string> Inflate(absl::string_view data, size_t max_bytes);

}  // namespace rewindmq::facade::remoting

// The unit of the RocketMQ remoting protocol: one request or response
// (rocketmq-remoting.md section 1), and its framing on a TCP stream.
//
//   +---------+---------------------------+-------------+-----------+
//   | int32 L | int32 (T << 24) | H       | header (H)  | body      |
//   +---------+---------------------------+-------------+-----------+
//   L = 4 + H + body length; T = 0 (JSON header) or 1 (binary header)
//
// Pure functions; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rewindmq::facade::remoting {

enum class SerializeType : uint8_t { kJson = 0, kRocketMq = 1 };

// Request and response flag bits.
inline constexpr int32_t kFlagResponse = 1;
inline constexpr int32_t kFlagOneway = 2;

// The largest frame accepted (Apache's frameMaxLength), length field
// excluded.
inline constexpr size_t kMaxFrameBytes = size_t{16} << 20;

// The version rewindmq puts in its responses (MQVersion V4_9_4).
inline constexpr int32_t kServerVersion = 401;

struct RemotingCommand {
  int32_t code = 0;
  int32_t language = 0;  // LanguageCode ordinal (LanguageName below)
  int32_t version = 0;
  int32_t opaque = 0;
  int32_t flag = 0;
  std::optional<std::string> remark;
  // The "custom header": string to string, in wire order.
  std::vector<std::pair<std::string, std::string>> ext_fields;
  std::string body;
  SerializeType type = SerializeType::kJson;

  bool is_response() const { return (flag & kFlagResponse) != 0; }
  bool is_oneway() const { return (flag & kFlagOneway) != 0; }
  // The value of ext field `key`, or nullptr.
  const std::string* Field(absl::string_view key) const;
  // Sets (or replaces) ext field `key`.
  void Set(absl::string_view key, std::string value);
};

// A response to `request`: same opaque and serialize type, the response
// flag, language JAVA and kServerVersion.
RemotingCommand ResponseTo(const RemotingCommand& request, int32_t code,
                           std::optional<std::string> remark = std::nullopt);

// "JAVA" for 0, ... "NODE_JS" for 13; "OTHER" for unknown values.
absl::string_view LanguageName(int32_t code);
// The inverse; 7 (OTHER) for unknown names.
int32_t LanguageCode(absl::string_view name);

// The bytes of the first frame in `data`, length field included: 0 when
// `data` does not hold a whole frame yet.
// InvalidArgument: the length is below 4 or above kMaxFrameBytes; the
// connection cannot be resynchronized and must be closed.
absl::StatusOr<size_t> FrameSize(absl::string_view data);

// Decodes one frame (FrameSize bytes, length field included).
// InvalidArgument: a header length past the frame, an unknown serialize
// type, or an unparsable header.
absl::StatusOr<RemotingCommand> DecodeFrame(absl::string_view frame);

// The frame of `cmd`, length field included, with the header in cmd.type.
std::string EncodeFrame(const RemotingCommand& cmd);

}  // namespace rewindmq::facade::remoting

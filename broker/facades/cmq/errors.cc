#include "broker/facades/cmq/errors.h"

#include <array>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace rewindmq::facade::cmq {
namespace {

struct Row {
  ErrorKind kind;
  int code;
  int module;
  absl::StatusCode status_code;
  const char* text;  // `%s` is replaced by the argument
};

using SC = absl::StatusCode;

// Spec §5.2, verbatim texts (including the vendor's own spelling).
constexpr std::array<Row, 33> kRows = {{
    {ErrorKind::kInvalidParameters, 4000, 10000, SC::kInvalidArgument,
     "invalid request parameters"},
    {ErrorKind::kMissingParameter, 4000, 10010, SC::kInvalidArgument,
     "lacked of required parameters"},
    {ErrorKind::kInvalidQueueName, 4000, 10020, SC::kInvalidArgument,
     "queue name format error"},
    {ErrorKind::kEmptyMessageBody, 4000, 10120, SC::kInvalidArgument,
     "message body can't be empty"},
    {ErrorKind::kMissingAction, 4000, 10280, SC::kInvalidArgument,
     "action is not existed"},
    {ErrorKind::kKeyFormat, 4000, 10310, SC::kInvalidArgument,
     "error: parameter %s key format error"},
    {ErrorKind::kNotRepeatable, 4000, 10330, SC::kInvalidArgument,
     "parameter %s is NOT a repeatable parameter"},
    {ErrorKind::kOutOfRange, 4000, 10350, SC::kInvalidArgument,
     "parameter %s value or length is out of range"},
    {ErrorKind::kWrongType, 4000, 10360, SC::kInvalidArgument,
     "parameter %s error type"},
    {ErrorKind::kBatchSize, 4000, 10370, SC::kInvalidArgument,
     "%s parameter batch size is out of range"},
    {ErrorKind::kNotConsecutive, 4000, 10380, SC::kInvalidArgument,
     "%s parameter is not consequent"},
    {ErrorKind::kMethodNotAllowed, 4000, 10410, SC::kInvalidArgument,
     "unexpected http %s only GET or POST is supported"},
    {ErrorKind::kCannotParse, 4000, 10420, SC::kInvalidArgument,
     "cannot parse %s, or request size is more than 1MB"},
    {ErrorKind::kUnknownAction, 4000, 10430, SC::kInvalidArgument,
     "action name %s is not existed"},
    {ErrorKind::kInvalidRewindTime, 4000, 10680, SC::kInvalidArgument,
     "invalid rewind time, you can get the vaild range of that via "
     "GetQueueAttributes"},
    {ErrorKind::kDelayOutOfRange, 4000, 10692, SC::kInvalidArgument,
     "delay seconds is out of range"},
    {ErrorKind::kRewindExceedsRetention, 4000, 10700, SC::kInvalidArgument,
     "rewindSeconds cannot be greater than msgRetentionSeconds"},
    {ErrorKind::kAuthenticationFailed, 4100, 10030, SC::kUnauthenticated,
     "authentication failed"},
    {ErrorKind::kSecretIdNotFound, 4100, 10270, SC::kUnauthenticated,
     "secret id is not existed"},
    {ErrorKind::kMessageTooLarge, 4400, 10230, SC::kInvalidArgument,
     "exceed maximum message size"},
    {ErrorKind::kHeapFull, 4410, 10240, SC::kResourceExhausted,
     "reach maximum retention number of message"},
    {ErrorKind::kThrottled, 4420, 10250, SC::kUnavailable,
     "server is busy, please try later"},
    {ErrorKind::kInvalidReceiptHandle, 4430, 10260, SC::kInvalidArgument,
     "receipt handle is invalid"},
    {ErrorKind::kQueueNotFound, 4440, 10100, SC::kNotFound,
     "queue is not existed, or deleted"},
    {ErrorKind::kQueueLimitReached, 4450, 10220, SC::kResourceExhausted,
     "number of queues has reached the limit"},
    {ErrorKind::kQueueExists, 4460, 10210, SC::kAlreadyExists,
     "queue is already existed,case insensitive"},
    {ErrorKind::kBatchTooLarge, 4470, 10300, SC::kInvalidArgument,
     "total message size exceed 1MB"},
    {ErrorKind::kInternal, 6000, 10050, SC::kInternal, "server internal error"},
    {ErrorKind::kDeletePartiallyFailed, 6010, 10150, SC::kInvalidArgument,
     "delete message partially failed"},
    {ErrorKind::kBatchDeleteFailed, 6020, 10290, SC::kInvalidArgument,
     "batch delete message failed"},
    {ErrorKind::kRecreateTooSoon, 6040, 10660, SC::kUnavailable,
     "it will take some time to release resources of previous queue before "
     "you create a new one with the same name, please try later"},
    {ErrorKind::kRewindDisabled, 6050, 10670, SC::kFailedPrecondition,
     "your queue cannot be rewinded"},
    {ErrorKind::kNoMessage, 7000, 10200, SC::kNotFound, "no message"},
}};

constexpr char kPayloadUrl[] = "rewindmq.facade.cmq/ErrorKind";

// kRows is indexed by ErrorKind, so a lookup is one array access.
constexpr bool RowsFollowEnumOrder() {
  for (size_t i = 0; i < kRows.size(); ++i) {
    if (static_cast<size_t>(kRows[i].kind) != i) return false;
  }
  return static_cast<size_t>(ErrorKind::kNoMessage) + 1 == kRows.size();
}
static_assert(RowsFollowEnumOrder(),
              "kRows must list every ErrorKind in order");

const Row& RowOf(ErrorKind kind) { return kRows[static_cast<size_t>(kind)]; }

std::string Text(const Row& row, absl::string_view arg) {
  return absl::StrReplaceAll(row.text, {{"%s", arg}});
}

}  // namespace

CmqError MakeCmqError(ErrorKind kind, absl::string_view arg) {
  const Row& row = RowOf(kind);
  return {row.code, row.module,
          absl::StrCat("(", row.module, ")", Text(row, arg))};
}

absl::Status CmqStatus(ErrorKind kind, absl::string_view arg) {
  const Row& row = RowOf(kind);
  absl::Status s(row.status_code, Text(row, arg));
  // "<module>:<arg>"; the arg may itself contain ':' (split on the first).
  s.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(row.module, ":", arg)));
  return s;
}

std::optional<CmqError> CmqErrorFromPayload(const absl::Status& s) {
  auto payload = s.GetPayload(kPayloadUrl);  // absl::optional<absl::Cord>
  if (!payload.has_value()) return std::nullopt;
  std::string flat(*payload);
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(flat, absl::MaxSplits(':', 1));
  int module = 0;
  if (!absl::SimpleAtoi(parts.first, &module)) return std::nullopt;
  for (const Row& r : kRows) {
    if (r.module == module) return MakeCmqError(r.kind, parts.second);
  }
  return std::nullopt;
}

}  // namespace rewindmq::facade::cmq

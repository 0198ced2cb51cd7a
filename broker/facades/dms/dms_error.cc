#include "broker/facades/dms/dms_error.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "base/text.h"

namespace rewindmq::facade::dms {
namespace {

namespace http = boost::beast::http;

// `s` with every byte that does not start a valid UTF-8 sequence replaced
// by U+FFFD.
std::string ToValidUtf8(absl::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    if (i + len <= s.size() && IsValidUtf8(s.substr(i, len))) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

// The payload URL under which DmsStatus() stores the error_code string.
constexpr absl::string_view kPayloadUrl = "rewindmq.dev/dms-error-code";

struct Entry {
  DmsCode code;
  http::status status;
  absl::string_view error_code;
  absl::string_view error_msg;
  absl::StatusCode status_code;
};

constexpr Entry kEntries[] = {
    {DmsCode::kProjectIdInvalid, http::status::bad_request, "DMS.00400002",
     "The project ID format is invalid.", absl::StatusCode::kInvalidArgument},
    {DmsCode::kBodyEmpty, http::status::bad_request, "DMS.00400004",
     "The request body is empty.", absl::StatusCode::kInvalidArgument},
    {DmsCode::kBodyNotJson, http::status::bad_request, "DMS.00400005",
     "The message body is not in JSON format or contains invalid characters.",
     absl::StatusCode::kInvalidArgument},
    {DmsCode::kTimestampInvalid, http::status::bad_request, "DMS.00400142",
     "Timestamp is invalid.", absl::StatusCode::kInvalidArgument},
    {DmsCode::kInvalidParameter, http::status::bad_request, "DMS.00400800",
     "Invalid request parameter. Check the request parameter.",
     absl::StatusCode::kInvalidArgument},
    {DmsCode::kTopicNotFound, http::status::bad_request, "DMS.00400876",
     "The topic does not exist.", absl::StatusCode::kNotFound},
    {DmsCode::kMessageTooLarge, http::status::bad_request, "DMS.10540011",
     "The message size is {n}, larger than the size limit {max}.",
     absl::StatusCode::kInvalidArgument},
    {DmsCode::kTopicExists, http::status::bad_request, "DMS.40050005",
     "Requested topic already exists.", absl::StatusCode::kAlreadyExists},
    {DmsCode::kGroupExists, http::status::bad_request, "DMS.40050015",
     "Consumer group exists.", absl::StatusCode::kAlreadyExists},
    {DmsCode::kGroupOffline, http::status::bad_request, "DMS.50050004",
     "The consumer group is offline.", absl::StatusCode::kFailedPrecondition},
    {DmsCode::kAuthFailed, http::status::unauthorized, "APIGW.0301",
     "Incorrect IAM authentication information: ",
     absl::StatusCode::kUnauthenticated},
    {DmsCode::kRouteNotFound, http::status::not_found, "DMS.00404001",
     "The requested URL does not exist.", absl::StatusCode::kNotFound},
    {DmsCode::kInstanceNotFound, http::status::not_found, "DMS.00404022",
     "This instance does not exist.", absl::StatusCode::kNotFound},
    {DmsCode::kGroupNotFound, http::status::not_found, "DMS.10240405",
     "The consumption group ID is incorrect or not found.",
     absl::StatusCode::kNotFound},
    {DmsCode::kMethodNotAllowed, http::status::method_not_allowed,
     "DMS.00405001", "This request method is not allowed.",
     absl::StatusCode::kUnimplemented},
    {DmsCode::kBusy, http::status::service_unavailable, "APIGW.0308",
     "The throttling threshold has been reached: the server is busy, retry "
     "later.",
     absl::StatusCode::kUnavailable},
    {DmsCode::kInternal, http::status::internal_server_error, "DMS.00500000",
     "Internal service error.", absl::StatusCode::kInternal},
};

const Entry& EntryOf(DmsCode code) {
  for (const Entry& e : kEntries) {
    if (e.code == code) return e;
  }
  return kEntries[std::size(kEntries) - 1];  // kInternal; unreachable
}

}  // namespace

absl::string_view DmsErrorCodeString(DmsCode code) {
  return EntryOf(code).error_code;
}

DmsError MakeDmsError(DmsCode code, absl::string_view detail) {
  const Entry& e = EntryOf(code);
  DmsError out{e.status, std::string(e.error_code), std::string(e.error_msg)};
  switch (code) {
    case DmsCode::kInvalidParameter:
      if (!detail.empty()) absl::StrAppend(&out.error_msg, ": ", detail);
      break;
    case DmsCode::kAuthFailed:
      absl::StrAppend(&out.error_msg, detail);
      break;
    case DmsCode::kMessageTooLarge:
      if (!detail.empty()) out.error_msg = std::string(detail);
      break;
    default:
      break;
  }
  return out;
}

absl::Status DmsStatus(DmsCode code, absl::string_view detail) {
  const Entry& e = EntryOf(code);
  absl::Status s(e.status_code, detail.empty() ? e.error_msg : detail);
  s.SetPayload(kPayloadUrl, absl::Cord(e.error_code));
  return s;
}

absl::Status MessageTooLargeStatus(size_t size, size_t limit) {
  return DmsStatus(DmsCode::kMessageTooLarge,
                   absl::StrCat("The message size is ", size,
                                ", larger than the size limit ", limit, "."));
}

std::optional<DmsCode> DmsCodeOf(const absl::Status& s) {
  if (s.ok()) return std::nullopt;
  absl::optional<absl::Cord> payload = s.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  const std::string code = std::string(*payload);
  for (const Entry& e : kEntries) {
    if (e.error_code == code) return e.code;
  }
  return std::nullopt;
}

std::optional<DmsError> DmsErrorFromPayload(const absl::Status& s) {
  std::optional<DmsCode> code = DmsCodeOf(s);
  if (!code.has_value()) return std::nullopt;
  const Entry& e = EntryOf(*code);
  // The status message is the detail unless it is the stock DMS message.
  absl::string_view detail = s.message();
  if (detail == e.error_msg) detail = "";
  return MakeDmsError(*code, detail);
}

DmsError DmsErrorFromCode(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return MakeDmsError(DmsCode::kInvalidParameter, s.message());
    default:
      return MakeDmsError(DmsCode::kInternal);
  }
}

std::string RenderErrorBody(const DmsError& e, absl::string_view request_id) {
  // A message may quote request bytes (a query value, percent-decoded);
  // JSON text must be UTF-8 all the same.
  const std::string msg = ToValidUtf8(e.error_msg);
  boost::json::object body;
  if (absl::string_view(e.error_code).substr(0, 6) == "APIGW.") {
    body["error_msg"] = msg;
    body["error_code"] = e.error_code;
    body["request_id"] =
        boost::json::string_view(request_id.data(), request_id.size());
  } else {
    body["error_code"] = e.error_code;
    body["error_msg"] = msg;
  }
  return boost::json::serialize(body);
}

}  // namespace rewindmq::facade::dms

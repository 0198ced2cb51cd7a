// The DMS error catalogue (spec §1.6 and §9) and the way facade code carries
// a DMS error inside an absl::Status.
//
// Parsers and validators of this facade return an absl::Status made by
// DmsStatus(): an ordinary code (InvalidArgument, NotFound, ...) plus a
// payload naming the exact DMS error, so the HTTP edge never guesses from a
// message. Errors coming from the broker carry a broker::Reason instead; the
// handler's ToDmsError() (errors.h) maps those.
#pragma once

#include <boost/beast/http/status.hpp>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rewindmq::facade::dms {

// Every error this facade sends. The comment gives status and error_code.
enum class DmsCode {
  kProjectIdInvalid,  // 400 DMS.00400002
  kBodyEmpty,         // 400 DMS.00400004
  kBodyNotJson,       // 400 DMS.00400005
  kTimestampInvalid,  // 400 DMS.00400142
  kInvalidParameter,  // 400 DMS.00400800
  kTopicNotFound,     // 400 DMS.00400876
  kMessageTooLarge,   // 400 DMS.10540011
  kTopicExists,       // 400 DMS.40050005
  kGroupExists,       // 400 DMS.40050015
  kGroupOffline,      // 400 DMS.50050004
  kAuthFailed,        // 401 APIGW.0301
  kRouteNotFound,     // 404 DMS.00404001
  kInstanceNotFound,  // 404 DMS.00404022
  kGroupNotFound,     // 404 DMS.10240405
  kMethodNotAllowed,  // 405 DMS.00405001
  kBusy,              // 503 APIGW.0308
  kInternal,          // 500 DMS.00500000
};

// One error as DMS sends it: the HTTP status and the two body fields.
struct DmsError {
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string error_code;
  std::string error_msg;

  friend bool operator==(const DmsError&, const DmsError&) = default;
};

// The error for `code`. `detail` is used only where the spec lets the
// message carry one:
//   kInvalidParameter  "Invalid request parameter. Check the request
//                      parameter." + ": <detail>" when detail is non-empty;
//   kAuthFailed        "Incorrect IAM authentication information: <detail>";
//   kMessageTooLarge   <detail> replaces the templated text when non-empty
//                      (use MessageTooLargeStatus() to build it).
// Every other code has a fixed message; `detail` is ignored.
DmsError MakeDmsError(DmsCode code, absl::string_view detail = "");

// The error_code string of `code`, e.g. "DMS.00400876".
absl::string_view DmsErrorCodeString(DmsCode code);

// A Status carrying `code` as its payload. Its absl code follows the HTTP
// status (400 → InvalidArgument, 401 → Unauthenticated, 404 → NotFound,
// 405 → Unimplemented, 503 → Unavailable, 500 → Internal; kTopicExists and
// kGroupExists → AlreadyExists, kGroupOffline → FailedPrecondition,
// kMessageTooLarge → InvalidArgument). The message is `detail`, or the DMS
// message when empty.
absl::Status DmsStatus(DmsCode code, absl::string_view detail = "");

// DmsStatus(kMessageTooLarge) with the spec's message for a message of
// `size` bytes against a limit of `limit`.
absl::Status MessageTooLargeStatus(size_t size, size_t limit);

// The DMS code carried by `s`, if DmsStatus() made it.
std::optional<DmsCode> DmsCodeOf(const absl::Status& s);

// The DMS error for a Status that carries a DmsCode payload; nullopt
// otherwise. OK maps to nullopt too.
std::optional<DmsError> DmsErrorFromPayload(const absl::Status& s);

// The fallback mapping by absl code alone, used when neither a DmsCode nor
// a broker reason says more: InvalidArgument and OutOfRange → 400
// DMS.00400800 with the status message as detail; everything else → 500
// DMS.00500000.
DmsError DmsErrorFromCode(const absl::Status& s);

// The JSON body of `e`: {"error_code":...,"error_msg":...}; gateway errors
// (APIGW.*) are {"error_msg":...,"error_code":...,"request_id":...} as the
// API gateway sends them.
std::string RenderErrorBody(const DmsError& e, absl::string_view request_id);

}  // namespace rewindmq::facade::dms

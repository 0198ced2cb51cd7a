#include "broker/facades/tdmq/tdmq_handler.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "base/logging.h"
#include "base/text.h"
#include "broker/facades/tdmq/actions.h"
#include "broker/facades/tdmq/errors.h"
#include "broker/facades/tdmq/params.h"
#include "broker/facades/tdmq/signature.h"
#include "broker/http/query.h"

namespace rewindmq::facade::tdmq {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

using httpd::ToAbsl;

constexpr absl::string_view kVersion = "2020-02-17";
constexpr absl::string_view kContentType = "application/json";

std::optional<absl::string_view> Header(const httpd::Request& req,
                                        absl::string_view name) {
  auto it = req.find(boost::beast::string_view(name.data(), name.size()));
  if (it == req.end()) return std::nullopt;
  return ToAbsl(it->value());
}

bool IsForm(const httpd::Request& req) {
  return absl::StartsWithIgnoreCase(ToAbsl(req[http::field::content_type]),
                                    "application/x-www-form-urlencoded");
}

// Rule 3 of §2.1, or a TC3 signature anywhere.
bool HasV3Head(const httpd::Request& req) {
  if (req.find("X-TC-Action") != req.end()) return true;
  return absl::StartsWith(ToAbsl(req[http::field::authorization]),
                          kTc3Algorithm);
}

// {"Response":{<fields>,"RequestId":...}}.
httpd::Response Answer(const httpd::Request& req, absl::string_view request_id,
                       json::object fields) {
  fields["RequestId"] = json::string_view(request_id.data(), request_id.size());
  json::object envelope;
  envelope["Response"] = std::move(fields);
  httpd::Response res = httpd::MakeResponse(
      httpd::Status::ok, json::serialize(envelope), kContentType);
  if (std::optional<absl::string_view> trace = Header(req, "X-TC-TraceId");
      trace.has_value()) {
    res.set("X-TC-TraceId",
            boost::beast::string_view(trace->data(), trace->size()));
  }
  return res;
}

httpd::Response ErrorAnswer(const httpd::Request& req,
                            absl::string_view request_id,
                            const absl::Status& s) {
  TdmqError error = ToTdmqError(s);
  // Messages may quote what the client sent (an action name, a version);
  // the answer must stay valid JSON text, so such bytes are replaced.
  if (!IsValidUtf8(error.message)) {
    for (char& c : error.message) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
  }
  if (IsInternal(error)) {
    RMQ_LOG(kError, "tdmq request ", request_id, " failed: ", s.ToString());
  }
  json::object fields;
  fields["Error"] =
      json::object{{"Code", error.code}, {"Message", error.message}};
  return Answer(req, request_id, std::move(fields));
}

absl::Status AuthError(Tc3Failure failure) {
  absl::string_view text;
  switch (failure) {
    case Tc3Failure::kInvalidAuthorization:
      text = "Authorization header is invalid.";
      break;
    case Tc3Failure::kSecretIdNotFound:
      text =
          "The SecretId is not found, please ensure that your SecretId is "
          "correct.";
      break;
    case Tc3Failure::kSignatureExpire:
      text =
          "Signature expired. Timestamp and server time cannot differ by "
          "more than five minutes.";
      break;
    case Tc3Failure::kSignatureFailure:
      text =
          "The provided credentials could not be validated. Please check "
          "your signature is correct.";
      break;
  }
  return TdmqStatus(Tc3ErrorCode(failure), text);
}

}  // namespace

std::string NewRequestId() {
  thread_local absl::BitGen gen;
  const uint64_t hi = absl::Uniform<uint64_t>(gen);
  const uint64_t lo = absl::Uniform<uint64_t>(gen);
  // Version 4 in the third group, variant 10xx in the fourth.
  return absl::StrFormat(
      "%08x-%04x-4%03x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff, hi & 0xfff,
      0x8000 | ((lo >> 48) & 0x3fff), lo & 0xffffffffffffULL);
}

TdmqHandler::TdmqHandler(broker::Broker* broker, TdmqConfig config)
    : broker_(broker), config_(std::move(config)) {}

void TdmqHandler::Handle(const httpd::RequestContext& /*ctx*/,
                         httpd::Request& req, httpd::Responder respond) {
  const std::string request_id = NewRequestId();
  auto fail = [&](const absl::Status& s) {
    respond(ErrorAnswer(req, request_id, s));
  };
  // §6.2 step 1: the method (the size was checked by the HTTP layer).
  const absl::string_view method = ToAbsl(req.method_string());
  if (method != "GET" && method != "POST") {
    return fail(
        TdmqStatus("UnsupportedProtocol",
                   absl::StrCat("HTTP method ", method,
                                " is not supported; use GET or POST.")));
  }
  const absl::string_view target = ToAbsl(req.target());
  const absl::string_view query = httpd::TargetQuery(target);
  const absl::string_view body(req.body());
  const bool v3 = HasV3Head(req);
  // The flattened pairs, for GET and for form bodies (signature v1).
  const absl::string_view flattened =
      method == "GET" ? query : (IsForm(req) ? body : absl::string_view());
  const bool is_flattened = method == "GET" || IsForm(req);

  // Step 2: action and version.
  std::optional<std::string> action_name;
  std::optional<std::string> version;
  if (v3) {
    if (auto a = Header(req, "X-TC-Action")) action_name = std::string(*a);
    if (auto v = Header(req, "X-TC-Version")) version = std::string(*v);
  } else {
    action_name = httpd::UrlEncodedValue(flattened, "Action");
    version = httpd::UrlEncodedValue(flattened, "Version");
    if (!version.has_value())
      version = httpd::UrlEncodedValue(query, "Version");
  }
  if (!action_name.has_value() || action_name->empty()) {
    return fail(MissingParameterError("Action"));
  }
  if (!version.has_value() || version->empty()) {
    return fail(MissingParameterError("Version"));
  }
  if (*version != kVersion) {
    return fail(TdmqStatus(
        "NoSuchVersion",
        absl::StrCat("The API version `", *version, "` does not exist.")));
  }
  absl::StatusOr<Action> action = ParseAction(*action_name);
  if (!action.ok()) return fail(action.status());

  // Step 3: authentication.
  if (!config_.open_mode()) {
    if (!v3) {
      return fail(
          TdmqStatus("AuthFailure.InvalidAuthorization",
                     "Signature v1 is not supported by rewindmq; sign with "
                     "TC3-HMAC-SHA256."));
    }
    const Tc3Request signed_request{
        .method = method,
        .path = httpd::TargetPath(target),
        .query = query,
        .body = body,
        .header = [&req](absl::string_view name) { return Header(req, name); },
    };
    const Tc3Result result =
        VerifyTc3(signed_request, SecretsFromMap(config_.secret_keys),
                  broker_->options().clock->Now());
    if (!result.ok()) {
      RMQ_LOG(kInfo, "tdmq request ", request_id, " refused: ", result.detail);
      return fail(AuthError(*result.failure));
    }
  }

  // Step 4: the parameters.
  absl::StatusOr<Params> params =
      is_flattened ? Params::FromFlattened(flattened) : Params::FromJson(body);
  if (!params.ok()) return fail(params.status());

  // Steps 5 to 9: the action.
  const ActionContext context{
      .instance = broker_->default_instance(),
      .min_max_msg_heap_num = broker_->options().cmq_min_max_msg_heap_num,
      .now = broker_->options().clock->Now(),
      .topics = &broker_->cmq_topics(),
  };
  absl::StatusOr<json::object> fields =
      RunAction(broker_->cmq(), context, *action, *params);
  if (!fields.ok()) return fail(fields.status());
  respond(Answer(req, request_id, *std::move(fields)));
}

bool TdmqHandler::MayBlock(const httpd::RequestContext& /*ctx*/,
                           const httpd::Request& /*req*/) const {
  return broker_->SyncsEachWrite();
}

httpd::Response RenderTdmqTransportError(httpd::TransportError error,
                                         const httpd::RequestContext& ctx,
                                         const httpd::Request& req) {
  absl::Status s;
  switch (error) {
    case httpd::TransportError::kPayloadTooLarge:
      s = TdmqStatus("RequestSizeLimitExceeded",
                     "request size is more than 4MB");
      break;
    case httpd::TransportError::kBusy:
      s = TdmqStatus("RequestLimitExceeded",
                     "too many request bodies in flight; retry later");
      break;
    case httpd::TransportError::kInternal:
      s = TdmqStatus(kInternalError, "server internal error");
      break;
    default:
      return httpd::PlainJsonError(error, ctx, req);
  }
  return ErrorAnswer(req, NewRequestId(), s);
}

bool IsTdmqHead(const httpd::Request& req) {
  return httpd::TargetPath(ToAbsl(req.target())) == "/" && HasV3Head(req);
}

std::vector<httpd::Route> TdmqRoutes(TdmqHandler* handler) {
  const uint64_t body_limit = handler->config().body_limit;
  std::vector<httpd::Route> routes;
  // Row 3: signature v3.
  routes.push_back(
      {.name = "tdmq",
       .matcher = httpd::RouteMatcher::Predicate(
           "/ with X-TC-Action or a TC3 Authorization", IsTdmqHead),
       .handler = handler,
       .body_limit = body_limit,
       .render_error = RenderTdmqTransportError});
  // Row 4, for a query that names the version.
  routes.push_back({.name = "tdmq-v1",
                    .matcher = httpd::RouteMatcher::Predicate(
                        "/ with Version=2020-02-17 in the query",
                        [](const httpd::Request& req) {
                          const absl::string_view target = ToAbsl(req.target());
                          return httpd::TargetPath(target) == "/" &&
                                 httpd::UrlEncodedValue(
                                     httpd::TargetQuery(target), "Version") ==
                                     kVersion;
                        }),
                    .handler = handler,
                    .body_limit = body_limit,
                    .render_error = RenderTdmqTransportError});
  return routes;
}

httpd::Route TdmqFormRoute(TdmqHandler* handler) {
  return {.name = "tdmq-v1",
          .matcher = httpd::RouteMatcher::Exact("/"),
          .accepts =
              [](const httpd::Request& req) {
                return IsForm(req) &&
                       httpd::UrlEncodedValue(absl::string_view(req.body()),
                                              "Version") == kVersion;
              },
          .handler = handler,
          .body_limit = handler->config().body_limit,
          .render_error = RenderTdmqTransportError};
}

void RegisterTdmqRoutes(httpd::Router& router, TdmqHandler* handler) {
  for (httpd::Route& route : TdmqRoutes(handler)) router.Add(std::move(route));
}

void RegisterTdmqFormRoute(httpd::Router& router, TdmqHandler* handler) {
  router.Add(TdmqFormRoute(handler));
}

}  // namespace rewindmq::facade::tdmq

#include "broker/http/router.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/text.h"

namespace rewindmq::httpd {

namespace http = boost::beast::http;

namespace {

Status StatusFor(TransportError error) {
  switch (error) {
    case TransportError::kNotFound:
      return Status::not_found;
    case TransportError::kPayloadTooLarge:
      return Status::payload_too_large;
    case TransportError::kInternal:
      return Status::internal_server_error;
    case TransportError::kHeaderTooLarge:
      return Status::request_header_fields_too_large;
    case TransportError::kBadRequest:
      return Status::bad_request;
    case TransportError::kBusy:
      return Status::service_unavailable;
  }
  return Status::internal_server_error;
}

std::string MessageFor(TransportError error, const Request& req) {
  switch (error) {
    case TransportError::kNotFound:
      return absl::StrCat("no resource at ", TargetPath(ToAbsl(req.target())));
    case TransportError::kPayloadTooLarge:
      return "the request body is larger than this resource accepts";
    case TransportError::kInternal:
      return "internal error";
    case TransportError::kHeaderTooLarge:
      return "the request line and headers are too large";
    case TransportError::kBadRequest:
      return "the request is not valid HTTP/1.1";
    case TransportError::kBusy:
      return "the server is busy: too many request bodies in memory; retry "
             "later";
  }
  return "internal error";
}

}  // namespace

absl::string_view TransportErrorName(TransportError error) {
  switch (error) {
    case TransportError::kNotFound:
      return "not_found";
    case TransportError::kPayloadTooLarge:
      return "payload_too_large";
    case TransportError::kInternal:
      return "internal";
    case TransportError::kHeaderTooLarge:
      return "header_too_large";
    case TransportError::kBadRequest:
      return "bad_request";
    case TransportError::kBusy:
      return "busy";
  }
  return "internal";
}

RouteMatcher::RouteMatcher(Kind kind, std::string text, std::string description,
                           std::function<bool(const Request&)> fn)
    : kind_(kind),
      text_(std::move(text)),
      description_(std::move(description)),
      fn_(std::move(fn)) {}

RouteMatcher RouteMatcher::Exact(std::string path) {
  std::string description = absl::StrCat("= ", path);
  return RouteMatcher(Kind::kExact, std::move(path), std::move(description),
                      nullptr);
}

RouteMatcher RouteMatcher::Prefix(std::string prefix) {
  std::string description = absl::StrCat(prefix, "*");
  return RouteMatcher(Kind::kPrefix, std::move(prefix), std::move(description),
                      nullptr);
}

RouteMatcher RouteMatcher::Predicate(std::string description,
                                     std::function<bool(const Request&)> fn) {
  return RouteMatcher(Kind::kPredicate, "", std::move(description),
                      std::move(fn));
}

bool RouteMatcher::Matches(const Request& head) const {
  const absl::string_view path = TargetPath(ToAbsl(head.target()));
  switch (kind_) {
    case Kind::kExact:
      return path == text_;
    case Kind::kPrefix:
      return absl::StartsWith(path, text_);
    case Kind::kPredicate:
      return fn_ != nullptr && fn_(head);
  }
  return false;
}

void Router::Add(Route route) { routes_.push_back(std::move(route)); }

Router::HeadMatch Router::MatchHead(const Request& head) const {
  HeadMatch match;
  bool any = false;
  for (const Route& route : routes_) {
    if (!route.matcher.Matches(head)) continue;
    if (!any) {
      match.route = &route;
      match.body_limit = route.body_limit;
      any = true;
    } else {
      match.body_limit = std::max(match.body_limit, route.body_limit);
    }
    // A route without an `accepts` test answers every request it matches,
    // so no later route can be reached.
    if (!route.accepts) return match;
  }
  // Every matching route may still decline: the request may end up unrouted.
  if (any) match.body_limit = std::max(match.body_limit, kUnroutedBodyLimit);
  return match;
}

const Route* Router::Match(const Request& req) const {
  for (const Route& route : routes_) {
    if (!route.matcher.Matches(req)) continue;
    if (route.accepts && !route.accepts(req)) continue;
    return &route;
  }
  return nullptr;
}

Response Router::RenderError(const Route* route, TransportError error,
                             const RequestContext& ctx,
                             const Request& req) const {
  if (route != nullptr && route->render_error) {
    return route->render_error(error, ctx, req);
  }
  return PlainJsonError(error, ctx, req);
}

Response PlainJsonError(TransportError error, const RequestContext& ctx,
                        const Request& req) {
  std::string body = absl::StrCat(
      "{\"error\":{\"code\":", JsonQuote(TransportErrorName(error)),
      ",\"message\":", JsonQuote(MessageFor(error, req)),
      ",\"request_id\":", JsonQuote(ctx.request_id), "}}");
  return MakeResponse(StatusFor(error), std::move(body));
}

std::string RedactedTarget(absl::string_view target) {
  constexpr size_t kPathLimit = 256;
  constexpr size_t kNameLimit = 64;
  constexpr size_t kQueryLimit = 512;
  auto append_cut = [](std::string& out, absl::string_view text, size_t limit) {
    absl::StrAppend(&out, text.substr(0, limit));
    if (text.size() > limit) out.append("...");
  };
  std::string out;
  append_cut(out, TargetPath(target), kPathLimit);
  if (target.find('?') == absl::string_view::npos) return out;
  const size_t query_start = out.size();
  char separator = '?';
  for (const QueryItem& q : SplitQuery(TargetQuery(target))) {
    if (out.size() - query_start > kQueryLimit) {
      out.append("&...");
      break;
    }
    out.push_back(separator);
    separator = '&';
    append_cut(out, q.name, kNameLimit);
    if (!q.has_value) continue;
    out.push_back('=');
    if (q.name == "Action") {
      append_cut(out, q.value, kNameLimit);
    } else {
      out.push_back('*');
    }
  }
  return out;
}

bool HasUrlEncodedParameter(absl::string_view encoded, absl::string_view name) {
  for (const QueryItem& item : SplitQuery(encoded)) {
    if (item.name == name || FormDecode(item.name) == name) return true;
  }
  return false;
}

}  // namespace rewindmq::httpd

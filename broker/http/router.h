// Routing: which Handler answers a request, how large its body may be, and
// in which format transport-level errors (404, body too large, internal
// error) are rendered.
//
// Routes are tried in the order they were added; the first that matches
// wins. Matching happens twice for every request:
//
//   1. After the header is read, MatchHead() picks the body limit (and the
//      route whose format an early error uses). Only the request line and
//      headers are known here.
//   2. After the body is read, Match() picks the route that answers. A route
//      may add an `accepts` test over the whole request (the CMQ route on
//      "/" needs an Action parameter that can sit in a form body); when it
//      declines, routing continues with the next route.
//
// The body limit used in step 1 is the largest limit among the routes that
// could still answer, so a route's `accepts` test never sees a body cut
// short by a later route's smaller limit.
//
// A request that no route matches gets a plain JSON 404. A route without a
// handler is a "not-found scope": requests it matches get a 404 rendered by
// its render_error, in its facade's format.
//
// Thread-safety: build the Router completely before the server starts; from
// then on it is only read, from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "broker/http/handler.h"
#include "broker/http/query.h"

namespace rewindmq::httpd {

// Failures that the HTTP layer answers itself.
enum class TransportError {
  // No route, or a not-found scope, matched. Rendered by the matching
  // scope's render_error, else plain JSON 404.
  kNotFound,
  // The body is larger than the route's body_limit. The connection is closed
  // after the response. Rendered by the route; plain JSON 413 by default.
  kPayloadTooLarge,
  // The handler dropped its Responder or threw. Rendered by the route;
  // plain JSON 500 by default.
  kInternal,
  // Request line plus headers over the server's header limit (HTTP 431), or
  // not parsable as HTTP/1.x (HTTP 400). Never routed: always plain JSON,
  // and the connection is closed after the response.
  kHeaderTooLarge,
  kBadRequest,
  // The server-wide budget for request bodies in memory
  // (HttpServerOptions::body_budget) has no room for this request's body
  // while the connection has nothing else in progress. Rendered by the
  // route; plain JSON 503 by default. The connection is closed after it.
  kBusy,
};

// "not_found", "payload_too_large", "internal", "header_too_large",
// "bad_request", "busy".
absl::string_view TransportErrorName(TransportError error);

// Renders a transport error in a facade's format. `req` always has the
// request line and headers; its body may be empty or incomplete. Runs on an
// I/O thread: must be quick and must not block.
using ErrorRenderer = std::function<Response(
    TransportError error, const RequestContext& ctx, const Request& req)>;

// Which requests a route is for, judged from the request line and headers.
// Paths are compared raw (not percent-decoded), without the query.
class RouteMatcher {
 public:
  // The path equals `path`.
  static RouteMatcher Exact(std::string path);
  // The path starts with `prefix`.
  static RouteMatcher Prefix(std::string prefix);
  // `fn(head)` is true. `fn` must be thread-safe and quick.
  static RouteMatcher Predicate(std::string description,
                                std::function<bool(const Request&)> fn);

  bool Matches(const Request& head) const;
  // "= /healthz", "/v2/*", or the predicate's description; for logs.
  const std::string& description() const { return description_; }

 private:
  enum class Kind { kExact, kPrefix, kPredicate };
  RouteMatcher(Kind kind, std::string text, std::string description,
               std::function<bool(const Request&)> fn);

  Kind kind_;
  std::string text_;
  std::string description_;
  std::function<bool(const Request&)> fn_;
};

struct Route {
  // Short name for logs and RequestContext::route, e.g. "cmq", "dms".
  std::string name;
  RouteMatcher matcher = RouteMatcher::Prefix("/");
  // Optional test of the whole request (body included). Empty: accept every
  // request the matcher matches. Must be thread-safe and quick.
  std::function<bool(const Request&)> accepts;
  // Borrowed; must outlive the server. Null makes the route a not-found
  // scope.
  Handler* handler = nullptr;
  // Largest accepted body, in bytes (after removing chunked encoding).
  uint64_t body_limit = uint64_t{1} << 20;
  // Renders this route's transport errors. Empty: plain JSON.
  ErrorRenderer render_error;
};

class Router {
 public:
  // Body limit for requests that no route matches: their body is read and
  // discarded before the 404, so that the connection stays usable.
  static constexpr uint64_t kUnroutedBodyLimit = uint64_t{64} << 10;

  // Appends `route`; earlier routes win.
  void Add(Route route);

  struct HeadMatch {
    // The first route whose matcher matches the head, or null. Its
    // render_error formats errors raised before the body is read.
    const Route* route = nullptr;
    // The limit to read the body with (see the file comment).
    uint64_t body_limit = kUnroutedBodyLimit;
  };
  HeadMatch MatchHead(const Request& head) const;

  // The route that answers `req` (body read), or null for a 404.
  const Route* Match(const Request& req) const;

  // `error` for `req`, rendered by `route` when it has a renderer, else as
  // plain JSON. `route` may be null.
  Response RenderError(const Route* route, TransportError error,
                       const RequestContext& ctx, const Request& req) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// The generic error answer, for requests outside every facade:
//   {"error":{"code":"not_found","message":"...","request_id":"..."}}
// with status 404, 413, 500, 431, 400 or 503.
Response PlainJsonError(TransportError error, const RequestContext& ctx,
                        const Request& req);

// `target` as the access log shows it: the path, then the query's
// parameter names with every value replaced by "*" except Action's (a query
// may carry credentials, signatures and message bodies). Path, names and
// the Action value are cut at a bounded length.
std::string RedactedTarget(absl::string_view target);

// Whether `encoded`, a query string or an application/x-www-form-urlencoded
// body, has a parameter called `name` (compared after percent-decoding;
// '+' decodes to a space). A parameter without '=' counts.
bool HasUrlEncodedParameter(absl::string_view encoded, absl::string_view name);

}  // namespace rewindmq::httpd

// The contract between the generic HTTP layer and the code that answers
// requests (the vendor facades, the health check).
//
// A Handler receives a fully read request (on a worker thread, or on the
// I/O thread when it says it will not block) and answers it through a
// Responder, either before Handle() returns or later from any
// thread. Deferring is how long polls wait: the handler keeps the Responder
// (for instance in a broker wait callback) and returns, so no thread is held
// while nothing happens.
//
// The HTTP layer owns everything that is not the vendor's business: it sets
// the HTTP version, Content-Length, keep-alive and X-Request-Id on every
// response, writes responses in request order, and logs one access line per
// request.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rewindmq::httpd {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Status = boost::beast::http::status;

// What the HTTP layer knows about a request besides the message itself.
struct RequestContext {
  // The client's X-Request-Id when it looks sane (see request_id.h), else a
  // fresh 32-hex-digit id. The same value is sent back as X-Request-Id;
  // facades that also put a request id in the body use this one.
  std::string request_id;
  // "ip:port" of the client.
  std::string remote;
  // When the request header had been read.
  absl::Time received;
  // Name of the route that matched (Route::name), for logs.
  std::string route;
};

namespace internal {
// The receiving end of a Responder. Implementations are told exactly once:
// Complete() with the response, or Dropped() when every copy of the
// Responder was destroyed without answering.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void Complete(Response response) = 0;
  virtual void Dropped() = 0;
};
class ResponderState;
}  // namespace internal

// Delivers the one response to one request.
//
// Copyable; all copies share one state. The first call wins: later calls are
// ignored and logged as a bug. If every copy is destroyed without a call,
// the HTTP layer answers in the route's format for an internal error (a 500
// or the vendor's equivalent), so a bug never leaves a connection hanging.
//
// Thread-safe: may be called from any thread, including inside Handle().
// Calling it after the client has gone, or after the server has shut down,
// is harmless: the response is discarded.
class Responder {
 public:
  // Sends `response`.
  void operator()(Response response) const;

  // True once a response has been given (by any copy).
  bool responded() const;

  // A Responder that hands the response to `on_response`, or std::nullopt to
  // it when dropped unanswered. For unit tests of handlers, without sockets.
  static Responder FromCallback(
      std::function<void(std::optional<Response>)> on_response);

  // For the HTTP layer.
  explicit Responder(std::unique_ptr<internal::ResponseSink> sink);

 private:
  std::shared_ptr<internal::ResponderState> state_;
};

// Answers requests. Implementations must be thread-safe: Handle() runs on
// the worker pool, or on an I/O thread when MayBlock() says it may, many
// requests at once (requests of one connection are handed over one at a
// time, in order).
class Handler {
 public:
  virtual ~Handler() = default;

  // Answers `req` through `respond`, exactly once, now or later.
  //
  // Runs on a worker thread, where it may block on storage, or on an I/O
  // thread when MayBlock() was false. `ctx` and `req` are
  // valid only until Handle() returns: a handler that defers copies what it
  // needs (it may move from `req`). The body has already been limited to the
  // route's body_limit. Exceptions are caught, logged and turn into the
  // route's internal error, but handlers are expected not to throw.
  virtual void Handle(const RequestContext& ctx, Request& req,
                      Responder respond) = 0;

  // Whether answering `req` may hold the calling thread for long (waiting
  // for a disk sync, scanning many records). When false, Handle() runs on
  // the connection's I/O thread, sparing two thread hand-offs; it must then
  // return promptly (deferring through the Responder is fine). Must be
  // quick and thread-safe. By default every request goes to the worker
  // pool.
  virtual bool MayBlock(const RequestContext& /*ctx*/,
                        const Request& /*req*/) const {
    return true;
  }
};

// A Handler made of a function that answers synchronously.
class SyncHandler final : public Handler {
 public:
  using Fn = std::function<Response(const RequestContext&, Request&)>;
  explicit SyncHandler(Fn fn) : fn_(std::move(fn)) {}

  void Handle(const RequestContext& ctx, Request& req,
              Responder respond) override {
    respond(fn_(ctx, req));
  }

 private:
  const Fn fn_;
};

// A response with `status`, `body` and a Content-Type. Version, keep-alive,
// Content-Length and X-Request-Id are filled in by the HTTP layer.
Response MakeResponse(Status status, std::string body,
                      absl::string_view content_type = "application/json");

// `s` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view s);

// Beast's string views to abseil's, explicitly.
inline absl::string_view ToAbsl(boost::beast::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace rewindmq::httpd

// The HTTP/1.1 server: accepts connections, reads requests within limits and
// timeouts, routes them to Handlers on a worker pool, and writes responses
// back in request order. Built on Boost.Beast following its async and
// advanced server examples: a Listener accepts into Sessions, and each
// keeps a bounded pipeline of requests and responses.
//
// Threads: each of the `io_threads` runs an io_context of its own; a
// connection is given one of them (round robin) when accepted and stays on
// it, so its I/O and the handlers of its requests that do not block
// (Handler::MayBlock() false) run on that one thread, one after another;
// `worker_threads` run the others. A handler that defers its answer (long
// polling) holds no thread; its Responder posts the response back to the
// connection's thread.
//
// Per connection:
//   - Requests are read ahead up to `pipeline_limit` unanswered requests,
//     handed to their handler one at a time, in order (so pipelined writes
//     to a queue keep their order), and answered in order.
//   - The request line and headers may be at most `header_limit` bytes
//     (431 otherwise). The body limit comes from the route (see router.h); a
//     larger body gets the route's "payload too large" answer, and the
//     connection is closed after it.
//   - A request whose Transfer-Encoding does not end in chunked gets 400
//     and the connection is closed (its length cannot be known).
//   - `Expect: 100-continue` is answered with 100 Continue when the body is
//     within limits and nothing else is being written.
//   - An idle connection is closed after `idle_timeout`; a request body
//     must arrive within `read_timeout` of its header, a response be written
//     within `write_timeout`. A header read ahead while earlier requests
//     are being answered waits for its first byte as long as they take, and
//     must then be complete within `read_timeout`.
//   - Bodies in memory across all connections are bounded by
//     `body_budget`.
//   - When the server closes a connection after a response, it shuts down
//     its sending side and discards input for up to `linger_timeout`, so the
//     client reads the response instead of a reset.
//
// Every response carries X-Request-Id; every request is logged once, when
// its response has been written, as
//   http <method> <target> <status> in=<bytes> out=<bytes> <ms>ms
//        id=<request id> remote=<ip:port> route=<name>
// where <target> is the path and the query's parameter names, with every
// value but Action's shown as "*" (queries carry signatures and bodies).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "broker/http/router.h"

namespace rewindmq::httpd {

class HttpMetrics;

namespace internal {
class Core;
}  // namespace internal

struct HttpServerOptions {
  // An IPv4 or IPv6 literal to listen on; "localhost" means 127.0.0.1.
  std::string host = "127.0.0.1";
  // 0 picks a free port; port() tells which.
  uint16_t port = 0;
  int io_threads = 1;
  int worker_threads = 8;
  // Connections beyond this are closed right after being accepted.
  int max_connections = 1024;
  // Request line plus headers, in bytes. CMQ needs at least 16 KiB.
  uint32_t header_limit = uint32_t{64} << 10;
  // Unanswered requests read ahead per connection.
  int pipeline_limit = 8;
  // Request bodies held in memory at once, across all connections, in
  // bytes. A body's room is reserved once its header is read (its
  // Content-Length, or the route's body limit when chunked) and given back
  // when its handler is done with it. Without room, a connection that is
  // reading ahead waits until its earlier requests are answered; one with
  // nothing else in progress gets the route's "busy" answer (503) and is
  // closed.
  uint64_t body_budget = uint64_t{256} << 20;
  absl::Duration idle_timeout = absl::Seconds(60);
  absl::Duration read_timeout = absl::Seconds(60);
  absl::Duration write_timeout = absl::Seconds(60);
  absl::Duration linger_timeout = absl::Seconds(2);
  // Source of RequestContext::received. Not owned; must outlive the server.
  Clock* clock = Clock::Real();
  // Where requests and connections are counted (metrics.h); null counts
  // nothing. Not owned; must outlive the server.
  HttpMetrics* metrics = nullptr;
};

// Thread-safe.
class HttpServer {
 public:
  // Bind() then Serve(router).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, const Router* router);

  // Binds and listens without serving yet: connections wait in the listen
  // backlog until Serve(). Lets the caller learn the port (port 0) before
  // building handlers that must know it.
  // InvalidArgument: bad options or host.
  // Unavailable: the address cannot be bound (in use, not local, ...).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Bind(
      const HttpServerOptions& options);

  // Starts accepting and answering with `router`. The router and its
  // handlers are borrowed and must outlive the server (more precisely: until
  // Shutdown() returns); the router must not change from now on.
  // FailedPrecondition: already serving, or shut down.
  absl::Status Serve(const Router* router);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Shutdown(absl::ZeroDuration()) unless already shut down.
  ~HttpServer();

  // The bound address, e.g. "127.0.0.1" and 9555.
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  // "host:port", with brackets around an IPv6 host.
  std::string address() const;

  // Graceful shutdown: stops accepting, closes idle connections, lets the
  // requests already received finish (their responses carry
  // "Connection: close") for at most `drain_timeout`, then closes every
  // connection and stops all threads. Waits for handlers still running on
  // the worker pool. Responders kept past this point (long polls) may still
  // be called; their responses are discarded. Idempotent.
  void Shutdown(absl::Duration drain_timeout);

  // Open connections right now.
  int connection_count() const;

 private:
  HttpServer(std::shared_ptr<internal::Core> core, std::string host,
             uint16_t port);

  // Shared with sessions and outstanding Responders, which may outlive this
  // object (see http_server.cc).
  const std::shared_ptr<internal::Core> core_;
  const std::string host_;
  const uint16_t port_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace rewindmq::httpd

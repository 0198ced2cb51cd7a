// The remoting TCP server: one listener per logical broker of the instance
// (broker-i on PORT + i, every one also answering name-server requests),
// connections that frame and dispatch, and server-to-client notifications.
// Owns no broker logic (handlers/ do).
//
// Threading: sockets run on `io_threads` Asio threads, one strand per
// connection; handlers run on a pool of `worker_threads`, because storage
// calls may wait on fsync. Responses go back through the connection's
// strand, in completion order (requests are matched by opaque).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/facades/remoting/handler.h"

namespace rewindmq::facade::remoting {

struct RemotingServerOptions {
  std::string host = "127.0.0.1";
  // Listener 0; broker-i listens on port + i. 0 picks free ports.
  uint16_t port = 9876;
  // What routes and message ids advertise: "HOST" or "HOST:PORT"; empty
  // means the listen address (0.0.0.0 and :: as 127.0.0.1). Must be IPv4.
  std::string advertise;
  int io_threads = 2;
  int worker_threads = 8;
  int max_connections = 1024;
  // A connection with no read and no write for this long is closed.
  absl::Duration idle_timeout = absl::Seconds(120);
  // A client that does not read its responses is disconnected once this
  // many bytes wait to be written to it.
  size_t max_pending_write_bytes = size_t{64} << 20;
};

class RemotingServer {
 public:
  // Binds every listener and starts serving `config.instance` of `broker`
  // (not owned; must outlive the server). config.advertised is filled from
  // the bound ports.
  // InvalidArgument: bad host or advertise address; NotFound: no such
  // instance; Unavailable: an address cannot be bound.
  static absl::StatusOr<std::unique_ptr<RemotingServer>> Start(
      broker::Broker* broker, RemotingConfig config,
      const RemotingServerOptions& options);

  RemotingServer(const RemotingServer&) = delete;
  RemotingServer& operator=(const RemotingServer&) = delete;
  ~RemotingServer();

  // Bound "host:port" of each listener, by broker index.
  std::vector<std::string> addresses() const;
  // Advertised "ip:port" of each logical broker.
  const std::vector<std::string>& advertised() const;

  // Stops accepting, closes every connection (held pulls are dropped) and
  // joins the threads. Idempotent.
  void Shutdown();

  struct Impl;

 private:
  explicit RemotingServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rewindmq::facade::remoting

// The composition root of the rewindmq process: opens the message store,
// registers every HTTP route (health, metrics, CMQ, DMS) on one router, and
// serves it on one port. main.cc adds flags and signals; tests start it
// in-process.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "broker/options.h"
#include "broker/server/server_config.h"

namespace rewindmq::server {

// The broker options the server opens its store with: durability, segment
// and index settings, instances and retention of `config`, in `data_dir`.
// Tools that open a data folder themselves (rewindmq-import) use the same.
broker::BrokerOptions BrokerOptionsFor(const ServerConfig& config,
                                       const std::string& data_dir);

// Everything a Server owns (server.cc).
struct ServerComponents;

// A running server.
//
// Thread-safe. Shutdown() (or the destructor) stops it: HTTP first, so that
// no request is in flight, then the store.
class Server {
 public:
  // Opens the store in config.data_dir (created when missing), then listens
  // on config.listen_host:listen_port. GET /healthz answers 200 once this
  // returns.
  // FailedPrecondition: another process holds the data directory.
  // InvalidArgument: a bad listen host or setting.
  // Unavailable: the address cannot be bound.
  // Other storage errors pass through (DataLoss: a damaged store).
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      const ServerConfig& config);

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Shutdown() unless already done.
  ~Server();

  // The bound address, e.g. "127.0.0.1:9555" (the real port when 0 was
  // asked for).
  std::string address() const;
  uint16_t port() const;
  // Bound addresses of the RocketMQ remoting listeners (broker-0 first);
  // empty when the protocol is off.
  std::vector<std::string> remoting_addresses() const;
  // The data directory as an absolute path.
  const std::string& data_dir() const { return data_dir_; }

  // Graceful stop: /healthz turns 503, no new connections are accepted,
  // requests in flight finish (at most config.drain_timeout), then the
  // store is synced and closed. Returns the first error of the final sync;
  // idempotent (later calls return OkStatus()).
  absl::Status Shutdown();

 private:
  Server(ServerConfig config, std::string data_dir,
         std::unique_ptr<ServerComponents> components);

  const ServerConfig config_;
  const std::string data_dir_;
  // Serializes Shutdown(). The components' own members are thread-safe.
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  const std::unique_ptr<ServerComponents> components_;
};

}  // namespace rewindmq::server

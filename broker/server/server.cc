#include "broker/server/server.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "broker/http/health.h"
#include "broker/http/http_server.h"
#include "broker/http/router.h"
#include "storage/store.h"

namespace rewindmq::server {

// Declared in the order things are built and destroyed in reverse, so the
// HTTP server (which borrows the router and its handlers) goes first and
// the store last.
struct ServerComponents {
  // What the handlers serve from. The broker (which owns its Store) takes
  // this place once it is wired in; see OpenBackend().
  std::unique_ptr<storage::Store> store;
  // Facade handlers go here, after the backend and before the router.
  httpd::HealthHandler health;
  httpd::Router router;
  std::unique_ptr<httpd::HttpServer> http;
  bool shut_down = false;
};

namespace {

storage::StoreOptions StoreOptionsFor(const ServerConfig& config) {
  storage::StoreOptions options;
  options.durability = config.durability;
  options.flush_interval = config.flush_interval;
  options.segment_bytes = config.segment_bytes;
  options.index_interval_bytes = config.index_interval_bytes;
  return options;
}

httpd::HttpServerOptions HttpOptionsFor(const ServerConfig& config) {
  httpd::HttpServerOptions options;
  options.host = config.listen_host;
  options.port = config.listen_port;
  options.io_threads = config.io_threads;
  options.worker_threads = config.worker_threads;
  options.max_connections = config.max_connections;
  options.idle_timeout = config.idle_timeout;
  return options;
}

// Opens what the handlers serve from, in `data_dir`. Today that is the
// store; the broker replaces it here (Broker::Open with BrokerOptions made
// from `config`: store options, instances, retention), followed by the
// facade handlers built on it.
absl::Status OpenBackend(const ServerConfig& config,
                         const std::string& data_dir, ServerComponents& c) {
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::Store::Open(data_dir, StoreOptionsFor(config));
  if (!store.ok()) {
    return absl::Status(store.status().code(),
                        absl::StrCat("cannot open the store in ", data_dir,
                                     ": ", store.status().message()));
  }
  c.store = *std::move(store);
  return absl::OkStatus();
}

// Builds the facade handlers and registers every route, in the order the
// product requires: health; CMQ on /v2/index.php and on / with an Action
// parameter; DMS under /v2/. Anything else gets the 404 of the facade whose
// prefix it matches, or a plain JSON 404 (the router's fallback).
// `address` is the bound host:port (DMS advertises it).
void RegisterRoutes(const ServerConfig& /*config*/,
                    const std::string& /*address*/, ServerComponents& c) {
  c.router.Add(httpd::HealthRoute(&c.health));
  // facade::cmq::RegisterCmqRoutes(c.router, c.cmq.get());
  // facade::dms::RegisterDmsRoutes(c.router, c.dms.get());
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    const ServerConfig& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create data dir ", config.data_dir, ": ", ec.message()));
  }
  const std::string data_dir =
      std::filesystem::absolute(config.data_dir, ec).lexically_normal();
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot resolve data dir ", config.data_dir, ": ", ec.message()));
  }

  auto c = std::make_unique<ServerComponents>();
  RMQ_RETURN_IF_ERROR(OpenBackend(config, data_dir, *c));
  // Bind before building the handlers, which may need the real port.
  RMQ_ASSIGN_OR_RETURN(c->http,
                       httpd::HttpServer::Bind(HttpOptionsFor(config)));
  RegisterRoutes(config, c->http->address(), *c);
  RMQ_RETURN_IF_ERROR(c->http->Serve(&c->router));
  c->health.set_state(httpd::HealthHandler::State::kServing);
  RMQ_LOG(kInfo, "rewindmq serving on ", c->http->address(), ", data in ",
          data_dir);
  return std::unique_ptr<Server>(new Server(config, data_dir, std::move(c)));
}

Server::Server(ServerConfig config, std::string data_dir,
               std::unique_ptr<ServerComponents> components)
    : config_(std::move(config)),
      data_dir_(std::move(data_dir)),
      components_(std::move(components)) {}

Server::~Server() {
  absl::Status s = Shutdown();
  if (!s.ok()) RMQ_LOG(kError, "shutdown: ", s.ToString());
}

std::string Server::address() const { return components_->http->address(); }

uint16_t Server::port() const { return components_->http->port(); }

absl::Status Server::Shutdown() {
  absl::MutexLock l(&shutdown_mu_);
  ServerComponents& c = *components_;
  if (c.shut_down) return absl::OkStatus();
  c.shut_down = true;
  c.health.set_state(httpd::HealthHandler::State::kStopping);
  RMQ_LOG(kInfo, "shutting down: draining HTTP for at most ",
          absl::FormatDuration(config_.drain_timeout));
  c.http->Shutdown(config_.drain_timeout);
  absl::Status synced = c.store->SyncAll();
  c.store.reset();
  RMQ_LOG(kInfo, "store closed");
  return synced;
}

}  // namespace rewindmq::server

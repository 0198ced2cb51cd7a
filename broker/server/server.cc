#include "broker/server/server.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "broker/broker.h"
#include "broker/facades/admin/metrics.h"
#include "broker/facades/cmq/cmq_handler.h"
#include "broker/facades/dms/handler.h"
#include "broker/facades/remoting/server.h"
#include "broker/facades/tdmq/tdmq_handler.h"
#include "broker/http/health.h"
#include "broker/http/http_server.h"
#include "broker/http/router.h"

namespace rewindmq::server {

// Declared in the order things are built and destroyed in reverse, so the
// HTTP server (which borrows the router and its handlers) goes first and
// the store last.
struct ServerComponents {
  // What the handlers serve from; owns the Store.
  std::unique_ptr<broker::Broker> broker;
  // GET /metrics and the counters the HTTP server keeps in it.
  std::unique_ptr<facade::admin::Metrics> metrics;
  // The facades, borrowed by the router.
  std::unique_ptr<facade::cmq::CmqHandler> cmq;
  std::unique_ptr<facade::dms::DmsHandler> dms;
  std::unique_ptr<facade::tdmq::TdmqHandler> tdmq;
  httpd::HealthHandler health;
  httpd::Router router;
  std::unique_ptr<httpd::HttpServer> http;
  // RocketMQ remoting clients; null when turned off.
  std::unique_ptr<facade::remoting::RemotingServer> remoting;
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

httpd::HttpServerOptions HttpOptionsFor(const ServerConfig& config,
                                        httpd::HttpMetrics* metrics) {
  httpd::HttpServerOptions options;
  options.metrics = metrics;
  options.host = config.listen_host;
  options.port = config.listen_port;
  options.io_threads = config.io_threads;
  options.worker_threads = config.worker_threads;
  options.max_connections = config.max_connections;
  options.body_budget = config.body_budget;
  options.idle_timeout = config.idle_timeout;
  options.read_timeout = config.read_timeout;
  return options;
}

// Opens the broker (and with it the store) in `data_dir`.
absl::Status OpenBackend(const ServerConfig& config,
                         const std::string& data_dir, ServerComponents& c) {
  absl::StatusOr<std::unique_ptr<broker::Broker>> broker =
      broker::Broker::Open(BrokerOptionsFor(config, data_dir));
  if (!broker.ok()) {
    return absl::Status(broker.status().code(),
                        absl::StrCat("cannot open the store in ", data_dir,
                                     ": ", broker.status().message()));
  }
  c.broker = *std::move(broker);
  return absl::OkStatus();
}

// Builds the facade handlers and registers every route, in the order the
// product requires: health and metrics; TDMQ (API 3.0) on / for requests whose
// head says so (X-TC-Action, a TC3 Authorization, Version=2020-02-17 in the
// query); CMQ 2.0 on /v2/index.php and on / with an Action parameter; TDMQ
// for a v1 form that names its version in the body; DMS under /v2/.
// Anything else gets the 404 of the facade whose prefix it matches, or a
// plain JSON 404 (the router's fallback). `address` is the bound host:port
// (DMS advertises it).
void RegisterRoutes(const ServerConfig& config, const std::string& address,
                    ServerComponents& c) {
  c.router.Add(httpd::HealthRoute(&c.health));
  c.router.Add(c.metrics->Route());

  // One set of CMQ credentials serves both CMQ faces (tdmq-cmq-v3.md §4.1).
  facade::cmq::CmqConfig cmq;
  facade::tdmq::TdmqConfig tdmq;
  for (const Credential& k : config.cmq_credentials) {
    cmq.secret_keys[k.id] = k.secret;
    tdmq.secret_keys[k.id] = k.secret;
  }
  c.tdmq = std::make_unique<facade::tdmq::TdmqHandler>(c.broker.get(),
                                                       std::move(tdmq));
  facade::tdmq::RegisterTdmqRoutes(c.router, c.tdmq.get());
  c.cmq =
      std::make_unique<facade::cmq::CmqHandler>(c.broker.get(), std::move(cmq));
  facade::cmq::RegisterCmqRoutes(c.router, c.cmq.get());
  facade::tdmq::RegisterTdmqFormRoute(c.router, c.tdmq.get());

  facade::dms::DmsConfig dms;
  for (const Credential& k : config.dms_credentials) {
    dms.credentials[k.id] = k.secret;
  }
  dms.advertised_address = address;
  c.dms = facade::dms::RegisterDmsRoutes(c.router, *c.broker, dms);
}

}  // namespace

broker::BrokerOptions BrokerOptionsFor(const ServerConfig& config,
                                       const std::string& data_dir) {
  broker::BrokerOptions options;
  options.data_dir = data_dir;
  options.store = StoreOptionsFor(config);
  for (const InstanceConfig& i : config.instances) {
    options.instances.push_back({i.id, i.name, i.broker_num});
  }
  options.topic_retention = config.retention;
  options.retention_interval = config.retention_check_interval;
  options.max_cmq_queues = config.cmq_max_queues;
  return options;
}

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
  c->metrics = std::make_unique<facade::admin::Metrics>(c->broker.get());
  // Bind before building the handlers, which may need the real port.
  RMQ_ASSIGN_OR_RETURN(c->http, httpd::HttpServer::Bind(HttpOptionsFor(
                                    config, c->metrics->http())));
  RegisterRoutes(config, c->http->address(), *c);
  if (!config.remoting_host.empty()) {
    facade::remoting::RemotingConfig rc;
    rc.instance = config.remoting_instance.empty()
                      ? c->broker->default_instance()
                      : config.remoting_instance;
    rc.auto_create_group = config.remoting_auto_create_group;
    facade::remoting::RemotingServerOptions ro;
    ro.host = config.remoting_host;
    ro.port = config.remoting_port;
    ro.advertise = config.remoting_advertise;
    ro.max_connections = config.max_connections;
    RMQ_ASSIGN_OR_RETURN(c->remoting, facade::remoting::RemotingServer::Start(
                                          c->broker.get(), rc, ro));
  }
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

std::vector<std::string> Server::remoting_addresses() const {
  if (components_->remoting == nullptr) return {};
  return components_->remoting->addresses();
}

uint16_t Server::port() const { return components_->http->port(); }

absl::Status Server::Shutdown() {
  absl::MutexLock l(&shutdown_mu_);
  ServerComponents& c = *components_;
  if (shut_down_) return absl::OkStatus();
  shut_down_ = true;
  c.health.set_state(httpd::HealthHandler::State::kStopping);
  // Long polls would otherwise hold the drain for their whole wait.
  c.broker->StopWaiting();
  RMQ_LOG(kInfo, "shutting down: draining HTTP for at most ",
          absl::FormatDuration(config_.drain_timeout));
  if (c.remoting != nullptr) c.remoting->Shutdown();
  c.http->Shutdown(config_.drain_timeout);
  absl::Status synced = c.broker->Sync();
  c.broker.reset();
  RMQ_LOG(kInfo, "store closed");
  return synced;
}

}  // namespace rewindmq::server

// GET /metrics: the Prometheus text exposition (format 0.0.4) of the HTTP
// layer's counters (broker/http/metrics.h) and the broker gauges read at
// scrape time (broker_collector.h).
//
//   facade::admin::Metrics metrics(broker.get());
//   http_options.metrics = metrics.http();       // before the server binds
//   router.Add(metrics.Route());
#pragma once

#include <string>
#include <vector>

#include "broker/broker.h"
#include "broker/facades/admin/broker_collector.h"
#include "broker/http/handler.h"
#include "broker/http/metrics.h"
#include "broker/http/router.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace rewindmq::facade::admin {

// The Content-Type of the answer.
inline constexpr char kMetricsContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

// Answers GET and HEAD with every family of its sources, collected now and
// serialized in the order given; other methods get 405. Runs on the worker
// pool (collecting calls the broker). Thread-safe; borrows the sources,
// which must outlive it.
class MetricsHandler final : public httpd::Handler {
 public:
  explicit MetricsHandler(std::vector<const prometheus::Collectable*> sources);

  void Handle(const httpd::RequestContext& ctx, httpd::Request& req,
              httpd::Responder respond) override;

  // The text exposition of every source, as GET answers it.
  std::string Render() const;

 private:
  const std::vector<const prometheus::Collectable*> sources_;
};

// The route for `handler` (borrowed) at exactly "/metrics", named
// "metrics".
httpd::Route MetricsRoute(MetricsHandler* handler);

// Everything behind GET /metrics for one broker: the registry, the HTTP
// layer's metrics in it, the broker collector and the handler.
//
// Thread-safe. Borrows the broker, which must outlive it; the HTTP server
// given http() and the router given Route() must not outlive it either.
class Metrics {
 public:
  explicit Metrics(broker::Broker* broker, BrokerCollectorOptions options = {});

  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // For HttpServerOptions::metrics.
  httpd::HttpMetrics* http() { return &http_; }
  // GET /metrics over this object.
  httpd::Route Route() { return MetricsRoute(&handler_); }
  // What GET /metrics answers now.
  std::string Render() const { return handler_.Render(); }

 private:
  prometheus::Registry registry_;
  httpd::HttpMetrics http_;
  BrokerCollector broker_;
  MetricsHandler handler_;
};

}  // namespace rewindmq::facade::admin

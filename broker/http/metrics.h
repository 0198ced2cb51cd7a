// Prometheus metrics of the HTTP layer: requests per route and status,
// request latency per route, open and accepted connections. The server
// counts into them (HttpServerOptions::metrics); whoever serves GET /metrics
// serializes the registry they live in.
//
//   rewindmq_http_requests_total{route,status}          counter
//   rewindmq_http_request_duration_seconds{route}       histogram
//   rewindmq_http_connections                           gauge
//   rewindmq_http_connections_accepted_total            counter
//
// `route` is Route::name, or "-" for a request no route answered (an
// unknown path, a header too large); `status` the HTTP status code sent. A
// request is counted when its response has been written, where its access
// log line is written, with the same duration (header read to response
// written). Requests abandoned before an answer (the client left) are not
// counted.
//
// Cost per request: one array index and atomic load to find the
// {route,status} counter (resolved once per route when the server starts
// serving, and once per status code a route first answers with), one
// atomic add for the counter, and the histogram's bucket search (16
// bounds) and mutex. No string is built and no map is searched.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace rewindmq::httpd {

// Thread-safe. Borrows the registry, which must outlive it; the server that
// counts into it (HttpServerOptions::metrics) must not outlive it either.
class HttpMetrics {
 public:
  // Upper bounds of the latency buckets, in seconds: 100 µs to 60 s, which
  // covers an in-memory answer and the longest CMQ long poll (30 s).
  static const std::vector<double>& LatencyBuckets();

  // The series of one route.
  class RouteSeries {
   public:
    RouteSeries(const RouteSeries&) = delete;
    RouteSeries& operator=(const RouteSeries&) = delete;

    // Counts one answered request with HTTP `status` (codes above 999 count
    // as 999) that took `seconds`.
    void Record(unsigned status, double seconds);

   private:
    friend class HttpMetrics;
    RouteSeries(prometheus::Family<prometheus::Counter>* requests,
                std::string label, prometheus::Histogram* duration);

    prometheus::Counter* Resolve(unsigned status);

    prometheus::Family<prometheus::Counter>* const requests_;
    const std::string label_;
    prometheus::Histogram* const duration_;
    // The counter of each status code, created on first use.
    std::array<std::atomic<prometheus::Counter*>, 1000> by_status_{};
  };

  // Adds the families above to `registry`.
  explicit HttpMetrics(prometheus::Registry& registry);

  HttpMetrics(const HttpMetrics&) = delete;
  HttpMetrics& operator=(const HttpMetrics&) = delete;

  // The series of the route named `route` ("" for unrouted requests,
  // labelled "-"): created on the first call, the same object afterwards,
  // valid while this object lives. Takes a lock: call it once per route,
  // not per request.
  RouteSeries* ForRoute(absl::string_view route);

  // A connection was accepted from the listening socket (also one closed
  // at once for max_connections or shutdown).
  void ConnectionAccepted() { accepted_.Increment(); }
  // A connection was registered as open, and later closed.
  void ConnectionOpened() { connections_.Increment(); }
  void ConnectionClosed() { connections_.Decrement(); }

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Gauge& connections_;
  prometheus::Counter& accepted_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<RouteSeries>> routes_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace rewindmq::httpd

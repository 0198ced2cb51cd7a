#include "broker/http/metrics.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace rewindmq::httpd {

const std::vector<double>& HttpMetrics::LatencyBuckets() {
  static const std::vector<double>* const kBuckets = new std::vector<double>{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1,      2.5,   10,   60};
  return *kBuckets;
}

HttpMetrics::RouteSeries::RouteSeries(
    prometheus::Family<prometheus::Counter>* requests, std::string label,
    prometheus::Histogram* duration)
    : requests_(requests), label_(std::move(label)), duration_(duration) {}

void HttpMetrics::RouteSeries::Record(unsigned status, double seconds) {
  status = std::min(status, 999u);
  prometheus::Counter* counter =
      by_status_[status].load(std::memory_order_acquire);
  if (counter == nullptr) counter = Resolve(status);
  counter->Increment();
  duration_->Observe(seconds);
}

prometheus::Counter* HttpMetrics::RouteSeries::Resolve(unsigned status) {
  // Family::Add is thread-safe and returns the existing series for labels
  // it has seen, so two threads racing here store the same pointer.
  prometheus::Counter* counter =
      &requests_->Add({{"route", label_}, {"status", std::to_string(status)}});
  by_status_[status].store(counter, std::memory_order_release);
  return counter;
}

HttpMetrics::HttpMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("rewindmq_http_requests_total")
                    .Help("HTTP requests answered, by route and status code.")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("rewindmq_http_request_duration_seconds")
                    .Help("Time from a request's header being read to its "
                          "response being written, by route.")
                    .Register(registry)),
      connections_(prometheus::BuildGauge()
                       .Name("rewindmq_http_connections")
                       .Help("Open HTTP connections.")
                       .Register(registry)
                       .Add({})),
      accepted_(prometheus::BuildCounter()
                    .Name("rewindmq_http_connections_accepted_total")
                    .Help("HTTP connections accepted.")
                    .Register(registry)
                    .Add({})) {}

HttpMetrics::RouteSeries* HttpMetrics::ForRoute(absl::string_view route) {
  absl::MutexLock l(&mu_);
  std::unique_ptr<RouteSeries>& series = routes_[route];
  if (series == nullptr) {
    std::string label = route.empty() ? "-" : std::string(route);
    prometheus::Histogram* duration =
        &duration_.Add({{"route", label}}, LatencyBuckets());
    series = std::unique_ptr<RouteSeries>(
        new RouteSeries(&requests_, std::move(label), duration));
  }
  return series.get();
}

}  // namespace rewindmq::httpd

#include "broker/facades/admin/metrics.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <string>
#include <utility>
#include <vector>

#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"

namespace rewindmq::facade::admin {

namespace http = boost::beast::http;

MetricsHandler::MetricsHandler(
    std::vector<const prometheus::Collectable*> sources)
    : sources_(std::move(sources)) {}

std::string MetricsHandler::Render() const {
  std::vector<prometheus::MetricFamily> families;
  for (const prometheus::Collectable* source : sources_) {
    std::vector<prometheus::MetricFamily> more = source->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

void MetricsHandler::Handle(const httpd::RequestContext& /*ctx*/,
                            httpd::Request& req, httpd::Responder respond) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    httpd::Response res = httpd::MakeResponse(
        httpd::Status::method_not_allowed,
        R"({"error":{"code":"method_not_allowed","message":"use GET"}})");
    res.set(http::field::allow, "GET, HEAD");
    respond(std::move(res));
    return;
  }
  respond(
      httpd::MakeResponse(httpd::Status::ok, Render(), kMetricsContentType));
}

httpd::Route MetricsRoute(MetricsHandler* handler) {
  httpd::Route route;
  route.name = "metrics";
  route.matcher = httpd::RouteMatcher::Exact("/metrics");
  route.handler = handler;
  route.body_limit = 4096;
  return route;
}

Metrics::Metrics(broker::Broker* broker, BrokerCollectorOptions options)
    : http_(registry_),
      broker_(broker, options),
      handler_({&registry_, &broker_}) {}

}  // namespace rewindmq::facade::admin

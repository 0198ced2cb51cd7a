#include "broker/http/health.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <string>

namespace rewindmq::httpd {

namespace http = boost::beast::http;

void HealthHandler::Handle(const RequestContext& /*ctx*/, Request& req,
                           Responder respond) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    Response res = MakeResponse(
        Status::method_not_allowed,
        R"({"error":{"code":"method_not_allowed","message":"use GET"}})");
    res.set(http::field::allow, "GET, HEAD");
    respond(std::move(res));
    return;
  }
  switch (state()) {
    case State::kServing:
      respond(MakeResponse(Status::ok, R"({"status":"serving"})"));
      return;
    case State::kStarting:
      respond(MakeResponse(Status::service_unavailable,
                           R"({"status":"starting"})"));
      return;
    case State::kStopping:
      respond(MakeResponse(Status::service_unavailable,
                           R"({"status":"stopping"})"));
      return;
  }
}

Route HealthRoute(HealthHandler* handler) {
  Route route;
  route.name = "healthz";
  route.matcher = RouteMatcher::Exact("/healthz");
  route.handler = handler;
  route.body_limit = 4096;
  return route;
}

}  // namespace rewindmq::httpd

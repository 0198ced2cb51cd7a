#include "broker/http/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/text.h"
#include "broker/http/server_core.h"

namespace rewindmq::httpd {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, const Router* router) {
  if (router == nullptr) return absl::InvalidArgumentError("router is null");
  absl::StatusOr<std::unique_ptr<HttpServer>> server = Bind(options);
  if (!server.ok()) return server.status();
  absl::Status serving = (*server)->Serve(router);
  if (!serving.ok()) return serving;
  return server;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Bind(
    const HttpServerOptions& options) {
  if (options.io_threads < 1 || options.worker_threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "io_threads (", options.io_threads, ") and worker_threads (",
        options.worker_threads, ") must be at least 1"));
  }
  if (options.max_connections < 1 || options.pipeline_limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_connections (", options.max_connections, ") and pipeline_limit (",
        options.pipeline_limit, ") must be at least 1"));
  }
  if (options.header_limit < 1024) {
    return absl::InvalidArgumentError(absl::StrCat(
        "header_limit ", options.header_limit, " is below 1024 bytes"));
  }
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("clock is null");
  }

  const std::string host =
      options.host == "localhost" ? std::string("127.0.0.1") : options.host;
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen host \"", options.host,
                     "\" is not an IP address (use e.g. 127.0.0.1 or ::1)"));
  }

  auto core = std::make_shared<internal::Core>(options);
  const tcp::endpoint endpoint(address, options.port);
  const std::string where = internal::FormatEndpoint(endpoint);
  tcp::acceptor acceptor(core->ioc());
  auto fail = [&](absl::string_view step) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", where, ": ",
                                               step, ": ", ec.message()));
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return fail("local address");

  core->SetAcceptor(std::move(acceptor));
  return std::unique_ptr<HttpServer>(new HttpServer(
      std::move(core), bound.address().to_string(), bound.port()));
}

HttpServer::HttpServer(std::shared_ptr<internal::Core> core, std::string host,
                       uint16_t port)
    : core_(std::move(core)), host_(std::move(host)), port_(port) {}

HttpServer::~HttpServer() { Shutdown(absl::ZeroDuration()); }

absl::Status HttpServer::Serve(const Router* router) {
  if (router == nullptr) return absl::InvalidArgumentError("router is null");
  if (shut_down_.load()) {
    return absl::FailedPreconditionError("the server has been shut down");
  }
  if (!core_->Serve(router)) {
    return absl::FailedPreconditionError("the server is already serving");
  }
  return absl::OkStatus();
}

std::string HttpServer::address() const { return FormatHostPort(host_, port_); }

int HttpServer::connection_count() const { return core_->connection_count(); }

void HttpServer::Shutdown(absl::Duration drain_timeout) {
  if (shut_down_.exchange(true)) return;
  core_->StopListener();
  core_->BeginDrain();
  if (!core_->WaitForNoConnections(drain_timeout)) {
    RMQ_LOG(kWarning, "http shutdown: ", core_->connection_count(),
            " connection(s) still busy after the drain timeout of ",
            absl::FormatDuration(drain_timeout), "; closing them");
    core_->CloseAll();
    if (!core_->WaitForNoConnections(absl::Seconds(5))) {
      RMQ_LOG(kWarning, "http shutdown: connections did not close within 5s");
    }
  }
  core_->StopThreads();
  core_->DetachMetrics();
}

}  // namespace rewindmq::httpd

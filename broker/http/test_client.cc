#include "broker/http/test_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rmqtest {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

std::chrono::steady_clock::duration ToSteady(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

absl::Status FromError(const beast::error_code& ec, absl::string_view what) {
  if (!ec) return absl::OkStatus();
  if (ec == beast::error::timeout) {
    return absl::DeadlineExceededError(absl::StrCat(what, ": timed out"));
  }
  return absl::UnavailableError(absl::StrCat(what, ": ", ec.message()));
}

bool HasHeader(const HttpHeaders& headers, absl::string_view name) {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return true;
  }
  return false;
}

}  // namespace

std::string HttpResult::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

struct TestHttpClient::Impl {
  explicit Impl(absl::Duration t) : stream(ioc), timeout(t) {}

  // Runs the io_context until the operation just started completes.
  void Run() {
    ioc.restart();
    ioc.run();
  }

  net::io_context ioc;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  const absl::Duration timeout;
  std::string host_header;
};

TestHttpClient::TestHttpClient(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

TestHttpClient::~TestHttpClient() { Close(); }

absl::StatusOr<std::unique_ptr<TestHttpClient>> TestHttpClient::Connect(
    absl::string_view host, uint16_t port, absl::Duration timeout) {
  auto impl = std::make_unique<Impl>(timeout);
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(std::string(host), ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad host ", host));
  impl->host_header = absl::StrCat(host, ":", port);
  impl->stream.expires_after(ToSteady(timeout));
  beast::error_code connect_ec;
  impl->stream.async_connect(tcp::endpoint(address, port),
                             [&](beast::error_code e) { connect_ec = e; });
  impl->Run();
  if (connect_ec) {
    return FromError(connect_ec, absl::StrCat("connect to ", host, ":", port));
  }
  return std::unique_ptr<TestHttpClient>(new TestHttpClient(std::move(impl)));
}

absl::Status TestHttpClient::Send(absl::string_view method,
                                  absl::string_view target,
                                  absl::string_view body,
                                  const HttpHeaders& headers) {
  std::string wire = absl::StrCat(method, " ", target, " HTTP/1.1\r\n");
  if (!HasHeader(headers, "Host")) {
    absl::StrAppend(&wire, "Host: ", impl_->host_header, "\r\n");
  }
  for (const auto& [k, v] : headers) absl::StrAppend(&wire, k, ": ", v, "\r\n");
  if (!HasHeader(headers, "Content-Length") &&
      !HasHeader(headers, "Transfer-Encoding") &&
      (!body.empty() || method == "POST" || method == "PUT")) {
    absl::StrAppend(&wire, "Content-Length: ", body.size(), "\r\n");
  }
  absl::StrAppend(&wire, "\r\n", body);
  return SendRaw(wire);
}

absl::Status TestHttpClient::SendRaw(absl::string_view bytes) {
  impl_->stream.expires_after(ToSteady(impl_->timeout));
  beast::error_code ec;
  net::async_write(impl_->stream, net::buffer(bytes.data(), bytes.size()),
                   [&](beast::error_code e, std::size_t) { ec = e; });
  impl_->Run();
  return FromError(ec, "write");
}

absl::StatusOr<HttpResult> TestHttpClient::Read() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  parser.header_limit(1 << 20);
  impl_->stream.expires_after(ToSteady(impl_->timeout));
  beast::error_code ec;
  http::async_read(impl_->stream, impl_->buffer, parser,
                   [&](beast::error_code e, std::size_t) { ec = e; });
  impl_->Run();
  if (ec) return FromError(ec, "read response");
  http::response<http::string_body> res = parser.release();
  HttpResult result;
  result.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    result.headers.emplace_back(std::string(field.name_string()),
                                std::string(field.value()));
  }
  result.body = std::move(res.body());
  result.keep_alive = res.keep_alive();
  return result;
}

absl::StatusOr<HttpResult> TestHttpClient::Roundtrip(
    absl::string_view method, absl::string_view target, absl::string_view body,
    const HttpHeaders& headers) {
  absl::Status sent = Send(method, target, body, headers);
  if (!sent.ok()) return sent;
  return Read();
}

absl::Status TestHttpClient::WaitForClose() {
  if (impl_->buffer.size() > 0) {
    return absl::FailedPreconditionError("unread response bytes are buffered");
  }
  impl_->stream.expires_after(ToSteady(impl_->timeout));
  beast::error_code ec;
  std::size_t n = 0;
  char byte;
  impl_->stream.async_read_some(net::buffer(&byte, 1),
                                [&](beast::error_code e, std::size_t got) {
                                  ec = e;
                                  n = got;
                                });
  impl_->Run();
  if (ec == beast::error::timeout) {
    return absl::DeadlineExceededError("the server kept the connection open");
  }
  if (ec) return absl::OkStatus();  // EOF or reset: closed.
  return absl::FailedPreconditionError(
      absl::StrCat("the server sent ", n, " more byte(s)"));
}

void TestHttpClient::Close() {
  if (impl_ == nullptr) return;
  beast::error_code ec;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  impl_->stream.close();
}

absl::StatusOr<HttpResult> Fetch(uint16_t port, absl::string_view method,
                                 absl::string_view target,
                                 absl::string_view body,
                                 const HttpHeaders& headers) {
  absl::StatusOr<std::unique_ptr<TestHttpClient>> client =
      TestHttpClient::Connect("127.0.0.1", port);
  if (!client.ok()) return client.status();
  return (*client)->Roundtrip(method, target, body, headers);
}

}  // namespace rmqtest

// Fuzzes the whole DMS facade in process: each input is one HTTP request
// answered by a DmsHandler over a real Broker in a temp dir (open mode).
// Input: "<METHOD> <target>\n<body>"; a first line without a space is a GET
// of that target. Every answer must be either a success (2xx, a JSON body
// or none) or a vendor error: 4xx/5xx with the body
// {"error_code":"...","error_msg":"..."}; a 500 means a bug.
// A request Beast's parser refuses (as the server would) is skipped.
//
// The broker keeps its state from one input to the next (topics, groups
// and messages made by earlier inputs are there to be queried and reset)
// and is started afresh every kInputsPerBroker inputs.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/check.h"
#include "base/logging.h"
#include "broker/broker.h"
#include "broker/facades/dms/handler.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fuzz_harness.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::facade::dms {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr int kInputsPerBroker = 2000;
// 2022-09-08T16:00:00Z, the spec's example time.
constexpr int64_t kT0 = 1662652800000;

void CheckAnswer(const httpd::Response& r) {
  const int status = static_cast<int>(r.result_int());
  const char* body = r.body().c_str();
  if (status >= 200 && status < 300) {
    if (r.body().empty()) return;
    boost::system::error_code ec;
    json::parse(r.body(), ec);
    RMQ_CHECK_MSG(!ec, body);
    return;
  }
  RMQ_CHECK_MSG(status >= 400 && status < 500, body);
  boost::system::error_code ec;
  json::value v = json::parse(r.body(), ec);
  RMQ_CHECK_MSG(!ec && v.is_object(), body);
  const json::object& o = v.get_object();
  const json::value* code = o.if_contains("error_code");
  const json::value* msg = o.if_contains("error_msg");
  RMQ_CHECK_MSG(code != nullptr && code->is_string(), body);
  RMQ_CHECK_MSG(msg != nullptr && msg->is_string(), body);
}

// The request as the HTTP layer hands it over: `method target` and `body`
// go through Beast's parser, so only what a client can send gets through.
std::optional<httpd::Request> ParseRequest(absl::string_view method,
                                           absl::string_view target,
                                           absl::string_view body) {
  const std::string wire = absl::StrCat(
      method, " ", target, " HTTP/1.1\r\nHost: 127.0.0.1:9555\r\n",
      "Content-Type: application/json\r\nContent-Length: ", body.size(),
      "\r\n\r\n", body);
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  absl::string_view rest = wire;
  boost::system::error_code ec;
  while (!parser.is_done() && !rest.empty()) {
    const size_t n =
        parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (ec || n == 0) return std::nullopt;
    rest.remove_prefix(n);
  }
  if (!parser.is_done()) return std::nullopt;
  return parser.release();
}

class Harness {
 public:
  Harness() {
    broker::BrokerOptions options;
    options.instances = {
        {std::string(broker::kDefaultInstanceId), "rewindmq", 2}};
    broker_ = rmqtest::OpenFuzzBroker(dir_, &clock_, std::move(options));
    DmsConfig config;
    config.clock = &clock_;
    handler_ = std::make_unique<DmsHandler>(*broker_, std::move(config));
  }

  void Run(absl::string_view method, absl::string_view target,
           absl::string_view body) {
    std::optional<httpd::Request> req = ParseRequest(method, target, body);
    if (!req.has_value()) return;
    httpd::RequestContext ctx;
    ctx.request_id = "4c1f0b5e0a3d4d1f9c2b7e6a5d4c3b2a";
    ctx.remote = "127.0.0.1:50000";
    ctx.received = clock_.Now();
    ctx.route = "dms";
    CheckAnswer(handler_->Answer(ctx, *req));
    clock_.Advance(absl::Milliseconds(250));
  }

 private:
  rmqtest::ScopedTempDir dir_;
  rmqtest::FakeClock clock_{absl::FromUnixMillis(kT0)};
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<DmsHandler> handler_;
};

}  // namespace
}  // namespace rewindmq::facade::dms

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  rewindmq::SetLogLevel(rewindmq::LogLevel::kError);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewindmq::facade::dms;
  Harness& harness = rmqtest::RotatingHarness<Harness>(kInputsPerBroker);
  const auto [line, body] = rmqtest::SplitFirstLine(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  absl::string_view method = "GET";
  absl::string_view target = line;
  if (size_t sp = line.find(' '); sp != absl::string_view::npos) {
    method = line.substr(0, sp);
    target = line.substr(sp + 1);
  }
  if (method.empty()) method = "GET";
  harness.Run(method, target, body);
  return 0;
}

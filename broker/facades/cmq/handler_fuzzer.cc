// Fuzzes the whole CMQ facade in process: each input is one HTTP request
// answered by a CmqHandler over a real Broker in a temp dir (open mode).
// Input: "<METHOD> <target>\n<body>"; a first line without a space is a
// GET of that target. Every answer, now or from a long poll completed
// later, must be HTTP 200 with a JSON object body carrying an integer
// `code` and the request id; a request is never dropped unanswered.
// A request Beast's parser refuses (as the server would) is skipped.
//
// The broker keeps its state from one input to the next (queues and
// messages made by earlier inputs are there to be received, deleted and
// rewound) and is started afresh every kInputsPerBroker inputs.
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
#include "broker/facades/cmq/cmq_handler.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fuzz_harness.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::facade::cmq {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr int kInputsPerBroker = 2000;
constexpr char kRequestId[] = "fuzz-request";

void CheckAnswer(const std::optional<httpd::Response>& r) {
  RMQ_CHECK_MSG(r.has_value(), "request dropped unanswered");
  RMQ_CHECK(r->result() == httpd::Status::ok);
  boost::system::error_code ec;
  json::value v = json::parse(r->body(), ec);
  RMQ_CHECK_MSG(!ec, r->body().c_str());
  RMQ_CHECK_MSG(v.is_object(), r->body().c_str());
  const json::object& o = v.get_object();
  const json::value* code = o.if_contains("code");
  RMQ_CHECK_MSG(code != nullptr && code->is_int64(), r->body().c_str());
  const json::value* message = o.if_contains("message");
  RMQ_CHECK_MSG(message != nullptr && message->is_string(), r->body().c_str());
  const json::value* rid = o.if_contains("requestId");
  RMQ_CHECK_MSG(
      rid != nullptr && rid->is_string() && rid->get_string() == kRequestId,
      r->body().c_str());
}

// The request as the HTTP layer hands it over: `method target` and `body`
// go through Beast's parser, so only what a client can send gets through.
std::optional<httpd::Request> ParseRequest(absl::string_view method,
                                           absl::string_view target,
                                           absl::string_view body) {
  const std::string wire = absl::StrCat(
      method, " ", target, " HTTP/1.1\r\nHost: 127.0.0.1:9555\r\n",
      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ",
      body.size(), "\r\n\r\n", body);
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
    options.cmq_min_max_msg_heap_num = 1;
    broker_ = rmqtest::OpenFuzzBroker(dir_, &clock_, std::move(options));
    handler_ = std::make_unique<CmqHandler>(broker_.get(), CmqConfig{});
  }
  ~Harness() {
    // Completes the long polls still parked, which checks their answers.
    handler_.reset();
    broker_.reset();
  }

  void Run(absl::string_view method, absl::string_view target,
           absl::string_view body) {
    std::optional<httpd::Request> req = ParseRequest(method, target, body);
    if (!req.has_value()) return;
    httpd::RequestContext ctx;
    ctx.request_id = kRequestId;
    ctx.remote = "127.0.0.1:50000";
    ctx.received = clock_.Now();
    ctx.route = "cmq";
    handler_->Handle(
        ctx, *req,
        httpd::Responder::FromCallback(
            [](std::optional<httpd::Response> r) { CheckAnswer(r); }));
    // Time moves on so visibility timeouts, delays and long polls end.
    clock_.Advance(absl::Seconds(1));
    broker_->RunDueTimers();
  }

 private:
  rmqtest::ScopedTempDir dir_;
  rmqtest::FakeClock clock_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<CmqHandler> handler_;
};

}  // namespace
}  // namespace rewindmq::facade::cmq

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  rewindmq::SetLogLevel(rewindmq::LogLevel::kError);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewindmq::facade::cmq;
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

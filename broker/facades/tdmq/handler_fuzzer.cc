// Fuzzes the whole TDMQ facade in process: each input is one API 3.0
// request answered by a TdmqHandler over a real Broker in a temp dir (open
// mode). Input: "<action>\n<body>": a POST to "/" with that X-TC-Action, the
// 2020-02-17 version and a JSON content type; an action line that starts
// with "GET " is a GET of the rest of the line as target instead, with the
// action taken from its query. Every answer must be HTTP 200 with
// {"Response":{...,"RequestId":<uuid>}}, where an error holds exactly Error
// (Code, Message) and RequestId and never an InternalError.
//
// The broker keeps its state from one input to the next, so queues made by
// earlier inputs are there to be described, sent to, cleared and rewound,
// and is started afresh every kInputsPerBroker inputs.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "base/check.h"
#include "base/logging.h"
#include "broker/broker.h"
#include "broker/facades/tdmq/tdmq_handler.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fuzz_harness.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::facade::tdmq {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr int kInputsPerBroker = 2000;

void CheckAnswer(const std::optional<httpd::Response>& r) {
  RMQ_CHECK_MSG(r.has_value(), "request dropped unanswered");
  RMQ_CHECK(r->result() == httpd::Status::ok);
  boost::system::error_code ec;
  json::value v = json::parse(r->body(), ec);
  RMQ_CHECK_MSG(!ec && v.is_object(), r->body().c_str());
  const json::object& envelope = v.get_object();
  RMQ_CHECK_MSG(envelope.size() == 1, r->body().c_str());
  const json::value* response = envelope.if_contains("Response");
  RMQ_CHECK_MSG(response != nullptr && response->is_object(),
                r->body().c_str());
  const json::object& o = response->get_object();
  const json::value* rid = o.if_contains("RequestId");
  RMQ_CHECK_MSG(
      rid != nullptr && rid->is_string() && rid->get_string().size() == 36,
      r->body().c_str());
  if (const json::value* error = o.if_contains("Error")) {
    RMQ_CHECK_MSG(o.size() == 2 && error->is_object(), r->body().c_str());
    const json::value* code = error->get_object().if_contains("Code");
    const json::value* message = error->get_object().if_contains("Message");
    RMQ_CHECK_MSG(code != nullptr && code->is_string() && message != nullptr &&
                      message->is_string(),
                  r->body().c_str());
    RMQ_CHECK_MSG(code->get_string() != "InternalError", r->body().c_str());
  }
}

class Harness {
 public:
  Harness() {
    broker::BrokerOptions options;
    options.cmq_min_max_msg_heap_num = 1;
    broker_ = rmqtest::OpenFuzzBroker(dir_, &clock_, std::move(options));
    handler_ = std::make_unique<TdmqHandler>(broker_.get(), TdmqConfig{});
  }
  ~Harness() {
    handler_.reset();
    broker_.reset();
  }

  void Run(absl::string_view action, absl::string_view body) {
    httpd::Request req;
    req.version(11);
    req.set(http::field::host, "127.0.0.1:9555");
    if (absl::ConsumePrefix(&action, "GET ")) {
      req.method(http::verb::get);
      req.target(boost::beast::string_view(action.data(), action.size()));
    } else {
      req.method(http::verb::post);
      req.target("/");
      req.set(http::field::content_type, "application/json");
      req.set("X-TC-Action",
              boost::beast::string_view(action.data(), action.size()));
      req.set("X-TC-Version", "2020-02-17");
      req.body() = std::string(body);
      req.prepare_payload();
    }
    httpd::RequestContext ctx;
    ctx.request_id = "fuzz";
    ctx.received = clock_.Now();
    ctx.route = "tdmq";
    handler_->Handle(
        ctx, req,
        httpd::Responder::FromCallback(
            [](std::optional<httpd::Response> r) { CheckAnswer(r); }));
    clock_.Advance(absl::Seconds(1));
    broker_->RunDueTimers();
  }

 private:
  rmqtest::ScopedTempDir dir_;
  rmqtest::FakeClock clock_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<TdmqHandler> handler_;
};

}  // namespace
}  // namespace rewindmq::facade::tdmq

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  rewindmq::SetLogLevel(rewindmq::LogLevel::kError);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using rewindmq::facade::tdmq::Harness;
  Harness& harness = rmqtest::RotatingHarness<Harness>(
      rewindmq::facade::tdmq::kInputsPerBroker);
  const auto [action, body] = rmqtest::SplitFirstLine(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  // Header values cannot hold CR or NUL; Beast would refuse them.
  for (char c : action) {
    if (c == '\r' || c == '\0') return 0;
  }
  harness.Run(action, body);
  return 0;
}

#include "broker/http/handler.h"

#include <atomic>
#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <utility>

#include "base/logging.h"

namespace rewindmq::httpd {

namespace http = boost::beast::http;

namespace internal {

// Shared by all copies of one Responder; tells the sink exactly once.
class ResponderState {
 public:
  explicit ResponderState(std::unique_ptr<ResponseSink> sink)
      : sink_(std::move(sink)) {}
  ResponderState(const ResponderState&) = delete;
  ResponderState& operator=(const ResponderState&) = delete;

  ~ResponderState() {
    if (!done_.exchange(true)) sink_->Dropped();
  }

  void Complete(Response response) {
    if (done_.exchange(true)) {
      RMQ_LOG(kError,
              "a handler answered the same request twice; the second answer "
              "(status ",
              response.result_int(), ") is discarded");
      return;
    }
    sink_->Complete(std::move(response));
  }

  bool done() const { return done_.load(); }

 private:
  const std::unique_ptr<ResponseSink> sink_;
  std::atomic<bool> done_{false};
};

}  // namespace internal

namespace {

class CallbackSink final : public internal::ResponseSink {
 public:
  explicit CallbackSink(std::function<void(std::optional<Response>)> fn)
      : fn_(std::move(fn)) {}
  void Complete(Response response) override { fn_(std::move(response)); }
  void Dropped() override { fn_(std::nullopt); }

 private:
  const std::function<void(std::optional<Response>)> fn_;
};

}  // namespace

Responder::Responder(std::unique_ptr<internal::ResponseSink> sink)
    : state_(std::make_shared<internal::ResponderState>(std::move(sink))) {}

void Responder::operator()(Response response) const {
  state_->Complete(std::move(response));
}

bool Responder::responded() const { return state_->done(); }

Responder Responder::FromCallback(
    std::function<void(std::optional<Response>)> on_response) {
  return Responder(std::make_unique<CallbackSink>(std::move(on_response)));
}

Response MakeResponse(Status status, std::string body,
                      absl::string_view content_type) {
  Response res{status, 11};
  res.set(http::field::content_type,
          boost::beast::string_view(content_type.data(), content_type.size()));
  res.body() = std::move(body);
  return res;
}

std::string JsonQuote(absl::string_view s) {
  return boost::json::serialize(
      boost::json::string(boost::json::string_view(s.data(), s.size())));
}

}  // namespace rewindmq::httpd

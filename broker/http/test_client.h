// A small blocking HTTP/1.1 client for tests, with every operation bounded
// by a timeout. It sends requests as given (pipelining and malformed input
// included), so tests can exercise the server's edges.
//
// Not thread-safe: one client per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rmqtest {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  // Whether the server will keep the connection open.
  bool keep_alive = false;

  // The value of header `name` (case-insensitive), or "" when absent.
  std::string Header(absl::string_view name) const;
};

class TestHttpClient {
 public:
  // Connects to host:port. Each later operation fails with
  // DeadlineExceeded when it takes longer than `timeout`.
  static absl::StatusOr<std::unique_ptr<TestHttpClient>> Connect(
      absl::string_view host, uint16_t port,
      absl::Duration timeout = absl::Seconds(10));

  TestHttpClient(const TestHttpClient&) = delete;
  TestHttpClient& operator=(const TestHttpClient&) = delete;
  ~TestHttpClient();

  // Sends one HTTP/1.1 request with Host and Content-Length filled in
  // (unless `headers` sets them or Transfer-Encoding).
  absl::Status Send(absl::string_view method, absl::string_view target,
                    absl::string_view body = "",
                    const HttpHeaders& headers = {});
  // Sends `bytes` as they are.
  absl::Status SendRaw(absl::string_view bytes);
  // Reads one response (an interim 100 Continue counts as one).
  absl::StatusOr<HttpResult> Read();
  // Send() then Read().
  absl::StatusOr<HttpResult> Roundtrip(absl::string_view method,
                                       absl::string_view target,
                                       absl::string_view body = "",
                                       const HttpHeaders& headers = {});
  // OK once the server has closed the connection; FailedPrecondition if it
  // sent data instead; DeadlineExceeded if it did neither in time.
  absl::Status WaitForClose();
  // Closes our side at once.
  void Close();

 private:
  struct Impl;
  explicit TestHttpClient(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection, e.g. Fetch(port, "GET", "/healthz").
absl::StatusOr<HttpResult> Fetch(uint16_t port, absl::string_view method,
                                 absl::string_view target,
                                 absl::string_view body = "",
                                 const HttpHeaders& headers = {});

}  // namespace rmqtest

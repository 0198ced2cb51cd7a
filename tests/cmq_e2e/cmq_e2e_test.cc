// End-to-end tests of the CMQ API 2.0 facade (shared/spec/cmq-v2.md, "the
// spec" below). Each test talks HTTP to the real rewindmq binary, started on
// 127.0.0.1 with port 0 and a temporary data directory, and checks what a
// CMQ client sees: the envelope, the fields of every action, the error table,
// signatures, long polling, visibility, delays, rewind and a restart.
//
// Real time is used in small amounts (waits of 1 to 2 s); every loop is
// bounded by a count and every wait by a deadline.
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "broker/http/test_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/startup_line.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

#ifndef REWINDMQ_BINARY
#error "REWINDMQ_BINARY must name the rewindmq binary"
#endif

namespace {

namespace json = boost::json;

using ::rmqtest::HttpHeaders;
using ::rmqtest::HttpResult;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// Generous, for sanitizer builds on a busy machine.
constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr absl::Duration kStopTimeout = absl::Seconds(30);

constexpr char kPath[] = "/v2/index.php";
constexpr char kSecretId[] = "AKIDrewindmqDemo0001";
constexpr char kSecretKey[] = "rewindmq-demo-secret-key";

// ---------------------------------------------------------------------------
// The server process.

// The rewindmq binary running as a child process. Its stdout (the startup
// line) is read through a pipe; its stderr (the request log, which would
// fill a pipe nobody reads) goes to `log_path`.
class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }

  // Starts the binary on 127.0.0.1 port 0 with `data_dir` and `flags`,
  // and returns once /healthz answers 200.
  absl::Status Start(const std::string& data_dir, const std::string& log_path,
                     const std::vector<std::string>& flags = {}) {
    log_path_ = log_path;
    std::vector<std::string> args = {REWINDMQ_BINARY,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--remoting-listen",
                                     "127.0.0.1:0",
                                     "--data-dir",
                                     data_dir,
                                     "--worker-threads",
                                     "4"};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int out[2];
    if (pipe(out) != 0) return absl::InternalError("pipe failed");
    const int log_fd =
        open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return absl::InternalError("cannot open " + log_path);
    pid_ = fork();
    if (pid_ < 0) return absl::InternalError("fork failed");
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
      close(out[0]);
      close(out[1]);
      execv(REWINDMQ_BINARY, argv.data());
      _exit(127);
    }
    close(out[1]);
    close(log_fd);
    out_ = out[0];
    fcntl(out_, F_SETFL, O_NONBLOCK);

    const std::optional<std::string> line = ReadLine(kStartTimeout);
    if (!line.has_value()) {
      return absl::DeadlineExceededError("no startup line; log:\n" + Log());
    }
    const std::optional<uint16_t> port = rmqtest::PortOf(*line);
    if (!port.has_value()) {
      return absl::InternalError("unexpected startup line: " + *line);
    }
    port_ = *port;
    const absl::Time deadline = absl::Now() + kStartTimeout;
    for (int i = 0; i < 1000 && absl::Now() < deadline; ++i) {
      absl::StatusOr<HttpResult> health =
          rmqtest::Fetch(port_, "GET", "/healthz");
      if (health.ok() && health->status == 200) return absl::OkStatus();
      absl::SleepFor(absl::Milliseconds(20));
    }
    return absl::DeadlineExceededError("/healthz never answered 200");
  }

  uint16_t port() const { return port_; }

  // Sends SIGTERM and returns the exit code (128 + signal when killed), or
  // nullopt when it is still running after kStopTimeout.
  std::optional<int> Stop() {
    if (pid_ <= 0) return std::nullopt;
    kill(pid_, SIGTERM);
    const absl::Time deadline = absl::Now() + kStopTimeout;
    for (int i = 0; i < 100000 && absl::Now() < deadline; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return std::nullopt;
  }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::optional<std::string> ReadLine(absl::Duration timeout) {
    std::string text;
    const absl::Time deadline = absl::Now() + timeout;
    for (int i = 0; i < 100000 && absl::Now() < deadline; ++i) {
      const size_t nl = text.find('\n');
      if (nl != std::string::npos) return text.substr(0, nl);
      pollfd p{out_, POLLIN, 0};
      poll(&p, 1, 50);
      char buf[512];
      const ssize_t n = read(out_, buf, sizeof(buf));
      if (n > 0) text.append(buf, static_cast<size_t>(n));
      if (n == 0) break;  // the child closed stdout (exited)
    }
    return std::nullopt;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
};

// ---------------------------------------------------------------------------
// Requests and answers.

using Params = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded as Python's urlencode writes it: space
// as '+', unreserved characters as they are, every other byte as %XX.
std::string FormEncode(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string FormBody(const Params& params) {
  std::vector<std::string> items;
  for (const auto& [name, value] : params) {
    items.push_back(absl::StrCat(FormEncode(name), "=", FormEncode(value)));
  }
  return absl::StrJoin(items, "&");
}

// One HTTP answer, with its body parsed as JSON when it is an object.
struct Answer {
  int http_status = 0;
  std::string content_type;
  std::string raw;
  json::object body;

  bool Has(absl::string_view key) const {
    return body.contains(json::string_view(key.data(), key.size()));
  }
  const json::value* Get(absl::string_view key) const {
    return body.if_contains(json::string_view(key.data(), key.size()));
  }
  // The integer field `key`; INT64_MIN when absent or not an integer.
  int64_t Int(absl::string_view key) const {
    const json::value* v = Get(key);
    if (v == nullptr) return INT64_MIN;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
    return INT64_MIN;
  }
  std::string Str(absl::string_view key) const {
    const json::value* v = Get(key);
    if (v == nullptr || !v->is_string()) return "<absent>";
    return std::string(v->as_string());
  }
  int64_t code() const { return Int("code"); }
  std::string message() const { return Str("message"); }
  const json::array& Array(absl::string_view key) const {
    static const json::array kEmpty;
    const json::value* v = Get(key);
    return v != nullptr && v->is_array() ? v->as_array() : kEmpty;
  }
};

// The rules of spec §2.7 that every API answer obeys: HTTP 200, JSON
// content, one object with an integer `code`, a string `message` and a
// non-empty string `requestId`.
::testing::AssertionResult IsCmqEnvelope(const Answer& a) {
  if (a.http_status != 200) {
    return ::testing::AssertionFailure()
           << "HTTP status " << a.http_status << ": " << a.raw;
  }
  if (!absl::StartsWith(a.content_type, "application/json")) {
    return ::testing::AssertionFailure()
           << "Content-Type " << a.content_type << ": " << a.raw;
  }
  const json::value* code = a.Get("code");
  if (code == nullptr || !(code->is_int64() || code->is_uint64())) {
    return ::testing::AssertionFailure() << "no integer code: " << a.raw;
  }
  if (a.Get("message") == nullptr || !a.Get("message")->is_string()) {
    return ::testing::AssertionFailure() << "no string message: " << a.raw;
  }
  if (a.Get("requestId") == nullptr || !a.Get("requestId")->is_string() ||
      a.Str("requestId").empty()) {
    return ::testing::AssertionFailure() << "no requestId: " << a.raw;
  }
  if (absl::StrContains(a.raw, '\n')) {
    return ::testing::AssertionFailure() << "not on one line: " << a.raw;
  }
  return ::testing::AssertionSuccess();
}

// Success: code 0 and an empty message.
MATCHER(IsCmqOk, "is a CMQ success") {
  *result_listener << "answer " << arg.raw;
  return arg.code() == 0 && arg.message().empty();
}

// An API error with this code and a message "(module)...".
MATCHER_P2(IsCmqError, code, module,
           absl::StrCat("is CMQ error ", code, " (", module, ")")) {
  *result_listener << "answer " << arg.raw;
  return arg.code() == code &&
         absl::StartsWith(arg.message(), absl::StrCat("(", module, ")"));
}

// Sends `method target` with `body` and `headers` as they are, on a fresh
// connection, and parses the answer.
Answer Raw(uint16_t port, absl::string_view method, absl::string_view target,
           absl::string_view body = "", const HttpHeaders& headers = {}) {
  Answer a;
  absl::StatusOr<std::unique_ptr<rmqtest::TestHttpClient>> client =
      rmqtest::TestHttpClient::Connect("127.0.0.1", port, absl::Seconds(20));
  if (!client.ok()) {
    ADD_FAILURE() << client.status();
    return a;
  }
  absl::StatusOr<HttpResult> r =
      (*client)->Roundtrip(method, target, body, headers);
  if (!r.ok()) {
    ADD_FAILURE() << method << " " << target << ": " << r.status();
    return a;
  }
  a.http_status = r->status;
  a.content_type = r->Header("Content-Type");
  a.raw = r->body;
  boost::system::error_code ec;
  json::value v = json::parse(a.raw, ec);
  if (!ec && v.is_object()) a.body = std::move(v.as_object());
  return a;
}

// Sends one request. GET puts `params` in the query, POST in a form body
// (Content-Type form unless `headers` says otherwise) and `query`, if any,
// in the query.
Answer Request(uint16_t port, absl::string_view method, const Params& params,
               absl::string_view path = kPath, HttpHeaders headers = {},
               absl::string_view query = "") {
  std::string target(path);
  std::string body;
  if (method == "POST") {
    body = FormBody(params);
    const bool has_type =
        std::any_of(headers.begin(), headers.end(), [](const auto& h) {
          return absl::EqualsIgnoreCase(h.first, "Content-Type");
        });
    if (!has_type) {
      headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    }
    if (!query.empty()) absl::StrAppend(&target, "?", query);
  } else if (!params.empty()) {
    absl::StrAppend(&target, "?", FormBody(params));
  }
  return Raw(port, method, target, body, headers);
}

// An API call: like Request(), and the answer must obey the envelope.
Answer Call(uint16_t port, absl::string_view method, const Params& params,
            absl::string_view path = kPath, HttpHeaders headers = {}) {
  Answer a = Request(port, method, params, path, std::move(headers));
  EXPECT_TRUE(IsCmqEnvelope(a)) << method << " " << FormBody(params);
  return a;
}

// ---------------------------------------------------------------------------
// Signatures (spec §4.1).

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

std::string HmacBase64(bool sha256, absl::string_view key,
                       absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(sha256 ? EVP_sha256() : EVP_sha1(), key.data(),
       static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
       &len);
  return Base64(digest, len);
}

// METHOD + HOST + PATH + "?" + the sorted raw name=value pairs, names with
// '_' written as '.'; with `drop_at_values`, POST leaves out values that
// start with '@' (the Python and PHP SDKs).
std::string StringToSign(absl::string_view method, absl::string_view host,
                         absl::string_view path, Params params,
                         bool drop_at_values) {
  std::sort(params.begin(), params.end());
  std::vector<std::string> items;
  for (const auto& [name, value] : params) {
    if (name == "Signature") continue;
    if (drop_at_values && method == "POST" && absl::StartsWith(value, "@")) {
      continue;
    }
    items.push_back(
        absl::StrCat(absl::StrReplaceAll(name, {{"_", "."}}), "=", value));
  }
  return absl::StrCat(method, host, path, "?", absl::StrJoin(items, "&"));
}

enum class Hmac { kSha1Implicit, kSha1, kSha256 };

struct SignOptions {
  absl::string_view secret_id = kSecretId;
  absl::string_view secret_key = kSecretKey;
  Hmac hmac = Hmac::kSha256;
  bool drop_at_values = false;
  std::string host;  // default: 127.0.0.1:PORT
  absl::string_view path = kPath;
};

// `params` plus the common parameters and a Signature computed over them.
Params Signed(absl::string_view method, uint16_t port, Params params,
              const SignOptions& o = {}) {
  params.emplace_back("SecretId", std::string(o.secret_id));
  params.emplace_back("Nonce", "9007199254740993");  // above 2^53 and 2^32
  params.emplace_back("Timestamp",
                      absl::StrCat(absl::ToUnixSeconds(absl::Now())));
  params.emplace_back("RequestClient", "SDK_CPP_1.3");
  if (o.hmac == Hmac::kSha1) params.emplace_back("SignatureMethod", "HmacSHA1");
  if (o.hmac == Hmac::kSha256) {
    params.emplace_back("SignatureMethod", "HmacSHA256");
  }
  const std::string host =
      o.host.empty() ? absl::StrCat("127.0.0.1:", port) : o.host;
  const std::string to_sign =
      StringToSign(method, host, o.path, params, o.drop_at_values);
  params.emplace_back(
      "Signature", HmacBase64(o.hmac == Hmac::kSha256, o.secret_key, to_sign));
  return params;
}

// ---------------------------------------------------------------------------
// A shared open-mode server (no credentials) for the tests of the API.

// A receipt handle as §7.4 requires: [A-Za-z0-9%#:_-]{1,256}.
bool IsValidHandle(absl::string_view h) {
  return !h.empty() && h.size() <= 256 &&
         std::all_of(h.begin(), h.end(), [](char c) {
           return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                  c == '%' || c == '#' || c == ':' || c == '_' || c == '-';
         });
}

class CmqE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new rmqtest::ScopedTempDir();
    server_ = new ServerProcess();
    const absl::Status s =
        server_->Start(dir_->Sub("data"), dir_->Sub("server.log"));
    ASSERT_TRUE(s.ok()) << s;
  }
  static void TearDownTestSuite() {
    // A graceful stop is part of the contract: exit code 0 after SIGTERM.
    const std::optional<int> code = server_->Stop();
    EXPECT_EQ(code, std::optional<int>(0)) << server_->Log();
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(server_->port(), 0) << "the server did not start";
  }

  static uint16_t port() { return server_->port(); }

  static Answer Post(const Params& params) {
    return Call(port(), "POST", params);
  }
  static Answer Get(const Params& params) {
    return Call(port(), "GET", params);
  }

  static Answer CreateQueue(const std::string& name, Params attributes = {}) {
    attributes.insert(attributes.begin(),
                      {{"Action", "CreateQueue"}, {"queueName", name}});
    return Post(attributes);
  }
  static Answer Attributes(const std::string& name) {
    return Get({{"Action", "GetQueueAttributes"}, {"queueName", name}});
  }
  static Answer Send(const std::string& name, const std::string& body,
                     int delay_seconds = 0) {
    return Post({{"Action", "SendMessage"},
                 {"queueName", name},
                 {"msgBody", body},
                 {"delaySeconds", absl::StrCat(delay_seconds)}});
  }
  static Answer BatchSend(const std::string& name,
                          const std::vector<std::string>& bodies) {
    Params p = {{"Action", "BatchSendMessage"}, {"queueName", name}};
    for (size_t i = 0; i < bodies.size(); ++i) {
      p.emplace_back(absl::StrCat("msgBody.", i + 1), bodies[i]);
    }
    return Post(p);
  }
  static Answer Receive(const std::string& name, int polling_wait_seconds = 0,
                        uint16_t on_port = 0) {
    return Call(on_port != 0 ? on_port : port(), "GET",
                {{"Action", "ReceiveMessage"},
                 {"queueName", name},
                 {"pollingWaitSeconds", absl::StrCat(polling_wait_seconds)}});
  }
  static Answer Delete(const std::string& name, const std::string& handle) {
    return Post({{"Action", "DeleteMessage"},
                 {"queueName", name},
                 {"receiptHandle", handle}});
  }
  static Answer Rewind(const std::string& name, int64_t start_consume_time) {
    return Get({{"Action", "RewindQueue"},
                {"queueName", name},
                {"startConsumeTime", absl::StrCat(start_consume_time)}});
  }
  static int64_t Now() { return absl::ToUnixSeconds(absl::Now()); }

  // Receives (without waiting) and deletes up to `max` messages; returns
  // their bodies in delivery order.
  static std::vector<std::string> DrainBodies(const std::string& name,
                                              int max) {
    std::vector<std::string> bodies;
    for (int i = 0; i < max; ++i) {
      Answer r = Receive(name);
      if (r.code() != 0) {
        EXPECT_THAT(r, IsCmqError(7000, 10200));
        break;
      }
      bodies.push_back(r.Str("msgBody"));
      EXPECT_THAT(Delete(name, r.Str("receiptHandle")), IsCmqOk());
    }
    return bodies;
  }

  static rmqtest::ScopedTempDir* dir_;
  static ServerProcess* server_;
};

rmqtest::ScopedTempDir* CmqE2eTest::dir_ = nullptr;
ServerProcess* CmqE2eTest::server_ = nullptr;

// ---------------------------------------------------------------------------
// Every action, over GET and over POST.

class CmqEveryActionTest : public CmqE2eTest,
                           public ::testing::WithParamInterface<const char*> {
 protected:
  Answer Do(const Params& params) { return Call(port(), GetParam(), params); }
};

TEST_P(CmqEveryActionTest, EveryQueueActionSucceedsWithItsDocumentedFields) {
  const std::string q =
      absl::StrCat("life-", absl::AsciiStrToLower(GetParam()));
  const int64_t t0 = Now();

  // CreateQueue (§8.1).
  const Answer created = Do({{"Action", "CreateQueue"},
                             {"queueName", q},
                             {"visibilityTimeout", "45"},
                             {"maxMsgSize", "2048"},
                             {"msgRetentionSeconds", "7200"},
                             {"rewindSeconds", "600"}});
  ASSERT_THAT(created, IsCmqOk());
  const std::string queue_id = created.Str("queueId");
  ASSERT_FALSE(queue_id.empty());
  ASSERT_NE(queue_id, "<absent>");

  // ListQueue (§8.2).
  const Answer listed = Do({{"Action", "ListQueue"},
                            {"searchWord", q},
                            {"offset", "0"},
                            {"limit", "20"}});
  ASSERT_THAT(listed, IsCmqOk());
  EXPECT_EQ(listed.Int("totalCount"), 1);
  ASSERT_THAT(listed.Array("queueList"), SizeIs(1));
  EXPECT_EQ(listed.Array("queueList")[0].at("queueName").as_string(), q);
  EXPECT_EQ(listed.Array("queueList")[0].at("queueId").as_string(), queue_id);

  // GetQueueAttributes (§8.3): every field, every number an integer.
  Answer attrs = Do({{"Action", "GetQueueAttributes"}, {"queueName", q}});
  ASSERT_THAT(attrs, IsCmqOk());
  for (const char* key :
       {"maxMsgHeapNum", "pollingWaitSeconds", "visibilityTimeout",
        "maxMsgSize", "msgRetentionSeconds", "rewindSeconds", "createTime",
        "lastModifyTime", "activeMsgNum", "inactiveMsgNum", "delayMsgNum",
        "minMsgTime", "rewindMsgNum", "rewindmsgNum"}) {
    EXPECT_NE(attrs.Int(key), INT64_MIN) << key << " in " << attrs.raw;
  }
  EXPECT_EQ(attrs.Str("queueName"), q);
  EXPECT_EQ(attrs.Str("queueId"), queue_id);
  EXPECT_EQ(attrs.Int("maxMsgHeapNum"), 10'000'000);
  EXPECT_EQ(attrs.Int("pollingWaitSeconds"), 0);
  EXPECT_EQ(attrs.Int("visibilityTimeout"), 45);
  EXPECT_EQ(attrs.Int("maxMsgSize"), 2048);
  EXPECT_EQ(attrs.Int("msgRetentionSeconds"), 7200);
  EXPECT_EQ(attrs.Int("rewindSeconds"), 600);
  EXPECT_GE(attrs.Int("createTime"), t0);
  EXPECT_LE(attrs.Int("createTime"), Now());
  EXPECT_EQ(attrs.Int("activeMsgNum"), 0);
  EXPECT_EQ(attrs.Int("minMsgTime"), 0);

  // SetQueueAttributes (§8.4): answers the values after the change.
  const Answer set = Do({{"Action", "SetQueueAttributes"},
                         {"queueName", q},
                         {"visibilityTimeout", "60"}});
  ASSERT_THAT(set, IsCmqOk());
  EXPECT_EQ(set.Int("visibilityTimeout"), 60);
  EXPECT_EQ(set.Int("maxMsgSize"), 2048);
  EXPECT_EQ(set.Int("rewindSeconds"), 600);
  EXPECT_EQ(set.Int("msgRetentionSeconds"), 7200);
  EXPECT_EQ(set.Int("pollingWaitSeconds"), 0);
  EXPECT_EQ(set.Int("maxMsgHeapNum"), 10'000'000);
  EXPECT_EQ(set.Str("queueId"), queue_id);

  // SendMessage and BatchSendMessage (§8.6, §8.7).
  const Answer sent = Do({{"Action", "SendMessage"},
                          {"queueName", q},
                          {"msgBody", "first"},
                          {"delaySeconds", "0"}});
  ASSERT_THAT(sent, IsCmqOk());
  const std::string first_id = sent.Str("msgId");
  EXPECT_TRUE(
      std::all_of(first_id.begin(), first_id.end(), absl::ascii_isdigit))
      << first_id;
  const Answer batch = Do({{"Action", "BatchSendMessage"},
                           {"queueName", q},
                           {"msgBody.1", "second"},
                           {"msgBody.2", "third"}});
  ASSERT_THAT(batch, IsCmqOk());
  ASSERT_THAT(batch.Array("msgList"), SizeIs(2));
  const std::string second_id(
      batch.Array("msgList")[0].at("msgId").as_string());
  const std::string third_id(batch.Array("msgList")[1].at("msgId").as_string());
  EXPECT_EQ(std::set<std::string>({first_id, second_id, third_id}).size(), 3u);
  attrs = Do({{"Action", "GetQueueAttributes"}, {"queueName", q}});
  EXPECT_EQ(attrs.Int("activeMsgNum"), 3);
  EXPECT_GE(attrs.Int("minMsgTime"), t0);

  // ReceiveMessage (§8.8): the seven fields at the top level.
  const int64_t before_receive = Now();
  const Answer got = Do({{"Action", "ReceiveMessage"},
                         {"queueName", q},
                         {"pollingWaitSeconds", "0"}});
  ASSERT_THAT(got, IsCmqOk());
  EXPECT_EQ(got.Str("msgBody"), "first");
  EXPECT_EQ(got.Str("msgId"), first_id);
  EXPECT_EQ(got.Int("dequeueCount"), 1);
  EXPECT_TRUE(IsValidHandle(got.Str("receiptHandle"))) << got.raw;
  EXPECT_GE(got.Int("enqueueTime"), t0);
  EXPECT_GE(got.Int("firstDequeueTime"), before_receive);
  EXPECT_EQ(got.Int("nextVisibleTime") - got.Int("firstDequeueTime"), 60)
      << got.raw;

  // BatchReceiveMessage (§8.9): the rest, in send order.
  const Answer got_batch = Do({{"Action", "BatchReceiveMessage"},
                               {"queueName", q},
                               {"numOfMsg", "16"},
                               {"pollingWaitSeconds", "0"}});
  ASSERT_THAT(got_batch, IsCmqOk());
  const json::array& infos = got_batch.Array("msgInfoList");
  ASSERT_THAT(infos, SizeIs(2));
  EXPECT_EQ(infos[0].at("msgBody").as_string(), "second");
  EXPECT_EQ(infos[0].at("msgId").as_string(), second_id);
  EXPECT_EQ(infos[1].at("msgBody").as_string(), "third");
  EXPECT_EQ(infos[1].at("msgId").as_string(), third_id);
  for (const json::value& info : infos) {
    for (const char* key : {"enqueueTime", "nextVisibleTime", "dequeueCount",
                            "firstDequeueTime"}) {
      EXPECT_TRUE(info.at(key).is_int64()) << key << " in " << got_batch.raw;
    }
  }
  attrs = Do({{"Action", "GetQueueAttributes"}, {"queueName", q}});
  EXPECT_EQ(attrs.Int("activeMsgNum"), 0);
  EXPECT_EQ(attrs.Int("inactiveMsgNum"), 3);

  // DeleteMessage and BatchDeleteMessage (§8.10, §8.11).
  EXPECT_THAT(Do({{"Action", "DeleteMessage"},
                  {"queueName", q},
                  {"receiptHandle", got.Str("receiptHandle")}}),
              IsCmqOk());
  const Answer batch_deleted =
      Do({{"Action", "BatchDeleteMessage"},
          {"queueName", q},
          {"receiptHandle.1",
           std::string(infos[0].at("receiptHandle").as_string())},
          {"receiptHandle.2",
           std::string(infos[1].at("receiptHandle").as_string())}});
  EXPECT_THAT(batch_deleted, IsCmqOk());
  EXPECT_TRUE(batch_deleted.Array("errorList").empty()) << batch_deleted.raw;
  attrs = Do({{"Action", "GetQueueAttributes"}, {"queueName", q}});
  EXPECT_EQ(attrs.Int("inactiveMsgNum"), 0);
  EXPECT_EQ(attrs.Int("rewindMsgNum"), 3);
  EXPECT_EQ(attrs.Int("rewindmsgNum"), 3);
  EXPECT_EQ(attrs.Int("minMsgTime"), 0);

  // RewindQueue (§8.12): the three deleted messages are ACTIVE again.
  EXPECT_THAT(Do({{"Action", "RewindQueue"},
                  {"queueName", q},
                  {"startConsumeTime", absl::StrCat(Now() - 60)}}),
              IsCmqOk());
  attrs = Do({{"Action", "GetQueueAttributes"}, {"queueName", q}});
  EXPECT_EQ(attrs.Int("activeMsgNum"), 3);
  EXPECT_EQ(attrs.Int("rewindMsgNum"), 0);

  // DeleteQueue (§8.5).
  EXPECT_THAT(Do({{"Action", "DeleteQueue"}, {"queueName", q}}), IsCmqOk());
  EXPECT_THAT(Do({{"Action", "GetQueueAttributes"}, {"queueName", q}}),
              IsCmqError(4440, 10100));
  EXPECT_EQ(Do({{"Action", "ListQueue"}, {"searchWord", q}}).Int("totalCount"),
            0);
}

INSTANTIATE_TEST_SUITE_P(OverGetAndPost, CmqEveryActionTest,
                         ::testing::Values("GET", "POST"),
                         [](const auto& info) { return info.param; });

// ---------------------------------------------------------------------------
// Transport: paths, methods, decoding, the envelope.

TEST_F(CmqE2eTest, RootPathServesTheApiWhenAnActionIsPresent) {
  EXPECT_THAT(Call(port(), "GET", {{"Action", "ListQueue"}}, "/"), IsCmqOk());
  EXPECT_THAT(Call(port(), "POST", {{"Action", "ListQueue"}}, "/"), IsCmqOk());
}

TEST_F(CmqE2eTest, UnknownPathIsHttp404) {
  EXPECT_EQ(Request(port(), "GET", {{"Action", "ListQueue"}}, "/v2/other.php")
                .http_status,
            404);
  EXPECT_EQ(Request(port(), "POST", {{"Action", "ListQueue"}}, "/v3/index.php")
                .http_status,
            404);
}

TEST_F(CmqE2eTest, OtherHttpMethodsAre4000_10410WithHttp200) {
  for (const char* method : {"PUT", "DELETE", "PATCH"}) {
    SCOPED_TRACE(method);
    const Answer a =
        Call(port(), method, {}, absl::StrCat(kPath, "?Action=ListQueue"));
    EXPECT_THAT(a, IsCmqError(4000, 10410));
  }
}

TEST_F(CmqE2eTest, PostBodyIsFormDecodedWhateverTheContentType) {
  ASSERT_THAT(CreateQueue("decoding-q"), IsCmqOk());
  // Python sends no Content-Type, Java `*/*;charset=utf-8`, Node adds a
  // charset; §2.4 says the body is a form in every case.
  const std::vector<HttpHeaders> header_sets = {
      {},
      {{"Content-Type", "*/*;charset=utf-8"}},
      {{"Content-Type", "application/x-www-form-urlencoded;charset=utf-8"}},
      {{"Content-Type", "application/json"}}};
  const std::string body = "北京 & co=1+100% ~*'()";
  for (size_t i = 0; i < header_sets.size(); ++i) {
    SCOPED_TRACE(i);
    const std::string form = absl::StrCat(
        "Action=SendMessage&queueName=decoding-q&msgBody=", FormEncode(body));
    const Answer a = Raw(port(), "POST", kPath, form, header_sets[i]);
    EXPECT_TRUE(IsCmqEnvelope(a));
    EXPECT_THAT(a, IsCmqOk());
  }
  // Space as %20, lower-case hex (C++ SDK, C#).
  const Answer lower =
      Raw(port(), "POST", kPath,
          "Action=SendMessage&queueName=decoding-q&msgBody=a%20b%2bc%e5%8c%97",
          {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_TRUE(IsCmqEnvelope(lower));
  EXPECT_THAT(lower, IsCmqOk());

  EXPECT_THAT(DrainBodies("decoding-q", 10),
              ElementsAre(body, body, body, body, "a b+c北"));
}

TEST_F(CmqE2eTest, PostMergesTheQueryWithTheBodyAndTheBodyWins) {
  ASSERT_THAT(CreateQueue("merge-body-q"), IsCmqOk());
  ASSERT_THAT(CreateQueue("merge-query-q"), IsCmqOk());
  const Answer a =
      Request(port(), "POST", {{"queueName", "merge-body-q"}, {"msgBody", "x"}},
              kPath, {}, "Action=SendMessage&queueName=merge-query-q");
  EXPECT_TRUE(IsCmqEnvelope(a));
  EXPECT_THAT(a, IsCmqOk());
  EXPECT_EQ(Attributes("merge-body-q").Int("activeMsgNum"), 1);
  EXPECT_EQ(Attributes("merge-query-q").Int("activeMsgNum"), 0);
}

TEST_F(CmqE2eTest, DigitClientRequestIdIsEchoedAsANumber) {
  const Answer ok =
      Get({{"Action", "ListQueue"}, {"clientRequestId", "1231231231"}});
  ASSERT_NE(ok.Get("clientRequestId"), nullptr) << ok.raw;
  EXPECT_TRUE(ok.Get("clientRequestId")->is_number()) << ok.raw;
  EXPECT_EQ(ok.Int("clientRequestId"), 1231231231);
  const Answer error = Get({{"Action", "GetQueueAttributes"},
                            {"queueName", "no-such-queue"},
                            {"clientRequestId", "77"}});
  EXPECT_THAT(error, IsCmqError(4440, 10100));
  EXPECT_EQ(error.Int("clientRequestId"), 77);
}

TEST_F(CmqE2eTest, UnknownParametersAreIgnored) {
  EXPECT_THAT(Get({{"Action", "ListQueue"},
                   {"Region", "gz"},
                   {"RequestClient", "SDK_Python_1.3"},
                   {"UserpollingWaitSeconds", "30"},
                   {"Token", "t"},
                   {"whatever", "1"}}),
              IsCmqOk());
}

TEST_F(CmqE2eTest, PersistentConnectionServesManyRequests) {
  ASSERT_THAT(CreateQueue("keep-alive-q"), IsCmqOk());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<rmqtest::TestHttpClient> client,
                       rmqtest::TestHttpClient::Connect("127.0.0.1", port()));
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE(i);
    ASSERT_OK_AND_ASSIGN(
        HttpResult sent,
        client->Roundtrip(
            "POST", kPath,
            absl::StrCat("Action=SendMessage&queueName=keep-alive-q&msgBody=m",
                         i),
            {{"Connection", "Keep-Alive"}}));
    EXPECT_THAT(sent.body, HasSubstr("\"code\":0,"));
    EXPECT_TRUE(sent.keep_alive);
    ASSERT_OK_AND_ASSIGN(
        HttpResult got,
        client->Roundtrip(
            "GET",
            absl::StrCat(kPath,
                         "?Action=ReceiveMessage&queueName=keep-alive-q")));
    EXPECT_THAT(got.body, HasSubstr(absl::StrCat("\"msgBody\":\"m", i, "\"")));
    EXPECT_TRUE(got.keep_alive);
  }
}

TEST_F(CmqE2eTest, ARecreatedQueueIsANewEmptyQueue) {
  ASSERT_THAT(CreateQueue("reborn-q"), IsCmqOk());
  const std::string old_id = Attributes("reborn-q").Str("queueId");
  ASSERT_THAT(Send("reborn-q", "old"), IsCmqOk());
  const Answer old = Receive("reborn-q");
  ASSERT_THAT(old, IsCmqOk());
  ASSERT_THAT(Post({{"Action", "DeleteQueue"}, {"queueName", "reborn-q"}}),
              IsCmqOk());

  const Answer created = CreateQueue("Reborn-Q");

  ASSERT_THAT(created, IsCmqOk());
  EXPECT_NE(created.Str("queueId"), old_id);
  EXPECT_EQ(Attributes("reborn-q").Str("queueName"), "Reborn-Q");
  EXPECT_THAT(Delete("reborn-q", old.Str("receiptHandle")),
              IsCmqError(4430, 10260));
  EXPECT_THAT(Receive("reborn-q"), IsCmqError(7000, 10200));
  const Answer fresh = Send("reborn-q", "new");
  EXPECT_NE(fresh.Str("msgId"), old.Str("msgId"));
}

// ---------------------------------------------------------------------------
// The error table (§5.2), one row at a time.

TEST_F(CmqE2eTest, MissingActionIs4000_10280) {
  EXPECT_THAT(Post({{"queueName", "x"}}), IsCmqError(4000, 10280));
  EXPECT_THAT(Post({{"Action", ""}}), IsCmqError(4000, 10280));
}

TEST_F(CmqE2eTest, MissingRequiredParameterIs4000_10010) {
  EXPECT_THAT(Post({{"Action", "CreateQueue"}}), IsCmqError(4000, 10010));
  EXPECT_THAT(Post({{"Action", "SendMessage"}, {"queueName", "x"}}),
              IsCmqError(4000, 10010));
  EXPECT_THAT(Post({{"Action", "BatchSendMessage"}, {"queueName", "x"}}),
              IsCmqError(4000, 10010));
  EXPECT_THAT(Post({{"Action", "BatchReceiveMessage"}, {"queueName", "x"}}),
              IsCmqError(4000, 10010));
  EXPECT_THAT(Post({{"Action", "DeleteMessage"}, {"queueName", "x"}}),
              IsCmqError(4000, 10010));
  EXPECT_THAT(Post({{"Action", "RewindQueue"}, {"queueName", "x"}}),
              IsCmqError(4000, 10010));
}

TEST_F(CmqE2eTest, BadQueueNameIs4000_10020) {
  for (const std::string& name :
       std::vector<std::string>{"1starts-with-digit", "has_underscore",
                                "has space", "-dash", std::string(65, 'a')}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(CreateQueue(name), IsCmqError(4000, 10020));
  }
  EXPECT_THAT(CreateQueue(std::string(64, 'a')), IsCmqOk());
}

TEST_F(CmqE2eTest, EmptyMessageBodyIs4000_10120) {
  ASSERT_THAT(CreateQueue("empty-body-q"), IsCmqOk());
  EXPECT_THAT(Send("empty-body-q", ""), IsCmqError(4000, 10120));
  EXPECT_THAT(BatchSend("empty-body-q", {"a", ""}), IsCmqError(4000, 10120));
  EXPECT_EQ(Attributes("empty-body-q").Int("activeMsgNum"), 0);
}

TEST_F(CmqE2eTest, UnknownActionIncludingTopicActionsIs4000_10430) {
  for (const char* action :
       {"NoSuchAction", "CreateTopic", "PublishMessage", "Subscribe",
        "ChangeMessageVisibility", "QueryQueueRoute", "createqueue"}) {
    SCOPED_TRACE(action);
    const Answer a = Get({{"Action", action}});
    EXPECT_THAT(a, IsCmqError(4000, 10430));
    EXPECT_THAT(a.message(), HasSubstr(action));
  }
}

TEST_F(CmqE2eTest, RepeatedParameterIs4000_10330) {
  const Answer in_query = Raw(
      port(), "GET", absl::StrCat(kPath, "?Action=ListQueue&limit=1&limit=2"));
  EXPECT_TRUE(IsCmqEnvelope(in_query));
  EXPECT_THAT(in_query, IsCmqError(4000, 10330));
  const Answer in_body =
      Raw(port(), "POST", kPath,
          "Action=CreateQueue&queueName=dup-a&queueName=dup-b");
  EXPECT_TRUE(IsCmqEnvelope(in_body));
  EXPECT_THAT(in_body, IsCmqError(4000, 10330));
  EXPECT_THAT(Attributes("dup-a"), IsCmqError(4440, 10100));
}

TEST_F(CmqE2eTest, NonIntegerIs4000_10360) {
  ASSERT_THAT(CreateQueue("types-q"), IsCmqOk());
  EXPECT_THAT(Send("types-q", "x", 0), IsCmqOk());
  EXPECT_THAT(Post({{"Action", "SendMessage"},
                    {"queueName", "types-q"},
                    {"msgBody", "x"},
                    {"delaySeconds", "1.5"}}),
              IsCmqError(4000, 10360));
  EXPECT_THAT(CreateQueue("types-q2", {{"visibilityTimeout", "ten"}}),
              IsCmqError(4000, 10360));
  EXPECT_THAT(Get({{"Action", "RewindQueue"},
                   {"queueName", "types-q"},
                   {"startConsumeTime", "1"}}),
              IsCmqError(6050, 10670));
  EXPECT_THAT(Get({{"Action", "RewindQueue"},
                   {"queueName", "types-q"},
                   {"startConsumeTime", "1e9"}}),
              IsCmqError(4000, 10360));
}

TEST_F(CmqE2eTest, OutOfRangeIntegerIs4000_10350) {
  ASSERT_THAT(CreateQueue("range-q"), IsCmqOk());
  EXPECT_THAT(CreateQueue("range-q2", {{"visibilityTimeout", "0"}}),
              IsCmqError(4000, 10350));
  EXPECT_THAT(CreateQueue("range-q2", {{"pollingWaitSeconds", "31"}}),
              IsCmqError(4000, 10350));
  EXPECT_THAT(CreateQueue("range-q2", {{"maxMsgSize", "1023"}}),
              IsCmqError(4000, 10350));
  EXPECT_THAT(CreateQueue("range-q2", {{"msgRetentionSeconds", "59"}}),
              IsCmqError(4000, 10350));
  EXPECT_THAT(Receive("range-q", 31), IsCmqError(4000, 10350));
  EXPECT_THAT(Get({{"Action", "BatchReceiveMessage"},
                   {"queueName", "range-q"},
                   {"numOfMsg", "17"}}),
              IsCmqError(4000, 10350));
  EXPECT_THAT(Get({{"Action", "BatchReceiveMessage"},
                   {"queueName", "range-q"},
                   {"numOfMsg", "0"}}),
              IsCmqError(4000, 10350));
  EXPECT_THAT(Get({{"Action", "ListQueue"}, {"limit", "51"}}),
              IsCmqError(4000, 10350));
  EXPECT_THAT(Post({{"Action", "SetQueueAttributes"},
                    {"queueName", "range-q"},
                    {"visibilityTimeout", "43201"}}),
              IsCmqError(4000, 10350));
  EXPECT_EQ(Attributes("range-q").Int("visibilityTimeout"), 30);
  EXPECT_THAT(Attributes("range-q2"), IsCmqError(4440, 10100));
}

TEST_F(CmqE2eTest, BatchOfMoreThanSixteenIs4000_10370) {
  ASSERT_THAT(CreateQueue("batch-size-q"), IsCmqOk());
  EXPECT_THAT(BatchSend("batch-size-q", std::vector<std::string>(17, "m")),
              IsCmqError(4000, 10370));
  EXPECT_THAT(BatchSend("batch-size-q", std::vector<std::string>(16, "m")),
              IsCmqOk());
  Params del = {{"Action", "BatchDeleteMessage"},
                {"queueName", "batch-size-q"}};
  for (int i = 1; i <= 17; ++i) {
    del.emplace_back(absl::StrCat("receiptHandle.", i), "h");
  }
  EXPECT_THAT(Post(del), IsCmqError(4000, 10370));
}

TEST_F(CmqE2eTest, ArrayIndicesWithAGapAre4000_10380) {
  ASSERT_THAT(CreateQueue("gap-q"), IsCmqOk());
  EXPECT_THAT(Post({{"Action", "BatchSendMessage"},
                    {"queueName", "gap-q"},
                    {"msgBody.1", "a"},
                    {"msgBody.3", "c"}}),
              IsCmqError(4000, 10380));
  EXPECT_THAT(Post({{"Action", "BatchSendMessage"},
                    {"queueName", "gap-q"},
                    {"msgBody.2", "b"}}),
              IsCmqError(4000, 10380));
  EXPECT_EQ(Attributes("gap-q").Int("activeMsgNum"), 0);
  // Zero-based (Go, Node) works, and indices compare as integers.
  Params zero_based = {{"Action", "BatchSendMessage"}, {"queueName", "gap-q"}};
  for (int i = 0; i <= 10; ++i) {
    zero_based.emplace_back(absl::StrCat("msgBody.", i), absl::StrCat("m", i));
  }
  EXPECT_THAT(Post(zero_based), IsCmqOk());
  EXPECT_THAT(DrainBodies("gap-q", 12),
              ElementsAre("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8",
                          "m9", "m10"));
}

TEST_F(CmqE2eTest, DelayOutsideZeroTo3600Is4000_10692) {
  ASSERT_THAT(CreateQueue("delay-range-q"), IsCmqOk());
  EXPECT_THAT(Send("delay-range-q", "x", 3601), IsCmqError(4000, 10692));
  EXPECT_THAT(Send("delay-range-q", "x", -1), IsCmqError(4000, 10692));
  EXPECT_THAT(Post({{"Action", "BatchSendMessage"},
                    {"queueName", "delay-range-q"},
                    {"msgBody.1", "x"},
                    {"delaySeconds", "3601"}}),
              IsCmqError(4000, 10692));
  EXPECT_THAT(Send("delay-range-q", "x", 3600), IsCmqOk());
  EXPECT_EQ(Attributes("delay-range-q").Int("delayMsgNum"), 1);
}

TEST_F(CmqE2eTest, RewindLongerThanRetentionIs4000_10700AndChangesNothing) {
  EXPECT_THAT(CreateQueue("rewind-retention-q", {{"msgRetentionSeconds", "60"},
                                                 {"rewindSeconds", "61"}}),
              IsCmqError(4000, 10700));
  EXPECT_THAT(Attributes("rewind-retention-q"), IsCmqError(4440, 10100));
  ASSERT_THAT(CreateQueue("rewind-retention-q", {{"msgRetentionSeconds", "60"},
                                                 {"rewindSeconds", "60"}}),
              IsCmqOk());
  EXPECT_THAT(Post({{"Action", "SetQueueAttributes"},
                    {"queueName", "rewind-retention-q"},
                    {"rewindSeconds", "61"}}),
              IsCmqError(4000, 10700));
  EXPECT_THAT(Post({{"Action", "SetQueueAttributes"},
                    {"queueName", "rewind-retention-q"},
                    {"msgRetentionSeconds", "59"}}),
              IsCmqError(4000, 10350));
  EXPECT_THAT(Post({{"Action", "SetQueueAttributes"},
                    {"queueName", "rewind-retention-q"},
                    {"msgRetentionSeconds", "100"},
                    {"rewindSeconds", "101"}}),
              IsCmqError(4000, 10700));
  const Answer attrs = Attributes("rewind-retention-q");
  EXPECT_EQ(attrs.Int("msgRetentionSeconds"), 60);
  EXPECT_EQ(attrs.Int("rewindSeconds"), 60);
}

TEST_F(CmqE2eTest, CreatingATakenNameInAnyCaseIs4460_10210) {
  ASSERT_THAT(CreateQueue("Taken-Q"), IsCmqOk());
  EXPECT_THAT(CreateQueue("Taken-Q"), IsCmqError(4460, 10210));
  EXPECT_THAT(CreateQueue("taken-q"), IsCmqError(4460, 10210));
  EXPECT_EQ(
      Get({{"Action", "ListQueue"}, {"searchWord", "aken-"}}).Int("totalCount"),
      1);
  // Lookups ignore case too.
  EXPECT_THAT(Attributes("TAKEN-q"), IsCmqOk());
}

TEST_F(CmqE2eTest, EveryQueueActionOnAMissingQueueIs4440_10100) {
  const std::string q = "never-created-q";
  const std::vector<Params> calls = {
      {{"Action", "GetQueueAttributes"}, {"queueName", q}},
      {{"Action", "SetQueueAttributes"},
       {"queueName", q},
       {"rewindSeconds", "1"}},
      {{"Action", "DeleteQueue"}, {"queueName", q}},
      {{"Action", "SendMessage"}, {"queueName", q}, {"msgBody", "x"}},
      {{"Action", "BatchSendMessage"}, {"queueName", q}, {"msgBody.1", "x"}},
      {{"Action", "ReceiveMessage"},
       {"queueName", q},
       {"pollingWaitSeconds", "1"}},
      {{"Action", "BatchReceiveMessage"}, {"queueName", q}, {"numOfMsg", "2"}},
      {{"Action", "DeleteMessage"}, {"queueName", q}, {"receiptHandle", "h"}},
      {{"Action", "BatchDeleteMessage"},
       {"queueName", q},
       {"receiptHandle.1", "h"}},
      {{"Action", "RewindQueue"}, {"queueName", q}, {"startConsumeTime", "1"}}};
  for (const Params& p : calls) {
    SCOPED_TRACE(p[0].second);
    EXPECT_THAT(Post(p), IsCmqError(4440, 10100));
  }
}

TEST_F(CmqE2eTest, BodyAboveFourMiBIs4000_10420WithHttp200) {
  ASSERT_THAT(CreateQueue("big-body-q", {{"maxMsgSize", "1048576"}}),
              IsCmqOk());
  // Exactly 4 MiB is parsed: the answer is about the message size.
  const std::string prefix = "Action=SendMessage&queueName=big-body-q&msgBody=";
  std::string body = prefix + std::string((4 << 20) - prefix.size(), 'a');
  const Answer at_limit = Raw(port(), "POST", kPath, body);
  EXPECT_TRUE(IsCmqEnvelope(at_limit));
  EXPECT_THAT(at_limit, IsCmqError(4400, 10230));
  // One byte more is refused before parsing.
  body.push_back('a');
  const Answer over = Raw(port(), "POST", kPath, body);
  EXPECT_TRUE(IsCmqEnvelope(over));
  EXPECT_THAT(over, IsCmqError(4000, 10420));
  EXPECT_EQ(Attributes("big-body-q").Int("activeMsgNum"), 0);
}

TEST_F(CmqE2eTest, BodyAboveMaxMsgSizeIs4400_10230CountingUtf8Bytes) {
  ASSERT_THAT(CreateQueue("size-q", {{"maxMsgSize", "1024"}}), IsCmqOk());
  EXPECT_THAT(Send("size-q", std::string(1024, 'x')), IsCmqOk());
  EXPECT_THAT(Send("size-q", std::string(1025, 'x')), IsCmqError(4400, 10230));
  // 342 three-byte characters are 1026 bytes.
  std::string wide;
  for (int i = 0; i < 342; ++i) wide += "北";
  EXPECT_THAT(Send("size-q", wide), IsCmqError(4400, 10230));
  EXPECT_THAT(BatchSend("size-q", {"ok", std::string(1025, 'x')}),
              IsCmqError(4400, 10230));
  EXPECT_EQ(Attributes("size-q").Int("activeMsgNum"), 1);
}

TEST_F(CmqE2eTest, BatchAboveOneMiBIs4470_10300) {
  ASSERT_THAT(CreateQueue("batch-total-q", {{"maxMsgSize", "1048576"}}),
              IsCmqOk());
  const std::string half(600 << 10, 'x');
  EXPECT_THAT(BatchSend("batch-total-q", {half, half}),
              IsCmqError(4470, 10300));
  EXPECT_EQ(Attributes("batch-total-q").Int("activeMsgNum"), 0);
}

TEST_F(CmqE2eTest, BatchDeleteReportsEachFailedHandleInOrder) {
  const std::string q = "batch-delete-q";
  ASSERT_THAT(CreateQueue(q), IsCmqOk());
  ASSERT_THAT(BatchSend(q, {"a", "b"}), IsCmqOk());
  const Answer got = Get(
      {{"Action", "BatchReceiveMessage"}, {"queueName", q}, {"numOfMsg", "2"}});
  ASSERT_THAT(got.Array("msgInfoList"), SizeIs(2)) << got.raw;
  const std::string h1(
      got.Array("msgInfoList")[0].at("receiptHandle").as_string());
  const std::string h2(
      got.Array("msgInfoList")[1].at("receiptHandle").as_string());

  const Answer partial = Post({{"Action", "BatchDeleteMessage"},
                               {"queueName", q},
                               {"receiptHandle.1", "bogus-1"},
                               {"receiptHandle.2", h1}});
  EXPECT_THAT(partial, IsCmqError(6010, 10150));
  ASSERT_THAT(partial.Array("errorList"), SizeIs(1)) << partial.raw;
  const json::value& item = partial.Array("errorList")[0];
  EXPECT_EQ(item.at("code").as_int64(), 4430);
  EXPECT_TRUE(
      absl::StartsWith(std::string(item.at("message").as_string()), "(10260)"));
  EXPECT_EQ(item.at("receiptHandle").as_string(), "bogus-1");

  const Answer all_failed = Post({{"Action", "BatchDeleteMessage"},
                                  {"queueName", q},
                                  {"receiptHandle.1", h1},  // already deleted
                                  {"receiptHandle.2", "bogus-2"}});
  EXPECT_THAT(all_failed, IsCmqError(6020, 10290));
  ASSERT_THAT(all_failed.Array("errorList"), SizeIs(2)) << all_failed.raw;
  EXPECT_EQ(all_failed.Array("errorList")[0].at("receiptHandle").as_string(),
            h1);
  EXPECT_EQ(all_failed.Array("errorList")[1].at("receiptHandle").as_string(),
            "bogus-2");

  EXPECT_THAT(Delete(q, h2), IsCmqOk());
  EXPECT_THAT(Delete(q, h2), IsCmqError(4430, 10260));
}

TEST_F(CmqE2eTest, ValidationStopsAtTheFirstFailureInSpecOrder) {
  // 10010 before 10360 before 10020 before 4440 (§5.3).
  EXPECT_THAT(Post({{"Action", "SendMessage"},
                    {"queueName", "1-bad-and-missing"},
                    {"delaySeconds", "x"}}),
              IsCmqError(4000, 10010));
  EXPECT_THAT(Post({{"Action", "SendMessage"},
                    {"queueName", "1-bad-and-missing"},
                    {"msgBody", "m"},
                    {"delaySeconds", "x"}}),
              IsCmqError(4000, 10360));
  EXPECT_THAT(Post({{"Action", "SendMessage"},
                    {"queueName", "1-bad-and-missing"},
                    {"msgBody", "m"}}),
              IsCmqError(4000, 10020));
  EXPECT_THAT(Post({{"Action", "SendMessage"},
                    {"queueName", "good-but-missing"},
                    {"msgBody", ""}}),
              IsCmqError(4000, 10120));
  // A repeated name is found before the action is looked at.
  EXPECT_THAT(Raw(port(), "GET", absl::StrCat(kPath, "?Action=Nope&x=1&x=2")),
              IsCmqError(4000, 10330));
}

// ---------------------------------------------------------------------------
// Long polling (§8.8, §8.9).

TEST_F(CmqE2eTest, LongPollReturnsAsSoonAsAMessageIsSent) {
  const std::string q = "long-poll-q";
  ASSERT_THAT(CreateQueue(q), IsCmqOk());
  Answer received;
  absl::Duration waited;
  std::thread receiver([&] {
    const absl::Time start = absl::Now();
    received = Receive(q, 5);
    waited = absl::Now() - start;
  });
  absl::SleepFor(absl::Milliseconds(300));
  const Answer sent = Send(q, "wake up");
  receiver.join();

  ASSERT_THAT(received, IsCmqOk());
  EXPECT_EQ(received.Str("msgBody"), "wake up");
  EXPECT_EQ(received.Str("msgId"), sent.Str("msgId"));
  EXPECT_LT(waited, absl::Seconds(3)) << "the wait ran to its end";
}

TEST_F(CmqE2eTest, EmptyLongPollEndsWith7000_10200AfterTheWait) {
  const std::string q = "empty-poll-q";
  ASSERT_THAT(CreateQueue(q), IsCmqOk());
  const absl::Time start = absl::Now();
  const Answer a = Receive(q, 1);
  const absl::Duration waited = absl::Now() - start;
  EXPECT_THAT(a, IsCmqError(7000, 10200));
  EXPECT_GE(waited, absl::Milliseconds(950));
  EXPECT_LT(waited, absl::Seconds(2) + absl::Milliseconds(500));
}

TEST_F(CmqE2eTest, ReceiveWithoutAWaitUsesTheQueuePollingWaitSeconds) {
  const std::string q = "queue-wait-q";
  ASSERT_THAT(CreateQueue(q, {{"pollingWaitSeconds", "1"}}), IsCmqOk());
  const absl::Time start = absl::Now();
  const Answer a = Get(
      {{"Action", "BatchReceiveMessage"}, {"queueName", q}, {"numOfMsg", "4"}});
  const absl::Duration waited = absl::Now() - start;
  EXPECT_THAT(a, IsCmqError(7000, 10200));
  EXPECT_GE(waited, absl::Milliseconds(950));
  EXPECT_LT(waited, absl::Seconds(2) + absl::Milliseconds(500));
}

TEST_F(CmqE2eTest, BatchReceiveAnswersWithWhatIsThereWithoutWaitingForMore) {
  const std::string q = "batch-now-q";
  ASSERT_THAT(CreateQueue(q), IsCmqOk());
  ASSERT_THAT(BatchSend(q, {"1", "2", "3"}), IsCmqOk());
  const absl::Time start = absl::Now();
  const Answer a = Get({{"Action", "BatchReceiveMessage"},
                        {"queueName", q},
                        {"numOfMsg", "16"},
                        {"pollingWaitSeconds", "5"}});
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ASSERT_THAT(a, IsCmqOk());
  ASSERT_THAT(a.Array("msgInfoList"), SizeIs(3));
  EXPECT_EQ(a.Array("msgInfoList")[2].at("msgBody").as_string(), "3");
}

TEST_F(CmqE2eTest, TwoWaitersNeverReceiveTheSameMessage) {
  const std::string q = "two-waiters-q";
  ASSERT_THAT(CreateQueue(q), IsCmqOk());
  Answer first, second;
  std::thread a([&] { first = Receive(q, 5); });
  std::thread b([&] { second = Receive(q, 5); });
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_THAT(BatchSend(q, {"one", "two"}), IsCmqOk());
  a.join();
  b.join();

  ASSERT_THAT(first, IsCmqOk());
  ASSERT_THAT(second, IsCmqOk());
  EXPECT_NE(first.Str("msgId"), second.Str("msgId"));
  EXPECT_EQ(
      std::set<std::string>({first.Str("msgBody"), second.Str("msgBody")}),
      std::set<std::string>({"one", "two"}));
}

TEST_F(CmqE2eTest, DeletingAQueueEndsItsWaitingReceivesWith4440_10100) {
  const std::string q = "deleted-while-waiting-q";
  ASSERT_THAT(CreateQueue(q), IsCmqOk());
  Answer received;
  absl::Duration waited;
  std::thread receiver([&] {
    const absl::Time start = absl::Now();
    received = Receive(q, 5);
    waited = absl::Now() - start;
  });
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_THAT(Post({{"Action", "DeleteQueue"}, {"queueName", q}}), IsCmqOk());
  receiver.join();
  EXPECT_THAT(received, IsCmqError(4440, 10100));
  EXPECT_LT(waited, absl::Seconds(3));
}

// ---------------------------------------------------------------------------
// Visibility timeout and delay (§7.2).

TEST_F(CmqE2eTest, UndeletedMessageReturnsAfterTheVisibilityTimeout) {
  const std::string q = "visibility-q";
  ASSERT_THAT(CreateQueue(q, {{"visibilityTimeout", "1"}}), IsCmqOk());
  const Answer sent = Send(q, "again");
  const Answer first = Receive(q);
  ASSERT_THAT(first, IsCmqOk());
  EXPECT_EQ(first.Int("dequeueCount"), 1);
  EXPECT_EQ(first.Int("nextVisibleTime") - first.Int("firstDequeueTime"), 1);
  // In flight: nobody else gets it.
  EXPECT_THAT(Receive(q), IsCmqError(7000, 10200));
  EXPECT_EQ(Attributes(q).Int("inactiveMsgNum"), 1);

  absl::SleepFor(absl::Milliseconds(1100));
  const Answer second = Receive(q, 1);

  ASSERT_THAT(second, IsCmqOk());
  EXPECT_EQ(second.Str("msgId"), sent.Str("msgId"));
  EXPECT_EQ(second.Str("msgBody"), "again");
  EXPECT_EQ(second.Int("dequeueCount"), 2);
  EXPECT_EQ(second.Int("firstDequeueTime"), first.Int("firstDequeueTime"));
  EXPECT_EQ(second.Int("enqueueTime"), first.Int("enqueueTime"));
  EXPECT_NE(second.Str("receiptHandle"), first.Str("receiptHandle"));
  EXPECT_THAT(Delete(q, first.Str("receiptHandle")), IsCmqError(4430, 10260));
  EXPECT_THAT(Delete(q, second.Str("receiptHandle")), IsCmqOk());
}

TEST_F(CmqE2eTest, EndOfAVisibilityTimeoutWakesAWaitingReceive) {
  const std::string q = "visibility-wake-q";
  ASSERT_THAT(CreateQueue(q, {{"visibilityTimeout", "1"}}), IsCmqOk());
  ASSERT_THAT(Send(q, "comes back"), IsCmqOk());
  const absl::Time start = absl::Now();
  ASSERT_THAT(Receive(q), IsCmqOk());

  const Answer again = Receive(q, 5);
  const absl::Duration waited = absl::Now() - start;

  ASSERT_THAT(again, IsCmqOk());
  EXPECT_EQ(again.Int("dequeueCount"), 2);
  EXPECT_GE(waited, absl::Milliseconds(900));
  EXPECT_LT(waited, absl::Milliseconds(2500)) << "the wait ran to its end";
}

TEST_F(CmqE2eTest, HandleStopsWorkingWhenItsVisibilityWindowEnds) {
  const std::string q = "late-delete-q";
  ASSERT_THAT(CreateQueue(q, {{"visibilityTimeout", "1"}}), IsCmqOk());
  ASSERT_THAT(Send(q, "slow consumer"), IsCmqOk());
  const Answer got = Receive(q);
  ASSERT_THAT(got, IsCmqOk());
  absl::SleepFor(absl::Milliseconds(1100));
  EXPECT_THAT(Delete(q, got.Str("receiptHandle")), IsCmqError(4430, 10260));
  EXPECT_EQ(Attributes(q).Int("activeMsgNum"), 1);
}

TEST_F(CmqE2eTest, DelayedMessageIsReceivableOnlyAfterItsDelay) {
  const std::string q = "delay-q";
  ASSERT_THAT(CreateQueue(q), IsCmqOk());
  const absl::Time sent_at = absl::Now();
  ASSERT_THAT(Send(q, "later", 1), IsCmqOk());
  EXPECT_THAT(Receive(q), IsCmqError(7000, 10200));
  const Answer attrs = Attributes(q);
  EXPECT_EQ(attrs.Int("delayMsgNum"), 1);
  EXPECT_EQ(attrs.Int("activeMsgNum"), 0);

  // The end of the delay wakes a waiting receive.
  const Answer got = Receive(q, 3);
  const absl::Duration after = absl::Now() - sent_at;

  ASSERT_THAT(got, IsCmqOk());
  EXPECT_EQ(got.Str("msgBody"), "later");
  EXPECT_GE(after, absl::Milliseconds(950));
  EXPECT_LT(after, absl::Milliseconds(2500));
  EXPECT_EQ(Attributes(q).Int("delayMsgNum"), 0);
}

// ---------------------------------------------------------------------------
// Rewind (§9).

// The worked scenario of §9.4, with the seconds of real time it needs.
TEST_F(CmqE2eTest, RewindRedeliversDeletedMessagesInProductionOrder) {
  const std::string q = "rewind-q";
  ASSERT_THAT(CreateQueue(q, {{"rewindSeconds", "600"},
                              {"msgRetentionSeconds", "3600"}}),
              IsCmqOk());
  // A1, A2 in one second; B1, B2 in a later one.
  const Answer a = BatchSend(q, {"A1", "A2"});
  ASSERT_THAT(a, IsCmqOk());
  const absl::Time next_second =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 1);
  absl::SleepFor(next_second - absl::Now() + absl::Milliseconds(20));
  ASSERT_THAT(Send(q, "B1"), IsCmqOk());
  ASSERT_THAT(Send(q, "B2"), IsCmqOk());

  // Receive and delete all four.
  std::vector<Answer> first;
  for (int i = 0; i < 4; ++i) {
    first.push_back(Receive(q));
    ASSERT_THAT(first.back(), IsCmqOk());
    ASSERT_THAT(Delete(q, first.back().Str("receiptHandle")), IsCmqOk());
  }
  const int64_t a_time = first[0].Int("enqueueTime");
  const int64_t b_time = first[2].Int("enqueueTime");
  ASSERT_EQ(first[1].Int("enqueueTime"), a_time);
  ASSERT_GT(b_time, a_time);
  EXPECT_EQ(Attributes(q).Int("rewindMsgNum"), 4);
  EXPECT_THAT(Receive(q), IsCmqError(7000, 10200));

  // RewindQueue(T = B's second): B1, B2 again, same ids, second delivery.
  ASSERT_THAT(Rewind(q, b_time), IsCmqOk());
  const Answer b1 = Receive(q);
  const Answer b2 = Receive(q);
  EXPECT_THAT(Receive(q), IsCmqError(7000, 10200));
  ASSERT_THAT(b1, IsCmqOk());
  ASSERT_THAT(b2, IsCmqOk());
  EXPECT_EQ(b1.Str("msgBody"), "B1");
  EXPECT_EQ(b1.Str("msgId"), first[2].Str("msgId"));
  EXPECT_EQ(b1.Int("dequeueCount"), 2);
  EXPECT_EQ(b1.Int("enqueueTime"), b_time);
  EXPECT_EQ(b1.Int("firstDequeueTime"), first[2].Int("firstDequeueTime"));
  EXPECT_EQ(b2.Str("msgBody"), "B2");
  EXPECT_EQ(b2.Str("msgId"), first[3].Str("msgId"));
  ASSERT_THAT(Delete(q, b1.Str("receiptHandle")), IsCmqOk());
  ASSERT_THAT(Delete(q, b2.Str("receiptHandle")), IsCmqOk());

  // RewindQueue(T = A's second), twice: all four once each, in order.
  ASSERT_THAT(Rewind(q, a_time), IsCmqOk());
  ASSERT_THAT(Rewind(q, a_time), IsCmqOk());
  EXPECT_EQ(Attributes(q).Int("activeMsgNum"), 4);
  EXPECT_THAT(DrainBodies(q, 6), ElementsAre("A1", "A2", "B1", "B2"));

  // Outside the window [now - 600, now].
  EXPECT_THAT(Rewind(q, Now() - 601), IsCmqError(4000, 10680));
  EXPECT_THAT(Rewind(q, Now() + 60), IsCmqError(4000, 10680));
  EXPECT_THAT(Rewind(q, (Now() - 60) * 1000), IsCmqError(4000, 10680));
  EXPECT_THAT(Rewind(q, Now() - 590), IsCmqOk());  // nothing revived is fine
  EXPECT_EQ(Attributes(q).Int("activeMsgNum"), 4);
  EXPECT_THAT(DrainBodies(q, 6), ElementsAre("A1", "A2", "B1", "B2"));

  // rewindSeconds=0 discards the kept messages; re-enabling does not
  // bring them back.
  const Answer off = Post({{"Action", "SetQueueAttributes"},
                           {"queueName", q},
                           {"rewindSeconds", "0"}});
  ASSERT_THAT(off, IsCmqOk());
  EXPECT_EQ(Attributes(q).Int("rewindMsgNum"), 0);
  EXPECT_THAT(Rewind(q, a_time), IsCmqError(6050, 10670));
  ASSERT_THAT(Post({{"Action", "SetQueueAttributes"},
                    {"queueName", q},
                    {"rewindSeconds", "600"}}),
              IsCmqOk());
  EXPECT_THAT(Rewind(q, a_time), IsCmqOk());
  EXPECT_THAT(Receive(q), IsCmqError(7000, 10200));
}

TEST_F(CmqE2eTest, RewindLeavesUnconsumedAndInFlightMessagesWhereTheyAre) {
  const std::string q = "rewind-mixed-q";
  ASSERT_THAT(CreateQueue(q, {{"rewindSeconds", "600"}}), IsCmqOk());
  ASSERT_THAT(BatchSend(q, {"deleted", "in-flight", "waiting"}), IsCmqOk());
  const Answer deleted = Receive(q);
  ASSERT_THAT(Delete(q, deleted.Str("receiptHandle")), IsCmqOk());
  const Answer in_flight = Receive(q);
  ASSERT_THAT(in_flight, IsCmqOk());

  ASSERT_THAT(Rewind(q, Now() - 60), IsCmqOk());

  const Answer attrs = Attributes(q);
  EXPECT_EQ(attrs.Int("activeMsgNum"), 2);
  EXPECT_EQ(attrs.Int("inactiveMsgNum"), 1);
  EXPECT_THAT(Delete(q, in_flight.Str("receiptHandle")), IsCmqOk());
  EXPECT_THAT(DrainBodies(q, 4), ElementsAre("deleted", "waiting"));
}

TEST_F(CmqE2eTest, RewindWakesAWaitingReceive) {
  const std::string q = "rewind-wake-q";
  ASSERT_THAT(CreateQueue(q, {{"rewindSeconds", "600"}}), IsCmqOk());
  const Answer sent = Send(q, "revived");
  ASSERT_THAT(DrainBodies(q, 2), ElementsAre("revived"));
  Answer received;
  absl::Duration waited;
  std::thread receiver([&] {
    const absl::Time start = absl::Now();
    received = Receive(q, 5);
    waited = absl::Now() - start;
  });
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_THAT(Rewind(q, Now() - 60), IsCmqOk());
  receiver.join();

  ASSERT_THAT(received, IsCmqOk());
  EXPECT_EQ(received.Str("msgId"), sent.Str("msgId"));
  EXPECT_EQ(received.Int("dequeueCount"), 2);
  EXPECT_LT(waited, absl::Seconds(3)) << "the wait ran to its end";
}

TEST_F(CmqE2eTest, RewindOnAQueueWithoutRewindIs6050_10670) {
  ASSERT_THAT(CreateQueue("no-rewind-q"), IsCmqOk());
  EXPECT_EQ(Attributes("no-rewind-q").Int("rewindSeconds"), 0);
  // 6050 comes before the time check.
  EXPECT_THAT(Rewind("no-rewind-q", Now()), IsCmqError(6050, 10670));
  EXPECT_THAT(Rewind("no-rewind-q", Now() + 9999), IsCmqError(6050, 10670));
}

// ---------------------------------------------------------------------------
// Signatures (§4), against a server with a credential.

TEST(CmqSignerTest, TheTestSignerReproducesTheSpecVectors) {
  // §4.2
  const Params rewind = {
      {"Action", "RewindQueue"},           {"Nonce", "4815162342"},
      {"RequestClient", "SDK_Python_1.3"}, {"SecretId", kSecretId},
      {"SignatureMethod", "HmacSHA256"},   {"Timestamp", "1700000000"},
      {"queueName", "orders-q1"},          {"startConsumeTime", "1699999400"}};
  EXPECT_EQ(
      HmacBase64(true, kSecretKey,
                 StringToSign("GET", "127.0.0.1:8181", kPath, rewind, false)),
      "8NY7JWdwg/R48wz/V2H9VefEhWjzXpaveCOS6NuVWBE=");
  // §4.3, both `@` rules.
  const Params batch = {{"Action", "BatchSendMessage"},
                        {"Nonce", "77"},
                        {"RequestClient", "SDK_Python_1.3"},
                        {"SecretId", kSecretId},
                        {"SignatureMethod", "HmacSHA1"},
                        {"Timestamp", "1700000000"},
                        {"delaySeconds", "0"},
                        {"msgBody.1", "hello world"},
                        {"msgBody.2", "北京 & co=1"},
                        {"msgBody.3", "@home"},
                        {"queueName", "orders-q1"},
                        {"x_trace", "a_b"}};
  EXPECT_EQ(
      HmacBase64(false, kSecretKey,
                 StringToSign("POST", "127.0.0.1:8181", kPath, batch, true)),
      "/7SWYK8RzRmNHC7XkuYvoF1/b1M=");
  EXPECT_EQ(
      HmacBase64(false, kSecretKey,
                 StringToSign("POST", "127.0.0.1:8181", kPath, batch, false)),
      "5ogZE8fNefYHWtflKcNQoUK4+FU=");
}

class CmqSignedE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new rmqtest::ScopedTempDir();
    server_ = new ServerProcess();
    const absl::Status s = server_->Start(
        dir_->Sub("data"), dir_->Sub("server.log"),
        {"--cmq-credentials", absl::StrCat(kSecretId, ":", kSecretKey)});
    ASSERT_TRUE(s.ok()) << s;
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->Stop(), std::optional<int>(0)) << server_->Log();
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(server_->port(), 0) << "the server did not start";
  }

  static uint16_t port() { return server_->port(); }
  static Answer SignedCall(absl::string_view method, Params params,
                           const SignOptions& o = {}) {
    return Call(port(), method, Signed(method, port(), std::move(params), o));
  }

  static rmqtest::ScopedTempDir* dir_;
  static ServerProcess* server_;
};

rmqtest::ScopedTempDir* CmqSignedE2eTest::dir_ = nullptr;
ServerProcess* CmqSignedE2eTest::server_ = nullptr;

TEST_F(CmqSignedE2eTest, GetSignedWithHmacSha256IsAccepted) {
  EXPECT_THAT(
      SignedCall("GET", {{"Action", "CreateQueue"}, {"queueName", "signed-q"}},
                 {.hmac = Hmac::kSha256}),
      IsCmqOk());
  EXPECT_THAT(
      SignedCall("GET", {{"Action", "ListQueue"}, {"searchWord", "signed-"}},
                 {.hmac = Hmac::kSha256})
          .Int("totalCount"),
      1);
}

TEST_F(CmqSignedE2eTest, PostSignedWithHmacSha1IsAccepted) {
  ASSERT_THAT(
      SignedCall("POST", {{"Action", "CreateQueue"}, {"queueName", "sha1-q"}},
                 {.hmac = Hmac::kSha1}),
      IsCmqOk());
  // No SignatureMethod at all also means HMAC-SHA1.
  EXPECT_THAT(SignedCall("POST",
                         {{"Action", "SendMessage"},
                          {"queueName", "sha1-q"},
                          {"msgBody", "signed body with spaces & symbols"},
                          {"delaySeconds", "0"}},
                         {.hmac = Hmac::kSha1Implicit}),
              IsCmqOk());
  const Answer got =
      SignedCall("GET", {{"Action", "ReceiveMessage"}, {"queueName", "sha1-q"}},
                 {.hmac = Hmac::kSha1});
  ASSERT_THAT(got, IsCmqOk());
  EXPECT_EQ(got.Str("msgBody"), "signed body with spaces & symbols");
}

TEST_F(CmqSignedE2eTest, AtValueOnPostIsAcceptedSignedWithOrWithoutIt) {
  ASSERT_THAT(
      SignedCall("POST", {{"Action", "CreateQueue"}, {"queueName", "at-q"}}),
      IsCmqOk());
  const Params batch = {
      {"Action", "BatchSendMessage"}, {"queueName", "at-q"},
      {"msgBody.1", "hello world"},   {"msgBody.2", "北京 & co=1"},
      {"msgBody.3", "@home"},         {"x_trace", "a_b"}};
  // Python and PHP leave `@` values out of the string to sign.
  EXPECT_THAT(
      SignedCall("POST", batch, {.hmac = Hmac::kSha1, .drop_at_values = true}),
      IsCmqOk());
  // Java, C++ and Go sign them.
  EXPECT_THAT(
      SignedCall("POST", batch, {.hmac = Hmac::kSha1, .drop_at_values = false}),
      IsCmqOk());
  const Answer got = SignedCall("GET", {{"Action", "BatchReceiveMessage"},
                                        {"queueName", "at-q"},
                                        {"numOfMsg", "16"}});
  ASSERT_THAT(got, IsCmqOk());
  ASSERT_THAT(got.Array("msgInfoList"), SizeIs(6));
  EXPECT_EQ(got.Array("msgInfoList")[2].at("msgBody").as_string(), "@home");
  EXPECT_EQ(got.Array("msgInfoList")[1].at("msgBody").as_string(),
            "北京 & co=1");
}

TEST_F(CmqSignedE2eTest, SignatureOverTheHostHeaderAndPathSentIsAccepted) {
  // A client configured with the cloud host name, behind a DNS override.
  const std::string host = "cmq-queue-gz.api.tencentyun.com";
  const Params p =
      Signed("GET", port(), {{"Action", "ListQueue"}}, {.host = host});
  EXPECT_THAT(Call(port(), "GET", p, kPath, {{"Host", host}}), IsCmqOk());
  // The Go SDK signs "/" when its endpoint has no path.
  const Params root =
      Signed("POST", port(), {{"Action", "ListQueue"}}, {.path = "/"});
  EXPECT_THAT(Call(port(), "POST", root, "/"), IsCmqOk());
}

TEST_F(CmqSignedE2eTest, WrongSignatureIs4100_10030) {
  const Params list = {{"Action", "ListQueue"}};
  EXPECT_THAT(SignedCall("GET", list, {.secret_key = "not-the-key"}),
              IsCmqError(4100, 10030));
  // Signed for another host, or for the other method.
  EXPECT_THAT(SignedCall("GET", list, {.host = "127.0.0.1:1"}),
              IsCmqError(4100, 10030));
  EXPECT_THAT(Call(port(), "POST", Signed("GET", port(), list)),
              IsCmqError(4100, 10030));
  // A parameter changed after signing.
  Params tampered = Signed("POST", port(),
                           {{"Action", "CreateQueue"}, {"queueName", "ok-q"}});
  tampered[1].second = "evil-q";
  EXPECT_THAT(Call(port(), "POST", tampered), IsCmqError(4100, 10030));
  // An unsigned parameter added after signing.
  Params added = Signed("GET", port(), list);
  added.emplace_back("searchWord", "x");
  EXPECT_THAT(Call(port(), "GET", added), IsCmqError(4100, 10030));
  // Signature missing.
  Params missing = Signed("GET", port(), list);
  missing.pop_back();
  EXPECT_THAT(Call(port(), "GET", missing), IsCmqError(4100, 10030));
  // Nothing was created by the tampered request.
  EXPECT_THAT(SignedCall("GET", {{"Action", "GetQueueAttributes"},
                                 {"queueName", "evil-q"}}),
              IsCmqError(4440, 10100));
}

TEST_F(CmqSignedE2eTest, UnknownOrMissingSecretIdIs4100_10270) {
  EXPECT_THAT(SignedCall("GET", {{"Action", "ListQueue"}},
                         {.secret_id = "AKIDsomebodyElse0001"}),
              IsCmqError(4100, 10270));
  EXPECT_THAT(Call(port(), "GET", {{"Action", "ListQueue"}}),
              IsCmqError(4100, 10270));
}

TEST_F(CmqSignedE2eTest, ActionIsCheckedBeforeCredentials) {
  EXPECT_THAT(Call(port(), "GET", {{"Action", "CreateTopic"}}),
              IsCmqError(4000, 10430));
}

// ---------------------------------------------------------------------------
// Restart (§7, cmq_queues.h): SIGTERM, then the same data directory.

TEST(CmqShutdownTest, ShutdownEndsAPendingLongPollWith7000_10200AtOnce) {
  rmqtest::ScopedTempDir dir;
  ServerProcess server;
  ASSERT_OK(server.Start(dir.Sub("data"), dir.Sub("server.log")));
  const uint16_t p = server.port();
  ASSERT_THAT(
      Call(p, "POST", {{"Action", "CreateQueue"}, {"queueName", "waitq"}}),
      IsCmqOk());
  Answer received;
  std::thread receiver([&] {
    received = Call(p, "GET",
                    {{"Action", "ReceiveMessage"},
                     {"queueName", "waitq"},
                     {"pollingWaitSeconds", "30"}});
  });
  absl::SleepFor(absl::Milliseconds(500));  // the poll is parked
  const absl::Time start = absl::Now();
  EXPECT_EQ(server.Stop(), std::optional<int>(0)) << server.Log();
  const absl::Duration stopping = absl::Now() - start;
  receiver.join();
  EXPECT_THAT(received, IsCmqError(7000, 10200));
  EXPECT_LT(stopping, absl::Seconds(5)) << "the drain waited for the poll";
}

TEST(CmqRestartTest, QueuesMessagesAndTheirStatesSurviveARestart) {
  rmqtest::ScopedTempDir dir;
  const std::string data = dir.Sub("data");
  const std::string q = "durable-q";
  std::string queue_id;
  int64_t create_time = 0;
  std::string in_flight_handle;
  std::vector<std::string> ids;
  {
    ServerProcess before;
    ASSERT_OK(before.Start(data, dir.Sub("before.log")));
    const uint16_t p = before.port();
    const Answer created = Call(p, "POST",
                                {{"Action", "CreateQueue"},
                                 {"queueName", q},
                                 {"visibilityTimeout", "300"},
                                 {"maxMsgSize", "4096"},
                                 {"rewindSeconds", "600"},
                                 {"pollingWaitSeconds", "2"}});
    ASSERT_THAT(created, IsCmqOk());
    queue_id = created.Str("queueId");
    ASSERT_THAT(
        Call(p, "POST", {{"Action", "CreateQueue"}, {"queueName", "other-q"}}),
        IsCmqOk());
    const Answer sent = Call(p, "POST",
                             {{"Action", "BatchSendMessage"},
                              {"queueName", q},
                              {"msgBody.1", "m1"},
                              {"msgBody.2", "m2"},
                              {"msgBody.3", "m3"},
                              {"msgBody.4", "m4"}});
    ASSERT_THAT(sent, IsCmqOk());
    for (const json::value& m : sent.Array("msgList")) {
      ids.emplace_back(m.at("msgId").as_string());
    }
    ASSERT_THAT(ids, SizeIs(4));
    // m1 in flight, m2 deleted (kept for rewind), m3 and m4 waiting.
    const Answer m1 = Call(p, "GET",
                           {{"Action", "ReceiveMessage"},
                            {"queueName", q},
                            {"pollingWaitSeconds", "0"}});
    ASSERT_THAT(m1, IsCmqOk());
    in_flight_handle = m1.Str("receiptHandle");
    const Answer m2 = Call(p, "GET",
                           {{"Action", "ReceiveMessage"},
                            {"queueName", q},
                            {"pollingWaitSeconds", "0"}});
    ASSERT_THAT(m2, IsCmqOk());
    ASSERT_THAT(Call(p, "POST",
                     {{"Action", "DeleteMessage"},
                      {"queueName", q},
                      {"receiptHandle", m2.Str("receiptHandle")}}),
                IsCmqOk());
    create_time =
        Call(p, "GET", {{"Action", "GetQueueAttributes"}, {"queueName", q}})
            .Int("createTime");
    ASSERT_EQ(before.Stop(), std::optional<int>(0)) << before.Log();
  }

  ServerProcess after;
  ASSERT_OK(after.Start(data, dir.Sub("after.log")));
  const uint16_t p = after.port();

  const Answer listed = Call(p, "GET", {{"Action", "ListQueue"}});
  EXPECT_EQ(listed.Int("totalCount"), 2) << listed.raw;
  const Answer attrs =
      Call(p, "GET", {{"Action", "GetQueueAttributes"}, {"queueName", q}});
  ASSERT_THAT(attrs, IsCmqOk());
  EXPECT_EQ(attrs.Str("queueId"), queue_id);
  EXPECT_EQ(attrs.Int("createTime"), create_time);
  EXPECT_EQ(attrs.Int("visibilityTimeout"), 300);
  EXPECT_EQ(attrs.Int("maxMsgSize"), 4096);
  EXPECT_EQ(attrs.Int("rewindSeconds"), 600);
  EXPECT_EQ(attrs.Int("pollingWaitSeconds"), 2);
  EXPECT_EQ(attrs.Int("activeMsgNum"), 2);
  EXPECT_EQ(attrs.Int("inactiveMsgNum"), 1);
  EXPECT_EQ(attrs.Int("rewindMsgNum"), 1);

  // The waiting messages come next; the in-flight one is still in flight
  // and its handle still works.
  auto receive = [&] {
    return Call(p, "GET",
                {{"Action", "ReceiveMessage"},
                 {"queueName", q},
                 {"pollingWaitSeconds", "0"}});
  };
  const Answer m3 = receive();
  EXPECT_EQ(m3.Str("msgBody"), "m3");
  EXPECT_EQ(m3.Str("msgId"), ids[2]);
  const Answer m4 = receive();
  EXPECT_EQ(m4.Str("msgBody"), "m4");
  EXPECT_THAT(receive(), IsCmqError(7000, 10200));
  EXPECT_THAT(Call(p, "POST",
                   {{"Action", "DeleteMessage"},
                    {"queueName", q},
                    {"receiptHandle", in_flight_handle}}),
              IsCmqOk());

  // The message deleted before the restart is still rewindable.
  ASSERT_THAT(Call(p, "GET",
                   {{"Action", "RewindQueue"},
                    {"queueName", q},
                    {"startConsumeTime",
                     absl::StrCat(absl::ToUnixSeconds(absl::Now()) - 120)}}),
              IsCmqOk());
  const Answer m1_again = receive();
  const Answer m2_again = receive();
  EXPECT_EQ(m1_again.Str("msgId"), ids[0]);
  EXPECT_EQ(m1_again.Int("dequeueCount"), 2);
  EXPECT_EQ(m2_again.Str("msgId"), ids[1]);
  EXPECT_EQ(m2_again.Str("msgBody"), "m2");
  EXPECT_EQ(m2_again.Int("dequeueCount"), 2);

  // Message ids are never reused.
  const Answer fresh =
      Call(p, "POST",
           {{"Action", "SendMessage"}, {"queueName", q}, {"msgBody", "m5"}});
  ASSERT_THAT(fresh, IsCmqOk());
  EXPECT_EQ(std::count(ids.begin(), ids.end(), fresh.Str("msgId")), 0);

  EXPECT_EQ(after.Stop(), std::optional<int>(0)) << after.Log();
}

}  // namespace

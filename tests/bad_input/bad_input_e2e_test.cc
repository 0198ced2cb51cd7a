// The bad-input catalogue: malformed and hostile requests sent to the real
// rewindmq binary, on both facades (Tencent CMQ API 2.0 at /v2/index.php,
// Huawei DMS for RocketMQ under /v2/) and on the HTTP layer beneath them.
//
// The server runs with credentials for both facades, so that every request
// that reaches parameter checking has passed a real signature check. Before
// the catalogue, queues, topics, groups and messages are created through
// both facades; after every case the test asserts that
//   (a) the answer is in the vendor's own error format with the code the
//       spec prescribes (cmq-v2.md §5, dms-rocketmq.md §1.5, §1.6, §9, §10),
//       or, for input that never reaches a facade, what broker/http/README.md
//       documents (plain JSON 400, 404 or 431);
//   (b) the server keeps serving: the same connection answers a next request
//       when the server said keep-alive, and a fresh connection gets
//       /healthz, a signed CMQ call and a signed DMS call answered;
//   (c) no stored data changed: a fingerprint of queue and topic lists and
//       attributes, message counts, max_offsets, group offsets and message
//       bodies read back equals the one taken before the catalogue.
// A second test checks slow clients (a header sent one byte at a time, a
// body that stops, a connection that sends nothing): each is timed out while
// other clients keep being served promptly.
//
// Every loop is bounded by a count and a deadline; every process the test
// starts is stopped by its PID, also when an assertion fails.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "broker/facades/dms/signature.h"
#include "broker/facades/tdmq/signature.h"
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
using ::rmqtest::TestHttpClient;

// Generous, for sanitizer builds on a busy machine.
constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr absl::Duration kStopTimeout = absl::Seconds(30);
// Every case must be answered within this, however much it claims to send.
constexpr absl::Duration kAnswerTimeout = absl::Seconds(10);
// A valid request after a case must be answered within this.
constexpr absl::Duration kPromptly = absl::Seconds(3);

constexpr char kCmqPath[] = "/v2/index.php";
constexpr char kCmqSecretId[] = "AKIDbadInput00000001";
constexpr char kCmqSecretKey[] = "bad-input-cmq-secret-key";
constexpr char kDmsAk[] = "BADINPUTAK000000001";
constexpr char kDmsSk[] = "bad-input-dms-secret-key-000000000000000";
constexpr char kInstance[] = "00000000-0000-4000-8000-000000000001";
constexpr char kForm[] = "application/x-www-form-urlencoded";

// The stored state the catalogue must leave alone.
constexpr char kQueue[] = "biOrders";
constexpr char kQueue2[] = "biAudit";
constexpr char kTopic[] = "bi-topic";
constexpr char kTopic2[] = "bi-other";
constexpr char kGroup[] = "bi-group";
constexpr char kGroup2[] = "bi-group2";

// "/v2/local/instances/<default instance><suffix>": the plain DMS family.
std::string Inst(absl::string_view suffix = "") {
  return absl::StrCat("/v2/local/instances/", kInstance, suffix);
}
// The engine family, where messages live.
std::string Engine(absl::string_view suffix) {
  return absl::StrCat("/v2/reliability/local/instances/", kInstance, suffix);
}

// ---------------------------------------------------------------------------
// The server process.

// The rewindmq binary running as a child process. Its stdout (the startup
// line) is read through a pipe; its stderr (the request log) goes to a file.
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

  // Starts the binary on 127.0.0.1 port 0 and returns once /healthz
  // answers 200.
  absl::Status Start(const std::string& data_dir, const std::string& log_path,
                     const std::vector<std::string>& flags) {
    log_path_ = log_path;
    std::vector<std::string> args = {
        REWINDMQ_BINARY, "--listen",   "127.0.0.1:0", "--remoting-listen",
        "127.0.0.1:0",   "--data-dir", data_dir,      "--log-level",
        "debug"};
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

  // Whether the process is still running (it has not exited or crashed).
  bool Alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_status_ = status;
      return false;
    }
    return true;
  }

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

  // The last `n` bytes of the log, for failure messages.
  std::string LogTail(size_t n = 4000) const {
    const std::string log = Log();
    return log.size() <= n ? log : log.substr(log.size() - n);
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
  int exit_status_ = 0;
  uint16_t port_ = 0;
  std::string log_path_;
};

// ---------------------------------------------------------------------------
// Building requests. Every request is built as the exact bytes to send, at
// the moment it is sent (signatures carry the current time).

struct Env {
  uint16_t port = 0;
  std::string host() const { return absl::StrCat("127.0.0.1:", port); }
};

using Build = std::function<std::string(const Env&)>;

// One HTTP/1.x request with Host and (unless `headers` sets a length or a
// transfer coding) Content-Length.
std::string HttpRequest(absl::string_view method, absl::string_view target,
                        const HttpHeaders& headers, absl::string_view body,
                        absl::string_view version = "1.1") {
  std::string out =
      absl::StrCat(method, " ", target, " HTTP/", version, "\r\n");
  bool host = false;
  bool length = false;
  for (const auto& [name, value] : headers) {
    host = host || absl::EqualsIgnoreCase(name, "Host");
    length = length || absl::EqualsIgnoreCase(name, "Content-Length") ||
             absl::EqualsIgnoreCase(name, "Transfer-Encoding");
  }
  if (!host) absl::StrAppend(&out, "Host: 127.0.0.1\r\n");
  for (const auto& [name, value] : headers) {
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (!length && (!body.empty() || method == "POST" || method == "PUT")) {
    absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n");
  }
  absl::StrAppend(&out, "\r\n", body);
  return out;
}

// ---- CMQ ------------------------------------------------------------------

// application/x-www-form-urlencoded as Python's urlencode writes it.
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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one form component as cmq-v2.md §2.4 and the facade README say:
// '+' is a space, %XX a byte, a '%' without two hex digits stays as it is.
std::string FormDecodeComponent(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The parameters the server will see in `encoded` (later names win here;
// the server refuses repeated names before it looks at signatures).
std::map<std::string, std::string> FormDecode(absl::string_view encoded) {
  std::map<std::string, std::string> params;
  for (absl::string_view item : absl::StrSplit(encoded, '&')) {
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string name = FormDecodeComponent(item.substr(0, eq));
    if (name.empty()) continue;
    params[name] = eq == absl::string_view::npos
                       ? std::string()
                       : FormDecodeComponent(item.substr(eq + 1));
  }
  return params;
}

std::string Base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

// cmq-v2.md §4.1: METHOD + HOST + PATH + "?" + sorted name=value pairs with
// raw values and '_' in names written as '.', HMAC'd and Base64-encoded.
std::string CmqSignature(absl::string_view method, absl::string_view host,
                         absl::string_view path,
                         const std::map<std::string, std::string>& params,
                         absl::string_view key, bool sha256) {
  std::vector<std::string> items;
  for (const auto& [name, value] : params) {
    if (name == "Signature") continue;
    items.push_back(
        absl::StrCat(absl::StrReplaceAll(name, {{"_", "."}}), "=", value));
  }
  const std::string to_sign =
      absl::StrCat(method, host, path, "?", absl::StrJoin(items, "&"));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(sha256 ? EVP_sha256() : EVP_sha1(), key.data(),
       static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(to_sign.data()), to_sign.size(),
       digest, &size);
  return Base64(digest, size);
}

// How a CMQ request is authenticated.
struct CmqAuth {
  // Empty: neither SecretId nor Signature is sent.
  std::string secret_id = kCmqSecretId;
  std::string secret_key = kCmqSecretKey;
  // False: SecretId is sent but no Signature.
  bool sign = true;
  // The Timestamp parameter; empty: now.
  std::string timestamp;
  // Sent instead of `timestamp` once the signature is made, when not empty.
  std::string sent_timestamp;
  // Sign with HMAC-SHA1 although the request says HmacSHA256.
  bool sign_with_sha1 = false;
  // What the signature covers when it differs from what is sent.
  std::string signed_host;
  std::string signed_path;
  // Sent instead of the computed signature when not empty.
  std::string signature;
};

struct CmqReq {
  std::string method = "GET";
  std::string path = kCmqPath;
  // The action parameters, already form-encoded.
  std::string params;
  CmqAuth auth;
  // Appended to the parameters after signing (a change the signature does
  // not cover).
  std::string tamper;
  // POST only: an unsigned query string next to the signed body.
  std::string query_on_post;
  // GET only: a body, which the facade ignores.
  std::string body_on_get;
  std::string content_type = kForm;
  std::string version = "1.1";
};

Build Cmq(CmqReq r) {
  return [r](const Env& env) {
    std::string all = r.params;
    if (!r.auth.secret_id.empty()) {
      const std::string ts =
          r.auth.timestamp.empty()
              ? absl::StrCat(absl::ToUnixSeconds(absl::Now()))
              : r.auth.timestamp;
      absl::StrAppend(&all, all.empty() ? "" : "&",
                      "SecretId=", FormEncode(r.auth.secret_id),
                      "&Timestamp=", FormEncode(ts),
                      "&Nonce=4815162342&SignatureMethod=HmacSHA256");
      if (r.auth.sign) {
        const std::string sig =
            !r.auth.signature.empty()
                ? r.auth.signature
                : CmqSignature(
                      r.method == "POST" ? "POST" : "GET",
                      r.auth.signed_host.empty() ? env.host()
                                                 : r.auth.signed_host,
                      r.auth.signed_path.empty() ? r.path : r.auth.signed_path,
                      FormDecode(all), r.auth.secret_key,
                      !r.auth.sign_with_sha1);
        absl::StrAppend(&all, "&Signature=", FormEncode(sig));
      }
      if (!r.auth.sent_timestamp.empty()) {
        all = absl::StrReplaceAll(
            all, {{absl::StrCat("Timestamp=", ts),
                   absl::StrCat("Timestamp=", r.auth.sent_timestamp)}});
      }
    }
    absl::StrAppend(&all, r.tamper);
    const HttpHeaders host = {{"Host", env.host()}};
    if (r.method == "POST") {
      const std::string target =
          r.query_on_post.empty() ? r.path
                                  : absl::StrCat(r.path, "?", r.query_on_post);
      return HttpRequest(
          "POST", target,
          {{"Host", env.host()}, {"Content-Type", r.content_type}}, all,
          r.version);
    }
    return HttpRequest(r.method, absl::StrCat(r.path, "?", all), host,
                       r.body_on_get, r.version);
  };
}

Build CmqGet(std::string params) { return Cmq({.params = std::move(params)}); }
Build CmqPost(std::string params) {
  return Cmq({.method = "POST", .params = std::move(params)});
}

// ---- TDMQ (API 3.0) -------------------------------------------------------

// A JSON POST to "/" as the TDMQ SDKs send it, signed with TC3-HMAC-SHA256
// (tdmq-cmq-v3.md §4) with the CMQ credentials unless told otherwise.
struct TdmqReq {
  std::string action;
  std::string body = "{}";
  std::string method = "POST";
  // Empty: no X-TC-Version header.
  std::string version = "2020-02-17";
  bool sign = true;
  std::string secret_key = kCmqSecretKey;
  // Added to the current time for X-TC-Timestamp.
  int64_t skew_seconds = 0;
  // Sent instead of `body` once the signature is made, when not empty.
  std::string sent_body;
  std::string content_type = "application/json";
};

Build Tdmq(TdmqReq r) {
  return [r](const Env& env) {
    const int64_t ts = absl::ToUnixSeconds(absl::Now()) + r.skew_seconds;
    const std::string timestamp = absl::StrCat(ts);
    const std::string host = env.host();
    HttpHeaders headers = {{"Host", host},
                           {"Content-Type", r.content_type},
                           {"X-TC-Action", r.action},
                           {"X-TC-Timestamp", timestamp}};
    if (!r.version.empty()) headers.push_back({"X-TC-Version", r.version});
    if (r.sign) {
      namespace tdmq = rewindmq::facade::tdmq;
      const tdmq::Tc3Request signed_request{
          .method = r.method,
          .path = "/",
          .query = "",
          .body = r.body,
          .header =
              [&](absl::string_view name) -> std::optional<absl::string_view> {
            if (name == "content-type") return r.content_type;
            if (name == "host") return host;
            return std::nullopt;
          }};
      headers.push_back(
          {"Authorization",
           tdmq::Tc3Authorization(signed_request, {.secret_id = kCmqSecretId,
                                                   .secret_key = r.secret_key,
                                                   .service = "tdmq",
                                                   .signed_host = host,
                                                   .timestamp = ts})});
    }
    return HttpRequest(r.method, "/", headers,
                       r.sent_body.empty() ? r.body : r.sent_body);
  };
}

// ---- DMS ------------------------------------------------------------------

std::string SdkDate(absl::Time t) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone());
}

struct DmsReq {
  std::string method = "GET";
  std::string target;
  std::string body;
  std::string content_type = "application/json";
  // Empty: no Authorization header.
  std::string ak = kDmsAk;
  std::string sk = kDmsSk;
  // X-Sdk-Date is now + this...
  absl::Duration date_offset = absl::ZeroDuration();
  // ...unless this gives the exact value.
  std::optional<std::string> sdk_date;
  // Sign X-Sdk-Date but leave the header out.
  bool omit_date_header = false;
  // Sent instead of the computed Authorization when not empty.
  std::string authorization;
  // What the signature covers when it differs from what is sent.
  std::optional<std::string> signed_target;
  std::optional<std::string> signed_body;
  // Sent (and signed) as X-Sdk-Content-Sha256 when set.
  std::optional<std::string> content_sha256;
};

Build Dms(DmsReq r) {
  return [r](const Env& env) {
    const std::string date =
        r.sdk_date.value_or(SdkDate(absl::Now() + r.date_offset));
    std::vector<std::pair<std::string, std::string>> signed_headers = {
        {"Content-Type", r.content_type},
        {"Host", env.host()},
        {"X-Sdk-Date", date}};
    if (r.content_sha256.has_value()) {
      signed_headers.emplace_back("X-Sdk-Content-Sha256", *r.content_sha256);
    }
    HttpHeaders headers;
    for (const auto& [name, value] : signed_headers) {
      if (name == "X-Sdk-Date" && r.omit_date_header) continue;
      headers.emplace_back(name, value);
    }
    if (!r.ak.empty()) {
      const std::string auth =
          !r.authorization.empty()
              ? r.authorization
              : rewindmq::facade::dms::SignRequest(
                    r.ak, r.sk, r.method, r.signed_target.value_or(r.target),
                    signed_headers, r.signed_body.value_or(r.body));
      headers.emplace_back("Authorization", auth);
    }
    return HttpRequest(r.method, r.target, headers, r.body);
  };
}

Build DmsGet(std::string target) { return Dms({.target = std::move(target)}); }
Build DmsSend(std::string method, std::string target, std::string body) {
  return Dms({.method = std::move(method),
              .target = std::move(target),
              .body = std::move(body)});
}

// ---- Raw bytes ------------------------------------------------------------

Build Raw(std::string bytes) {
  return [bytes](const Env&) { return bytes; };
}

// ---------------------------------------------------------------------------
// Expected answers.

enum class Format {
  kCmq,    // HTTP 200, {"code","message":"(module)text","requestId"}
  kDms,    // {"error_code":"DMS.xxxxxxxx","error_msg"} + X-Request-Id
  kApigw,  // 401 {"error_code":"APIGW.0301","error_msg","request_id"}
  kPlain,  // the HTTP layer's {"error":{"code","message","request_id"}}
  kTdmq,   // HTTP 200, {"Response":{"Error":{"Code","Message"},"RequestId"}}
};

struct Expect {
  Format format = Format::kCmq;
  int http_status = 200;
  // CMQ: "code/module" ("0" for success); DMS and APIGW: error_code
  // ("" for a success); plain: the error code name.
  std::string code;
  // A substring of the message (CMQ: after "(module)"; DMS: error_msg).
  std::string message;
  // The server closes the connection after this answer.
  bool closes = false;
};

Expect CmqError(int code, int module, std::string text) {
  return {Format::kCmq, 200, absl::StrCat(code, "/", module), std::move(text)};
}
Expect CmqSuccess() { return {Format::kCmq, 200, "0", ""}; }
Expect DmsError(int status, std::string code, std::string text) {
  return {Format::kDms, status, std::move(code), std::move(text)};
}
Expect DmsInvalid(std::string text = "Invalid request parameter") {
  return DmsError(400, "DMS.00400800", std::move(text));
}
Expect DmsSuccess(int status = 200) { return {Format::kDms, status, "", ""}; }
Expect AuthError(std::string reason) {
  return {Format::kApigw, 401, "APIGW.0301", std::move(reason)};
}
Expect TdmqError(std::string code, std::string text = "") {
  return {Format::kTdmq, 200, std::move(code), std::move(text)};
}
Expect HttpError(int status, std::string code) {
  return {Format::kPlain, status, std::move(code), "", /*closes=*/true};
}
Expect Closing(Expect e) {
  e.closes = true;
  return e;
}

// One row of the catalogue.
struct Case {
  std::string name;
  std::string facade;  // "cmq", "dms", "tdmq" or "http"
  Build request;
  Expect expect;
};

// ---------------------------------------------------------------------------
// Checking answers.

bool IsLowerHex(absl::string_view s, size_t size) {
  if (s.size() != size) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

std::optional<json::object> JsonObject(absl::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

std::string StrField(const json::object& o, absl::string_view key) {
  const json::value* v =
      o.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr || !v->is_string()) return "<absent>";
  return std::string(v->get_string());
}

// Checks `r` against `e`; adds a gtest failure per mismatch.
void CheckAnswer(const Expect& e, const HttpResult& r) {
  EXPECT_EQ(r.status, e.http_status) << r.body;
  const std::string request_id = r.Header("X-Request-Id");
  EXPECT_FALSE(request_id.empty()) << "every answer carries X-Request-Id";
  const std::optional<json::object> body = JsonObject(r.body);
  if (e.format != Format::kDms || !e.code.empty()) {
    ASSERT_TRUE(body.has_value()) << "not a JSON object: " << r.body;
  }
  switch (e.format) {
    case Format::kCmq: {
      EXPECT_THAT(r.Header("Content-Type"),
                  ::testing::StartsWith("application/json"));
      const json::value* code = body->if_contains("code");
      ASSERT_TRUE(code != nullptr && code->is_int64()) << r.body;
      const std::string message = StrField(*body, "message");
      EXPECT_EQ(StrField(*body, "requestId"), request_id) << r.body;
      if (e.code == "0") {
        EXPECT_EQ(code->as_int64(), 0) << r.body;
        EXPECT_EQ(message, "");
        break;
      }
      const std::vector<std::string> parts = absl::StrSplit(e.code, '/');
      EXPECT_EQ(absl::StrCat(code->as_int64()), parts[0]) << r.body;
      EXPECT_THAT(message, ::testing::StartsWith("(" + parts[1] + ")"))
          << r.body;
      EXPECT_THAT(message, ::testing::HasSubstr(e.message)) << r.body;
      break;
    }
    case Format::kDms:
      EXPECT_TRUE(IsLowerHex(request_id, 32)) << request_id;
      if (e.code.empty()) break;  // a success
      EXPECT_THAT(r.Header("Content-Type"),
                  ::testing::StartsWith("application/json"));
      EXPECT_EQ(body->size(), 2u)
          << "only error_code and error_msg: " << r.body;
      EXPECT_EQ(StrField(*body, "error_code"), e.code) << r.body;
      EXPECT_THAT(StrField(*body, "error_msg"), ::testing::HasSubstr(e.message))
          << r.body;
      break;
    case Format::kApigw:
      EXPECT_TRUE(IsLowerHex(request_id, 32)) << request_id;
      EXPECT_EQ(StrField(*body, "error_code"), e.code) << r.body;
      EXPECT_THAT(StrField(*body, "error_msg"),
                  ::testing::StartsWith(
                      "Incorrect IAM authentication information: " + e.message))
          << r.body;
      EXPECT_EQ(StrField(*body, "request_id"), request_id) << r.body;
      break;
    case Format::kTdmq: {
      EXPECT_THAT(r.Header("Content-Type"),
                  ::testing::StartsWith("application/json"));
      EXPECT_EQ(body->size(), 1u) << r.body;
      const json::value* response = body->if_contains("Response");
      ASSERT_TRUE(response != nullptr && response->is_object()) << r.body;
      const json::object& o = response->get_object();
      EXPECT_EQ(StrField(o, "RequestId").size(), 36u) << r.body;
      const json::value* error = o.if_contains("Error");
      ASSERT_TRUE(error != nullptr && error->is_object()) << r.body;
      EXPECT_EQ(o.size(), 2u) << "only Error and RequestId: " << r.body;
      EXPECT_EQ(StrField(error->get_object(), "Code"), e.code) << r.body;
      EXPECT_THAT(StrField(error->get_object(), "Message"),
                  ::testing::HasSubstr(e.message))
          << r.body;
      break;
    }
    case Format::kPlain: {
      const json::value* error = body->if_contains("error");
      ASSERT_TRUE(error != nullptr && error->is_object()) << r.body;
      EXPECT_EQ(StrField(error->get_object(), "code"), e.code) << r.body;
      EXPECT_EQ(StrField(error->get_object(), "request_id"), request_id);
      break;
    }
  }
}

// Sends `bytes` on a fresh connection and reads one answer.
absl::StatusOr<HttpResult> Exchange(uint16_t port, absl::string_view bytes,
                                    absl::Duration timeout = kAnswerTimeout) {
  absl::StatusOr<std::unique_ptr<TestHttpClient>> client =
      TestHttpClient::Connect("127.0.0.1", port, timeout);
  if (!client.ok()) return client.status();
  if (absl::Status s = (*client)->SendRaw(bytes); !s.ok()) return s;
  return (*client)->Read();
}

// ---------------------------------------------------------------------------
// The fixture: one server with credentials for both facades, and the data
// the catalogue must not change.

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(server_.Start(
        dir_.path() + "/data", dir_.path() + "/server.log",
        {"--cmq-credentials", absl::StrCat(kCmqSecretId, ":", kCmqSecretKey),
         "--dms-credentials", absl::StrCat(kDmsAk, ":", kDmsSk),
         "--worker-threads", "4"}));
    env_.port = server_.port();
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "---- server log (tail) ----\n" << server_.LogTail();
    }
    EXPECT_EQ(server_.Stop(), std::optional<int>(0));
  }

  absl::StatusOr<HttpResult> Call(const Build& build) {
    return Exchange(env_.port, build(env_));
  }

  // A CMQ call that must succeed; returns its JSON.
  json::object CmqOk(const Build& build) {
    absl::StatusOr<HttpResult> r = Call(build);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    std::optional<json::object> o = JsonObject(r->body);
    EXPECT_TRUE(o.has_value() && o->contains("code") &&
                o->at("code").is_int64() && o->at("code").as_int64() == 0)
        << r->body;
    return o.value_or(json::object());
  }

  // A DMS call that must answer `status`; returns its JSON (empty for 204).
  json::object DmsOk(const Build& build, int status = 200) {
    absl::StatusOr<HttpResult> r = Call(build);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    EXPECT_EQ(r->status, status) << r->body;
    return JsonObject(r->body).value_or(json::object());
  }

  // Queues, topics, groups, messages and group offsets through both
  // facades.
  void CreateState() {
    CmqOk(CmqPost(absl::StrCat("Action=CreateQueue&queueName=", kQueue,
                               "&rewindSeconds=3600")));
    CmqOk(CmqPost(absl::StrCat("Action=CreateQueue&queueName=", kQueue2)));
    for (const char* body : {"alpha", "beta", "gamma"}) {
      CmqOk(CmqPost(absl::StrCat("Action=SendMessage&queueName=", kQueue,
                                 "&msgBody=", body)));
    }
    CmqOk(CmqPost(absl::StrCat("Action=SendMessage&queueName=", kQueue2,
                               "&msgBody=delta")));

    DmsOk(DmsSend("POST", Inst("/topics"),
                  absl::StrCat(R"({"name":")", kTopic, R"(","queue_num":2})")));
    DmsOk(
        DmsSend("POST", Inst("/topics"),
                absl::StrCat(R"({"name":")", kTopic2, R"(","queue_num":1})")));
    DmsOk(DmsSend("POST", Inst("/groups"),
                  absl::StrCat(R"({"name":")", kGroup, R"("})")));
    DmsOk(DmsSend("POST", Inst("/groups"),
                  absl::StrCat(R"({"name":")", kGroup2, R"("})")));
    for (int i = 1; i <= 4; ++i) {
      DmsOk(DmsSend(
          "POST", Engine("/messages"),
          absl::StrCat(R"({"topic":")", kTopic, R"(","body":"m)", i,
                       R"(","property_list":[{"name":"KEYS","value":"k)", i,
                       R"("}]})")));
    }
    // bi-group at the end of bi-topic, bi-group2 at its start: a reset that
    // slipped through would move one of them.
    DmsOk(DmsSend(
        "POST",
        Engine(absl::StrCat("/groups/", kGroup, "/reset-message-offset")),
        absl::StrCat(R"({"topic":")", kTopic, R"(","timestamp":-1})")));
    DmsOk(DmsSend(
        "POST",
        Engine(absl::StrCat("/groups/", kGroup2, "/reset-message-offset")),
        absl::StrCat(R"({"topic":")", kTopic, R"(","timestamp":0})")));
  }

  // Everything a hostile request could have changed, as one string: CMQ
  // queue list and attributes (message counts included), DMS topic and group
  // lists, per-queue offsets of every topic, every group's offsets on
  // bi-topic, and the messages of bi-topic read back with their bodies.
  std::string Fingerprint() {
    std::vector<std::string> parts;
    auto add = [&](absl::string_view what, const Build& build) {
      absl::StatusOr<HttpResult> r = Call(build);
      if (!r.ok()) {
        parts.push_back(absl::StrCat(what, ": ", r.status().ToString()));
        return;
      }
      std::optional<json::object> o = JsonObject(r->body);
      if (o.has_value()) o->erase("requestId");  // differs per request
      parts.push_back(
          absl::StrCat(what, " ", r->status, " ",
                       o.has_value() ? json::serialize(*o) : r->body));
    };
    add("cmq list", CmqGet("Action=ListQueue&limit=50"));
    for (const char* q : {kQueue, kQueue2}) {
      add(absl::StrCat("cmq attributes ", q),
          CmqGet(absl::StrCat("Action=GetQueueAttributes&queueName=", q)));
    }
    add("dms topics", DmsGet(Inst("/topics?limit=50")));
    add("dms groups", DmsGet(Inst("/groups?limit=50")));
    for (const char* t : {kTopic, kTopic2}) {
      add(absl::StrCat("dms status ", t),
          DmsGet(Inst(absl::StrCat("/topics/", t, "/status"))));
    }
    for (const char* g : {kGroup, kGroup2}) {
      add(absl::StrCat("dms offsets ", g),
          DmsGet(Inst(absl::StrCat("/groups/", g, "/topics?topic=", kTopic))));
    }
    add("dms messages",
        DmsGet(Engine(absl::StrCat(
            "/messages?topic=", kTopic, "&start_time=0&end_time=",
            absl::ToUnixMillis(absl::Now() + absl::Hours(24)), "&limit=50"))));
    return absl::StrJoin(parts, "\n");
  }

  // (b): the process lives, and fresh connections get /healthz, a signed
  // CMQ call and a signed DMS call answered promptly.
  void ExpectServing() {
    ASSERT_TRUE(server_.Alive()) << "the server died; log:\n"
                                 << server_.LogTail();
    const absl::Time start = absl::Now();
    absl::StatusOr<HttpResult> health =
        Exchange(env_.port, HttpRequest("GET", "/healthz", {}, ""), kPromptly);
    ASSERT_TRUE(health.ok()) << health.status();
    EXPECT_EQ(health->status, 200);
    absl::StatusOr<HttpResult> cmq =
        Exchange(env_.port, CmqGet("Action=ListQueue")(env_), kPromptly);
    ASSERT_TRUE(cmq.ok()) << cmq.status();
    EXPECT_THAT(cmq->body, ::testing::HasSubstr(R"("code":0,)"));
    absl::StatusOr<HttpResult> dms =
        Exchange(env_.port, DmsGet(Inst())(env_), kPromptly);
    ASSERT_TRUE(dms.ok()) << dms.status();
    EXPECT_EQ(dms->status, 200) << dms->body;
    EXPECT_LT(absl::Now() - start, kPromptly);
  }

  // Runs one case: (a), then (b) on the same connection when the server
  // keeps it open, then (b) on fresh connections.
  void RunCase(const Case& c) {
    SCOPED_TRACE(absl::StrCat("case ", c.name, " (", c.facade, ")"));
    absl::StatusOr<std::unique_ptr<TestHttpClient>> client =
        TestHttpClient::Connect("127.0.0.1", env_.port, kAnswerTimeout);
    ASSERT_TRUE(client.ok()) << client.status();
    const std::string bytes = c.request(env_);
    // A send may fail after the server answered early and closed; the
    // answer is still there to read.
    (*client)->SendRaw(bytes).IgnoreError();
    absl::StatusOr<HttpResult> r = (*client)->Read();
    ASSERT_TRUE(r.ok()) << "no answer: " << r.status()
                        << "\nrequest: " << bytes.substr(0, 300);
    CheckAnswer(c.expect, *r);
    if (c.expect.closes) {
      EXPECT_FALSE(r->keep_alive);
      EXPECT_OK((*client)->WaitForClose());
    } else {
      // The same connection serves the next request.
      EXPECT_TRUE(r->keep_alive) << "the server closed after: " << r->body;
      if (r->keep_alive) {
        absl::StatusOr<HttpResult> next =
            (*client)->Roundtrip("GET", "/healthz");
        ASSERT_TRUE(next.ok()) << next.status();
        EXPECT_EQ(next->status, 200);
      }
    }
    ExpectServing();
  }

  rmqtest::ScopedTempDir dir_;
  ServerProcess server_;
  Env env_;
};

// ---- TDMQ (API 3.0) cases: tdmq-cmq-v3.md §3.3, §4.7, §6 -------------------

std::vector<Case> TdmqCases() {
  auto create = [](std::string body) {
    return Tdmq({.action = "CreateCmqQueue", .body = std::move(body)});
  };
  std::vector<Case> c;
  auto add = [&c](std::string name, Build b, Expect e) {
    c.push_back({std::move(name), "tdmq", std::move(b), std::move(e)});
  };
  // Authentication (the server has CMQ credentials: strict mode).
  add("tdmq unsigned", Tdmq({.action = "DescribeCmqQueues", .sign = false}),
      TdmqError("AuthFailure.InvalidAuthorization"));
  add("tdmq wrong key",
      Tdmq({.action = "DescribeCmqQueues", .secret_key = "wrong"}),
      TdmqError("AuthFailure.SignatureFailure"));
  add("tdmq timestamp 301 s old",
      Tdmq({.action = "DescribeCmqQueues", .skew_seconds = -301}),
      TdmqError("AuthFailure.SignatureExpire"));
  add("tdmq timestamp 301 s ahead",
      Tdmq({.action = "DescribeCmqQueues", .skew_seconds = 301}),
      TdmqError("AuthFailure.SignatureExpire"));
  add("tdmq body swapped after signing",
      Tdmq({.action = "DeleteCmqQueue",
            .body = R"({"QueueName":"nothere"})",
            .sent_body = absl::StrCat(R"({"QueueName":")", kQueue, R"("})")}),
      TdmqError("AuthFailure.SignatureFailure"));
  // Action, version, method.
  add("tdmq no version", Tdmq({.action = "DescribeCmqQueues", .version = ""}),
      TdmqError("MissingParameter", "Version"));
  add("tdmq old version",
      Tdmq({.action = "DescribeCmqQueues", .version = "2019-03-04"}),
      TdmqError("NoSuchVersion"));
  add("tdmq unknown action", Tdmq({.action = "DropEverything"}),
      TdmqError("InvalidAction"));
  add("tdmq pulsar action", Tdmq({.action = "ReceiveMessage"}),
      TdmqError("UnsupportedOperation"));
  add("tdmq PUT", Tdmq({.action = "DescribeCmqQueues", .method = "PUT"}),
      TdmqError("UnsupportedProtocol"));
  // Bodies and types.
  add("tdmq invalid JSON", create("{"), TdmqError("InvalidParameter"));
  add("tdmq JSON array", create("[1,2]"), TdmqError("InvalidParameter"));
  add("tdmq JSON nested 100000 deep",
      create(std::string(100000, '[') + std::string(100000, ']')),
      TdmqError("InvalidParameter"));
  add("tdmq repeated key",
      create(R"({"QueueName":"bi-new1","QueueName":"bi-new2"})"),
      TdmqError("InvalidParameter", "repeated"));
  add("tdmq invalid UTF-8", create("{\"QueueName\":\"bi\xff\"}"),
      TdmqError("InvalidParameter"));
  add("tdmq name as number", create(R"({"QueueName":42})"),
      TdmqError("InvalidParameter"));
  add("tdmq fraction", create(R"({"QueueName":"biNew","MaxMsgSize":2048.5})"),
      TdmqError("InvalidParameter"));
  add("tdmq 1e400", create(R"({"QueueName":"biNew","MaxMsgSize":1e400})"),
      TdmqError("InvalidParameter"));
  add("tdmq negative u64", create(R"({"QueueName":"biNew","MaxMsgSize":-1})"),
      TdmqError("InvalidParameterValue"));
  add("tdmq beyond 64 bits",
      create(R"({"QueueName":"biNew","MaxMsgSize":184467440737095516160})"),
      TdmqError("InvalidParameter"));
  add("tdmq unknown key", create(R"({"QueueName":"biNew","Colour":"red"})"),
      TdmqError("UnknownParameter", "Colour"));
  add("tdmq path trick in a name", create(R"({"QueueName":"../biOrders"})"),
      TdmqError("InvalidParameterValue"));
  add("tdmq NUL in a name",
      Tdmq({.action = "DeleteCmqQueue",
            .body = absl::StrCat(R"({"QueueName":")", kQueue, R"(\u0000"})")}),
      TdmqError("ResourceNotFound"));
  add("tdmq empty name", create(R"({"QueueName":""})"),
      TdmqError("MissingParameter", "QueueName"));
  // State the request may not change.
  add("tdmq existing queue, other case",
      create(absl::StrCat(R"({"QueueName":")", absl::AsciiStrToUpper(kQueue),
                          R"("})")),
      TdmqError("ResourceInUse.Queue"));
  add("tdmq rewind off",
      Tdmq({.action = "RewindCmqQueue",
            .body = absl::StrCat(R"({"QueueName":")", kQueue2,
                                 R"(","StartConsumeTime":1700000000})")}),
      TdmqError("FailedOperation"));
  add("tdmq rewind before the window",
      Tdmq({.action = "RewindCmqQueue",
            .body = absl::StrCat(R"({"QueueName":")", kQueue,
                                 R"(","StartConsumeTime":1000000000})")}),
      TdmqError("InvalidParameterValue"));
  add("tdmq empty message",
      Tdmq({.action = "SendCmqMsg",
            .body = absl::StrCat(R"({"QueueName":")", kQueue,
                                 R"(","MsgContent":""})")}),
      TdmqError("InvalidParameterValue"));
  add("tdmq limit 0",
      Tdmq({.action = "DescribeCmqQueues", .body = R"({"Limit":0})"}),
      TdmqError("InvalidParameterValue"));
  add("tdmq body over 4 MiB",
      Tdmq({.action = "SendCmqMsg",
            .body =
                absl::StrCat(R"({"QueueName":")", kQueue, R"(","MsgContent":")",
                             std::string(5 << 20, 'x'), R"("})")}),
      Closing(TdmqError("RequestSizeLimitExceeded")));
  return c;
}

// ---------------------------------------------------------------------------
// The catalogue.

std::vector<Case> CmqCases() {
  const std::string q = kQueue;
  const std::string long_name(65, 'a');
  const std::string huge_name(5000, 'b');
  const std::string send = "Action=SendMessage&queueName=" + q + "&msgBody=x";
  const std::string create = "Action=CreateQueue&queueName=biNew";
  std::string seventeen = "Action=BatchSendMessage&queueName=" + q;
  for (int i = 1; i <= 17; ++i) {
    absl::StrAppend(&seventeen, "&msgBody.", i, "=b");
  }
  return {
      // -- methods, actions, routes (§2.3, §5.2) --
      {"cmq method PUT", "cmq",
       Cmq({.method = "PUT", .params = "Action=ListQueue"}),
       CmqError(4000, 10410, "unexpected http PUT only GET or POST")},
      {"cmq method DELETE", "cmq",
       Cmq({.method = "DELETE", .params = "Action=DeleteQueue&queueName=" + q}),
       CmqError(4000, 10410, "only GET or POST is supported")},
      {"cmq missing Action", "cmq", CmqGet("queueName=" + q),
       CmqError(4000, 10280, "action is not existed")},
      {"cmq empty Action", "cmq", CmqGet("Action=&queueName=" + q),
       CmqError(4000, 10280, "action is not existed")},
      {"cmq unknown Action", "cmq", CmqGet("Action=DropAllQueues"),
       CmqError(4000, 10430, "action name DropAllQueues is not existed")},
      {"cmq topic Action on the queue host", "cmq",
       CmqGet("Action=CreateTopic&topicName=t"),
       CmqError(4000, 10430, "action name CreateTopic is not existed")},
      {"cmq Action with a NUL byte", "cmq",
       CmqGet("Action=DeleteQueue%00&queueName=" + q),
       CmqError(4000, 10430, "is not existed")},
      // -- duplicated parameters --
      {"cmq Action twice", "cmq",
       CmqGet("Action=ListQueue&Action=DeleteQueue&queueName=" + q),
       CmqError(4000, 10330, "parameter Action is NOT a repeatable parameter")},
      {"cmq queueName twice", "cmq",
       CmqPost("Action=DeleteQueue&queueName=" + q + "&queueName=" + kQueue2),
       CmqError(4000, 10330, "queueName is NOT a repeatable")},
      // -- missing required parameters --
      {"cmq SendMessage without queueName", "cmq",
       CmqPost("Action=SendMessage&msgBody=x"),
       CmqError(4000, 10010, "lacked of required parameters")},
      {"cmq SendMessage without msgBody", "cmq",
       CmqPost("Action=SendMessage&queueName=" + q),
       CmqError(4000, 10010, "lacked of required parameters")},
      {"cmq BatchSendMessage without any msgBody.N", "cmq",
       CmqPost("Action=BatchSendMessage&queueName=" + q),
       CmqError(4000, 10010, "lacked of required parameters")},
      {"cmq RewindQueue without startConsumeTime", "cmq",
       CmqGet("Action=RewindQueue&queueName=" + q),
       CmqError(4000, 10010, "lacked of required parameters")},
      {"cmq DeleteMessage without receiptHandle", "cmq",
       CmqPost("Action=DeleteMessage&queueName=" + q),
       CmqError(4000, 10010, "lacked of required parameters")},
      // -- wrong types in form parameters --
      {"cmq delaySeconds as a word", "cmq", CmqPost(send + "&delaySeconds=abc"),
       CmqError(4000, 10360, "parameter delaySeconds error type")},
      {"cmq delaySeconds fractional", "cmq",
       CmqPost(send + "&delaySeconds=1.5"),
       CmqError(4000, 10360, "delaySeconds error type")},
      {"cmq delaySeconds with an exponent", "cmq",
       CmqPost(send + "&delaySeconds=1e3"),
       CmqError(4000, 10360, "delaySeconds error type")},
      {"cmq delaySeconds with a plus sign", "cmq",
       CmqPost(send + "&delaySeconds=%2B5"),
       CmqError(4000, 10360, "delaySeconds error type")},
      {"cmq delaySeconds as a boolean", "cmq",
       CmqPost(send + "&delaySeconds=true"),
       CmqError(4000, 10360, "delaySeconds error type")},
      {"cmq delaySeconds as a JSON array", "cmq",
       CmqPost(send + "&delaySeconds=%5B1%5D"),
       CmqError(4000, 10360, "delaySeconds error type")},
      {"cmq delaySeconds empty", "cmq", CmqPost(send + "&delaySeconds="),
       CmqError(4000, 10360, "delaySeconds error type")},
      {"cmq delaySeconds negative", "cmq", CmqPost(send + "&delaySeconds=-1"),
       CmqError(4000, 10692, "delay seconds is out of range")},
      {"cmq delaySeconds beyond 64 bits", "cmq",
       CmqPost(send + "&delaySeconds=99999999999999999999999"),
       CmqError(4000, 10692, "delay seconds is out of range")},
      {"cmq CreateQueue maxMsgHeapNum fractional", "cmq",
       CmqPost(create + "&maxMsgHeapNum=1000000.5"),
       CmqError(4000, 10360, "maxMsgHeapNum error type")},
      {"cmq CreateQueue visibilityTimeout zero", "cmq",
       CmqPost(create + "&visibilityTimeout=0"),
       CmqError(4000, 10350,
                "visibilityTimeout value or length is out of range")},
      {"cmq CreateQueue rewindSeconds beyond 64 bits", "cmq",
       CmqPost(create + "&rewindSeconds=99999999999999999999"),
       CmqError(4000, 10350, "rewindSeconds value or length is out of range")},
      {"cmq CreateQueue msgRetentionSeconds negative", "cmq",
       CmqPost(create + "&msgRetentionSeconds=-60"),
       CmqError(4000, 10350, "msgRetentionSeconds value")},
      {"cmq SetQueueAttributes rewind above retention", "cmq",
       CmqPost("Action=SetQueueAttributes&queueName=" + q +
               "&msgRetentionSeconds=60&rewindSeconds=120"),
       CmqError(4000, 10700, "rewindSeconds cannot be greater")},
      {"cmq ListQueue limit zero", "cmq", CmqGet("Action=ListQueue&limit=0"),
       CmqError(4000, 10350, "parameter limit value")},
      {"cmq ListQueue offset negative", "cmq",
       CmqGet("Action=ListQueue&offset=-1"),
       CmqError(4000, 10350, "parameter offset value")},
      {"cmq BatchReceiveMessage numOfMsg 17", "cmq",
       CmqGet("Action=BatchReceiveMessage&queueName=" + q + "&numOfMsg=17"),
       CmqError(4000, 10350, "numOfMsg value")},
      {"cmq ReceiveMessage pollingWaitSeconds huge", "cmq",
       CmqGet("Action=ReceiveMessage&queueName=" + q +
              "&pollingWaitSeconds=99999999999999999999"),
       CmqError(4000, 10350, "pollingWaitSeconds value")},
      {"cmq RewindQueue time beyond 64 bits", "cmq",
       CmqGet("Action=RewindQueue&queueName=" + q +
              "&startConsumeTime=99999999999999999999"),
       CmqError(4000, 10680, "invalid rewind time")},
      {"cmq RewindQueue time below -2^63", "cmq",
       CmqGet("Action=RewindQueue&queueName=" + q +
              "&startConsumeTime=-99999999999999999999"),
       CmqError(4000, 10680, "invalid rewind time")},
      // -- arrays (§3) --
      {"cmq array index not numeric", "cmq",
       CmqPost("Action=BatchSendMessage&queueName=" + q + "&msgBody.x=a"),
       CmqError(4000, 10310, "parameter msgBody.x key format error")},
      {"cmq array index with a leading zero", "cmq",
       CmqPost("Action=BatchSendMessage&queueName=" + q + "&msgBody.01=a"),
       CmqError(4000, 10310, "key format error")},
      {"cmq array indices with a gap", "cmq",
       CmqPost("Action=BatchSendMessage&queueName=" + q +
               "&msgBody.1=a&msgBody.3=c"),
       CmqError(4000, 10380, "msgBody parameter is not consequent")},
      {"cmq batch of 17 bodies", "cmq", CmqPost(seventeen),
       CmqError(4000, 10370, "msgBody parameter batch size is out of range")},
      {"cmq empty msgBody", "cmq",
       CmqPost("Action=SendMessage&queueName=" + q + "&msgBody="),
       CmqError(4000, 10120, "message body can't be empty")},
      // -- bad encodings (§2.4) --
      {"cmq invalid UTF-8 in a value", "cmq",
       CmqPost("Action=SendMessage&queueName=" + q + "&msgBody=%FF%FE"),
       CmqError(4000, 10420, "cannot parse")},
      {"cmq overlong UTF-8 in a value", "cmq",
       CmqPost("Action=SendMessage&queueName=" + q + "&msgBody=%C0%AF"),
       CmqError(4000, 10420, "cannot parse")},
      {"cmq UTF-16 surrogate in a value", "cmq",
       CmqPost("Action=SendMessage&queueName=" + q + "&msgBody=%ED%A0%80"),
       CmqError(4000, 10420, "cannot parse")},
      {"cmq invalid UTF-8 in a name", "cmq", CmqPost("Action=ListQueue&%FF=1"),
       CmqError(4000, 10420, "cannot parse parameter name")},
      {"cmq malformed percent-escape in a name value", "cmq",
       CmqGet("Action=GetQueueAttributes&queueName=%zz" + q),
       CmqError(4000, 10020, "queue name format error")},
      {"cmq truncated percent-escape", "cmq",
       CmqGet("Action=GetQueueAttributes&queueName=" + q + "%4"),
       CmqError(4000, 10020, "queue name format error")},
      {"cmq JSON body with a JSON Content-Type", "cmq",
       Cmq({.method = "POST",
            .params = "",
            .auth = {.secret_id = ""},
            .tamper = R"({"Action":"DeleteQueue","queueName":"biOrders"})",
            .content_type = "application/json"}),
       CmqError(4000, 10280, "action is not existed")},
      {"cmq form body with a JSON Content-Type still parses", "cmq",
       Cmq({.method = "POST",
            .params = "Action=ListQueue",
            .content_type = "application/json"}),
       CmqSuccess()},
      {"cmq GET carrying a hostile body (ignored)", "cmq",
       Cmq({.params = "Action=ListQueue",
            .body_on_get = "Action=DeleteQueue&queueName=" + q}),
       CmqSuccess()},
      // -- path tricks and hostile names (§6 name rule) --
      {"cmq queue name ..", "cmq", CmqPost("Action=DeleteQueue&queueName=.."),
       CmqError(4000, 10020, "queue name format error")},
      {"cmq queue name %2e%2e%2f", "cmq",
       CmqPost("Action=CreateQueue&queueName=%2e%2e%2fetc"),
       CmqError(4000, 10020, "queue name format error")},
      {"cmq queue name with a slash", "cmq",
       CmqPost("Action=CreateQueue&queueName=bi%2Fescape"),
       CmqError(4000, 10020, "queue name format error")},
      {"cmq queue name with a backslash", "cmq",
       CmqPost("Action=CreateQueue&queueName=bi%5C..%5Cescape"),
       CmqError(4000, 10020, "queue name format error")},
      {"cmq queue name of 65 characters", "cmq",
       CmqPost("Action=CreateQueue&queueName=" + long_name),
       CmqError(4000, 10020, "queue name format error")},
      {"cmq queue name of 5000 characters", "cmq",
       CmqPost("Action=CreateQueue&queueName=" + huge_name),
       CmqError(4000, 10020, "queue name format error")},
      {"cmq queue name with a control character", "cmq",
       CmqPost("Action=CreateQueue&queueName=bi%01ctl"),
       CmqError(4000, 10020, "queue name format error")},
      {"cmq queue name with a NUL byte after a real name", "cmq",
       CmqPost("Action=DeleteQueue&queueName=" + q + "%00"),
       CmqError(4000, 10020, "queue name format error")},
      {"cmq queue name non-ASCII", "cmq",
       CmqPost("Action=CreateQueue&queueName=bi%C3%A9"),
       CmqError(4000, 10020, "queue name format error")},
      {"cmq receipt handle that is a path", "cmq",
       CmqPost("Action=DeleteMessage&queueName=" + q +
               "&receiptHandle=..%2F..%2Fetc%2Fpasswd"),
       CmqError(4430, 10260, "receipt handle is invalid")},
      // -- signatures (§4.4) --
      {"cmq no SecretId", "cmq",
       Cmq({.params = "Action=ListQueue", .auth = {.secret_id = ""}}),
       CmqError(4100, 10270, "secret id is not existed")},
      {"cmq unknown SecretId", "cmq",
       Cmq({.params = "Action=ListQueue", .auth = {.secret_id = "AKIDnobody"}}),
       CmqError(4100, 10270, "secret id is not existed")},
      {"cmq no Signature", "cmq",
       Cmq({.params = "Action=DeleteQueue&queueName=" + q,
            .auth = {.sign = false}}),
       CmqError(4100, 10030, "authentication failed")},
      {"cmq Signature made with another key", "cmq",
       Cmq({.method = "POST",
            .params = "Action=DeleteQueue&queueName=" + q,
            .auth = {.secret_key = "not-the-key"}}),
       CmqError(4100, 10030, "authentication failed")},
      {"cmq Signature that is not Base64", "cmq",
       Cmq({.params = "Action=ListQueue", .auth = {.signature = "%%%"}}),
       CmqError(4100, 10030, "authentication failed")},
      {"cmq SHA-1 signature claimed as HmacSHA256", "cmq",
       Cmq({.params = "Action=ListQueue", .auth = {.sign_with_sha1 = true}}),
       CmqError(4100, 10030, "authentication failed")},
      {"cmq parameter added after signing", "cmq",
       Cmq({.method = "POST",
            .params = "Action=SendMessage&queueName=" + q + "&msgBody=x",
            .tamper = "&delaySeconds=5"}),
       CmqError(4100, 10030, "authentication failed")},
      {"cmq unsigned query next to a signed POST body", "cmq",
       Cmq({.method = "POST",
            .params = "Action=ListQueue",
            .query_on_post = "Action=DeleteQueue&queueName=" + q}),
       CmqError(4100, 10030, "authentication failed")},
      {"cmq signed for /v2/index.php, sent to /", "cmq",
       Cmq({.method = "POST",
            .path = "/",
            .params = "Action=DeleteQueue&queueName=" + q,
            .auth = {.signed_path = kCmqPath}}),
       CmqError(4100, 10030, "authentication failed")},
      {"cmq signed for another host", "cmq",
       Cmq({.params = "Action=DeleteQueue&queueName=" + q,
            .auth = {.signed_host = "cmq-queue-gz.api.qcloud.com"}}),
       CmqError(4100, 10030, "authentication failed")},
      // §4.4: the emulator does not reject on Timestamp age; a request
      // dated outside any window is judged by its signature alone.
      {"cmq Timestamp in 1970, validly signed (no age check, §4.4)", "cmq",
       Cmq({.params = "Action=ListQueue", .auth = {.timestamp = "1"}}),
       CmqSuccess()},
      {"cmq Timestamp in 2100, validly signed (no age check, §4.4)", "cmq",
       Cmq({.params = "Action=ListQueue", .auth = {.timestamp = "4102444800"}}),
       CmqSuccess()},
      {"cmq old request replayed with a fresh Timestamp", "cmq",
       Cmq({.params = "Action=DeleteQueue&queueName=" + q,
            .auth = {.timestamp = "1700000000",
                     .sent_timestamp = "4102444800"}}),
       CmqError(4100, 10030, "authentication failed")},
      // -- extremes that must neither overflow nor change anything --
      {"cmq ListQueue offset at 2^63-1", "cmq",
       CmqGet("Action=ListQueue&offset=9223372036854775807&limit=50"),
       CmqSuccess()},
      {"cmq message of 3 MiB (within the body limit, over maxMsgSize)", "cmq",
       CmqPost("Action=SendMessage&queueName=" + q +
               "&msgBody=" + std::string(3 << 20, 'm')),
       CmqError(4400, 10230, "exceed maximum message size")},
      // -- HTTP versions --
      {"cmq over HTTP/1.0", "cmq",
       Cmq({.params = "Action=ListQueue", .version = "1.0"}),
       Closing(CmqSuccess())},
  };
}

std::vector<Case> DmsCases() {
  const std::string topics = Inst("/topics");
  const std::string groups = Inst("/groups");
  const std::string reset =
      Engine(absl::StrCat("/groups/", kGroup, "/reset-message-offset"));
  auto reset_with = [&](absl::string_view timestamp) {
    return DmsSend("POST", reset,
                   absl::StrCat(R"({"topic":")", kTopic, R"(","timestamp":)",
                                timestamp, "}"));
  };
  auto create_topic = [&](absl::string_view fields) {
    return DmsSend("POST", topics, absl::StrCat("{", fields, "}"));
  };
  const std::string query = Engine(absl::StrCat("/messages?topic=", kTopic));
  const std::string long_name(65, 'a');
  const std::string huge_name(5000, 'b');
  std::string deep(100000, '[');
  // A signed reset to the latest offset whose body was swapped for a reset
  // to the earliest: the signature covers the body hash header, which
  // names the original body.
  const std::string signed_reset =
      absl::StrCat(R"({"topic":")", kTopic, R"(","timestamp":-1})");
  const std::string swapped_reset =
      absl::StrCat(R"({"topic":")", kTopic, R"(","timestamp":0})");
  return {
      // -- a captured request replayed with another body --
      {"dms body swapped under a signed X-Sdk-Content-Sha256", "dms",
       Dms({.method = "POST",
            .target = reset,
            .body = swapped_reset,
            .content_sha256 = rewindmq::facade::dms::HexSha256(signed_reset)}),
       AuthError("x-sdk-content-sha256 does not match the request body")},
      // -- routes and methods (§1.3, §1.6) --
      {"dms unknown route", "dms", DmsGet(Inst("/frobnicate")),
       DmsError(404, "DMS.00404001", "The requested URL does not exist.")},
      {"dms unknown engine", "dms",
       DmsGet(absl::StrCat("/v2/kafka/local/instances/", kInstance,
                           "/messages?topic=", kTopic)),
       DmsError(404, "DMS.00404001", "does not exist")},
      {"dms path next to the CMQ path", "dms", DmsGet("/v2/index.phpx"),
       DmsError(404, "DMS.00404001", "does not exist")},
      {"dms wrong method on topics", "dms", DmsSend("PATCH", topics, "{}"),
       DmsError(405, "DMS.00405001", "This request method is not allowed.")},
      {"dms DELETE on the topic collection", "dms",
       DmsSend("DELETE", topics, ""),
       DmsError(405, "DMS.00405001", "not allowed")},
      {"dms invalid project id", "dms",
       DmsGet(absl::StrCat("/v2/a.b/instances/", kInstance, "/topics")),
       DmsError(400, "DMS.00400002", "The project ID format is invalid.")},
      {"dms unset project id template", "dms",
       DmsGet(absl::StrCat("/v2/%7Bproject_id%7D/instances/", kInstance)),
       DmsError(400, "DMS.00400002", "project ID")},
      {"dms unknown instance", "dms",
       DmsGet(
           "/v2/local/instances/00000000-0000-4000-8000-0000000000ff/topics"),
       DmsError(404, "DMS.00404022", "This instance does not exist.")},
      {"dms unknown batch action", "dms",
       DmsSend("POST", topics + "?action=drop", R"({"topics":["bi-topic"]})"),
       DmsInvalid()},
      // -- bodies: empty, not JSON, wrong Content-Type, encodings --
      {"dms empty body", "dms", DmsSend("POST", topics, ""),
       DmsError(400, "DMS.00400004", "The request body is empty.")},
      {"dms truncated JSON", "dms", DmsSend("POST", topics, R"({"name":)"),
       DmsError(400, "DMS.00400005", "not in JSON format")},
      {"dms JSON array instead of an object", "dms",
       DmsSend("POST", topics, R"(["bi-evil"])"),
       DmsError(400, "DMS.00400005", "not in JSON format")},
      {"dms JSON nested 100000 deep", "dms", DmsSend("POST", topics, deep),
       DmsError(400, "DMS.00400005", "not in JSON format")},
      {"dms JSON nested deep inside a field", "dms",
       create_topic(R"("name":"bi-deep","queue_num":)" +
                    std::string(5000, '[')),
       DmsError(400, "DMS.00400005", "not in JSON format")},
      {"dms form body with a form Content-Type", "dms",
       Dms({.method = "POST",
            .target = topics,
            .body = "name=bi-form&queue_num=1",
            .content_type = kForm}),
       DmsError(400, "DMS.00400005", "not in JSON format")},
      {"dms invalid UTF-8 in JSON", "dms",
       create_topic("\"name\":\"bi-\xff\xfe\""),
       DmsError(400, "DMS.00400005", "not in JSON format")},
      {"dms overlong UTF-8 in JSON", "dms",
       create_topic("\"name\":\"bi-\xc0\xaf\""),
       DmsError(400, "DMS.00400005", "not in JSON format")},
      {"dms raw NUL byte in JSON", "dms",
       create_topic(
           absl::StrCat(R"("name":"bi-)", std::string(1, '\0'), R"(x")")),
       DmsError(400, "DMS.00400005", "not in JSON format")},
      {"dms lone UTF-16 surrogate escape", "dms",
       create_topic(R"("name":"bi-\ud800x")"),
       DmsError(400, "DMS.00400005", "not in JSON format")},
      // Duplicate keys: the last one wins, as in JavaScript's JSON.parse;
      // here the last name is invalid, so nothing is created.
      {"dms duplicate keys in JSON", "dms",
       create_topic(R"("name":"bi-dup","name":"x")"), DmsInvalid()},
      // -- wrong types (JSON) --
      {"dms queue_num as a string", "dms",
       create_topic(R"("name":"bi-new","queue_num":"4")"), DmsInvalid()},
      {"dms queue_num fractional", "dms",
       create_topic(R"("name":"bi-new","queue_num":4.5)"), DmsInvalid()},
      {"dms queue_num negative", "dms",
       create_topic(R"("name":"bi-new","queue_num":-1)"), DmsInvalid()},
      {"dms queue_num beyond 64 bits", "dms",
       create_topic(R"("name":"bi-new","queue_num":99999999999999999999999)"),
       DmsInvalid()},
      {"dms queue_num with a huge exponent", "dms",
       create_topic(R"("name":"bi-new","queue_num":1e400)"), DmsInvalid()},
      {"dms queue_num as a boolean", "dms",
       create_topic(R"("name":"bi-new","queue_num":true)"), DmsInvalid()},
      {"dms queue_num as an object", "dms",
       create_topic(R"("name":"bi-new","queue_num":{"n":4})"), DmsInvalid()},
      {"dms name as a number", "dms", create_topic(R"("name":12345)"),
       DmsInvalid()},
      {"dms name as an array", "dms", create_topic(R"("name":["bi-new"])"),
       DmsInvalid()},
      {"dms name null", "dms", create_topic(R"("name":null)"), DmsInvalid()},
      {"dms permission as a boolean", "dms",
       create_topic(R"("name":"bi-new","permission":true)"), DmsInvalid()},
      {"dms reset timestamp as a word", "dms", reset_with(R"("yesterday")"),
       DmsError(400, "DMS.00400142", "Timestamp is invalid.")},
      {"dms reset timestamp as a boolean", "dms", reset_with("true"),
       DmsError(400, "DMS.00400142", "Timestamp is invalid.")},
      {"dms reset timestamp fractional", "dms", reset_with("1.5"),
       DmsError(400, "DMS.00400142", "Timestamp is invalid.")},
      {"dms reset timestamp as an array", "dms", reset_with("[0]"),
       DmsError(400, "DMS.00400142", "Timestamp is invalid.")},
      {"dms reset timestamp below -1", "dms", reset_with("-2"),
       DmsError(400, "DMS.00400142", "Timestamp is invalid.")},
      {"dms reset timestamp empty string", "dms", reset_with(R"("")"),
       DmsError(400, "DMS.00400142", "Timestamp is invalid.")},
      {"dms reset timestamp string of 20 digits", "dms",
       reset_with(R"("99999999999999999999")"),
       DmsError(400, "DMS.00400142", "Timestamp is invalid.")},
      {"dms reset timestamp number beyond 64 bits", "dms", reset_with("1e300"),
       DmsError(400, "DMS.00400142", "Timestamp is invalid.")},
      {"dms reset timestamp null", "dms", reset_with("null"), DmsInvalid()},
      {"dms reset without timestamp", "dms",
       DmsSend("POST", reset, absl::StrCat(R"({"topic":")", kTopic, R"("})")),
       DmsInvalid()},
      {"dms reset topic as a number", "dms",
       DmsSend("POST", reset, R"({"topic":7,"timestamp":0})"), DmsInvalid()},
      {"dms query start_time as a word", "dms",
       DmsGet(query + "&start_time=abc&end_time=1"),
       DmsError(400, "DMS.00400142", "Timestamp is invalid.")},
      {"dms query start_time negative", "dms",
       DmsGet(query + "&start_time=-5&end_time=1"),
       DmsError(400, "DMS.00400142", "Timestamp is invalid.")},
      {"dms query without a time range", "dms", DmsGet(query), DmsInvalid()},
      {"dms query without topic", "dms",
       DmsGet(Engine("/messages?start_time=0&end_time=1")), DmsInvalid()},
      {"dms list limit zero", "dms", DmsGet(topics + "?limit=0"), DmsInvalid()},
      {"dms list limit 51", "dms", DmsGet(topics + "?limit=51"), DmsInvalid()},
      {"dms list limit as a word", "dms", DmsGet(topics + "?limit=ten"),
       DmsInvalid()},
      {"dms list offset negative", "dms", DmsGet(groups + "?offset=-1"),
       DmsInvalid()},
      {"dms list limit beyond 64 bits", "dms",
       DmsGet(groups + "?limit=99999999999999999999"), DmsInvalid()},
      // -- extremes that must neither overflow nor change anything --
      {"dms list offset at 2^63-1", "dms",
       DmsGet(topics + "?offset=9223372036854775807&limit=50"), DmsSuccess()},
      {"dms query offset and limit at 2^63-1", "dms",
       DmsGet(query + "&start_time=0&end_time=9223372036854775807"
                      "&offset=9223372036854775807&limit=9223372036854775807"),
       DmsSuccess()},
      {"dms query queue that is not a number", "dms",
       DmsGet(query + "&start_time=0&end_time=1&queue=abc"), DmsInvalid()},
      {"dms reset to 2^63-1 ms (the group is at the end already)", "dms",
       reset_with(R"("9223372036854775807")"), DmsSuccess()},
      {"dms message of 5 MiB (within the body limit, over 4 MiB)", "dms",
       DmsSend("POST", Engine("/messages"),
               absl::StrCat(R"({"topic":")", kTopic, R"(","body":")",
                            std::string(5 << 20, 'm'), R"("})")),
       DmsError(400, "DMS.10540011", "larger than the size limit")},
      // -- path tricks and hostile names (§4 name rule) --
      {"dms topic path ..", "dms", DmsSend("DELETE", topics + "/..", ""),
       DmsError(400, "DMS.00400876", "The topic does not exist.")},
      {"dms topic path %2e%2e", "dms",
       DmsSend("DELETE", topics + "/%2e%2e", ""),
       DmsError(400, "DMS.00400876", "The topic does not exist.")},
      {"dms topic path with %2F climbing to a group", "dms",
       DmsSend("DELETE",
               topics + "/" + kTopic + "%2F..%2F..%2Fgroups%2F" + kGroup, ""),
       DmsError(400, "DMS.00400876", "The topic does not exist.")},
      {"dms topic path with /../ segments", "dms",
       DmsSend("DELETE", topics + "/" + kTopic + "/../" + kTopic2, ""),
       DmsError(404, "DMS.00404001", "does not exist")},
      {"dms topic path with a backslash", "dms",
       DmsSend("DELETE", topics + "/..%5C" + kTopic, ""),
       DmsError(400, "DMS.00400876", "The topic does not exist.")},
      {"dms topic path with a NUL after a real name", "dms",
       DmsSend("DELETE", topics + "/" + kTopic + "%00", ""),
       DmsError(400, "DMS.00400876", "The topic does not exist.")},
      {"dms topic path with a malformed escape", "dms",
       DmsGet(topics + "/bi-%zz/status"),
       DmsError(400, "DMS.00400876", "The topic does not exist.")},
      {"dms group path %2e%2e", "dms",
       DmsSend("DELETE", groups + "/%2e%2e", ""),
       DmsError(404, "DMS.10240405", "consumption group ID")},
      {"dms group path with a NUL after a real name", "dms",
       DmsSend("DELETE", groups + "/" + kGroup + "%00", ""),
       DmsError(404, "DMS.10240405", "consumption group ID")},
      {"dms group path of 5000 characters", "dms",
       DmsSend("DELETE", groups + "/" + huge_name, ""),
       DmsError(404, "DMS.10240405", "consumption group ID")},
      {"dms create topic ../escape", "dms",
       create_topic(R"("name":"../escape")"), DmsInvalid()},
      {"dms create topic with a slash", "dms",
       create_topic(R"("name":"a/b/c")"), DmsInvalid()},
      {"dms create topic with a backslash", "dms",
       create_topic(R"("name":"a\\b\\c")"), DmsInvalid()},
      {"dms create topic of 65 characters", "dms",
       create_topic(absl::StrCat(R"("name":")", long_name, R"(")")),
       DmsInvalid()},
      {"dms create topic of 2 characters", "dms",
       create_topic(R"("name":"ab")"), DmsInvalid()},
      {"dms create topic with a control character", "dms",
       create_topic(R"("name":"bi\u0001ctl")"), DmsInvalid()},
      {"dms create topic with an escaped NUL", "dms",
       create_topic(R"("name":"bi-topic\u0000")"), DmsInvalid()},
      {"dms create reserved topic rmq_sys_", "dms",
       create_topic(R"("name":"rmq_sys_evil")"), DmsInvalid()},
      {"dms create reserved topic TBW102", "dms",
       create_topic(R"("name":"TBW102")"), DmsInvalid()},
      {"dms create reserved topic SCHEDULE_TOPIC_XXXX", "dms",
       create_topic(R"("name":"SCHEDULE_TOPIC_XXXX")"), DmsInvalid()},
      {"dms create group ..", "dms",
       DmsSend("POST", groups, R"({"name":".."})"), DmsInvalid()},
      {"dms create group with a control character", "dms",
       DmsSend("POST", groups, R"({"name":"bi-g\u0007rp"})"), DmsInvalid()},
      {"dms create group non-ASCII", "dms",
       DmsSend("POST", groups, R"({"name":"bi-gr\u00fcppe"})"), DmsInvalid()},
      // -- signatures and dates (§10) --
      {"dms no Authorization", "dms", Dms({.target = topics, .ak = ""}),
       AuthError("Authorization header missing or malformed")},
      {"dms Basic Authorization", "dms",
       Dms({.target = topics, .authorization = "Basic YWRtaW46YWRtaW4="}),
       AuthError("Authorization header missing or malformed")},
      {"dms Authorization with a short signature", "dms",
       Dms({.target = topics,
            .authorization = absl::StrCat(
                "SDK-HMAC-SHA256 Access=", kDmsAk,
                ", SignedHeaders=host;x-sdk-date, Signature=00ff")}),
       AuthError("Authorization header missing or malformed")},
      {"dms unknown access key", "dms", Dms({.target = topics, .ak = "NOBODY"}),
       AuthError("ak NOBODY not exist")},
      {"dms signed with another secret key", "dms",
       Dms({.method = "DELETE",
            .target = topics + "/" + kTopic2,
            .sk = "not-the-secret"}),
       AuthError("verify aksk signature fail")},
      {"dms body changed after signing", "dms",
       Dms({.method = "POST",
            .target = reset,
            .body =
                absl::StrCat(R"({"topic":")", kTopic, R"(","timestamp":0})"),
            .signed_body =
                absl::StrCat(R"({"topic":")", kTopic, R"(","timestamp":-1})")}),
       AuthError("verify aksk signature fail")},
      {"dms path changed after signing", "dms",
       Dms({.method = "DELETE",
            .target = groups + "/" + kGroup2,
            .signed_target = groups + "/bi-unknown"}),
       AuthError("verify aksk signature fail")},
      {"dms X-Sdk-Date signed but not sent", "dms",
       Dms({.target = topics, .omit_date_header = true}),
       AuthError("x-sdk-date missing or malformed")},
      {"dms X-Sdk-Date malformed", "dms",
       Dms({.target = topics, .sdk_date = "2024-01-01T00:00:00Z"}),
       AuthError("x-sdk-date missing or malformed")},
      {"dms X-Sdk-Date 16 minutes old", "dms",
       Dms({.method = "DELETE",
            .target = groups + "/" + kGroup2,
            .date_offset = -absl::Minutes(16)}),
       AuthError("signature expired")},
      {"dms X-Sdk-Date 16 minutes ahead", "dms",
       Dms({.target = topics, .date_offset = absl::Minutes(16)}),
       AuthError("signature expired")},
      {"dms X-Sdk-Date in year 9999", "dms",
       Dms({.target = topics, .sdk_date = "99991231T235959Z"}),
       AuthError("signature expired")},
      {"dms X-Sdk-Date in year 0", "dms",
       Dms({.target = topics, .sdk_date = "00000101T000000Z"}), AuthError("")},
      {"dms X-Sdk-Date 14 minutes old is inside the window", "dms",
       Dms({.target = topics, .date_offset = -absl::Minutes(14)}),
       DmsSuccess()},
  };
}

std::vector<Case> HttpCases() {
  const std::string host = "Host: 127.0.0.1\r\n";
  std::string many_headers = "GET /healthz HTTP/1.1\r\n" + host;
  for (int i = 0; i < 3000; ++i) {
    absl::StrAppend(&many_headers, "X-Filler-", i, ": 0123456789abcdef\r\n");
  }
  many_headers += "\r\n";
  std::string chunked_cmq =
      absl::StrCat("POST /v2/index.php HTTP/1.1\r\n", host,
                   "Content-Type: application/x-www-form-urlencoded\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n");
  const std::string chunk(64 << 10, 'a');
  for (int i = 0; i < 80; ++i) {  // 5 MiB, over the 4 MiB limit
    absl::StrAppend(&chunked_cmq, "10000\r\n", chunk, "\r\n");
  }
  chunked_cmq += "0\r\n\r\n";
  return {
      // -- malformed HTTP, answered by the HTTP layer (plain JSON) --
      {"http garbage request line", "http", Raw("HELLO WORLD\r\n\r\n"),
       HttpError(400, "bad_request")},
      {"http TLS handshake on the plain port", "http",
       Raw(std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11) +
           std::string(64, '\x00')),
       HttpError(400, "bad_request")},
      {"http HTTP/0.9 request line", "http", Raw("GET /healthz\r\n\r\n"),
       HttpError(400, "bad_request")},
      {"http bare LF line endings", "http",
       Raw("GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n"),
       HttpError(400, "bad_request")},
      {"http header without a colon", "http",
       Raw("GET /healthz HTTP/1.1\r\n" + host + "NoColonHere\r\n\r\n"),
       HttpError(400, "bad_request")},
      {"http header name with a space", "http",
       Raw("GET /healthz HTTP/1.1\r\n" + host + "Bad Name: x\r\n\r\n"),
       HttpError(400, "bad_request")},
      {"http NUL byte in the target", "http",
       Raw(absl::StrCat("GET /heal", std::string(1, '\0'), "thz HTTP/1.1\r\n",
                        host, "\r\n")),
       HttpError(400, "bad_request")},
      {"http Content-Length not a number", "http",
       Raw("POST /v2/index.php HTTP/1.1\r\n" + host +
           "Content-Length: ten\r\n\r\nAction=ListQueue"),
       HttpError(400, "bad_request")},
      {"http Content-Length negative", "http",
       Raw("POST /v2/index.php HTTP/1.1\r\n" + host +
           "Content-Length: -5\r\n\r\n"),
       HttpError(400, "bad_request")},
      {"http two different Content-Length headers", "http",
       Raw("POST /v2/index.php HTTP/1.1\r\n" + host +
           "Content-Length: 5\r\nContent-Length: 16\r\n\r\nAction=ListQueue"),
       HttpError(400, "bad_request")},
      {"http Content-Length beyond 64 bits", "http",
       Raw("POST /v2/index.php HTTP/1.1\r\n" + host +
           "Content-Length: 99999999999999999999999\r\n\r\n"),
       HttpError(400, "bad_request")},
      {"http chunked and Content-Length together (smuggling)", "http",
       Raw("POST /v2/index.php HTTP/1.1\r\n" + host +
           "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
           "10\r\nAction=ListQueue\r\n0\r\n\r\n"),
       HttpError(400, "bad_request")},
      {"http Transfer-Encoding gzip only", "http",
       Raw("POST /v2/index.php HTTP/1.1\r\n" + host +
           "Transfer-Encoding: gzip\r\n\r\nAction=ListQueue"),
       HttpError(400, "bad_request")},
      {"http Transfer-Encoding gzip smuggling a signed DELETE", "http",
       [](const Env& env) {
         return absl::StrCat(
             "POST /v2/index.php HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Transfer-Encoding: gzip\r\n\r\n",
             Dms({.method = "DELETE",
                  .target = Inst(absl::StrCat("/groups/", kGroup2))})(env));
       },
       HttpError(400, "bad_request")},
      {"http chunked, chunk size not hex", "http",
       Raw("POST /v2/index.php HTTP/1.1\r\n" + host +
           "Transfer-Encoding: "
           "chunked\r\n\r\nzz\r\nAction=ListQueue\r\n0\r\n\r\n"),
       HttpError(400, "bad_request")},
      {"http chunked, chunk size beyond 64 bits", "http",
       Raw("POST /v2/index.php HTTP/1.1\r\n" + host +
           "Transfer-Encoding: chunked\r\n\r\n"
           "fffffffffffffffffffff\r\nAction=ListQueue\r\n0\r\n\r\n"),
       HttpError(400, "bad_request")},
      // -- sizes --
      {"http URL of 100 KiB", "http",
       Raw("GET /v2/index.php?Action=ListQueue&pad=" +
           std::string(100 << 10, 'u') + " HTTP/1.1\r\n" + host + "\r\n"),
       HttpError(431, "header_too_large")},
      {"http one header of 100 KiB", "http",
       Raw("GET /healthz HTTP/1.1\r\n" + host +
           "X-Big: " + std::string(100 << 10, 'h') + "\r\n\r\n"),
       HttpError(431, "header_too_large")},
      {"http 3000 headers", "http", Raw(many_headers),
       HttpError(431, "header_too_large")},
      // Content-Length far over the limit, and no body sent at all: the
      // answer must come at once, without waiting for (or buffering) it.
      {"cmq body of 100 MB announced, none sent", "cmq",
       Raw("POST /v2/index.php HTTP/1.1\r\n" + host +
           "Content-Length: 100000000\r\n\r\nAction=Send"),
       Closing(CmqError(4000, 10420, "request size is more than 1MB"))},
      {"cmq body of 100 MB with Expect: 100-continue", "cmq",
       Raw("POST /v2/index.php HTTP/1.1\r\n" + host +
           "Expect: 100-continue\r\nContent-Length: 100000000\r\n\r\n"),
       Closing(CmqError(4000, 10420, "cannot parse request"))},
      {"cmq chunked body of 5 MiB", "cmq", Raw(chunked_cmq),
       Closing(CmqError(4000, 10420, "cannot parse request"))},
      {"dms body of 100 MB announced, none sent", "dms",
       Raw(absl::StrCat("POST ", Engine("/messages"), " HTTP/1.1\r\n", host,
                        "Content-Length: 100000000\r\n\r\n{\"topic\":")),
       Closing(DmsError(413, "DMS.00400800", "request body larger than"))},
      // -- routes outside both facades --
      {"http unknown path",
       "http",
       Raw("GET /admin HTTP/1.1\r\n" + host + "\r\n"),
       {Format::kPlain, 404, "not_found", ""}},
      {"http / without an Action",
       "http",
       Raw("GET /?queueName=biOrders HTTP/1.1\r\n" + host + "\r\n"),
       {Format::kPlain, 404, "not_found", ""}},
      {"http OPTIONS *",
       "http",
       Raw("OPTIONS * HTTP/1.1\r\n" + host + "\r\n"),
       {Format::kPlain, 404, "not_found", ""}},
      {"http path traversal outside every route",
       "http",
       Raw("GET /../../etc/passwd HTTP/1.1\r\n" + host + "\r\n"),
       {Format::kPlain, 404, "not_found", ""}},
  };
}

TEST_F(BadInputTest, EveryHostileRequestGetsTheVendorErrorAndChangesNothing) {
  CreateState();
  ASSERT_FALSE(HasFailure()) << "setting up the stored state failed";
  std::string before = Fingerprint();
  // The fingerprint really covers the data: queues, topics, groups, offsets
  // and message bodies are all in it.
  for (const char* what :
       {"biOrders", "biAudit", R"("activeMsgNum":3)", "bi-topic", "bi-other",
        "bi-group2", R"("consumer_offset":4)", R"("consumer_offset":0)",
        R"("body":"m1")", R"("body":"m4")"}) {
    EXPECT_THAT(before, ::testing::HasSubstr(what));
  }

  std::vector<Case> cases = CmqCases();
  for (std::vector<Case> more : {DmsCases(), TdmqCases(), HttpCases()}) {
    for (Case& c : more) cases.push_back(std::move(c));
  }
  EXPECT_GE(cases.size(), 50u);
  int cmq = 0, dms = 0, tdmq = 0;
  for (const Case& c : cases) {
    cmq += c.facade == "cmq";
    dms += c.facade == "dms";
    tdmq += c.facade == "tdmq";
  }
  std::cout << "bad-input catalogue: " << cases.size() << " cases (" << cmq
            << " cmq, " << dms << " dms, " << tdmq << " tdmq, "
            << cases.size() - cmq - dms - tdmq << " http)\n";

  for (const Case& c : cases) {
    RunCase(c);
    const std::string after = Fingerprint();
    EXPECT_EQ(after, before) << "case " << c.name << " changed stored data";
    before = after;  // so that a change is blamed on one case only
    if (HasFatalFailure()) return;
  }

  // Read the CMQ messages back: every body is still there, once.
  json::object received = CmqOk(CmqGet(absl::StrCat(
      "Action=BatchReceiveMessage&queueName=", kQueue, "&numOfMsg=16")));
  std::vector<std::string> bodies;
  if (const json::value* list = received.if_contains("msgInfoList")) {
    for (const json::value& m : list->as_array()) {
      bodies.emplace_back(m.at("msgBody").as_string());
    }
  }
  std::sort(bodies.begin(), bodies.end());
  EXPECT_THAT(bodies, ::testing::ElementsAre("alpha", "beta", "gamma"));
  json::object audit =
      CmqOk(CmqGet(absl::StrCat("Action=ReceiveMessage&queueName=", kQueue2)));
  EXPECT_EQ(StrField(audit, "msgBody"), "delta");
}

// Cases that take more than one request and answer on one connection.

TEST_F(BadInputTest, ExpectContinueIsHonouredForABodyWithinTheLimit) {
  absl::StatusOr<std::unique_ptr<TestHttpClient>> client =
      TestHttpClient::Connect("127.0.0.1", env_.port, kAnswerTimeout);
  ASSERT_OK(client.status());
  // A signed CMQ POST, split at the end of its header.
  const std::string request =
      Cmq({.method = "POST", .params = "Action=ListQueue"})(env_);
  const size_t end = request.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos);
  ASSERT_OK((*client)->SendRaw(absl::StrCat(
      request.substr(0, end), "\r\nExpect: 100-continue\r\n\r\n")));
  absl::StatusOr<HttpResult> interim = (*client)->Read();
  ASSERT_OK(interim.status());
  EXPECT_EQ(interim->status, 100);
  ASSERT_OK((*client)->SendRaw(request.substr(end + 4)));
  absl::StatusOr<HttpResult> r = (*client)->Read();
  ASSERT_OK(r.status());
  CheckAnswer(CmqSuccess(), *r);
}

TEST_F(BadInputTest, GarbageAfterAPipelinedRequestClosesOnlyAfterItsAnswer) {
  absl::StatusOr<std::unique_ptr<TestHttpClient>> client =
      TestHttpClient::Connect("127.0.0.1", env_.port, kAnswerTimeout);
  ASSERT_OK(client.status());
  ASSERT_OK((*client)->SendRaw(
      absl::StrCat(CmqGet("Action=ListQueue")(env_), DmsGet(Inst())(env_),
                   "GARBAGE / HTTP/1.1\r\n\x01\x02\r\n\r\n")));
  absl::StatusOr<HttpResult> first = (*client)->Read();
  ASSERT_OK(first.status());
  CheckAnswer(CmqSuccess(), *first);
  absl::StatusOr<HttpResult> second = (*client)->Read();
  ASSERT_OK(second.status());
  EXPECT_EQ(second->status, 200) << second->body;
  absl::StatusOr<HttpResult> third = (*client)->Read();
  ASSERT_OK(third.status());
  CheckAnswer(HttpError(400, "bad_request"), *third);
  EXPECT_OK((*client)->WaitForClose());
}

// ---------------------------------------------------------------------------
// Slow clients.

// A blocking TCP connection to 127.0.0.1 for byte-at-a-time sending.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 &&
        connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  ~RawSocket() {
    if (fd_ >= 0) close(fd_);
  }

  bool connected() const { return fd_ >= 0; }

  // False once the server has closed the connection.
  bool Send(absl::string_view bytes) {
    return fd_ >= 0 && send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                           static_cast<ssize_t>(bytes.size());
  }

  // Whether the server has closed the connection: waits at most `wait`
  // for an end of stream (or a reset). Data the server sent is collected in
  // received().
  bool ClosedByServer(absl::Duration wait) {
    if (fd_ < 0) return true;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(wait))) <= 0) {
      return false;
    }
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      received_.append(buf, static_cast<size_t>(n));
      return false;
    }
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }

  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  std::string received_;
};

TEST_F(BadInputTest, TheAccessLogShowsNoQueryValueButTheAction) {
  // A signed CMQ GET carries the SecretId, the Signature and the message
  // body in its query, where the access log used to copy them.
  const std::string secret_body = "confidential-payload-7f3a";
  absl::StatusOr<HttpResult> r = Call(CmqGet(absl::StrCat(
      "Action=SendMessage&queueName=noSuchQueue", "&msgBody=", secret_body)));
  ASSERT_OK(r.status());
  CheckAnswer(CmqError(4440, 10100, "queue is not existed"), *r);
  // The line is written once the answer has been sent; wait for it.
  std::string log;
  for (int i = 0; i < 100; ++i) {
    log = server_.Log();
    if (absl::StrContains(log, "Action=SendMessage")) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(log, ::testing::HasSubstr(
                       "/v2/index.php?Action=SendMessage&queueName=*&msgBody=*"
                       "&SecretId=*&Timestamp=*&Nonce=*&SignatureMethod=*"
                       "&Signature=*"));
  EXPECT_THAT(log, ::testing::Not(::testing::HasSubstr(secret_body)));
  EXPECT_THAT(log, ::testing::Not(::testing::HasSubstr(kCmqSecretId)));
}

// Bodies held in memory across all connections are bounded (--body-budget-mb):
// uploads that never finish cannot make the server grow; a request finding
// no room is told the server is busy, in its facade's format.
TEST(BodyBudgetTest, StalledUploadsCannotExhaustMemoryAndOthersAreToldToRetry) {
  rmqtest::ScopedTempDir dir;
  ServerProcess server;
  ASSERT_OK(server.Start(dir.path() + "/data", dir.path() + "/server.log",
                         {"--body-budget-mb", "1", "--worker-threads", "2"}));
  const uint16_t port = server.port();
  const Env env{.port = port};
  ASSERT_OK(
      Exchange(port, DmsSend("POST", Inst("/topics"),
                             R"({"name":"budget-topic","queue_num":1})")(env))
          .status());
  // Two uploads announce 400 KiB each and stall after a few bytes: 800 KiB
  // of the 1 MiB are held.
  std::vector<std::unique_ptr<RawSocket>> stalled;
  for (int i = 0; i < 2; ++i) {
    stalled.push_back(std::make_unique<RawSocket>(port));
    ASSERT_TRUE(stalled.back()->connected());
    ASSERT_TRUE(stalled.back()->Send(absl::StrCat(
        "POST ", Engine("/messages"),
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: ",
        400 << 10, "\r\n\r\n{\"topic\":")));
  }
  absl::SleepFor(absl::Milliseconds(300));
  const std::string big_body(300 << 10, 'x');
  // DMS: 503 with the gateway's throttling code.
  absl::StatusOr<HttpResult> dms =
      Exchange(port, DmsSend("POST", Engine("/messages"),
                             absl::StrCat(R"({"topic":"budget-topic","body":")",
                                          big_body, R"("})"))(env));
  ASSERT_OK(dms.status());
  // The gateway's shape: error_code, error_msg and request_id.
  EXPECT_EQ(dms->status, 503) << dms->body;
  const std::optional<json::object> busy = JsonObject(dms->body);
  ASSERT_TRUE(busy.has_value()) << dms->body;
  EXPECT_EQ(StrField(*busy, "error_code"), "APIGW.0308");
  EXPECT_THAT(StrField(*busy, "error_msg"),
              ::testing::HasSubstr("the server is busy, retry later"));
  EXPECT_EQ(StrField(*busy, "request_id"), dms->Header("X-Request-Id"));
  EXPECT_FALSE(dms->keep_alive);
  // CMQ: 4420/10250 in the usual HTTP 200 envelope.
  absl::StatusOr<HttpResult> cmq =
      Exchange(port, CmqPost(absl::StrCat("Action=SendMessage&queueName=q1"
                                          "&msgBody=",
                                          big_body))(env));
  ASSERT_OK(cmq.status());
  CheckAnswer(CmqError(4420, 10250, "server is busy"), *cmq);
  // Small requests still fit, and the server serves them.
  absl::StatusOr<HttpResult> small = Exchange(
      port, DmsSend("POST", Engine("/messages"),
                    R"({"topic":"budget-topic","body":"small"})")(env));
  ASSERT_OK(small.status());
  EXPECT_EQ(small->status, 200) << small->body;
  // Once the stalled uploads are gone their room is back.
  stalled.clear();
  absl::StatusOr<HttpResult> after;
  for (int i = 0; i < 50; ++i) {
    after = Exchange(
        port, DmsSend("POST", Engine("/messages"),
                      absl::StrCat(R"({"topic":"budget-topic",)", R"("body":")",
                                   big_body, R"("})"))(env));
    if (after.ok() && after->status == 200) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_OK(after.status());
  EXPECT_EQ(after->status, 200) << after->body;
  // Exactly the two accepted messages are stored.
  absl::StatusOr<HttpResult> status =
      Exchange(port, DmsGet(Inst("/topics/budget-topic/status"))(env));
  ASSERT_OK(status.status());
  EXPECT_THAT(status->body, ::testing::HasSubstr(R"("max_offset":2)"));
  EXPECT_EQ(server.Stop(), std::optional<int>(0));
}

TEST(SlowClientTest, SlowAndStalledClientsAreTimedOutWhileOthersAreServed) {
  rmqtest::ScopedTempDir dir;
  ServerProcess server;
  // Open mode; an idle (and header) timeout of 2 s, a body timeout of 5 s.
  ASSERT_OK(server.Start(dir.path() + "/data", dir.path() + "/server.log",
                         {"--idle-timeout-s", "2", "--read-timeout-s", "5",
                          "--worker-threads", "4"}));
  const uint16_t port = server.port();
  constexpr absl::Duration kHeaderBound = absl::Seconds(10);
  constexpr absl::Duration kBodyBound = absl::Seconds(20);

  // A: a CMQ request whose header trickles in one byte every 100 ms, for
  // ever. B: a DMS request whose body stops after 10 of 1000 bytes.
  // C: a connection that never sends anything.
  RawSocket slow_header(port);
  RawSocket stalled_body(port);
  RawSocket silent(port);
  ASSERT_TRUE(slow_header.connected() && stalled_body.connected() &&
              silent.connected());
  ASSERT_TRUE(stalled_body.Send(absl::StrCat(
      "POST ", Engine("/messages"),
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 1000\r\n\r\n{\"topic\":")));
  std::string trickle = "POST /v2/index.php HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 1000; ++i) {
    absl::StrAppend(&trickle, "X-Slow-", i, ": y\r\n");
  }

  const absl::Time start = absl::Now();
  std::optional<absl::Duration> header_closed, body_closed, silent_closed;
  size_t sent = 0;
  int probes = 0;
  absl::Duration slowest_probe;
  for (int i = 0; i < 2000 && absl::Now() - start < kBodyBound; ++i) {
    if (!header_closed.has_value()) {
      if (sent < trickle.size() && slow_header.Send(trickle.substr(sent, 1))) {
        ++sent;
      }
      if (slow_header.ClosedByServer(absl::Milliseconds(100))) {
        header_closed = absl::Now() - start;
      }
    } else {
      absl::SleepFor(absl::Milliseconds(100));
    }
    if (!body_closed.has_value() &&
        stalled_body.ClosedByServer(absl::ZeroDuration())) {
      body_closed = absl::Now() - start;
    }
    if (!silent_closed.has_value() &&
        silent.ClosedByServer(absl::ZeroDuration())) {
      silent_closed = absl::Now() - start;
    }
    // Meanwhile everyone else is served at once, on both facades.
    if (i % 5 == 0) {
      const absl::Time t = absl::Now();
      absl::StatusOr<HttpResult> cmq = Exchange(
          port, HttpRequest("GET", "/v2/index.php?Action=ListQueue", {}, ""),
          kPromptly);
      ASSERT_OK(cmq.status());
      EXPECT_THAT(cmq->body, ::testing::HasSubstr(R"("code":0,)"));
      absl::StatusOr<HttpResult> dms = Exchange(
          port, HttpRequest("GET", Inst("/topics"), {}, ""), kPromptly);
      ASSERT_OK(dms.status());
      EXPECT_EQ(dms->status, 200);
      slowest_probe = std::max(slowest_probe, absl::Now() - t);
      ++probes;
    }
    if (header_closed && body_closed && silent_closed) break;
  }
  std::cout << "slow header closed after "
            << (header_closed ? absl::FormatDuration(*header_closed) : "-")
            << " (" << sent << " bytes sent), stalled body after "
            << (body_closed ? absl::FormatDuration(*body_closed) : "-")
            << ", silent connection after "
            << (silent_closed ? absl::FormatDuration(*silent_closed) : "-")
            << "; " << probes << " probes, slowest "
            << absl::FormatDuration(slowest_probe) << "\n";
  ASSERT_TRUE(header_closed.has_value()) << "the slow header was never cut";
  EXPECT_LT(*header_closed, kHeaderBound);
  ASSERT_TRUE(silent_closed.has_value());
  EXPECT_LT(*silent_closed, kHeaderBound);
  ASSERT_TRUE(body_closed.has_value()) << "the stalled body was never cut";
  EXPECT_LT(*body_closed, kBodyBound);
  EXPECT_LT(slowest_probe, kPromptly);
  // Timed-out connections are closed without an answer.
  EXPECT_EQ(slow_header.received(), "");
  EXPECT_EQ(stalled_body.received(), "");
  EXPECT_TRUE(server.Alive());
  EXPECT_EQ(server.Stop(), std::optional<int>(0));
}

// A long poll is progress, so a connection waiting on one has no idle
// timeout; but a header trickled in behind it must still be complete within
// the read timeout of its first byte, or a client could hold the
// connection for the whole poll with a few bytes.
TEST(SlowClientTest, AHeaderTrickledBehindALongPollGetsTheReadTimeout) {
  rmqtest::ScopedTempDir dir;
  ServerProcess server;
  ASSERT_OK(server.Start(dir.path() + "/data", dir.path() + "/server.log",
                         {"--idle-timeout-s", "30", "--read-timeout-s", "2"}));
  const uint16_t port = server.port();
  const Env env{.port = port};
  absl::StatusOr<HttpResult> created =
      Exchange(port, CmqGet("Action=CreateQueue&queueName=lp")(env));
  ASSERT_OK(created.status());
  CheckAnswer(CmqSuccess(), *created);

  RawSocket poller(port);
  ASSERT_TRUE(poller.connected());
  ASSERT_TRUE(
      poller.Send(CmqGet("Action=ReceiveMessage&queueName=lp"
                         "&pollingWaitSeconds=25")(env)));
  absl::SleepFor(absl::Milliseconds(200));
  const std::string trickle =
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " +
      std::string(400, 'y');
  const absl::Time start = absl::Now();
  std::optional<absl::Duration> closed;
  for (size_t i = 0;
       i < trickle.size() && absl::Now() - start < absl::Seconds(20); ++i) {
    if (!poller.Send(trickle.substr(i, 1)) ||
        poller.ClosedByServer(absl::Milliseconds(100))) {
      closed = absl::Now() - start;
      break;
    }
  }
  ASSERT_TRUE(closed.has_value()) << "the trickled header was never cut";
  EXPECT_LT(*closed, absl::Seconds(10)) << "the poll lasts 25 s";
  std::cout << "header trickled behind a long poll closed after "
            << absl::FormatDuration(*closed) << "\n";

  // Without the trickle the poll runs its course and is answered.
  absl::StatusOr<HttpResult> quiet = Exchange(
      port,
      CmqGet("Action=ReceiveMessage&queueName=lp&pollingWaitSeconds=3")(env),
      absl::Seconds(15));
  ASSERT_OK(quiet.status());
  CheckAnswer(CmqError(7000, 10200, "no message"), *quiet);
  EXPECT_TRUE(server.Alive());
  EXPECT_EQ(server.Stop(), std::optional<int>(0));
}

}  // namespace

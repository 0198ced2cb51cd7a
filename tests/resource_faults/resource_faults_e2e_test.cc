// Resource faults seen from outside: the real rewindmq binary, started on
// 127.0.0.1 port 0, with a file-size limit (RLIMIT_FSIZE set in the child
// before exec, raised later on the running process with prlimit(2)), a data
// folder it may not write, and damaged RocksDB files. For each fault: a
// clear error in the vendor's format (or a one-line error and exit code 1
// at startup), reads still served, nothing acknowledged lost, and service
// back once the cause is gone.
//
// Every wait is bounded; every process started is killed by pid.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

namespace fs = std::filesystem;
namespace json = boost::json;

using ::testing::HasSubstr;

constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr absl::Duration kStopTimeout = absl::Seconds(30);
constexpr absl::Duration kRecoveryTimeout = absl::Seconds(15);
constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

constexpr char kDmsBase[] =
    "/v2/local/instances/00000000-0000-4000-8000-000000000001";
constexpr char kDmsSend[] =
    "/v2/reliability/local/instances/00000000-0000-4000-8000-000000000001/"
    "messages";
constexpr char kDmsList[] =
    "/v2/local/rocketmq/instances/00000000-0000-4000-8000-000000000001/"
    "messages";

// How the child is set up before exec.
struct ChildSetup {
  std::optional<int64_t> file_size_limit;
  bool unprivileged = false;  // setgid/setuid nobody when root
};

// The rewindmq binary as a child process: stdout (the startup line) through
// a pipe; stderr through another pipe that a thread copies to a file, so
// that a file-size limit on the server does not cut its log short.
class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
    if (log_copier_.joinable()) log_copier_.join();
  }

  // Starts the binary and waits for its startup line. On success the
  // server answers /healthz; otherwise the status says what happened
  // (FailedPrecondition with the exit code and log when it exited).
  absl::Status Start(const std::string& data_dir, const std::string& log_path,
                     const ChildSetup& setup = {},
                     const std::vector<std::string>& flags = {}) {
    log_path_ = log_path;
    std::vector<std::string> args = {
        REWINDMQ_BINARY, "--listen",   "127.0.0.1:0", "--remoting-listen",
        "127.0.0.1:0",   "--data-dir", data_dir,      "--durability",
        "always"};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    int err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
      return absl::InternalError("pipe failed");
    }
    const int log_fd = ::open(log_path.c_str(),
                              O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) return absl::InternalError("cannot open " + log_path);
    pid_ = ::fork();
    if (pid_ < 0) return absl::InternalError("fork failed");
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(err[1], STDERR_FILENO);
      if (setup.file_size_limit.has_value()) {
        rlimit r{static_cast<rlim_t>(*setup.file_size_limit), RLIM_INFINITY};
        if (::setrlimit(RLIMIT_FSIZE, &r) != 0) ::_exit(125);
      }
      if (setup.unprivileged && ::geteuid() == 0 &&
          (::setgroups(0, nullptr) != 0 || ::setgid(kNogroup) != 0 ||
           ::setuid(kNobody) != 0)) {
        ::_exit(126);
      }
      ::execv(REWINDMQ_BINARY, argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    // Ends when the server and every process it started have exited.
    log_copier_ = std::thread([in = err[0], log_fd] {
      char buf[4096];
      for (;;) {
        const ssize_t n = ::read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (::write(log_fd, buf, static_cast<size_t>(n)) != n) break;
      }
      ::close(in);
      ::close(log_fd);
    });
    out_ = out[0];
    ::fcntl(out_, F_SETFL, O_NONBLOCK);

    const std::optional<std::string> line = ReadLine(kStartTimeout);
    if (!line.has_value()) {
      const std::optional<int> code = Wait(kStopTimeout);
      if (code.has_value()) {
        exit_code_ = *code;
        return absl::FailedPreconditionError(
            absl::StrCat("exited with ", *code, "; log:\n", Log()));
      }
      return absl::DeadlineExceededError("no startup line; log:\n" + Log());
    }
    const std::optional<uint16_t> port = rmqtest::PortOf(*line);
    if (!port.has_value()) {
      return absl::InternalError("unexpected startup line: " + *line);
    }
    port_ = *port;
    const absl::Time deadline = absl::Now() + kStartTimeout;
    for (int i = 0; i < 1000 && absl::Now() < deadline; ++i) {
      absl::StatusOr<rmqtest::HttpResult> health =
          rmqtest::Fetch(port_, "GET", "/healthz");
      if (health.ok() && health->status == 200) return absl::OkStatus();
      absl::SleepFor(absl::Milliseconds(20));
    }
    return absl::DeadlineExceededError("/healthz never answered 200");
  }

  // SIGTERM, then the exit code; nullopt when it did not stop in time.
  std::optional<int> Stop() {
    if (pid_ <= 0) return std::nullopt;
    ::kill(pid_, SIGTERM);
    return Wait(kStopTimeout);
  }

  // prlimit(2) on the running server.
  absl::Status SetFileSizeLimit(rlim_t bytes) {
    rlimit r{bytes, RLIM_INFINITY};
    if (::prlimit(pid_, RLIMIT_FSIZE, &r, nullptr) != 0) {
      return absl::InternalError(
          absl::StrCat("prlimit: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  uint16_t port() const { return port_; }
  int exit_code() const { return exit_code_; }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::optional<int> Wait(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (int i = 0; i < 100000 && absl::Now() < deadline; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        if (log_copier_.joinable()) log_copier_.join();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return std::nullopt;
  }

  std::optional<std::string> ReadLine(absl::Duration timeout) {
    std::string text;
    const absl::Time deadline = absl::Now() + timeout;
    for (int i = 0; i < 100000 && absl::Now() < deadline; ++i) {
      const size_t nl = text.find('\n');
      if (nl != std::string::npos) return text.substr(0, nl);
      pollfd p{out_, POLLIN, 0};
      ::poll(&p, 1, 50);
      char buf[512];
      const ssize_t n = ::read(out_, buf, sizeof(buf));
      if (n > 0) text.append(buf, static_cast<size_t>(n));
      if (n == 0) break;
    }
    return std::nullopt;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  uint16_t port_ = 0;
  int exit_code_ = -1;
  std::string log_path_;
  std::thread log_copier_;
};

// ---------------------------------------------------------------------------
// Requests.

struct Answer {
  int http_status = 0;
  std::string raw;
  json::object body;

  int64_t Int(absl::string_view key) const {
    const json::value* v =
        body.if_contains(json::string_view(key.data(), key.size()));
    if (v == nullptr) return INT64_MIN;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
    return INT64_MIN;
  }
  std::string Str(absl::string_view key) const {
    const json::value* v =
        body.if_contains(json::string_view(key.data(), key.size()));
    if (v == nullptr || !v->is_string()) return "<absent>";
    return std::string(v->as_string());
  }
};

Answer Call(uint16_t port, absl::string_view method, absl::string_view target,
            absl::string_view body = "", absl::string_view type = "") {
  Answer a;
  rmqtest::HttpHeaders headers;
  if (!type.empty()) headers.emplace_back("Content-Type", std::string(type));
  absl::StatusOr<rmqtest::HttpResult> r =
      rmqtest::Fetch(port, method, target, body, headers);
  if (!r.ok()) {
    ADD_FAILURE() << method << " " << target << ": " << r.status();
    return a;
  }
  a.http_status = r->status;
  a.raw = r->body;
  boost::system::error_code ec;
  json::value v = json::parse(a.raw, ec);
  if (!ec && v.is_object()) a.body = std::move(v.as_object());
  return a;
}

// CMQ action with form parameters (values are plain: letters, digits, '-').
Answer Cmq(uint16_t port, absl::string_view params) {
  return Call(port, "POST", "/v2/index.php", params,
              "application/x-www-form-urlencoded");
}

Answer DmsSend(uint16_t port, absl::string_view topic, absl::string_view body) {
  return Call(
      port, "POST", kDmsSend,
      absl::StrCat(R"({"topic":")", topic, R"(","body":")", body, R"("})"),
      "application/json");
}

// The server-fault answers of each facade (cmq-v2.md §5.2; dms-rocketmq.md).
MATCHER(IsCmqServerError, "is CMQ 6000 (10050)server internal error") {
  *result_listener << "answer " << arg.raw;
  return arg.http_status == 200 && arg.Int("code") == 6000 &&
         arg.Str("message") == "(10050)server internal error";
}
MATCHER(IsDmsServerError, "is DMS 500 DMS.00500000") {
  *result_listener << "answer " << arg.http_status << " " << arg.raw;
  return arg.http_status == 500 && arg.Str("error_code") == "DMS.00500000";
}
MATCHER(IsCmqOk, "is a CMQ success") {
  *result_listener << "answer " << arg.raw;
  return arg.http_status == 200 && arg.Int("code") == 0;
}
MATCHER(IsHttpOk, "is HTTP 200") {
  *result_listener << "answer " << arg.http_status << " " << arg.raw;
  return arg.http_status == 200;
}

// The distinct bodies of a CMQ queue's visible messages: receives until
// `want` distinct bodies were seen or no message is left.
std::set<std::string> ReceiveDistinct(uint16_t port, absl::string_view queue,
                                      size_t want) {
  std::set<std::string> out;
  for (int i = 0; i < 10000 && out.size() < want; ++i) {
    Answer a = Cmq(port, absl::StrCat("Action=ReceiveMessage&queueName=", queue,
                                      "&pollingWaitSeconds=0"));
    if (a.Int("code") != 0) {
      EXPECT_EQ(a.Int("code"), 7000) << a.raw;  // no message
      break;
    }
    out.insert(a.Str("msgBody"));
  }
  return out;
}

int64_t DmsTotal(uint16_t port, absl::string_view topic) {
  Answer a =
      Call(port, "GET",
           absl::StrCat(kDmsList, "?topic=", topic, "&start_time=0&end_time=",
                        absl::ToUnixMillis(absl::Now()) + 60000, "&limit=1"));
  EXPECT_EQ(a.http_status, 200) << a.raw;
  return a.Int("total");
}

std::string Padding(int i, int bytes) {
  return absl::StrCat("m", i, "-", std::string(bytes, 'a' + i % 26));
}

// The newest RocksDB WAL of a data folder, and its size.
int64_t WalBytes(const std::string& data_dir) {
  std::string newest;
  for (const auto& e : fs::directory_iterator(data_dir + "/db")) {
    const std::string p = e.path().string();
    if (absl::EndsWith(p, ".log") && p > newest) newest = p;
  }
  return newest.empty() ? 0 : static_cast<int64_t>(fs::file_size(newest));
}

// Whether the server log has a line containing `text`, waiting up to 5 s
// for it (a thread copies the server's stderr into the log file, so a line
// the server just wrote may not be there yet); on failure shows the log's
// warnings and errors (not the request lines).
::testing::AssertionResult LogHas(const ServerProcess& server,
                                  absl::string_view text) {
  std::string log = server.Log();
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  for (int i = 0;
       i < 500 && !absl::StrContains(log, text) && absl::Now() < deadline;
       ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    log = server.Log();
  }
  if (absl::StrContains(log, text)) return ::testing::AssertionSuccess();
  std::string problems;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (!absl::StartsWith(line, "I ")) absl::StrAppend(&problems, line, "\n");
  }
  return ::testing::AssertionFailure()
         << "no \"" << text << "\" in the log; its warnings and errors:\n"
         << problems;
}

class ResourceFaultsTest : public ::testing::Test {
 protected:
  std::string DataDir() const { return tmp_.Sub("data"); }
  std::string LogPath(absl::string_view name) const {
    return tmp_.Sub(absl::StrCat(name, ".log"));
  }

  rmqtest::ScopedTempDir tmp_;
};

// ---------------------------------------------------------------------------
// Disk full: a file-size limit on the segment files.

TEST_F(ResourceFaultsTest, SegmentLimitFailsSendsInVendorFormatUntilRaised) {
  ServerProcess server;
  ASSERT_OK(server.Start(DataDir(), LogPath("limited"),
                         {.file_size_limit = 256 << 10}));
  const uint16_t port = server.port();
  ASSERT_THAT(Cmq(port, "Action=CreateQueue&queueName=orders"), IsCmqOk());
  ASSERT_THAT(Call(port, "POST", absl::StrCat(kDmsBase, "/topics"),
                   R"({"name":"events","queue_num":1})", "application/json"),
              IsHttpOk());

  // CMQ: send until the segment reaches the limit.
  std::set<std::string> cmq_acked;
  Answer failed;
  for (int i = 0; i < 200; ++i) {
    const std::string body = Padding(i, 8000);
    Answer a =
        Cmq(port,
            absl::StrCat("Action=SendMessage&queueName=orders&msgBody=", body));
    if (a.Int("code") != 0) {
      failed = a;
      break;
    }
    cmq_acked.insert(body);
  }
  EXPECT_THAT(failed, IsCmqServerError());
  EXPECT_FALSE(cmq_acked.empty());
  // DMS: the same for its own queue.
  int64_t dms_acked = 0;
  Answer dms_failed;
  for (int i = 0; i < 200; ++i) {
    Answer a = DmsSend(port, "events", Padding(i, 8000));
    if (a.http_status != 200) {
      dms_failed = a;
      break;
    }
    ++dms_acked;
  }
  EXPECT_THAT(dms_failed, IsDmsServerError());
  // The server log says what went wrong.
  EXPECT_TRUE(LogHas(server, "File too large"));

  // Reads are served meanwhile.
  EXPECT_EQ(DmsTotal(port, "events"), dms_acked);
  EXPECT_THAT(Cmq(port, "Action=GetQueueAttributes&queueName=orders"),
              IsCmqOk());

  // The limit goes away: sends work again, without a restart.
  ASSERT_OK(server.SetFileSizeLimit(RLIM_INFINITY));
  const std::string after = Padding(999, 8000);
  EXPECT_THAT(
      Cmq(port,
          absl::StrCat("Action=SendMessage&queueName=orders&msgBody=", after)),
      IsCmqOk());
  cmq_acked.insert(after);
  EXPECT_THAT(DmsSend(port, "events", "after"), IsHttpOk());
  ++dms_acked;
  ASSERT_EQ(server.Stop(), 0) << LogHas(server, "<exit>").message();

  // After a restart every acknowledged message is there, and nothing else.
  ServerProcess again;
  ASSERT_OK(again.Start(DataDir(), LogPath("restarted")));
  EXPECT_EQ(ReceiveDistinct(again.port(), "orders", cmq_acked.size()),
            cmq_acked);
  EXPECT_EQ(DmsTotal(again.port(), "events"), dms_acked);
  EXPECT_EQ(again.Stop(), 0);
}

// ---------------------------------------------------------------------------
// Disk full: a file-size limit on RocksDB's log.

TEST_F(ResourceFaultsTest, RocksDbLimitFailsWritesUntilRaisedThenResumes) {
  ServerProcess server;
  ASSERT_OK(server.Start(DataDir(), LogPath("limited")));
  const uint16_t port = server.port();
  ASSERT_THAT(
      Cmq(port, "Action=CreateQueue&queueName=orders&visibilityTimeout=1"),
      IsCmqOk());
  std::set<std::string> acked;
  for (int i = 0; i < 500; ++i) {
    const std::string body = absl::StrCat("small-", i);
    ASSERT_THAT(
        Cmq(port,
            absl::StrCat("Action=SendMessage&queueName=orders&msgBody=", body)),
        IsCmqOk());
    acked.insert(body);
  }
  // Receiving writes each message's new state to RocksDB and nothing to the
  // segment, so RocksDB's log meets the limit.
  ASSERT_OK(server.SetFileSizeLimit(
      static_cast<rlim_t>(WalBytes(DataDir()) + (12 << 10))));
  Answer failed;
  for (int i = 0; i < 500; ++i) {
    Answer a = Cmq(
        port, "Action=ReceiveMessage&queueName=orders&pollingWaitSeconds=0");
    if (a.Int("code") != 0) {
      failed = a;
      break;
    }
  }
  ASSERT_THAT(failed, IsCmqServerError());
  EXPECT_TRUE(LogHas(server, "rocksdb stopped writing"));
  EXPECT_TRUE(LogHas(server, "File too large"));
  // A delayed message is recorded in RocksDB first: refused, not half-sent.
  EXPECT_THAT(Cmq(port,
                  "Action=SendMessage&queueName=orders&msgBody=refused&"
                  "delaySeconds=1"),
              IsCmqServerError());
  EXPECT_THAT(Cmq(port, "Action=GetQueueAttributes&queueName=orders"),
              IsCmqOk());

  ASSERT_OK(server.SetFileSizeLimit(RLIM_INFINITY));
  Answer a;
  const absl::Time deadline = absl::Now() + kRecoveryTimeout;
  for (int i = 0; i < 1000 && absl::Now() < deadline; ++i) {
    a = Cmq(port,
            "Action=SendMessage&queueName=orders&msgBody=after&delaySeconds=1");
    if (a.Int("code") == 0) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_THAT(a, IsCmqOk());
  acked.insert("after");
  EXPECT_TRUE(LogHas(server, "rocksdb writes work again"));
  ASSERT_EQ(server.Stop(), 0) << LogHas(server, "<exit>").message();

  ServerProcess again;
  ASSERT_OK(again.Start(DataDir(), LogPath("restarted")));
  absl::SleepFor(absl::Seconds(2));  // visibility timeout and delay
  EXPECT_EQ(ReceiveDistinct(again.port(), "orders", acked.size()), acked);
  EXPECT_EQ(again.Stop(), 0);
}

// ---------------------------------------------------------------------------
// A read-only data folder.

// chmod of every folder under `root` (and `root`) to `mode`.
void SetFolderModes(const std::string& root, mode_t mode) {
  std::vector<std::string> dirs = {root};
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_directory()) dirs.push_back(e.path().string());
  }
  std::sort(dirs.rbegin(), dirs.rend());
  for (const std::string& d : dirs) {
    EXPECT_EQ(::chmod(d.c_str(), mode), 0) << d;
  }
}

void ChownTree(const std::string& root) {
  if (::geteuid() != 0) return;
  EXPECT_EQ(::chown(root.c_str(), kNobody, kNogroup), 0);
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    EXPECT_EQ(::lchown(e.path().c_str(), kNobody, kNogroup), 0) << e.path();
  }
}

TEST_F(ResourceFaultsTest, ReadOnlyDataFolderFailsFastWithOneLineAndExit1) {
  const ChildSetup nobody{.unprivileged = true};
  fs::create_directories(DataDir());
  ChownTree(tmp_.path());
  {
    ServerProcess server;
    ASSERT_OK(server.Start(DataDir(), LogPath("first"), nobody));
    ASSERT_THAT(Cmq(server.port(), "Action=CreateQueue&queueName=orders"),
                IsCmqOk());
    ASSERT_THAT(
        Cmq(server.port(), "Action=SendMessage&queueName=orders&msgBody=kept"),
        IsCmqOk());
    ASSERT_EQ(server.Stop(), 0);
  }
  SetFolderModes(DataDir(), 0555);
  {
    ServerProcess server;
    const absl::Time start = absl::Now();
    const absl::Status started =
        server.Start(DataDir(), LogPath("read-only"), nobody);
    EXPECT_THAT(started,
                rmqtest::StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_LT(absl::Now() - start, absl::Seconds(10));
    EXPECT_EQ(server.exit_code(), 1);
    // The last line names the folder and the cause.
    std::vector<std::string> lines =
        absl::StrSplit(server.Log(), '\n', absl::SkipEmpty());
    ASSERT_FALSE(lines.empty());
    EXPECT_THAT(lines.back(),
                HasSubstr("rewindmq: cannot open the store in " + DataDir()));
    EXPECT_THAT(lines.back(), HasSubstr("Permission denied"));
  }
  SetFolderModes(DataDir(), 0755);
  ServerProcess server;
  ASSERT_OK(server.Start(DataDir(), LogPath("writable"), nobody));
  EXPECT_EQ(ReceiveDistinct(server.port(), "orders", 1),
            std::set<std::string>{"kept"});
  EXPECT_EQ(server.Stop(), 0);
}

// ---------------------------------------------------------------------------
// Damaged RocksDB files.

TEST_F(ResourceFaultsTest, DamagedRocksDbStopsStartupUntilRestored) {
  std::set<std::string> acked;
  for (int round = 0; round < 2; ++round) {
    ServerProcess server;
    ASSERT_OK(server.Start(DataDir(), LogPath("populate")));
    if (round == 0) {
      ASSERT_THAT(Cmq(server.port(), "Action=CreateQueue&queueName=orders"),
                  IsCmqOk());
    }
    for (int i = 0; i < 20; ++i) {
      const std::string body = absl::StrCat("r", round, "-", i);
      ASSERT_THAT(
          Cmq(server.port(),
              absl::StrCat("Action=SendMessage&queueName=orders&msgBody=",
                           body)),
          IsCmqOk());
      acked.insert(body);
    }
    ASSERT_EQ(server.Stop(), 0);
  }
  const std::string db = DataDir() + "/db";
  const std::string backup = tmp_.Sub("db-backup");
  fs::copy(db, backup, fs::copy_options::recursive);

  struct Damage {
    const char* name;
    std::string file;  // removed, or flipped in the middle when `flip`
    bool flip;
    const char* says;
  };
  std::string sst, wal;
  for (const auto& e : fs::directory_iterator(db)) {
    const std::string p = e.path().string();
    if (absl::EndsWith(p, ".sst")) sst = p;
    if (absl::EndsWith(p, ".log") && fs::file_size(p) > 0) wal = p;
  }
  ASSERT_FALSE(sst.empty());
  ASSERT_FALSE(wal.empty());
  for (const Damage& d : {Damage{"CURRENT", db + "/CURRENT", false, "CURRENT"},
                          Damage{"an SST", sst, false, "No such file"},
                          Damage{"the WAL", wal, true, "Corruption"}}) {
    if (d.flip) {
      std::fstream f(d.file, std::ios::in | std::ios::out | std::ios::binary);
      const auto middle =
          static_cast<std::streamoff>(fs::file_size(d.file) / 2);
      f.seekg(middle);
      char c = 0;
      f.get(c);
      f.seekp(middle);
      f.put(static_cast<char>(c ^ 0x5a));
    } else {
      fs::remove(d.file);
    }
    ServerProcess server;
    const absl::Status started = server.Start(DataDir(), LogPath(d.name));
    EXPECT_FALSE(started.ok()) << d.name;
    EXPECT_EQ(server.exit_code(), 1) << d.name << ": " << server.Log();
    std::vector<std::string> lines =
        absl::StrSplit(server.Log(), '\n', absl::SkipEmpty());
    ASSERT_FALSE(lines.empty()) << d.name;
    EXPECT_THAT(lines.back(), HasSubstr("rewindmq: cannot open the store in"))
        << d.name;
    EXPECT_THAT(lines.back(), HasSubstr(d.says)) << d.name;
    // Restore the folder.
    fs::remove_all(db);
    fs::copy(backup, db, fs::copy_options::recursive);
  }
  ServerProcess server;
  ASSERT_OK(server.Start(DataDir(), LogPath("restored")));
  EXPECT_EQ(ReceiveDistinct(server.port(), "orders", acked.size()), acked);
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace

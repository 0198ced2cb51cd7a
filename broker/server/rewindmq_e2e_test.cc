// Starts the real rewindmq binary on 127.0.0.1 with port 0 and a temporary
// data directory, talks to it over HTTP, and stops it with SIGTERM.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

using ::rmqtest::Fetch;
using ::rmqtest::HttpResult;
using ::testing::HasSubstr;

// Generous, for sanitizer builds on a busy machine.
constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr absl::Duration kStopTimeout = absl::Seconds(30);

// A child process running the binary, with its stdout and stderr captured.
class Process {
 public:
  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
  }

  bool Spawn(const std::vector<std::string>& args) {
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0) return false;
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      dup2(err[1], STDERR_FILENO);
      close(out[0]);
      close(out[1]);
      close(err[0]);
      close(err[1]);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(REWINDMQ_BINARY));
      for (const std::string& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(REWINDMQ_BINARY, argv.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
    fcntl(out_, F_SETFL, O_NONBLOCK);
    fcntl(err_, F_SETFL, O_NONBLOCK);
    return true;
  }

  // The first line of stdout, within `timeout`.
  std::optional<std::string> ReadLine(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (int i = 0; i < 100000 && absl::Now() < deadline; ++i) {
      const size_t nl = stdout_.find('\n');
      if (nl != std::string::npos) return stdout_.substr(0, nl);
      pollfd p{out_, POLLIN, 0};
      poll(&p, 1, 50);
      if (!Drain(out_, &stdout_)) break;
    }
    return std::nullopt;
  }

  // The exit code, once the process has exited within `timeout`.
  std::optional<int> Wait(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (int i = 0; i < 100000 && absl::Now() < deadline; ++i) {
      int status = 0;
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        Drain(err_, &stderr_);
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
      }
      Drain(err_, &stderr_);
      absl::SleepFor(absl::Milliseconds(10));
    }
    return std::nullopt;
  }

  void Signal(int sig) { kill(pid_, sig); }

  const std::string& stderr_text() {
    Drain(err_, &stderr_);
    return stderr_;
  }
  const std::string& stdout_text() {
    Drain(out_, &stdout_);
    return stdout_;
  }

 private:
  // Appends what is readable now; false at end of file.
  static bool Drain(int fd, std::string* into) {
    char buf[4096];
    for (int i = 0; i < 1024; ++i) {
      const ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0) {
        into->append(buf, static_cast<size_t>(n));
        continue;
      }
      return n < 0 && (errno == EAGAIN || errno == EINTR);
    }
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int err_ = -1;
  std::string stdout_;
  std::string stderr_;
};

TEST(RewindmqBinaryTest, ServesHealthzAndExitsCleanlyOnSigterm) {
  rmqtest::ScopedTempDir dir;
  Process p;
  ASSERT_TRUE(
      p.Spawn({"--listen", "127.0.0.1:0", "--remoting-listen", "127.0.0.1:0",
               "--data-dir", dir.Sub("data"), "--worker-threads", "2"}));
  const std::optional<std::string> line = p.ReadLine(kStartTimeout);
  ASSERT_TRUE(line.has_value()) << "no startup line; stderr:\n"
                                << p.stderr_text();
  EXPECT_THAT(*line, HasSubstr(absl::StrCat("data in ", dir.Sub("data"))));
  const std::optional<uint16_t> port = rmqtest::PortOf(*line);
  ASSERT_TRUE(port.has_value()) << *line;

  ASSERT_OK_AND_ASSIGN(HttpResult health, Fetch(*port, "GET", "/healthz"));
  EXPECT_EQ(health.status, 200);
  EXPECT_FALSE(health.Header("X-Request-Id").empty());
  ASSERT_OK_AND_ASSIGN(HttpResult missing, Fetch(*port, "GET", "/nowhere"));
  EXPECT_EQ(missing.status, 404);

  p.Signal(SIGTERM);
  const std::optional<int> code = p.Wait(kStopTimeout);
  ASSERT_TRUE(code.has_value()) << "still running after SIGTERM";
  EXPECT_EQ(*code, 0) << p.stderr_text();
  EXPECT_THAT(p.stderr_text(), HasSubstr("http GET /healthz 200"));
}

TEST(RewindmqBinaryTest, SigintAlsoStopsItCleanly) {
  rmqtest::ScopedTempDir dir;
  Process p;
  ASSERT_TRUE(p.Spawn({"--listen=127.0.0.1:0", "--remoting-listen=127.0.0.1:0",
                       "--data-dir", dir.Sub("d")}));
  ASSERT_TRUE(p.ReadLine(kStartTimeout).has_value()) << p.stderr_text();
  p.Signal(SIGINT);
  const std::optional<int> code = p.Wait(kStopTimeout);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << p.stderr_text();
}

TEST(RewindmqBinaryTest, ConfigurationComesFromTheEnvironmentToo) {
  rmqtest::ScopedTempDir dir;
  Process p;
  setenv("REWINDMQ_DATA_DIR", dir.Sub("from-env").c_str(), 1);
  const bool spawned =
      p.Spawn({"--listen", "127.0.0.1:0", "--remoting-listen", "127.0.0.1:0"});
  unsetenv("REWINDMQ_DATA_DIR");
  ASSERT_TRUE(spawned);
  const std::optional<std::string> line = p.ReadLine(kStartTimeout);
  ASSERT_TRUE(line.has_value()) << p.stderr_text();
  EXPECT_THAT(*line, HasSubstr(dir.Sub("from-env")));
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(kStopTimeout), std::optional<int>(0));
}

TEST(RewindmqBinaryTest, HelpListsSettingsAndExitsZero) {
  Process p;
  ASSERT_TRUE(p.Spawn({"--help"}));
  ASSERT_EQ(p.Wait(kStopTimeout), std::optional<int>(0));
  EXPECT_THAT(p.stdout_text(), HasSubstr("REWINDMQ_DATA_DIR"));
}

TEST(RewindmqBinaryTest, BadFlagExitsTwoNamingTheFlag) {
  Process p;
  ASSERT_TRUE(p.Spawn({"--worker-threads", "zero"}));
  ASSERT_EQ(p.Wait(kStopTimeout), std::optional<int>(2));
  EXPECT_THAT(p.stderr_text(), HasSubstr("worker-threads"));
}

TEST(RewindmqBinaryTest, BusyDataDirExitsOneWithAClearMessage) {
  rmqtest::ScopedTempDir dir;
  Process first;
  ASSERT_TRUE(first.Spawn({"--listen", "127.0.0.1:0", "--remoting-listen",
                           "127.0.0.1:0", "--data-dir", dir.Sub("d")}));
  ASSERT_TRUE(first.ReadLine(kStartTimeout).has_value()) << first.stderr_text();
  Process second;
  ASSERT_TRUE(second.Spawn({"--listen", "127.0.0.1:0", "--remoting-listen",
                            "127.0.0.1:0", "--data-dir", dir.Sub("d")}));
  ASSERT_EQ(second.Wait(kStartTimeout), std::optional<int>(1));
  EXPECT_THAT(second.stderr_text(), HasSubstr(dir.Sub("d")));
  first.Signal(SIGTERM);
  EXPECT_EQ(first.Wait(kStopTimeout), std::optional<int>(0));
}

}  // namespace

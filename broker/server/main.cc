// rewindmq: the message-queue broker process. See `rewindmq --help`.
//
// Exit codes: 0 after a clean shutdown (SIGTERM, SIGINT) or --help; 1 when
// the server cannot start or stops with an error; 2 for a bad command line
// or configuration.
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/logging.h"
#include "broker/server/server.h"
#include "broker/server/server_config.h"

namespace {

using ::rewindmq::server::CommandLine;
using ::rewindmq::server::ParseServerConfig;
using ::rewindmq::server::ProcessEnv;
using ::rewindmq::server::Server;
using ::rewindmq::server::ServerConfigHelp;

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<CommandLine> command_line =
      ParseServerConfig(args, ProcessEnv);
  if (!command_line.ok()) {
    std::cerr << "rewindmq: " << command_line.status().message() << "\n";
    return 2;
  }
  if (command_line->help) {
    std::cout << ServerConfigHelp();
    return 0;
  }
  rewindmq::SetLogLevel(command_line->config.log_level);
  // This abseil build tracks the order in which every Mutex is taken to
  // report deadlocks, on each lock. The unit tests keep that check; the
  // server does not pay for it on every request.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the shutdown signals before any thread starts, so that every
  // thread inherits the mask and only sigwait() below receives them. Asio
  // sends with MSG_NOSIGNAL; ignoring SIGPIPE covers everything else.
  const sigset_t signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // A file-size limit (ulimit -f) then fails the write with EFBIG, which
  // storage reports as ResourceExhausted, instead of killing the process.
  signal(SIGXFSZ, SIG_IGN);

  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(command_line->config);
  if (!server.ok()) {
    std::cerr << "rewindmq: " << server.status().message() << "\n";
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::cout << "rewindmq listening on " << (*server)->address() << ", data in "
            << (*server)->data_dir() << std::endl;
  for (const std::string& a : (*server)->remoting_addresses()) {
    std::cout << "rewindmq remoting listening on " << a << std::endl;
  }

  int sig = 0;
  sigwait(&signals, &sig);
  RMQ_LOG(kInfo, "received ", strsignal(sig), "; shutting down");
  // A second signal while draining means: stop now.
  std::thread([signals] {
    int again = 0;
    sigwait(&signals, &again);
    static const char kMessage[] =
        "rewindmq: second signal during shutdown; exiting at once\n";
    (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    _exit(1);
  }).detach();

  const absl::Status stopped = (*server)->Shutdown();
  server->reset();
  if (!stopped.ok()) {
    RMQ_LOG(kError, "shutdown failed: ", stopped.ToString());
    return 1;
  }
  RMQ_LOG(kInfo, "rewindmq stopped");
  return 0;
}

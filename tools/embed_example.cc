// Embeds a rewindmq broker in-process: produces to a topic, consumes with a
// consumer group, rewinds the group to a point in time (dry run first),
// consumes again, and does the same with a CMQ queue and a long poll.
//
//   embed_example [data_dir]
//
// Without an argument it works in a fresh temporary directory and removes
// it afterwards. Exits 0 when every step behaved as documented.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "broker/broker.h"

namespace {

using rewindmq::Offset;
using rewindmq::broker::Broker;
using rewindmq::broker::BrokerOptions;
using rewindmq::broker::CmqReceivedMessage;
using rewindmq::broker::FetchResult;
using rewindmq::broker::QueuePosition;
using rewindmq::broker::ResetResult;
using rewindmq::broker::ResetTarget;
using rewindmq::broker::TopicStatus;

absl::Status Check(bool ok, absl::string_view what) {
  if (ok) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("check failed: ", what));
}

// Reads every queue of `topic` from the group's position to the end,
// committing as it goes. Returns the bodies read.
absl::StatusOr<std::vector<std::string>> ConsumeAll(Broker& broker,
                                                    const std::string& inst,
                                                    const std::string& group,
                                                    const std::string& topic) {
  RMQ_ASSIGN_OR_RETURN(TopicStatus status,
                       broker.topics().GetTopicStatus(inst, topic));
  std::vector<std::string> bodies;
  for (const auto& q : status.queues) {
    while (true) {
      RMQ_ASSIGN_OR_RETURN(FetchResult f,
                           broker.groups().Fetch(inst, {.group = group,
                                                        .topic = topic,
                                                        .queue = q.queue,
                                                        .max_records = 16}));
      if (f.messages.empty()) break;
      for (const auto& m : f.messages) bodies.push_back(m.body);
      RMQ_RETURN_IF_ERROR(
          broker.groups().Commit(inst, {.group = group,
                                        .topic = topic,
                                        .queue = q.queue,
                                        .next_offset = f.next_offset,
                                        .epoch = f.epoch}));
    }
  }
  return bodies;
}

absl::Status Run(const std::string& data_dir) {
  BrokerOptions options;
  options.data_dir = data_dir;
  RMQ_ASSIGN_OR_RETURN(std::unique_ptr<Broker> broker, Broker::Open(options));
  const std::string inst = broker->default_instance();

  // --- Topics and a consumer group ---
  RMQ_RETURN_IF_ERROR(broker->topics()
                          .CreateTopic(inst, {.name = "orders", .queue_num = 4})
                          .status());
  RMQ_RETURN_IF_ERROR(
      broker->groups().CreateGroup(inst, {.name = "billing"}).status());
  for (int i = 0; i < 50; ++i) {
    RMQ_RETURN_IF_ERROR(
        broker->topics()
            .Produce(inst, {.topic = "orders", .body = absl::StrCat("old-", i)})
            .status());
  }
  absl::SleepFor(absl::Milliseconds(5));
  const absl::Time rewind_point = absl::Now();
  absl::SleepFor(absl::Milliseconds(5));
  for (int i = 0; i < 50; ++i) {
    RMQ_RETURN_IF_ERROR(
        broker->topics()
            .Produce(inst, {.topic = "orders", .body = absl::StrCat("new-", i)})
            .status());
  }
  RMQ_ASSIGN_OR_RETURN(std::vector<std::string> first,
                       ConsumeAll(*broker, inst, "billing", "orders"));
  std::printf("consumed %zu messages\n", first.size());
  RMQ_RETURN_IF_ERROR(Check(first.size() == 100, "first pass reads 100"));

  // --- Rewind: dry run, then for real ---
  RMQ_ASSIGN_OR_RETURN(
      ResetResult dry,
      broker->ResetGroup(inst, "billing", "orders",
                         ResetTarget::At(rewind_point), /*dry_run=*/true));
  for (const QueuePosition& p : dry.queues) {
    std::printf("dry run: %s/%d -> offset %lld (stored %s)\n",
                p.queue.broker_name.c_str(), p.queue.queue_id,
                static_cast<long long>(p.offset.value),
                p.store_time.has_value()
                    ? absl::FormatTime(*p.store_time).c_str()
                    : "-");
  }
  RMQ_ASSIGN_OR_RETURN(ResetResult reset,
                       broker->ResetGroup(inst, "billing", "orders",
                                          ResetTarget::At(rewind_point)));
  RMQ_ASSIGN_OR_RETURN(std::vector<std::string> again,
                       ConsumeAll(*broker, inst, "billing", "orders"));
  std::printf("after the rewind (epoch %llu): %zu messages\n",
              static_cast<unsigned long long>(reset.epoch), again.size());
  RMQ_RETURN_IF_ERROR(Check(again.size() == 50, "rewind replays 50"));
  for (const std::string& body : again) {
    RMQ_RETURN_IF_ERROR(Check(body.rfind("new-", 0) == 0, body));
  }

  // --- A CMQ queue with a long poll and RewindQueue ---
  RMQ_RETURN_IF_ERROR(
      broker->cmq()
          .CreateQueue(inst, "jobs",
                       {.msg_retention_seconds = 3600, .rewind_seconds = 600})
          .status());
  std::promise<absl::StatusOr<std::vector<CmqReceivedMessage>>> promise;
  auto received = promise.get_future();
  broker->cmq().ReceiveAsync(
      inst, "jobs", 1, absl::Seconds(5),
      [&promise](absl::StatusOr<std::vector<CmqReceivedMessage>> r) {
        promise.set_value(std::move(r));
      });
  RMQ_ASSIGN_OR_RETURN(std::string msg_id,
                       broker->cmq().SendMessage(inst, "jobs", "resize"));
  RMQ_ASSIGN_OR_RETURN(std::vector<CmqReceivedMessage> got, received.get());
  RMQ_RETURN_IF_ERROR(Check(got.size() == 1 && got[0].msg_id == msg_id,
                            "long poll gets the message"));
  RMQ_RETURN_IF_ERROR(
      broker->cmq().DeleteMessage(inst, "jobs", got[0].receipt_handle));
  RMQ_ASSIGN_OR_RETURN(int64_t revived, broker->cmq().RewindQueue(
                                            inst, "jobs", got[0].enqueue_time));
  RMQ_ASSIGN_OR_RETURN(got, broker->cmq().ReceiveMessages(inst, "jobs", 1));
  std::printf("queue rewind revived %lld; redelivered %s (dequeue %lld)\n",
              static_cast<long long>(revived), got[0].msg_id.c_str(),
              static_cast<long long>(got[0].dequeue_count));
  RMQ_RETURN_IF_ERROR(Check(
      revived == 1 && got[0].msg_id == msg_id && got[0].dequeue_count == 2,
      "queue rewind redelivers the message"));
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  bool remove = false;
  if (argc > 1) {
    dir = argv[1];
  } else {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "rewindmq-embed-XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::fprintf(stderr, "cannot create a temporary directory\n");
      return 1;
    }
    dir = pattern;
    remove = true;
  }
  absl::Status s = Run(dir);
  if (remove) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  if (!s.ok()) {
    std::fprintf(stderr, "embed_example: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("ok\n");
  return 0;
}

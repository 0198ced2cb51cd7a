// rewindmq-import: bulk-loads messages into a topic of a data folder through
// the embedding API, at storage speed, while no server has the folder open.
//
//   rewindmq-import --data-dir DIR --topic T --count N [--body-bytes 100]
//   rewindmq-import --data-dir DIR --topic T --input FILE   # one body a line
//
// Every other flag (--instances, --segment-bytes, --index-interval-bytes,
// --durability, --config, ...) and every REWINDMQ_* variable means what it
// means to the server, so the folder is opened exactly as `rewindmq` opens
// it. The topic is created with --queues queues when it does not exist.
// Messages go to the topic's queues in turn, --batch at a time; each batch
// is one append with one store time. Progress goes to stderr once a
// second; the summary (one JSON line) to stdout. Everything imported is
// synced to disk before the tool exits 0.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "broker/broker.h"
#include "broker/server/server.h"
#include "broker/server/server_config.h"

namespace rewindmq::import {
namespace {

constexpr char kUsage[] =
    "usage: rewindmq-import --topic NAME (--count N [--body-bytes B] | "
    "--input FILE)\n"
    "                       [--queues N] [--batch N] [--instance ID]\n"
    "                       [server settings: --data-dir DIR, --instances, "
    "...]\n"
    "\n"
    "Bulk-loads messages into TOPIC of the data folder, which no running\n"
    "server may hold. Server settings (see `rewindmq --help`) apply as they\n"
    "do to the server.\n"
    "\n"
    "  --topic NAME      the topic; created with --queues queues if missing\n"
    "  --count N         generate N messages of --body-bytes bytes each\n"
    "  --body-bytes B    size of a generated body (default 100)\n"
    "  --input FILE      one message body per line ('-': standard input);\n"
    "                    empty lines are skipped\n"
    "  --queues N        queues of a topic created here (default 1)\n"
    "  --batch N         messages per append (default 1000; 1..100000)\n"
    "  --instance ID     instance id (default: the first of --instances)\n";

struct ImportFlags {
  std::string topic;
  int64_t count = -1;
  int64_t body_bytes = 100;
  std::string input;
  int queues = 1;
  int64_t batch = 1000;
  std::string instance;
  bool help = false;
};

absl::StatusOr<int64_t> ParseCount(absl::string_view flag,
                                   absl::string_view value, int64_t min,
                                   int64_t max) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n < min || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " must be an integer from ", min, " to ", max,
                     ", not \"", value, "\""));
  }
  return n;
}

// Takes this tool's flags out of `args`; the rest are server settings.
absl::StatusOr<ImportFlags> TakeImportFlags(std::vector<std::string>* args) {
  ImportFlags f;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args->size(); ++i) {
    std::string arg = (*args)[i];
    if (arg == "-h" || arg == "--help") {
      f.help = true;
      continue;
    }
    std::string name;
    std::string value;
    bool has_value = false;
    if (absl::string_view a = arg; absl::ConsumePrefix(&a, "--")) {
      const size_t eq = a.find('=');
      name = std::string(a.substr(0, eq));
      if (eq != absl::string_view::npos) {
        value = std::string(a.substr(eq + 1));
        has_value = true;
      }
    }
    static const char* const kOwn[] = {"topic",  "count", "body-bytes", "input",
                                       "queues", "batch", "instance"};
    bool own = false;
    for (const char* o : kOwn) own = own || name == o;
    if (!own) {
      rest.push_back(std::move(arg));
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args->size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value"));
      }
      value = (*args)[++i];
    }
    if (name == "topic") {
      f.topic = value;
    } else if (name == "count") {
      RMQ_ASSIGN_OR_RETURN(f.count,
                           ParseCount(name, value, 1, int64_t{1} << 40));
    } else if (name == "body-bytes") {
      RMQ_ASSIGN_OR_RETURN(f.body_bytes, ParseCount(name, value, 1, 4 << 20));
    } else if (name == "input") {
      f.input = value;
    } else if (name == "queues") {
      RMQ_ASSIGN_OR_RETURN(const int64_t q, ParseCount(name, value, 1, 1024));
      f.queues = static_cast<int>(q);
    } else if (name == "batch") {
      RMQ_ASSIGN_OR_RETURN(f.batch, ParseCount(name, value, 1, 100000));
    } else if (name == "instance") {
      f.instance = value;
    }
  }
  *args = std::move(rest);
  if (f.help) return f;
  if (f.topic.empty()) return absl::InvalidArgumentError("--topic is required");
  if ((f.count >= 0) == !f.input.empty()) {
    return absl::InvalidArgumentError(
        "give exactly one of --count and --input");
  }
  return f;
}

// Where messages come from: generated, or read line by line.
class Source {
 public:
  static absl::StatusOr<std::unique_ptr<Source>> Open(const ImportFlags& f) {
    auto s = std::unique_ptr<Source>(new Source());
    s->count_ = f.count;
    s->body_bytes_ = f.body_bytes;
    if (!f.input.empty()) {
      if (f.input == "-") {
        s->in_ = &std::cin;
      } else {
        s->file_.open(f.input, std::ios::binary);
        if (!s->file_) {
          return absl::NotFoundError(
              absl::StrCat("cannot open --input ", f.input));
        }
        s->in_ = &s->file_;
      }
    }
    return s;
  }

  // The next body into *body; false at the end.
  bool Next(std::string* body) {
    if (in_ == nullptr) {
      if (produced_ >= count_) return false;
      // "message <n> " then filler, exactly body_bytes_ long.
      *body = absl::StrCat("message ", produced_, " ");
      body->resize(static_cast<size_t>(body_bytes_), 'x');
      ++produced_;
      return true;
    }
    while (std::getline(*in_, *body)) {
      if (!body->empty() && body->back() == '\r') body->pop_back();
      if (body->empty()) {
        ++skipped_;
        continue;
      }
      ++produced_;
      return true;
    }
    return false;
  }

  // Generated: the total; read: -1 (unknown).
  int64_t total() const { return in_ == nullptr ? count_ : -1; }
  int64_t skipped() const { return skipped_; }

 private:
  Source() = default;
  int64_t count_ = 0;
  int64_t body_bytes_ = 0;
  int64_t produced_ = 0;
  int64_t skipped_ = 0;
  std::ifstream file_;
  std::istream* in_ = nullptr;
};

struct QueueStats {
  broker::QueueRef ref;
  uint64_t storage_queue_id = 0;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t messages = 0;
};

absl::StatusOr<std::vector<QueueStats>> TopicQueues(broker::Broker& broker,
                                                    const std::string& instance,
                                                    const ImportFlags& f) {
  absl::StatusOr<broker::TopicInfo> topic =
      broker.topics().GetTopic(instance, f.topic);
  if (broker::ReasonOf(topic.status()) == broker::Reason::kTopicNotFound) {
    broker::CreateTopicRequest req;
    req.name = f.topic;
    req.queue_num = f.queues;
    topic = broker.topics().CreateTopic(instance, req);
    if (topic.ok()) {
      std::cerr << "rewindmq-import: created topic " << f.topic << " with "
                << f.queues << " queue(s) per broker\n";
    }
  }
  if (!topic.ok()) return topic.status();
  std::vector<QueueStats> queues;
  for (const broker::TopicBrokerQueues& b : topic->brokers) {
    for (int q = 0; q < b.write_queue_num; ++q) {
      queues.push_back({.ref = {b.broker_name, q}});
    }
  }
  if (queues.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("topic ", f.topic, " has no writable queue"));
  }
  return queues;
}

std::string Rate(double per_s) {
  return per_s >= 1e6 ? absl::StrFormat("%.2fM", per_s / 1e6)
                      : absl::StrFormat("%.1fk", per_s / 1e3);
}

absl::Status Run(std::vector<std::string> args) {
  RMQ_ASSIGN_OR_RETURN(ImportFlags f, TakeImportFlags(&args));
  if (f.help) {
    std::cout << kUsage;
    return absl::OkStatus();
  }
  RMQ_ASSIGN_OR_RETURN(server::CommandLine cl,
                       server::ParseServerConfig(args, server::ProcessEnv));
  const server::ServerConfig& config = cl.config;
  const std::string instance =
      f.instance.empty() ? config.instances.front().id : f.instance;
  RMQ_ASSIGN_OR_RETURN(std::unique_ptr<Source> source, Source::Open(f));
  RMQ_ASSIGN_OR_RETURN(
      std::unique_ptr<broker::Broker> broker,
      broker::Broker::Open(server::BrokerOptionsFor(config, config.data_dir)));
  RMQ_ASSIGN_OR_RETURN(std::vector<QueueStats> queues,
                       TopicQueues(*broker, instance, f));

  const absl::Time start = absl::Now();
  absl::Time next_report = start + absl::Seconds(1);
  absl::Time first_store;
  absl::Time last_store;
  int64_t imported = 0;
  std::vector<broker::ProduceRequest> batch(static_cast<size_t>(f.batch));
  for (size_t turn = 0;; ++turn) {
    size_t n = 0;
    while (n < batch.size() && source->Next(&batch[n].body)) ++n;
    if (n == 0) break;
    batch.resize(n);
    QueueStats& q = queues[turn % queues.size()];
    absl::StatusOr<std::vector<broker::ProduceResult>> r =
        broker->topics().ProduceBatch(instance, f.topic, q.ref,
                                      std::move(batch));
    if (!r.ok()) {
      return absl::Status(r.status().code(),
                          absl::StrCat("after ", imported,
                                       " messages: ", r.status().message()));
    }
    if (imported == 0) first_store = r->front().store_time;
    last_store = r->back().store_time;
    if (q.first_offset < 0) q.first_offset = r->front().offset.value;
    q.last_offset = r->back().offset.value;
    q.storage_queue_id = r->front().storage_queue_id;
    q.messages += static_cast<int64_t>(n);
    imported += static_cast<int64_t>(n);
    if (n < static_cast<size_t>(f.batch)) break;
    batch.assign(static_cast<size_t>(f.batch), broker::ProduceRequest());
    if (const absl::Time now = absl::Now(); now >= next_report) {
      next_report = now + absl::Seconds(1);
      const double s = absl::ToDoubleSeconds(now - start);
      std::cerr << "rewindmq-import: " << imported
                << (source->total() > 0 ? absl::StrCat("/", source->total())
                                        : std::string())
                << " messages, " << Rate(imported / s) << " msgs/s\n";
    }
  }
  RMQ_RETURN_IF_ERROR(broker->Sync());
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  std::string json = absl::StrCat(
      "{\"topic\":\"", f.topic, "\",\"instance\":\"", instance,
      "\",\"imported\":", imported,
      ",\"skipped_empty_lines\":", source->skipped(),
      ",\"seconds\":", absl::StrFormat("%.3f", seconds), ",\"msgs_per_s\":",
      absl::StrFormat("%.0f", seconds > 0 ? imported / seconds : 0.0));
  if (imported > 0) {
    absl::StrAppend(
        &json, ",\"first_store_time_ms\":", absl::ToUnixMillis(first_store),
        ",\"last_store_time_ms\":", absl::ToUnixMillis(last_store));
  }
  absl::StrAppend(&json, ",\"queues\":[");
  for (size_t i = 0; i < queues.size(); ++i) {
    const QueueStats& q = queues[i];
    absl::StrAppend(&json, i ? "," : "", "{\"broker_name\":\"",
                    q.ref.broker_name, "\",\"queue_id\":", q.ref.queue_id,
                    ",\"messages\":", q.messages);
    if (q.messages > 0) {
      absl::StrAppend(&json, ",\"storage_queue_id\":", q.storage_queue_id,
                      ",\"first_offset\":", q.first_offset,
                      ",\"last_offset\":", q.last_offset);
    }
    absl::StrAppend(&json, "}");
  }
  absl::StrAppend(&json, "]}");
  std::cout << json << std::endl;
  std::cerr << "rewindmq-import: " << imported << " messages into " << f.topic
            << " in " << absl::StrFormat("%.2f", seconds) << " s ("
            << Rate(seconds > 0 ? imported / seconds : 0)
            << " msgs/s), synced\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace rewindmq::import

int main(int argc, char** argv) {
  absl::Status s =
      rewindmq::import::Run(std::vector<std::string>(argv + 1, argv + argc));
  if (!s.ok()) {
    std::cerr << "rewindmq-import: " << s.message() << "\n";
    return absl::IsInvalidArgument(s) ? 2 : 1;
  }
  return 0;
}

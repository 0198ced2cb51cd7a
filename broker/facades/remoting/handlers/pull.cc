// PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361): read a queue for a group,
// with the store's offset rules, tag filtering, the piggy-backed commit,
// long polling, and pending resets (rocketmq-remoting.md 3.4 and 5).
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "broker/errors.h"
#include "broker/facades/remoting/handlers/common.h"

namespace rewindmq::facade::remoting::internal {
namespace {

constexpr int64_t kPullSysFlagCommitOffset = 0x1;
constexpr int64_t kPullSysFlagSuspend = 0x2;
constexpr int64_t kPullSysFlagSubscription = 0x4;
// At most this many records are scanned per pull, and this many bytes.
constexpr int kMaxScan = 800;
constexpr int64_t kMaxPullBytes = int64_t{256} << 10;

struct PullRequest {
  std::string group;
  std::string topic;
  int64_t queue_id = 0;
  int64_t queue_offset = 0;
  int64_t max_msgs = 32;
  int64_t sys_flag = 0;
  int64_t commit_offset = -1;
  int64_t suspend_ms = 0;
  int64_t max_bytes = kMaxPullBytes;
  std::optional<std::string> subscription;
  std::string expression_type = "TAG";
};

absl::StatusOr<PullRequest> ParsePull(const RemotingCommand& req) {
  PullRequest p;
  absl::StatusOr<std::string> s = Required(req, "consumerGroup");
  if (!s.ok()) return s.status();
  p.group = *s;
  if (s = Required(req, "topic"); !s.ok()) return s.status();
  p.topic = *s;
  absl::StatusOr<int64_t> n = IntField(req, "queueId");
  if (!n.ok()) return n.status();
  p.queue_id = *n;
  if (n = IntField(req, "queueOffset"); !n.ok()) return n.status();
  p.queue_offset = *n;
  if (n = IntField(req, "maxMsgNums", 32); !n.ok()) return n.status();
  p.max_msgs = std::clamp<int64_t>(*n, 1, kMaxScan);
  if (n = IntField(req, "sysFlag", 0); !n.ok()) return n.status();
  p.sys_flag = *n;
  if (n = IntField(req, "commitOffset", -1); !n.ok()) return n.status();
  p.commit_offset = *n;
  if (n = IntField(req, "suspendTimeoutMillis", 0); !n.ok()) return n.status();
  p.suspend_ms = std::max<int64_t>(0, *n);
  if (n = IntField(req, "maxMsgBytes", kMaxPullBytes); !n.ok())
    return n.status();
  p.max_bytes = std::clamp<int64_t>(*n, 1, kMaxPullBytes);
  if ((p.sys_flag & kPullSysFlagSubscription) != 0) {
    if (const std::string* sub = req.Field("subscription"); sub != nullptr) {
      p.subscription = *sub;
    }
  }
  if (const std::string* t = req.Field("expressionType");
      t != nullptr && !t->empty()) {
    p.expression_type = *t;
  }
  return p;
}

// The tags a TAG expression accepts; empty means every message.
std::vector<std::string> TagsOf(absl::string_view expression) {
  std::vector<std::string> tags;
  expression = absl::StripAsciiWhitespace(expression);
  if (expression.empty() || expression == "*") return tags;
  for (absl::string_view t : absl::StrSplit(expression, "||")) {
    t = absl::StripAsciiWhitespace(t);
    if (!t.empty()) tags.emplace_back(t);
  }
  return tags;
}

bool Matches(const std::vector<std::string>& tags, const broker::Message& m) {
  if (tags.empty()) return true;
  if (m.tags.empty()) return false;
  return std::find(tags.begin(), tags.end(), m.tags.front()) != tags.end();
}

void ReplyPull(const RequestContext& ctx, const RemotingCommand& req,
               int32_t code, absl::string_view remark, int64_t next_begin,
               int64_t min, int64_t max, std::string body = {}) {
  RemotingCommand r = ResponseTo(req, code, std::string(remark));
  r.Set("nextBeginOffset", absl::StrCat(next_begin));
  r.Set("minOffset", absl::StrCat(min));
  r.Set("maxOffset", absl::StrCat(max));
  r.Set("suggestWhichBrokerId", "0");
  r.Set("topicSysFlag", "0");
  r.Set("groupSysFlag", "0");
  r.body = std::move(body);
  ctx.respond(std::move(r));
}

void Pull(const RequestContext& ctx, const RemotingCommand& req,
          const PullRequest& p, bool may_suspend);

// Holds the pull until a message arrives, a reset moves the queue, or the
// suspend time runs out; then answers it once more without holding.
void Suspend(const RequestContext& ctx, const RemotingCommand& req,
             const PullRequest& p) {
  const absl::Duration wait =
      std::min(absl::Milliseconds(p.suspend_ms), ctx.config->max_suspend);
  auto resume = [ctx, req, p]() {
    ctx.defer([ctx, req, p] { Pull(ctx, req, p, false); });
  };
  absl::StatusOr<broker::Topics::WatchId> w = ctx.broker->topics().WatchQueue(
      ctx.config->instance, p.topic, QueueOf(ctx, p.queue_id),
      Offset{p.queue_offset}, Now(ctx) + wait, std::move(resume));
  if (!w.ok()) Pull(ctx, req, p, false);
}

void Pull(const RequestContext& ctx, const RemotingCommand& req,
          const PullRequest& p, bool may_suspend) {
  broker::Broker& b = *ctx.broker;
  const std::string& inst = ctx.config->instance;
  const broker::QueueRef queue = QueueOf(ctx, p.queue_id);
  absl::StatusOr<broker::TopicStatus> status =
      b.topics().GetTopicStatus(inst, p.topic);
  if (!status.ok()) {
    if (broker::ReasonOf(status.status()) == broker::Reason::kTopicNotFound) {
      return Reply(
          ctx, req, status::kTopicNotExist,
          absl::StrCat("topic[", p.topic, "] not exist, apply first please!"));
    }
    return ReplyError(ctx, req, status.status());
  }
  const broker::QueueStatus* qs = nullptr;
  for (const broker::QueueStatus& s : status->queues) {
    if (s.queue == queue) qs = &s;
  }
  if (qs == nullptr) {
    return Reply(ctx, req, status::kSystemError,
                 absl::StrCat("queueId[", p.queue_id, "] is illegal, topic:[",
                              p.topic, "]"));
  }
  const int64_t min = qs->min_offset.value, max = qs->max_offset.value;
  if (may_suspend) {
    b.clients().NotePull(inst, p.group, p.topic, queue, ctx.connection);
  }

  absl::StatusOr<std::optional<Offset>> reset = b.groups().CheckPendingReset(
      inst, p.group, p.topic, queue, Offset{p.queue_offset});
  if (!reset.ok()) {
    if (broker::ReasonOf(reset.status()) == broker::Reason::kGroupNotFound) {
      return Reply(
          ctx, req, status::kSubscriptionGroupNotExist,
          absl::StrCat("subscription group [", p.group, "] does not exist"));
    }
    return ReplyError(ctx, req, reset.status());
  }
  if (reset->has_value()) {
    return ReplyPull(ctx, req, status::kPullOffsetMoved, "OFFSET_RESET",
                     (*reset)->value, min, max);
  }
  if (may_suspend && (p.sys_flag & kPullSysFlagCommitOffset) != 0 &&
      (p.sys_flag & kPullSysFlagSuspend) != 0 && p.commit_offset >= 0) {
    broker::CommitRequest commit;
    commit.group = p.group;
    commit.topic = p.topic;
    commit.queue = queue;
    commit.next_offset = Offset{std::min(p.commit_offset, max)};
    commit.yield_to_pending_reset = true;
    b.groups().Commit(inst, commit).IgnoreError();  // best effort, as Apache
  }

  if (p.expression_type != "TAG") {
    return Reply(ctx, req, status::kSubscriptionParseFailed,
                 "the broker does not support SQL92 filtering");
  }
  std::string expression = "*";
  if (p.subscription.has_value()) {
    expression = *p.subscription;
  } else if (std::optional<broker::ClientSubscription> sub =
                 b.clients().Subscription(inst, p.group, p.topic);
             sub.has_value()) {
    expression = sub->expression;
  }
  const std::vector<std::string> tags = TagsOf(expression);

  const int64_t offset = p.queue_offset;
  if (max == 0) {
    if (offset != 0) {
      return ReplyPull(ctx, req, status::kPullOffsetMoved,
                       "NO_MESSAGE_IN_QUEUE", 0, min, max);
    }
  } else if (offset < min) {
    return ReplyPull(ctx, req, status::kPullOffsetMoved, "OFFSET_TOO_SMALL",
                     min, min, max);
  } else if (offset > max) {
    return ReplyPull(ctx, req, status::kPullOffsetMoved,
                     "OFFSET_OVERFLOW_BADLY", max, min, max);
  }
  if (offset >= max) {
    if (may_suspend && (p.sys_flag & kPullSysFlagSuspend) != 0 &&
        p.suspend_ms > 0) {
      return Suspend(ctx, req, p);
    }
    return ReplyPull(ctx, req, status::kPullNotFound,
                     max == 0 ? "NO_MESSAGE_IN_QUEUE" : "OFFSET_OVERFLOW_ONE",
                     offset, min, max);
  }

  broker::FetchRequest f;
  f.group = p.group;
  f.topic = p.topic;
  f.queue = queue;
  f.from = Offset{offset};
  f.max_records = tags.empty() ? static_cast<int>(p.max_msgs) : kMaxScan;
  f.max_bytes = p.max_bytes;
  absl::StatusOr<broker::FetchResult> fetched = b.groups().Fetch(inst, f);
  if (!fetched.ok()) {
    if (broker::ReasonOf(fetched.status()) ==
        broker::Reason::kOffsetOutOfRange) {
      return ReplyPull(ctx, req, status::kPullOffsetMoved,
                       "OFFSET_OVERFLOW_BADLY", max, min, max);
    }
    return ReplyError(ctx, req, fetched.status());
  }
  std::string body;
  int64_t next = fetched->from.value;
  int matched = 0;
  for (const broker::Message& m : fetched->messages) {
    next = m.offset.value + 1;
    if (!Matches(tags, m)) continue;
    AppendMessageRecord(ToWire(ctx, m), &body);
    if (++matched >= p.max_msgs) break;
  }
  if (fetched->messages.empty()) {
    return ReplyPull(ctx, req, status::kPullNotFound, "OFFSET_OVERFLOW_ONE",
                     offset, fetched->min_offset.value,
                     fetched->max_offset.value);
  }
  if (matched == 0) {
    return ReplyPull(ctx, req, status::kPullRetryImmediately,
                     "NO_MATCHED_MESSAGE", next, fetched->min_offset.value,
                     fetched->max_offset.value);
  }
  ReplyPull(ctx, req, status::kSuccess, "FOUND", next,
            fetched->min_offset.value, fetched->max_offset.value,
            std::move(body));
}

}  // namespace

void HandlePull(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<PullRequest> p = ParsePull(req);
  if (!p.ok())
    return Reply(ctx, req, status::kSystemError,
                 std::string(p.status().message()));
  if (absl::Status s = EnsureGroup(ctx, p->group); !s.ok()) {
    if (broker::ReasonOf(s) == broker::Reason::kGroupNotFound) {
      return Reply(
          ctx, req, status::kSubscriptionGroupNotExist,
          absl::StrCat("subscription group [", p->group, "] does not exist"));
    }
    return ReplyError(ctx, req, s);
  }
  Pull(ctx, req, *p, true);
}

}  // namespace rewindmq::facade::remoting::internal

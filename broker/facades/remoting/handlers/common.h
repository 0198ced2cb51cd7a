// Helpers shared by the remoting request handlers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/facades/remoting/command.h"
#include "broker/facades/remoting/handler.h"
#include "broker/facades/remoting/message_codec.h"

namespace rewindmq::facade::remoting::internal {

// The handler table (one function per request kind, in handlers/*.cc).
void HandleRoute(const RequestContext& ctx, const RemotingCommand& req);
void HandleClusterInfo(const RequestContext& ctx, const RemotingCommand& req);
void HandleTopicList(const RequestContext& ctx, const RemotingCommand& req);
void HandleHeartbeat(const RequestContext& ctx, const RemotingCommand& req);
void HandleUnregister(const RequestContext& ctx, const RemotingCommand& req);
void HandleConsumerList(const RequestContext& ctx, const RemotingCommand& req);
void HandleCheckClientConfig(const RequestContext& ctx,
                             const RemotingCommand& req);
void HandleSend(const RequestContext& ctx, const RemotingCommand& req);
void HandleSendBatch(const RequestContext& ctx, const RemotingCommand& req);
void HandleSendBack(const RequestContext& ctx, const RemotingCommand& req);
void HandlePull(const RequestContext& ctx, const RemotingCommand& req);
void HandleQueryOffset(const RequestContext& ctx, const RemotingCommand& req);
void HandleUpdateOffset(const RequestContext& ctx, const RemotingCommand& req);
void HandleSearchOffset(const RequestContext& ctx, const RemotingCommand& req);
void HandleMaxOffset(const RequestContext& ctx, const RemotingCommand& req);
void HandleMinOffset(const RequestContext& ctx, const RemotingCommand& req);
void HandleEarliestTime(const RequestContext& ctx, const RemotingCommand& req);
void HandleLock(const RequestContext& ctx, const RemotingCommand& req);
void HandleUnlock(const RequestContext& ctx, const RemotingCommand& req);
void HandleViewMessage(const RequestContext& ctx, const RemotingCommand& req);
void HandleQueryMessage(const RequestContext& ctx, const RemotingCommand& req);

// Answers `req` with `code` and `remark` (no ext fields beyond those set).
void Reply(const RequestContext& ctx, const RemotingCommand& req, int32_t code,
           std::string remark = {});
// Answers with the protocol code for a broker error (ToResponseCode); the
// full status is logged for server faults, which get a generic remark.
void ReplyError(const RequestContext& ctx, const RemotingCommand& req,
                const absl::Status& s);
// The response code for a broker error on a request of kind `req_code`.
int32_t ToResponseCode(const absl::Status& s, int32_t req_code);

// A required ext field. InvalidArgument naming it when absent.
absl::StatusOr<std::string> Required(const RemotingCommand& req,
                                     absl::string_view key);
// An integer ext field; `fallback` when absent. InvalidArgument when not a
// number.
absl::StatusOr<int64_t> IntField(const RemotingCommand& req,
                                 absl::string_view key,
                                 std::optional<int64_t> fallback = {});
bool BoolField(const RemotingCommand& req, absl::string_view key,
               bool fallback);

// The broker's clock (fake in tests).
inline absl::Time Now(const RequestContext& ctx) {
  return ctx.broker->options().clock->Now();
}

// This listener's queue `queue_id`.
broker::QueueRef QueueOf(const RequestContext& ctx, int64_t queue_id);
// The advertised address of the listener's broker as a HostPort.
HostPort StoreHost(const RequestContext& ctx);

// The record of `m` as a pull returns it.
WireMessage ToWire(const RequestContext& ctx, const broker::Message& m);

// Makes sure group `group` exists, creating it when auto-create is on
// (`broadcast` from the client's message model). NotFound +
// kGroupNotFound when it does not and may not be created.
absl::Status EnsureGroup(const RequestContext& ctx, const std::string& group,
                         bool broadcast = false);
// Makes sure `%RETRY%group` (or `%DLQ%group`) exists: one queue per
// broker, read and write.
absl::Status EnsureSystemTopic(const RequestContext& ctx,
                               const std::string& topic);

inline constexpr absl::string_view kRetryPrefix = "%RETRY%";
inline constexpr absl::string_view kDlqPrefix = "%DLQ%";

}  // namespace rewindmq::facade::remoting::internal

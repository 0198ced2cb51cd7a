// The request side of the remoting facade: what a handler gets to work
// with (RequestContext), the code -> handler table (Dispatch), and the
// protocol's request and response codes. Handlers are functions of
// (context, request) that answer through ctx.respond; they hold no state of
// their own (what outlives a request lives in the broker: offsets, the
// client registry, queue locks, the schedule store).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "broker/facades/remoting/command.h"

namespace rewindmq::facade::remoting {

// Request codes (RequestCode.java).
namespace code {
inline constexpr int32_t kSendMessage = 10;
inline constexpr int32_t kPullMessage = 11;
inline constexpr int32_t kQueryMessage = 12;
inline constexpr int32_t kQueryConsumerOffset = 14;
inline constexpr int32_t kUpdateConsumerOffset = 15;
inline constexpr int32_t kSearchOffsetByTimestamp = 29;
inline constexpr int32_t kGetMaxOffset = 30;
inline constexpr int32_t kGetMinOffset = 31;
inline constexpr int32_t kGetEarliestMsgStoreTime = 32;
inline constexpr int32_t kViewMessageById = 33;
inline constexpr int32_t kHeartBeat = 34;
inline constexpr int32_t kUnregisterClient = 35;
inline constexpr int32_t kConsumerSendMsgBack = 36;
inline constexpr int32_t kEndTransaction = 37;
inline constexpr int32_t kGetConsumerListByGroup = 38;
inline constexpr int32_t kNotifyConsumerIdsChanged = 40;
inline constexpr int32_t kLockBatchMq = 41;
inline constexpr int32_t kUnlockBatchMq = 42;
inline constexpr int32_t kCheckClientConfig = 46;
inline constexpr int32_t kGetKvConfig = 101;
inline constexpr int32_t kGetRouteInfoByTopic = 105;
inline constexpr int32_t kGetBrokerClusterInfo = 106;
inline constexpr int32_t kGetAllTopicListFromNameServer = 206;
inline constexpr int32_t kSendMessageV2 = 310;
inline constexpr int32_t kSendBatchMessage = 320;
inline constexpr int32_t kLitePullMessage = 361;
}  // namespace code

// Response codes (ResponseCode.java).
namespace status {
inline constexpr int32_t kSuccess = 0;
inline constexpr int32_t kSystemError = 1;
inline constexpr int32_t kSystemBusy = 2;
inline constexpr int32_t kRequestCodeNotSupported = 3;
inline constexpr int32_t kMessageIllegal = 13;
inline constexpr int32_t kServiceNotAvailable = 14;
inline constexpr int32_t kNoPermission = 16;
inline constexpr int32_t kTopicNotExist = 17;
inline constexpr int32_t kPullNotFound = 19;
inline constexpr int32_t kPullRetryImmediately = 20;
inline constexpr int32_t kPullOffsetMoved = 21;
inline constexpr int32_t kQueryNotFound = 22;
inline constexpr int32_t kSubscriptionParseFailed = 23;
inline constexpr int32_t kSubscriptionGroupNotExist = 26;
}  // namespace status

// Settings of one remoting facade (one DMS instance).
struct RemotingConfig {
  // The DMS instance whose topics and groups the clients see.
  std::string instance;
  // The advertised "ip:port" of each logical broker, by broker index: what
  // routes, cluster info and message ids carry.
  std::vector<std::string> advertised;
  // HEART_BEAT of an unknown consumer group creates it (Apache's
  // autoCreateSubscriptionGroup); when false it is refused.
  bool auto_create_group = true;
  // Longest long-polling pull the broker holds.
  absl::Duration max_suspend = absl::Seconds(30);
  std::string cluster = "rewindmq";
};

// Everything a handler may use. Copyable: a long-polling pull keeps a copy
// until it answers.
struct RequestContext {
  broker::Broker* broker = nullptr;
  const RemotingConfig* config = nullptr;
  // The logical broker of the listener the request arrived on.
  int broker_index = 0;
  std::string broker_name;
  broker::ClientRegistry::ConnectionId connection = 0;
  std::string peer;  // "ip:port" of the client
  // Sends the response of the request (at most once; nothing is sent for
  // oneway requests). Thread-safe; may run after the connection closed.
  std::function<void(RemotingCommand)> respond;
  // Runs `fn` on a worker thread (work resumed from a broker callback).
  std::function<void(std::function<void()>)> defer;
  // Sends NOTIFY_CONSUMER_IDS_CHANGED for `group` to the group's other
  // connections.
  std::function<void(const std::string& group)> group_changed;
};

// Runs the handler of req.code; unknown codes get REQUEST_CODE_NOT_SUPPORTED.
// Oneway requests (kFlagOneway) are handled but never answered.
// May block on storage: call it on a worker thread.
void Dispatch(const RequestContext& ctx, const RemotingCommand& req);

}  // namespace rewindmq::facade::remoting

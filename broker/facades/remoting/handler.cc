#include "broker/facades/remoting/handler.h"

#include "absl/strings/str_cat.h"
#include "broker/facades/remoting/handlers/common.h"

namespace rewindmq::facade::remoting {

void Dispatch(const RequestContext& request_ctx, const RemotingCommand& req) {
  using namespace internal;  // NOLINT(build/namespaces): the handler table
  // A oneway request is processed like any other and never answered.
  RequestContext oneway_ctx;
  if (req.is_oneway()) {
    oneway_ctx = request_ctx;
    oneway_ctx.respond = [](RemotingCommand) {};
  }
  const RequestContext& ctx = req.is_oneway() ? oneway_ctx : request_ctx;
  switch (req.code) {
    case code::kGetRouteInfoByTopic:
      return HandleRoute(ctx, req);
    case code::kGetBrokerClusterInfo:
      return HandleClusterInfo(ctx, req);
    case code::kGetAllTopicListFromNameServer:
      return HandleTopicList(ctx, req);
    case code::kGetKvConfig:
      return Reply(ctx, req, status::kQueryNotFound, "no kv config");
    case code::kHeartBeat:
      return HandleHeartbeat(ctx, req);
    case code::kUnregisterClient:
      return HandleUnregister(ctx, req);
    case code::kGetConsumerListByGroup:
      return HandleConsumerList(ctx, req);
    case code::kCheckClientConfig:
      return HandleCheckClientConfig(ctx, req);
    case code::kSendMessage:
    case code::kSendMessageV2:
      return HandleSend(ctx, req);
    case code::kSendBatchMessage:
      return HandleSendBatch(ctx, req);
    case code::kConsumerSendMsgBack:
      return HandleSendBack(ctx, req);
    case code::kPullMessage:
    case code::kLitePullMessage:
      return HandlePull(ctx, req);
    case code::kQueryConsumerOffset:
      return HandleQueryOffset(ctx, req);
    case code::kUpdateConsumerOffset:
      return HandleUpdateOffset(ctx, req);
    case code::kSearchOffsetByTimestamp:
      return HandleSearchOffset(ctx, req);
    case code::kGetMaxOffset:
      return HandleMaxOffset(ctx, req);
    case code::kGetMinOffset:
      return HandleMinOffset(ctx, req);
    case code::kGetEarliestMsgStoreTime:
      return HandleEarliestTime(ctx, req);
    case code::kLockBatchMq:
      return HandleLock(ctx, req);
    case code::kUnlockBatchMq:
      return HandleUnlock(ctx, req);
    case code::kViewMessageById:
      return HandleViewMessage(ctx, req);
    case code::kQueryMessage:
      return HandleQueryMessage(ctx, req);
    default:
      return Reply(ctx, req, status::kRequestCodeNotSupported,
                   absl::StrCat("request type ", req.code, " not supported"));
  }
}

}  // namespace rewindmq::facade::remoting

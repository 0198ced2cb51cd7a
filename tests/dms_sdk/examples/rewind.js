// A worked example: the official Huawei Cloud Node.js SDK against rewindmq.
// Creates a topic and a consumer group, sends a message, and rewinds the
// group to one hour ago. Run from tests/dms_sdk after `npm ci`:
//   node examples/rewind.js      (REWINDMQ_ENDPOINT overrides the endpoint)

const core = require('@huaweicloud/huaweicloud-sdk-core');
const rocketmq = require('@huaweicloud/huaweicloud-sdk-rocketmq');

const client = rocketmq.RocketMQClient.newBuilder()
  .withCredential(new core.BasicCredentials()
    .withAk('any-ak').withSk('any-sk').withProjectId('local'))
  .withEndpoint(process.env.REWINDMQ_ENDPOINT || 'http://127.0.0.1:9555')
  .build();
const instance = '00000000-0000-4000-8000-000000000001';

(async () => {
  await client.createTopicOrBatchDeleteTopic(
    new rocketmq.CreateTopicOrBatchDeleteTopicRequest(instance)
      .withBody(new rocketmq.CreateTopicOrBatchDeleteTopicReq()
        .withName('orders').withQueueNum(4)));
  await client.createConsumerGroupOrBatchDeleteConsumerGroup(
    new rocketmq.CreateConsumerGroupOrBatchDeleteConsumerGroupRequest(instance)
      .withBody(new rocketmq.CreateConsumerGroupOrBatchDeleteConsumerGroupReq()
        .withName('billing')));
  const sent = await client.sendMessage(
    new rocketmq.SendMessageRequest('reliability', instance)
      .withBody(new rocketmq.SendMessageReq('orders', 'hello')));
  console.log('sent', sent.msg_id, 'queue', sent.queue_id, 'offset', sent.queue_offset);
  // Rewind group "billing" on topic "orders" to one hour ago.
  const reset = await client.resetConsumeOffset(
    new rocketmq.ResetConsumeOffsetRequest('reliability', instance, 'billing')
      .withBody(new rocketmq.ResetConsumeOffsetReq('orders', Date.now() - 3600 * 1000)));
  console.log(JSON.stringify(reset.queues));
})().catch((e) => { console.error(e); process.exit(1); });

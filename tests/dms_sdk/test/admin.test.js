'use strict';
// Instances, brokers, topics, consumer groups, messages and consumers
// through the SDK methods of spec Appendix A, in open mode (no credentials
// configured: any AK/SK is accepted).

const assert = require('node:assert/strict');
const { describe, it, before, after } = require('node:test');
const {
  INSTANCE_ID, Server, allMessages, expectSdkError, makeClient, rocketmq: r,
} = require('../lib/harness');

const UNKNOWN_TOPIC = { status: 400, code: 'DMS.00400876' };
const UNKNOWN_GROUP = { status: 404, code: 'DMS.10240405' };

describe('administration through the SDK (open mode)', { timeout: 60000 }, () => {
  let server;
  let client;
  let startedAt;

  const createTopic = (body, action) => {
    const req = new r.CreateTopicOrBatchDeleteTopicRequest(INSTANCE_ID).withBody(body);
    if (action) req.withAction(action);
    return client.createTopicOrBatchDeleteTopic(req);
  };
  const createGroup = (body, action) => {
    const req = new r.CreateConsumerGroupOrBatchDeleteConsumerGroupRequest(INSTANCE_ID)
      .withBody(body);
    if (action) req.withAction(action);
    return client.createConsumerGroupOrBatchDeleteConsumerGroup(req);
  };
  const showTopic = (name) => client.showOneTopic(new r.ShowOneTopicRequest(INSTANCE_ID, name));
  const showGroup = (name) => client.showGroup(new r.ShowGroupRequest(INSTANCE_ID, name));
  const listTopics = (limit, offset) => client.listRocketInstanceTopics(
    new r.ListRocketInstanceTopicsRequest(INSTANCE_ID).withLimit(limit).withOffset(offset));
  const listGroups = (limit, offset, group) => {
    const req = new r.ListInstanceConsumerGroupsRequest(INSTANCE_ID).withLimit(limit)
      .withOffset(offset);
    if (group !== undefined) req.withGroup(group);
    return client.listInstanceConsumerGroups(req);
  };

  before(async () => {
    startedAt = Date.now();
    server = await Server.start();
    client = makeClient(server.endpoint);
  });

  after(async () => {
    if (server) await server.stop();
  });

  it('lists and shows the default instance and its broker', async () => {
    const list = await client.listInstances(new r.ListInstancesRequest('rocketmq'));
    assert.equal(list.httpStatusCode, 200);
    assert.equal(list.instance_num, 1);
    assert.deepEqual(list.instances.map((i) => i.instance_id), [INSTANCE_ID]);
    const byName = await client.listInstances(new r.ListInstancesRequest('rocketmq')
      .withName('rewind').withExactMatchName('false'));
    assert.equal(byName.instance_num, 1);
    const exact = await client.listInstances(new r.ListInstancesRequest('rocketmq')
      .withName('rewind').withExactMatchName('true'));
    assert.equal(exact.instance_num, 0);
    const byId = await client.listInstances(new r.ListInstancesRequest('rocketmq')
      .withInstanceId(INSTANCE_ID).withStatus('RUNNING'));
    assert.equal(byId.instance_num, 1);

    const inst = await client.showInstance(new r.ShowInstanceRequest(INSTANCE_ID));
    assert.equal(inst.httpStatusCode, 200);
    assert.equal(inst.instance_id, INSTANCE_ID);
    assert.equal(inst.name, 'rewindmq');
    assert.equal(inst.engine, 'reliability');
    assert.equal(inst.engine_version, '4.8.0');
    assert.equal(inst.status, 'RUNNING');
    assert.equal(inst.broker_num, 1);
    assert.equal(typeof inst.created_at, 'string');
    assert.match(inst.created_at, /^\d+$/);
    assert.deepEqual(list.instances[0], withoutStatus(inst));

    const brokers = await client.listBrokers(new r.ListBrokersRequest(INSTANCE_ID));
    assert.equal(brokers.total, 1);
    assert.deepEqual(brokers.brokers, [{ broker_name: 'broker-0', ids: [0] }]);
  });

  it('creates, lists, shows, updates and deletes topics', async () => {
    const created = await createTopic(new r.CreateTopicOrBatchDeleteTopicReq().withName('alpha')
      .withQueueNum(3).withPermission('all').withMessageType('FIFO'));
    assert.deepEqual(withoutStatus(created), { id: 'alpha' });
    await createTopic(new r.CreateTopicOrBatchDeleteTopicReq().withName('beta'));
    await createTopic(new r.CreateTopicOrBatchDeleteTopicReq().withName('gamma')
      .withQueues([new r.CreateTopicReqQueues().withBroker('broker-0').withQueueNum(5)]));
    await createTopic(new r.CreateTopicOrBatchDeleteTopicReq().withName('delta')
      .withBrokers(['broker-0']).withQueueNum(1).withPermission('pub'));

    const alpha = await showTopic('alpha');
    assert.equal(alpha.httpStatusCode, 200);
    assert.equal(alpha.name, 'alpha');
    assert.equal(alpha.total_read_queue_num, 3);
    assert.equal(alpha.total_write_queue_num, 3);
    assert.equal(alpha.permission, 'all');
    assert.equal(alpha.message_type, 'FIFO');
    assert.deepEqual(alpha.brokers, [{ broker_name: 'broker-0', read_queue_num: 3,
      write_queue_num: 3 }]);
    assert.ok(alpha.created_at >= startedAt && alpha.created_at <= Date.now(),
      `created_at ${alpha.created_at}`);
    const beta = await showTopic('beta');
    assert.equal(beta.total_write_queue_num, 8, 'default queue_num');
    assert.equal(beta.message_type, 'NORMAL');
    assert.equal((await showTopic('gamma')).total_read_queue_num, 5);
    assert.equal((await showTopic('delta')).permission, 'pub');

    // Paging in creation order.
    const page1 = await listTopics(3, 0);
    assert.deepEqual(page1.topics.map((t) => t.name), ['alpha', 'beta', 'gamma']);
    assert.equal(page1.total, 4);
    assert.equal(page1.next_offset, 3);
    assert.equal(page1.previous_offset, -1);
    assert.equal(page1.remaining, page1.max - page1.total);
    assert.deepEqual(page1.topics[0], withoutStatus(alpha));
    const page2 = await listTopics(3, 3);
    assert.deepEqual(page2.topics.map((t) => t.name), ['delta']);
    assert.equal(page2.next_offset, -1);
    assert.equal(page2.previous_offset, 0);

    // Update: queue counts, permission, description.
    const updated = await client.updateTopic(new r.UpdateTopicRequest(INSTANCE_ID, 'alpha')
      .withBody(new r.UpdateTopicReq().withReadQueueNum(4).withWriteQueueNum(4)
        .withPermission('sub').withTopicDesc('read only now')));
    assert.deepEqual(updated, { httpStatusCode: 204 });
    const after = await showTopic('alpha');
    assert.equal(after.total_read_queue_num, 4);
    assert.equal(after.total_write_queue_num, 4);
    assert.equal(after.permission, 'sub');
    // A topic without publish permission refuses sends.
    await expectSdkError(client.sendMessage(new r.SendMessageRequest('reliability', INSTANCE_ID)
      .withBody(new r.SendMessageReq('alpha', 'x'))), { status: 400, code: 'DMS.00400800',
      msg: /writ/ });
    const perBroker = await client.updateTopic(new r.UpdateTopicRequest(INSTANCE_ID, 'alpha')
      .withBody(new r.UpdateTopicReq().withPermission('all').withQueues([
        new r.UpdateTopicQueueEntity().withBroker('broker-0').withReadQueueNum(6)
          .withWriteQueueNum(6)])));
    assert.equal(perBroker.httpStatusCode, 204);
    assert.equal((await showTopic('alpha')).total_write_queue_num, 6);

    // Delete one, batch-delete two (an unknown name is ignored).
    assert.deepEqual(await client.deleteTopic(new r.DeleteTopicRequest(INSTANCE_ID, 'delta')),
      { httpStatusCode: 204 });
    await expectSdkError(showTopic('delta'), UNKNOWN_TOPIC);
    const batch = await createTopic(new r.CreateTopicOrBatchDeleteTopicReq()
      .withTopics(['beta', 'gamma', 'never_existed']), 'delete');
    assert.equal(batch.httpStatusCode, 200);
    assert.match(batch.job_id, /^[0-9a-f]{32}$/);
    await expectSdkError(showTopic('beta'), UNKNOWN_TOPIC);
    await expectSdkError(showTopic('gamma'), UNKNOWN_TOPIC);
    const rest = await listTopics(10, 0);
    assert.deepEqual(rest.topics.map((t) => t.name), ['alpha']);
    assert.equal(rest.total, 1);
  });

  it('creates, lists, shows, updates and deletes consumer groups', async () => {
    const created = await createGroup(new r.CreateConsumerGroupOrBatchDeleteConsumerGroupReq()
      .withName('orders-app').withRetryMaxTime(5).withGroupDesc('order processing')
      .withConsumeOrderly(true).withBrokers(['broker-0']));
    assert.deepEqual(withoutStatus(created), { name: 'orders-app' });
    for (const name of ['orders-audit', 'billing', 'off_line']) {
      await createGroup(new r.CreateConsumerGroupOrBatchDeleteConsumerGroupReq().withName(name));
    }
    const g = await showGroup('orders-app');
    assert.equal(g.httpStatusCode, 200);
    assert.equal(g.name, 'orders-app');
    assert.equal(g.enabled, true);
    assert.equal(g.broadcast, false);
    assert.equal(g.retry_max_time, 5);
    assert.equal(g.group_desc, 'order processing');
    assert.equal(g.consume_orderly, true);
    assert.equal(g.group_online, false);
    assert.deepEqual(g.brokers, ['broker-0']);
    assert.ok(g.created_at >= startedAt && g.created_at <= Date.now());
    const plain = await showGroup('billing');
    assert.equal(plain.retry_max_time, 16, 'default retry_max_time');
    assert.equal(plain.enabled, true);
    assert.equal(plain.consume_orderly, false);

    const all = await listGroups(10, 0);
    assert.equal(all.total, 4);
    assert.deepEqual(all.groups.map((x) => x.name),
      ['orders-app', 'orders-audit', 'billing', 'off_line']);
    assert.equal(all.remaining, all.max - all.total);
    assert.equal(all.groups[0].topic_subscription_count, 0);
    const filtered = await listGroups(1, 0, 'orders');
    assert.equal(filtered.total, 2);
    assert.deepEqual(filtered.groups.map((x) => x.name), ['orders-app']);
    assert.equal(filtered.next_offset, 1);
    const second = await listGroups(1, 1, 'orders');
    assert.deepEqual(second.groups.map((x) => x.name), ['orders-audit']);
    assert.equal(second.next_offset, -1);
    assert.equal(second.previous_offset, 0);

    // Partial update changes only what it names.
    const upd = await client.updateConsumerGroup(new r.UpdateConsumerGroupRequest(INSTANCE_ID,
      'billing').withBody(new r.UpdateConsumerGroup().withEnabled(false).withRetryMaxTime(3)));
    assert.deepEqual(upd, { httpStatusCode: 204 });
    const billing = await showGroup('billing');
    assert.equal(billing.enabled, false);
    assert.equal(billing.retry_max_time, 3);
    assert.equal(billing.group_desc, '');
    const full = await client.updateConsumerGroup(new r.UpdateConsumerGroupRequest(INSTANCE_ID,
      'billing').withBody(new r.UpdateConsumerGroup(true, true, 7).withName('billing')
      .withGroupDesc('fan out')));
    assert.equal(full.httpStatusCode, 204);
    const billing2 = await showGroup('billing');
    assert.deepEqual([billing2.enabled, billing2.broadcast, billing2.retry_max_time,
      billing2.group_desc], [true, true, 7, 'fan out']);

    const batch = await client.batchUpdateConsumerGroup(new r.BatchUpdateConsumerGroupRequest(
      INSTANCE_ID).withBody(new r.BatchUpdateConsumerGroupReq().withGroups([
      new r.BatchUpdateConsumerGroup('orders-app').withEnabled(false).withGroupDesc('paused'),
      new r.BatchUpdateConsumerGroup('orders-audit').withRetryMaxTime(1)
        .withConsumeOrderly(true)])));
    assert.equal(batch.httpStatusCode, 200);
    assert.match(batch.job_id, /^[0-9a-f]{32}$/);
    const app = await showGroup('orders-app');
    assert.deepEqual([app.enabled, app.group_desc, app.retry_max_time], [false, 'paused', 5]);
    const audit = await showGroup('orders-audit');
    assert.deepEqual([audit.retry_max_time, audit.consume_orderly], [1, true]);

    assert.deepEqual(await client.deleteConsumerGroup(new r.DeleteConsumerGroupRequest(
      INSTANCE_ID, 'off_line')), { httpStatusCode: 204 });
    await expectSdkError(showGroup('off_line'), UNKNOWN_GROUP);
    const batchDelete = await createGroup(new r.CreateConsumerGroupOrBatchDeleteConsumerGroupReq()
      .withGroups(['orders-app', 'orders-audit', 'never_existed']), 'delete');
    assert.match(batchDelete.job_id, /^[0-9a-f]{32}$/);
    const left = await listGroups(10, 0);
    assert.deepEqual(left.groups.map((x) => x.name), ['billing']);
  });

  it('sends messages on both routes and queries them by time, key, queue and id', async () => {
    await createTopic(new r.CreateTopicOrBatchDeleteTopicReq().withName('events').withQueueNum(2));
    const props = (keys, tag) => [
      new r.SendMessageProperties().withName('KEYS').withValue(keys),
      new r.SendMessageProperties().withName('TAGS').withValue(tag),
      new r.SendMessageProperties().withName('origin').withValue('sdk test'),
    ];
    const sent = [];
    sent.push(await client.sendMessage(new r.SendMessageRequest('reliability', INSTANCE_ID)
      .withBody(new r.SendMessageReq('events', 'plain ascii').withPropertyList(
        props('order-1 customer-7', 'created')))));
    sent.push(await client.sendMessage(new r.SendMessageRequest('rocketmq', INSTANCE_ID)
      .withBody(new r.SendMessageReq('events', 'ünïcødé ✓ 消息').withPropertyList(
        props('order-2', 'paid')))));
    sent.push(await client.sendMessageForRocketMq(new r.SendMessageForRocketMqRequest(
      INSTANCE_ID).withBody(new r.SendMessageReq('events', '{"json":true}').withPropertyList(
      props('order-1', 'shipped')))));
    sent.push(await client.sendMessageForRocketMq(new r.SendMessageForRocketMqRequest(
      INSTANCE_ID).withBody(new r.SendMessageReq('events', 'no properties'))));
    assert.deepEqual(sent.map((s) => [s.queue_id, s.queue_offset]),
      [[0, 0], [1, 0], [0, 1], [1, 1]]);
    assert.deepEqual(sent[3].property_list, []);

    const all = await allMessages(client, 'events', { pageSize: 3 });
    assert.deepEqual(all.map((m) => m.msg_id), sent.map((s) => s.msg_id));
    const first = all[0];
    assert.equal(first.body, 'plain ascii');
    assert.equal(all[1].body, 'ünïcødé ✓ 消息');
    assert.equal(first.reconsume_times, 0);
    assert.ok(first.born_timestamp <= first.store_timestamp + 1000);
    assert.ok(first.store_size >= first.body.length);
    assert.match(first.born_host, /^127\.0\.0\.1:\d+$/);
    assert.equal(first.store_host, `127.0.0.1:${server.port}`);
    const propMap = new Map(first.property_list.map((p) => [p.name, p.value]));
    assert.equal(propMap.get('KEYS'), 'order-1 customer-7');
    assert.equal(propMap.get('TAGS'), 'created');
    assert.equal(propMap.get('origin'), 'sdk test');
    assert.equal(propMap.get('UNIQ_KEY'), first.msg_id);

    const range = (q) => q.withStartTime('0').withEndTime(String(Date.now() + 1000));
    const byKey = await client.listMessages(range(new r.ListMessagesRequest('reliability',
      INSTANCE_ID, 'events').withKey('order-1')));
    assert.equal(byKey.total, 2);
    assert.deepEqual(byKey.messages.map((m) => m.body), ['plain ascii', '{"json":true}']);
    const byToken = await client.listMessages(range(new r.ListMessagesRequest('reliability',
      INSTANCE_ID, 'events').withKey('customer-7')));
    assert.deepEqual(byToken.messages.map((m) => m.msg_id), [sent[0].msg_id]);
    const noKey = await client.listMessages(range(new r.ListMessagesRequest('reliability',
      INSTANCE_ID, 'events').withKey('order')));
    assert.equal(noKey.total, 0);
    const byQueue = await client.listMessagesForRocketMq(range(
      new r.ListMessagesForRocketMqRequest(INSTANCE_ID, 'events').withQueue('1')));
    assert.deepEqual(byQueue.messages.map((m) => m.msg_id), [sent[1].msg_id, sent[3].msg_id]);
    const byId = await client.listMessages(new r.ListMessagesRequest('rocketmq', INSTANCE_ID,
      'events').withMsgId(sent[2].msg_id));
    assert.equal(byId.total, 1);
    assert.equal(byId.messages[0].body, '{"json":true}');
    const missing = await client.listMessages(new r.ListMessagesRequest('reliability',
      INSTANCE_ID, 'events').withMsgId('0123456789ABCDEF0123456789ABCDEF'));
    assert.deepEqual([missing.messages, missing.total], [[], 0]);
    // A time range before the sends matches nothing.
    const before = await client.listMessages(new r.ListMessagesRequest('reliability',
      INSTANCE_ID, 'events').withStartTime('0').withEndTime(String(first.store_timestamp - 1)));
    assert.equal(before.total, 0);
  });

  it('consumers: none attached, resend reports the group offline', async () => {
    for (const call of [
      () => client.showConsumerConnections(new r.ShowConsumerConnectionsRequest(INSTANCE_ID,
        'billing').withIsDetail(true)),
      () => client.showConsumerConnectionsForRocketMq(
        new r.ShowConsumerConnectionsForRocketMqRequest(INSTANCE_ID, 'billing').withLimit(5)),
    ]) {
      const c = await call();
      assert.equal(c.httpStatusCode, 200);
      assert.equal(c.group_name, 'billing');
      assert.equal(c.online, false);
      assert.equal(c.total, 0);
      assert.deepEqual(c.clients, []);
    }
    const [m] = await allMessages(client, 'events');
    const body = new r.ResendReq().withGroup('billing').withTopic('events')
      .withClientId('client-1').withMsgIdList([m.msg_id, 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF']);
    for (const answer of [
      await client.validateConsumedMessage(new r.ValidateConsumedMessageRequest('reliability',
        INSTANCE_ID).withBody(body)),
      await client.validateConsumedMessageForRocketMq(
        new r.ValidateConsumedMessageForRocketMqRequest(INSTANCE_ID).withBody(body)),
    ]) {
      assert.deepEqual(answer.resend_results.map((x) => [x.msg_id, x.error_code]), [
        [m.msg_id, 'DMS.50050004'], ['FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF', 'DMS.00400800']]);
    }
  });

  it('deleting a topic drops the group offsets for it', async () => {
    await createGroup(new r.CreateConsumerGroupOrBatchDeleteConsumerGroupReq().withName('reader'));
    await client.resetConsumeOffset(new r.ResetConsumeOffsetRequest('reliability', INSTANCE_ID,
      'reader').withBody(new r.ResetConsumeOffsetReq('events', -1)));
    const groupsOf = () => client.listConsumerGroupOfTopic(
      new r.ListConsumerGroupOfTopicRequest(INSTANCE_ID, 'events').withLimit(10).withOffset(0));
    assert.deepEqual((await groupsOf()).groups, ['reader']);
    const topicsOf = () => client.showConsumerListOrDetails(
      new r.ShowConsumerListOrDetailsRequest(INSTANCE_ID, 'reader'));
    assert.deepEqual((await topicsOf()).topics, ['events']);
    const listed = await listGroups(10, 0, 'reader');
    assert.equal(listed.groups[0].topic_subscription_count, 1);

    await client.deleteTopic(new r.DeleteTopicRequest(INSTANCE_ID, 'events'));
    assert.deepEqual((await topicsOf()).topics, []);
    await createTopic(new r.CreateTopicOrBatchDeleteTopicReq().withName('events').withQueueNum(2));
    assert.deepEqual((await groupsOf()).groups, []);
    const d = await client.showConsumerListOrDetails(new r.ShowConsumerListOrDetailsRequest(
      INSTANCE_ID, 'reader').withTopic('events'));
    assert.deepEqual([d.max_offset, d.consumer_offset, d.lag], [0, 0, 0]);
  });

  it('open mode accepts any AK/SK and project id', async () => {
    const other = makeClient(server.endpoint, { ak: 'SOMEONEELSE', sk: 'whatever',
      projectId: 'another-project_1' });
    const inst = await other.showInstance(new r.ShowInstanceRequest(INSTANCE_ID));
    assert.equal(inst.instance_id, INSTANCE_ID);
    const topics = await other.listRocketInstanceTopics(
      new r.ListRocketInstanceTopicsRequest(INSTANCE_ID));
    assert.ok(topics.topics.some((t) => t.name === 'events'));
  });
});

function withoutStatus(answer) {
  const copy = { ...answer };
  delete copy.httpStatusCode;
  return copy;
}

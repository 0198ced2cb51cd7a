'use strict';
// Errors as the SDK surfaces them (spec §1.5, §1.6, §8, §9): the exception
// class, HTTP status, DMS error code and request id.

const assert = require('node:assert/strict');
const net = require('node:net');
const { describe, it, before, after } = require('node:test');
const {
  INSTANCE_ID, Server, ServiceResponseException, ClientRequestException, expectSdkError,
  makeClient, rocketmq: r,
} = require('../lib/harness');

const TOPIC = 'payments';
const GROUP = 'ledger';
const BROADCAST_GROUP = 'everyone';
const NO_TOPIC = 'no_such_topic';
const NO_GROUP = 'no_such_group';

const INVALID_PARAMETER = { status: 400, code: 'DMS.00400800' };
const BAD_TIMESTAMP = { status: 400, code: 'DMS.00400142', msg: /^Timestamp is invalid\.$/ };
const UNKNOWN_TOPIC = { status: 400, code: 'DMS.00400876', msg: /^The topic does not exist\.$/ };
const UNKNOWN_GROUP = { status: 404, code: 'DMS.10240405',
  msg: /^The consumption group ID is incorrect or not found\.$/ };

describe('errors through the SDK', { timeout: 60000 }, () => {
  let server;
  let client;
  const requestIds = [];
  const expectError = async (promise, expected) => {
    const e = await expectSdkError(promise, expected);
    requestIds.push(e.requestId);
    return e;
  };

  const reset = (group, body) => client.resetConsumeOffset(
    new r.ResetConsumeOffsetRequest('reliability', INSTANCE_ID, group).withBody(body));
  const createTopic = (body) => client.createTopicOrBatchDeleteTopic(
    new r.CreateTopicOrBatchDeleteTopicRequest(INSTANCE_ID).withBody(body));
  const createGroup = (body) => client.createConsumerGroupOrBatchDeleteConsumerGroup(
    new r.CreateConsumerGroupOrBatchDeleteConsumerGroupRequest(INSTANCE_ID).withBody(body));
  const send = (body, engine = 'reliability') => client.sendMessage(
    new r.SendMessageRequest(engine, INSTANCE_ID).withBody(body));

  before(async () => {
    server = await Server.start();
    client = makeClient(server.endpoint);
    await createTopic(new r.CreateTopicOrBatchDeleteTopicReq().withName(TOPIC).withQueueNum(2));
    await createGroup(new r.CreateConsumerGroupOrBatchDeleteConsumerGroupReq().withName(GROUP));
    await createGroup(new r.CreateConsumerGroupOrBatchDeleteConsumerGroupReq()
      .withName(BROADCAST_GROUP).withBroadcast(true));
    await send(new r.SendMessageReq(TOPIC, 'one message'));
  });

  after(async () => {
    if (server) await server.stop();
  });

  it('an unknown topic is 400 DMS.00400876 on every topic route', async () => {
    await expectError(client.showOneTopic(new r.ShowOneTopicRequest(INSTANCE_ID, NO_TOPIC)),
      UNKNOWN_TOPIC);
    await expectError(client.showTopicStatus(
      new r.ShowTopicStatusRequest(INSTANCE_ID, NO_TOPIC)), UNKNOWN_TOPIC);
    await expectError(client.updateTopic(new r.UpdateTopicRequest(INSTANCE_ID, NO_TOPIC)
      .withBody(new r.UpdateTopicReq().withPermission('all'))), UNKNOWN_TOPIC);
    await expectError(client.deleteTopic(new r.DeleteTopicRequest(INSTANCE_ID, NO_TOPIC)),
      UNKNOWN_TOPIC);
    await expectError(client.listConsumerGroupOfTopic(
      new r.ListConsumerGroupOfTopicRequest(INSTANCE_ID, NO_TOPIC)), UNKNOWN_TOPIC);
    await expectError(send(new r.SendMessageReq(NO_TOPIC, 'x')), UNKNOWN_TOPIC);
    await expectError(client.sendMessageForRocketMq(new r.SendMessageForRocketMqRequest(
      INSTANCE_ID).withBody(new r.SendMessageReq(NO_TOPIC, 'x'))), UNKNOWN_TOPIC);
    await expectError(client.listMessages(new r.ListMessagesRequest('reliability', INSTANCE_ID,
      NO_TOPIC).withStartTime('0').withEndTime(String(Date.now()))), UNKNOWN_TOPIC);
    await expectError(client.showConsumerListOrDetails(
      new r.ShowConsumerListOrDetailsRequest(INSTANCE_ID, GROUP).withTopic(NO_TOPIC)),
    UNKNOWN_TOPIC);
    await expectError(reset(GROUP, new r.ResetConsumeOffsetReq(NO_TOPIC, 0)), UNKNOWN_TOPIC);
    await expectError(client.resetConsumeOffsetForRocketMq(
      new r.ResetConsumeOffsetForRocketMqRequest(INSTANCE_ID, GROUP)
        .withBody(new r.ResetConsumeOffsetReq(NO_TOPIC, -1))), UNKNOWN_TOPIC);
  });

  it('an unknown group is 404 DMS.10240405 on every group route', async () => {
    await expectError(client.showGroup(new r.ShowGroupRequest(INSTANCE_ID, NO_GROUP)),
      UNKNOWN_GROUP);
    await expectError(client.updateConsumerGroup(new r.UpdateConsumerGroupRequest(INSTANCE_ID,
      NO_GROUP).withBody(new r.UpdateConsumerGroup().withEnabled(false))), UNKNOWN_GROUP);
    await expectError(client.deleteConsumerGroup(
      new r.DeleteConsumerGroupRequest(INSTANCE_ID, NO_GROUP)), UNKNOWN_GROUP);
    await expectError(client.showConsumerListOrDetails(
      new r.ShowConsumerListOrDetailsRequest(INSTANCE_ID, NO_GROUP)), UNKNOWN_GROUP);
    await expectError(client.showConsumerListOrDetails(
      new r.ShowConsumerListOrDetailsRequest(INSTANCE_ID, NO_GROUP).withTopic(TOPIC)),
    UNKNOWN_GROUP);
    await expectError(client.showConsumerConnections(
      new r.ShowConsumerConnectionsRequest(INSTANCE_ID, NO_GROUP)), UNKNOWN_GROUP);
    await expectError(client.showConsumerConnectionsForRocketMq(
      new r.ShowConsumerConnectionsForRocketMqRequest(INSTANCE_ID, NO_GROUP)), UNKNOWN_GROUP);
    await expectError(reset(NO_GROUP, new r.ResetConsumeOffsetReq(TOPIC, 0)), UNKNOWN_GROUP);
    // The group is checked before the topic (spec §1.6 evaluation order).
    await expectError(reset(NO_GROUP, new r.ResetConsumeOffsetReq(NO_TOPIC, 0)), UNKNOWN_GROUP);
    await expectError(client.validateConsumedMessage(new r.ValidateConsumedMessageRequest(
      'reliability', INSTANCE_ID).withBody(new r.ResendReq().withGroup(NO_GROUP)
      .withClientId('client-1').withMsgIdList(['00000000000000000000000000000000']))),
    UNKNOWN_GROUP);
    // A batch update naming an unknown group changes nothing.
    await expectError(client.batchUpdateConsumerGroup(new r.BatchUpdateConsumerGroupRequest(
      INSTANCE_ID).withBody(new r.BatchUpdateConsumerGroupReq().withGroups([
      new r.BatchUpdateConsumerGroup(GROUP).withGroupDesc('changed'),
      new r.BatchUpdateConsumerGroup(NO_GROUP).withGroupDesc('changed')]))), UNKNOWN_GROUP);
    const unchanged = await client.showGroup(new r.ShowGroupRequest(INSTANCE_ID, GROUP));
    assert.equal(unchanged.group_desc, '');
  });

  it('a reset timestamp that is not an integer >= -1 is 400 DMS.00400142', async () => {
    // Everything but numbers and numeric strings goes around the SDK's typing.
    for (const t of ['', 'yesterday', '1.5', ' 1', '+1', '-2', '12345678901234567890',
      1.5, -2, -1000, 1e30, true, {}, []]) {
      await expectError(reset(GROUP, new r.ResetConsumeOffsetReq(TOPIC, t)), BAD_TIMESTAMP);
    }
  });

  it('a reset without topic or timestamp is 400 DMS.00400800', async () => {
    await expectError(reset(GROUP, new r.ResetConsumeOffsetReq(TOPIC)),
      { ...INVALID_PARAMETER, msg: /timestamp/ });
    await expectError(reset(GROUP, new r.ResetConsumeOffsetReq(TOPIC, null)),
      { ...INVALID_PARAMETER, msg: /timestamp/ });
    await expectError(reset(GROUP, new r.ResetConsumeOffsetReq().withTimestamp(0)),
      { ...INVALID_PARAMETER, msg: /topic/ });
    await expectError(reset(GROUP, new r.ResetConsumeOffsetReq('', 0)),
      { ...INVALID_PARAMETER, msg: /topic/ });
    await expectError(reset(GROUP, new r.ResetConsumeOffsetReq(42, 0)),
      { ...INVALID_PARAMETER, msg: /topic/ });
    await expectError(reset(GROUP, new r.ResetConsumeOffsetReq()), INVALID_PARAMETER);
  });

  it('a reset of a broadcast group is refused with 400 DMS.00400800', async () => {
    await expectError(reset(BROADCAST_GROUP, new r.ResetConsumeOffsetReq(TOPIC, 0)),
      { ...INVALID_PARAMETER, msg: /broadcast/ });
  });

  it('a body that is not a JSON object is 400 DMS.00400005', async () => {
    await expectError(reset(GROUP, [TOPIC, 0]), { status: 400, code: 'DMS.00400005' });
    await expectError(reset(GROUP, 'topic=payments'), { status: 400, code: 'DMS.00400005' });
  });

  it('topic creation checks names, reserved names, ranges and duplicates', async () => {
    for (const body of [
      { name: 'ab' }, { name: 'x'.repeat(65) }, { name: 'white space' }, { name: 'dot.ted' },
      { name: 'TBW102' }, { name: 'SCHEDULE_TOPIC_XXXX' }, { name: 'rmq_sys_anything' },
      { name: 'okname', queue_num: 0 }, { name: 'okname', queue_num: 51 },
      { name: 'okname', permission: 'rw' }, { name: 'okname', message_type: 'BOGUS' },
      { name: 'okname', brokers: ['broker-9'] }, {},
    ]) {
      await expectError(createTopic(body), INVALID_PARAMETER);
    }
    await expectError(createTopic(new r.CreateTopicOrBatchDeleteTopicReq().withName(TOPIC)),
      { status: 400, code: 'DMS.40050005', msg: /^Requested topic already exists\.$/ });
    await expectError(client.createTopicOrBatchDeleteTopic(
      new r.CreateTopicOrBatchDeleteTopicRequest(INSTANCE_ID).withAction('purge')
        .withBody(new r.CreateTopicOrBatchDeleteTopicReq().withTopics([TOPIC]))),
    INVALID_PARAMETER);
    // Nothing was created by the refused requests.
    const list = await client.listRocketInstanceTopics(
      new r.ListRocketInstanceTopicsRequest(INSTANCE_ID).withLimit(50));
    assert.deepEqual(list.topics.map((t) => t.name), [TOPIC]);
  });

  it('group creation and update check names, ranges and duplicates', async () => {
    for (const body of [
      { name: 'g' }, { name: 'bad/name' }, { name: 'grp2', retry_max_time: 0 },
      { name: 'grp2', retry_max_time: 17 }, { name: 'grp2', group_desc: 'x'.repeat(201) },
      { name: 'grp2', brokers: ['broker-1'] }, {},
    ]) {
      await expectError(createGroup(body), INVALID_PARAMETER);
    }
    await expectError(createGroup(new r.CreateConsumerGroupOrBatchDeleteConsumerGroupReq()
      .withName(GROUP)), { status: 400, code: 'DMS.40050015', msg: /^Consumer group exists\.$/ });
    await expectError(client.updateConsumerGroup(new r.UpdateConsumerGroupRequest(INSTANCE_ID,
      GROUP).withBody(new r.UpdateConsumerGroup().withName('renamed'))), INVALID_PARAMETER);
    await expectError(client.updateConsumerGroup(new r.UpdateConsumerGroupRequest(INSTANCE_ID,
      GROUP).withBody(new r.UpdateConsumerGroup().withRetryMaxTime(99))), INVALID_PARAMETER);
    await expectError(client.updateTopic(new r.UpdateTopicRequest(INSTANCE_ID, TOPIC)
      .withBody(new r.UpdateTopicReq())), INVALID_PARAMETER);
  });

  it('list paging parameters out of range are 400 DMS.00400800', async () => {
    for (const [limit, offset] of [[0, 0], [51, 0], [10, -1]]) {
      await expectError(client.listRocketInstanceTopics(new r.ListRocketInstanceTopicsRequest(
        INSTANCE_ID).withLimit(limit).withOffset(offset)), INVALID_PARAMETER);
      await expectError(client.listInstanceConsumerGroups(
        new r.ListInstanceConsumerGroupsRequest(INSTANCE_ID).withLimit(limit)
          .withOffset(offset)), INVALID_PARAMETER);
    }
  });

  it('sends check the body, properties and the 4 MiB limit', async () => {
    await expectError(send(new r.SendMessageReq(TOPIC, '')), INVALID_PARAMETER);
    await expectError(send(new r.SendMessageReq(TOPIC)), INVALID_PARAMETER);
    await expectError(send(new r.SendMessageReq(undefined, 'x')), INVALID_PARAMETER);
    await expectError(send(new r.SendMessageReq(TOPIC, 'x').withPropertyList([{ name: 7 }])),
      INVALID_PARAMETER);
    const limit = 4 * 1024 * 1024;
    await expectError(send(new r.SendMessageReq(TOPIC, 'x'.repeat(limit + 1))),
      { status: 400, code: 'DMS.10540011', msg: /4194305.*4194304/ });
    const atLimit = await send(new r.SendMessageReq(TOPIC, 'x'.repeat(limit)));
    assert.equal(atLimit.httpStatusCode, 200);
  });

  it('message queries check the time range', async () => {
    const query = () => new r.ListMessagesRequest('reliability', INSTANCE_ID, TOPIC);
    await expectError(client.listMessages(query()), INVALID_PARAMETER);
    await expectError(client.listMessages(query().withStartTime('0')), INVALID_PARAMETER);
    await expectError(client.listMessages(query().withStartTime('yesterday').withEndTime('1')),
      BAD_TIMESTAMP);
    await expectError(client.listMessages(query().withStartTime('0').withEndTime('-5')),
      BAD_TIMESTAMP);
    await expectError(client.listMessages(query().withStartTime('0').withEndTime('1')
      .withLimit(0)), INVALID_PARAMETER);
    // start after end is an empty page, not an error.
    const empty = await client.listMessages(query().withStartTime('2').withEndTime('1'));
    assert.deepEqual([empty.messages, empty.total], [[], 0]);
  });

  it('resend without group or client id is 400 DMS.00400800', async () => {
    const resend = (body) => client.validateConsumedMessage(
      new r.ValidateConsumedMessageRequest('reliability', INSTANCE_ID).withBody(body));
    await expectError(resend(new r.ResendReq().withClientId('c').withMsgIdList(['A'])),
      INVALID_PARAMETER);
    await expectError(resend(new r.ResendReq().withGroup(GROUP).withMsgIdList(['A'])),
      INVALID_PARAMETER);
  });

  it('unknown instance, engine and project id have their generic codes', async () => {
    const unknownInstance = { status: 404, code: 'DMS.00404022',
      msg: /^This instance does not exist\.$/ };
    const other = '11111111-2222-3333-4444-555555555555';
    await expectError(client.showInstance(new r.ShowInstanceRequest(other)), unknownInstance);
    await expectError(client.listRocketInstanceTopics(
      new r.ListRocketInstanceTopicsRequest(other)), unknownInstance);
    await expectError(client.resetConsumeOffset(new r.ResetConsumeOffsetRequest('reliability',
      other, GROUP).withBody(new r.ResetConsumeOffsetReq(TOPIC, 0))), unknownInstance);
    await expectError(send(new r.SendMessageReq(TOPIC, 'x'), 'kafka'),
      { status: 404, code: 'DMS.00404001', msg: /^The requested URL does not exist\.$/ });
    // Without a project id the SDK sends the template segment literally.
    const noProject = makeClient(server.endpoint, { projectId: null });
    await expectError(noProject.showInstance(new r.ShowInstanceRequest(INSTANCE_ID)),
      { status: 400, code: 'DMS.00400002', msg: /^The project ID format is invalid\.$/ });
  });

  it('missing required parameters are refused by the SDK itself', () => {
    assert.throws(() => client.showOneTopic(new r.ShowOneTopicRequest(INSTANCE_ID)),
      { name: 'RequiredError' });
    assert.throws(() => client.resetConsumeOffset(new r.ResetConsumeOffsetRequest('reliability',
      INSTANCE_ID, GROUP)), { name: 'RequiredError' });
    assert.throws(() => client.listInstances(new r.ListInstancesRequest()),
      { name: 'RequiredError' });
  });

  it('every error carries its own request id', () => {
    assert.ok(requestIds.length > 50, `${requestIds.length} errors seen`);
    assert.equal(new Set(requestIds).size, requestIds.length);
  });

  it('a server that is gone is a ServiceResponseException without status', async () => {
    const port = await new Promise((resolve, reject) => {
      const s = net.createServer();
      s.on('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const gone = makeClient(`http://127.0.0.1:${port}`);
    let error = null;
    try {
      await gone.showInstance(new r.ShowInstanceRequest(INSTANCE_ID));
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ServiceResponseException, String(error));
    assert.ok(!(error instanceof ClientRequestException));
    assert.equal(error.httpStatusCode, undefined);
    assert.match(error.errorMsg, /ECONNREFUSED/);
  });
});

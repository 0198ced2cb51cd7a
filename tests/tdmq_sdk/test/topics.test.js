'use strict';
// Topics and queue subscriptions through the official Node.js SDK
// (tdmq-cmq-v3.md §10, §13.4, §13.5 X6): PublishCmqMsg over API 3.0 fans out
// into queues, which are received, deleted and rewound over the CMQ 2.0 data
// plane, with exact message sets.

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { STRICT_ARGS, Server, UUID, cmqV2, drainV2, expectTcError, tdmqClient } =
  require('../lib/harness.js');

const bodies = (messages) => messages.map((m) => m.msgBody);

async function makeQueues(client, ...names) {
  for (const QueueName of names) {
    await client.CreateCmqQueue({ QueueName, MsgRetentionSeconds: 3600, RewindSeconds: 600 });
  }
}

describe('topics and subscriptions (open mode)', () => {
  let server;
  let client;
  before(async () => {
    server = await Server.start([]);
    client = tdmqClient(server);
  });
  after(async () => { await server.stop(); });

  test('X6: tags fan out to two queues; a rewind brings back one queue only', async () => {
    await makeQueues(client, 'x6_red', 'x6_blue');
    const topic = await client.CreateCmqTopic({ TopicName: 'x6_events' });
    assert.match(topic.TopicId, /^topic-/);
    const red = await client.CreateCmqSubscribe({ TopicName: 'x6_events',
      SubscriptionName: 'red', Protocol: 'queue', Endpoint: 'x6_red', FilterTag: ['red'] });
    assert.match(red.SubscriptionId, /^sub-/);
    await client.CreateCmqSubscribe({ TopicName: 'x6_events', SubscriptionName: 'blue',
      Protocol: 'queue', Endpoint: 'x6_blue', FilterTag: ['blue'] });

    const published = [];
    for (const [MsgContent, MsgTag] of [['r1', ['red']], ['b1', ['blue']],
      ['rb', ['blue', 'red']], ['untagged', undefined], ['g1', ['green']]]) {
      const r = await client.PublishCmqMsg({ TopicName: 'x6_events', MsgContent, MsgTag });
      assert.equal(r.Result, true);
      assert.match(r.RequestId, UUID);
      published.push(r.MsgId);
    }
    const gotRed = await drainV2(server, 'x6_red');
    const gotBlue = await drainV2(server, 'x6_blue');
    assert.deepEqual(bodies(gotRed), ['r1', 'rb']);
    assert.deepEqual(bodies(gotBlue), ['b1', 'rb']);
    const copyIds = [...gotRed, ...gotBlue].map((m) => m.msgId);
    assert.equal(new Set(copyIds).size, 4, 'each copy has its own id');
    for (const id of published) assert.ok(!copyIds.includes(id), 'the publish id is new');

    await client.RewindCmqQueue({ QueueName: 'x6_red',
      StartConsumeTime: Math.floor(Date.now() / 1000) - 5 });
    const again = await drainV2(server, 'x6_red');
    assert.deepEqual(again.map((m) => m.msgId), gotRed.map((m) => m.msgId));
    assert.deepEqual(await drainV2(server, 'x6_blue'), [], 'the other queue is untouched');

    await client.DeleteCmqTopic({ TopicName: 'x6_events' });
    await client.DeleteCmqQueue({ QueueName: 'x6_red' });
    await client.DeleteCmqQueue({ QueueName: 'x6_blue' });
  });

  test('routing keys: "*" matches one word, "#" zero or more', async () => {
    await makeQueues(client, 'rk_star', 'rk_hash', 'rk_all', 'rk_none');
    await client.CreateCmqTopic({ TopicName: 'rk', FilterType: 2 });
    const subscribe = (SubscriptionName, Endpoint, BindingKey) => client.CreateCmqSubscribe({
      TopicName: 'rk', SubscriptionName, Protocol: 'queue', Endpoint, BindingKey });
    await subscribe('star', 'rk_star', ['a.*.c']);
    await subscribe('hash', 'rk_hash', ['a.#']);
    await subscribe('all', 'rk_all', ['#']);
    await subscribe('none', 'rk_none', undefined);
    for (const key of ['a.b.c', 'a.c', 'a', 'b.a', undefined]) {
      await client.PublishCmqMsg({ TopicName: 'rk', MsgContent: key || 'nokey',
        MsgTag: key === undefined ? undefined : [key] });
    }
    assert.deepEqual(bodies(await drainV2(server, 'rk_star')), ['a.b.c']);
    assert.deepEqual(bodies(await drainV2(server, 'rk_hash')), ['a.b.c', 'a.c', 'a']);
    assert.deepEqual(bodies(await drainV2(server, 'rk_all')),
      ['a.b.c', 'a.c', 'a', 'b.a', 'nokey']);
    assert.deepEqual(bodies(await drainV2(server, 'rk_none')),
      ['a.b.c', 'a.c', 'a', 'b.a', 'nokey']);
    await expectTcError(client.PublishCmqMsg({ TopicName: 'rk', MsgContent: 'x',
      MsgTag: ['a', 'b'] }), 'InvalidParameterValue');
    await client.DeleteCmqTopic({ TopicName: 'rk' });
  });

  test('modify and clear filters change delivery', async () => {
    await makeQueues(client, 'mf');
    await client.CreateCmqTopic({ TopicName: 'mf' });
    await client.CreateCmqSubscribe({ TopicName: 'mf', SubscriptionName: 's',
      Protocol: 'queue', Endpoint: 'mf', FilterTag: ['a'] });
    const publish = (MsgContent, MsgTag) =>
      client.PublishCmqMsg({ TopicName: 'mf', MsgContent, MsgTag });
    await publish('a1', ['a']);
    await publish('b1', ['b']);
    await client.ModifyCmqSubscriptionAttribute({ TopicName: 'mf', SubscriptionName: 's',
      FilterTags: ['b'] });
    await publish('a2', ['a']);
    await publish('b2', ['b']);
    await client.ClearCmqSubscriptionFilterTags({ TopicName: 'mf', SubscriptionName: 's' });
    await publish('c', undefined);
    assert.deepEqual(bodies(await drainV2(server, 'mf')), ['a1', 'b2', 'c']);
    const [s] = (await client.DescribeCmqSubscriptionDetail({ TopicName: 'mf' })).SubscriptionSet;
    assert.deepEqual(s.FilterTags, []);
    await client.DeleteCmqSubscribe({ TopicName: 'mf', SubscriptionName: 's' });
    await publish('gone', undefined);
    assert.deepEqual(await drainV2(server, 'mf'), []);
    await client.DeleteCmqTopic({ TopicName: 'mf' });
  });

  test('topics and subscriptions are described with every field', async () => {
    await makeQueues(client, 'dq');
    await client.CreateCmqTopic({ TopicName: 'desc_a', MaxMsgSize: 2048,
      Tags: [{ TagKey: 'env', TagValue: 'prod' }] });
    await client.CreateCmqTopic({ TopicName: 'desc_b' });
    await client.CreateCmqSubscribe({ TopicName: 'desc_a', SubscriptionName: 'one',
      Protocol: 'queue', Endpoint: 'dq' });
    await client.CreateCmqSubscribe({ TopicName: 'desc_b', SubscriptionName: 'two',
      Protocol: 'queue', Endpoint: 'DQ', NotifyStrategy: 'BACKOFF_RETRY' });

    const t = (await client.DescribeCmqTopicDetail({ TopicName: 'DESC_A' })).TopicDescribe;
    assert.equal(t.TopicName, 'desc_a');
    assert.equal(t.MaxMsgSize, 2048);
    assert.equal(t.MsgRetentionSeconds, 86400);
    assert.equal(t.FilterType, 1);
    assert.equal(t.SubscriptionCount, 1);
    assert.deepEqual(t.Tags, [{ TagKey: 'env', TagValue: 'prod' }]);
    assert.ok(Math.abs(t.CreateTime - Date.now()) < 60000, 'CreateTime is in milliseconds');
    for (const field of ['TopicId', 'Qps', 'LastModifyTime', 'MsgCount', 'CreateUin',
      'Trace', 'TenantId', 'NamespaceName', 'Status', 'BrokerType']) {
      assert.ok(field in t, field);
    }

    let list = await client.DescribeCmqTopics({ TopicName: 'desc_' });
    assert.equal(list.TotalCount, 2);
    assert.deepEqual(list.TopicList.map((x) => x.TopicName), ['desc_a', 'desc_b']);
    list = await client.DescribeCmqTopics({ IsTagFilter: true,
      Filters: [{ Name: 'tag:env', Values: ['prod'] }] });
    assert.deepEqual(list.TopicList.map((x) => x.TopicName), ['desc_a']);
    list = await client.DescribeCmqTopics({ TopicNameList: ['DESC_B'], Limit: 1 });
    assert.deepEqual(list.TopicList.map((x) => x.TopicName), ['desc_b']);

    const byQueue = await client.DescribeCmqSubscriptionDetail({ QueryType: 'queue',
      QueueName: 'dq' });
    assert.equal(byQueue.TotalCount, 2);
    assert.deepEqual(byQueue.SubscriptionSet.map((s) => [s.TopicName, s.SubscriptionName]),
      [['desc_a', 'one'], ['desc_b', 'two']]);
    const two = byQueue.SubscriptionSet[1];
    assert.equal(two.Protocol, 'queue');
    assert.equal(two.Endpoint, 'DQ');
    assert.equal(two.NotifyStrategy, 'BACKOFF_RETRY');
    assert.equal(two.NotifyContentFormat, 'SIMPLIFIED');
    assert.deepEqual(two.BindingKey, []);
    assert.deepEqual(two.FilterTags, []);
    assert.match(two.SubscriptionId, /^sub-/);

    await client.ModifyCmqTopicAttribute({ TopicName: 'desc_a', MaxMsgSize: 4096,
      Trace: true });
    const modified = (await client.DescribeCmqTopicDetail({ TopicName: 'desc_a' })).TopicDescribe;
    assert.equal(modified.MaxMsgSize, 4096);
    assert.equal(modified.Trace, true);
    assert.ok(modified.LastModifyTime >= t.LastModifyTime);

    await client.DeleteCmqTopic({ TopicName: 'desc_a' });
    await client.DeleteCmqTopic({ TopicName: 'desc_b' });
    assert.equal((await client.DescribeCmqSubscriptionDetail({ QueryType: 'queue',
      QueueName: 'dq' })).TotalCount, 0);
  });

  test('error paths answer the spec codes', async () => {
    await makeQueues(client, 'eq');
    await client.CreateCmqTopic({ TopicName: 'errs', MaxMsgSize: 1024 });
    await client.CreateCmqSubscribe({ TopicName: 'errs', SubscriptionName: 's',
      Protocol: 'queue', Endpoint: 'eq' });
    const sub = (extra) => client.CreateCmqSubscribe({ TopicName: 'errs',
      SubscriptionName: 's2', Protocol: 'queue', Endpoint: 'eq', ...extra });

    await expectTcError(client.CreateCmqTopic({ TopicName: 'ERRS' }), 'ResourceInUse.Topic');
    await expectTcError(client.CreateCmqTopic({ TopicName: 'bad', FilterType: 3 }),
      'InvalidParameterValue');
    await expectTcError(client.DescribeCmqTopicDetail({}), 'MissingParameter');
    await expectTcError(client.DescribeCmqTopicDetail({ TopicName: 'nope' }),
      'ResourceNotFound.Topic');
    await expectTcError(client.ModifyCmqTopicAttribute({ TopicName: 'nope' }),
      'ResourceNotFound.Topic');
    await expectTcError(client.DeleteCmqTopic({ TopicName: 'nope' }), 'ResourceNotFound.Topic');
    await expectTcError(client.PublishCmqMsg({ TopicName: 'nope', MsgContent: 'x' }),
      'ResourceNotFound.Topic');
    await expectTcError(client.PublishCmqMsg({ TopicName: 'errs', MsgContent: 'x'.repeat(1025) }),
      'InvalidParameterValue');
    await expectTcError(sub({ Protocol: 'http', Endpoint: 'http://127.0.0.1/hook' }),
      'UnsupportedOperation');
    await expectTcError(sub({ NotifyContentFormat: 'JSON' }), 'InvalidParameterValue');
    await expectTcError(sub({ FilterTag: ['a', 'b', 'c', 'd', 'e', 'f'] }),
      'InvalidParameterValue');
    await expectTcError(sub({ SubscriptionName: 'S' }), 'ResourceInUse.Subscription');
    await expectTcError(sub({ Endpoint: 'nope' }), 'ResourceNotFound');
    await expectTcError(sub({ TopicName: 'nope' }), 'ResourceNotFound.Topic');
    await expectTcError(client.ModifyCmqSubscriptionAttribute({ TopicName: 'errs',
      SubscriptionName: 'nope' }), 'ResourceNotFound.Subscription');
    await expectTcError(client.DeleteCmqSubscribe({ TopicName: 'errs',
      SubscriptionName: 'nope' }), 'ResourceNotFound.Subscription');
    await expectTcError(client.ClearCmqSubscriptionFilterTags({ TopicName: 'errs',
      SubscriptionName: 'nope' }), 'ResourceNotFound.Subscription');
    await expectTcError(client.DescribeCmqSubscriptionDetail({ TopicName: 'nope' }),
      'ResourceNotFound.Topic');

    // A deleted queue's subscription stays and is skipped.
    await client.DeleteCmqQueue({ QueueName: 'eq' });
    const r = await client.PublishCmqMsg({ TopicName: 'errs', MsgContent: 'x' });
    assert.equal(r.Result, true);
    await client.DeleteCmqTopic({ TopicName: 'errs' });
  });
});

describe('topics and subscriptions (strict mode)', () => {
  let server;
  before(async () => { server = await Server.start(STRICT_ARGS); });
  after(async () => { await server.stop(); });

  test('signed requests create, publish and delete', async () => {
    const client = tdmqClient(server);
    await makeQueues(client, 'sq');
    await client.CreateCmqTopic({ TopicName: 'st' });
    await client.CreateCmqSubscribe({ TopicName: 'st', SubscriptionName: 's',
      Protocol: 'queue', Endpoint: 'sq' });
    await client.PublishCmqMsg({ TopicName: 'st', MsgContent: 'signed' });
    // The harness signs 2.0 requests with the same (strict) key pair.
    assert.deepEqual(bodies(await drainV2(server, 'sq')), ['signed']);
    await client.DeleteCmqTopic({ TopicName: 'st' });
    const r = await cmqV2(server, { Action: 'DeleteQueue', queueName: 'sq' });
    assert.equal(r.code, 0, JSON.stringify(r));
  });
});

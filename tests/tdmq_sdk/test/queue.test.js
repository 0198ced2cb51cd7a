'use strict';
// Every API 3.0 queue action through the official Node.js SDK, success and
// error paths (tdmq-cmq-v3.md §9, §13.4), in open mode; the success path
// runs again in strict mode with signed requests.

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { STRICT_ARGS, Server, UUID, drainV2, expectTcError, sleep, tdmqClient } =
  require('../lib/harness.js');

async function successPath(server, client) {
  const created = await client.CreateCmqQueue({ QueueName: 'orders', MsgRetentionSeconds: 3600,
    RewindSeconds: 600, Tags: [{ TagKey: 'team', TagValue: 'billing' }] });
  assert.match(created.QueueId, /^queue-/);
  assert.match(created.RequestId, UUID);

  const detail = (await client.DescribeCmqQueueDetail({ QueueName: 'orders' })).QueueDescribe;
  assert.equal(detail.QueueId, created.QueueId);
  assert.equal(detail.MsgRetentionSeconds, 3600);
  assert.equal(detail.MaxMsgSize, 1048576);
  assert.equal(detail.RewindSeconds, 600);
  assert.deepEqual(detail.Tags, [{ TagKey: 'team', TagValue: 'billing' }]);
  assert.ok(Math.abs(detail.CreateTime - Date.now()) < 60000, 'CreateTime is in milliseconds');
  assert.equal(detail.DeadLetterPolicy, null);
  assert.deepEqual(detail.DeadLetterSource, []);

  const ids = [];
  for (const body of ['one', 'zwei', '三']) {
    const sent = await client.SendCmqMsg({ QueueName: 'orders', MsgContent: body });
    assert.equal(sent.Result, true);
    ids.push(sent.MsgId);
  }
  const delayed = await client.SendCmqMsg({ QueueName: 'orders', MsgContent: 'later',
    DelaySeconds: 600 });
  let q = (await client.DescribeCmqQueueDetail({ QueueName: 'orders' })).QueueDescribe;
  assert.equal(q.ActiveMsgNum, 3);
  assert.equal(q.DelayMsgNum, 1);
  assert.ok(delayed.MsgId);

  const received = await drainV2(server, 'orders');
  assert.deepEqual(received.map((m) => m.msgId), ids);
  assert.deepEqual(received.map((m) => m.msgBody), ['one', 'zwei', '三']);
  q = (await client.DescribeCmqQueueDetail({ QueueName: 'orders' })).QueueDescribe;
  assert.equal(q.RewindMsgNum, 3);

  // Back to before the sends: the deleted messages come back in order.
  await client.RewindCmqQueue({ QueueName: 'orders',
    StartConsumeTime: Math.floor(Date.now() / 1000) - 60 });
  const again = await drainV2(server, 'orders');
  assert.deepEqual(again.map((m) => m.msgId), ids);
  assert.deepEqual(again.map((m) => m.dequeueCount), [2, 2, 2]);

  const before = (await client.DescribeCmqQueueDetail({ QueueName: 'orders' })).QueueDescribe;
  await sleep(5);
  await client.ModifyCmqQueueAttribute({ QueueName: 'orders', VisibilityTimeout: 45,
    RewindSeconds: 0 });
  q = (await client.DescribeCmqQueueDetail({ QueueName: 'orders' })).QueueDescribe;
  assert.equal(q.VisibilityTimeout, 45);
  assert.equal(q.RewindMsgNum, 0, 'RewindSeconds 0 drops the deleted messages');
  assert.ok(q.LastModifyTime > before.LastModifyTime);

  const list = await client.DescribeCmqQueues({ Limit: 10 });
  assert.equal(list.TotalCount, 1);
  assert.equal(list.QueueList[0].QueueName, 'orders');

  await client.ClearCmqQueue({ QueueName: 'orders' });
  q = (await client.DescribeCmqQueueDetail({ QueueName: 'orders' })).QueueDescribe;
  assert.equal(q.DelayMsgNum, 0);

  await client.DeleteCmqQueue({ QueueName: 'orders' });
  await expectTcError(client.DescribeCmqQueueDetail({ QueueName: 'orders' }),
    'ResourceNotFound');
}

describe('TDMQ queue actions, open mode', () => {
  let server;
  let client;
  before(async () => {
    server = await Server.start();
    client = tdmqClient(server);
  });
  after(async () => { await server.stop(); });

  test('create, describe, send, receive over 2.0, rewind, modify, clear, delete', async () => {
    await successPath(server, client);
  });

  test('CreateCmqQueue refuses bad input', async () => {
    await client.CreateCmqQueue({ QueueName: 'taken' });
    const cases = [
      [{}, 'MissingParameter'],
      [{ QueueName: '1abc' }, 'InvalidParameterValue'],
      [{ QueueName: 'a'.repeat(65) }, 'InvalidParameterValue'],
      [{ QueueName: 'q1', VisibilityTimeout: 0 }, 'InvalidParameterValue'],
      [{ QueueName: 'q1', RewindSeconds: 7200 }, 'InvalidParameterValue'],
      [{ QueueName: 'TAKEN' }, 'ResourceInUse.Queue'],
      [{ QueueName: 'q1', Transaction: 1 }, 'UnsupportedOperation'],
      [{ QueueName: 'q1', Foo: 1 }, 'UnknownParameter'],
      [{ QueueName: 'q1', VisibilityTimeout: '30' }, 'InvalidParameter'],
    ];
    for (const [req, code] of cases) {
      await expectTcError(client.CreateCmqQueue(req), code);
    }
    await client.DeleteCmqQueue({ QueueName: 'taken' });
  });

  test('other actions refuse bad input', async () => {
    await client.CreateCmqQueue({ QueueName: 'norewind', MaxMsgSize: 1024 });
    await expectTcError(client.DescribeCmqQueues({ Limit: 51 }), 'InvalidParameterValue');
    await expectTcError(client.DescribeCmqQueues({ IsTagFilter: true,
      Filters: [{ Name: 'team', Values: ['x'] }] }), 'InvalidParameterValue');
    await expectTcError(client.DescribeCmqQueueDetail({}), 'MissingParameter');
    await expectTcError(client.ModifyCmqQueueAttribute({ QueueName: 'nope' }), 'ResourceNotFound');
    await expectTcError(client.ModifyCmqQueueAttribute({ QueueName: 'norewind',
      PollingWaitSeconds: 31 }), 'InvalidParameterValue');
    await expectTcError(client.ModifyCmqQueueAttribute({ QueueName: 'norewind',
      RewindSeconds: 7200 }), 'InvalidParameterValue');
    await expectTcError(client.RewindCmqQueue({ QueueName: 'norewind',
      StartConsumeTime: Math.floor(Date.now() / 1000) }), 'FailedOperation');
    await expectTcError(client.RewindCmqQueue({ QueueName: 'norewind' }), 'MissingParameter');
    await expectTcError(client.SendCmqMsg({ QueueName: 'norewind', MsgContent: '' }),
      'InvalidParameterValue');
    await expectTcError(client.SendCmqMsg({ QueueName: 'norewind', MsgContent: 'x'.repeat(1025) }),
      'InvalidParameterValue');
    await expectTcError(client.SendCmqMsg({ QueueName: 'norewind', MsgContent: 'x',
      DelaySeconds: 3601 }), 'InvalidParameterValue');
    await expectTcError(client.SendCmqMsg({ QueueName: 'nope', MsgContent: 'x' }),
      'ResourceNotFound');
    await expectTcError(client.ClearCmqQueue({ QueueName: 'nope' }), 'ResourceNotFound');
    await expectTcError(client.UnbindCmqDeadLetter({ SourceQueueName: 'nope' }),
      'ResourceNotFound');
    await expectTcError(client.ReceiveMessage({ Topic: 'a/b/c', SubscriptionName: 's' }),
      'UnsupportedOperation');
    await expectTcError(client.request('Foo', {}), 'InvalidAction');
    await client.DeleteCmqQueue({ QueueName: 'norewind' });
  });

  test('the rewind window is checked in seconds and milliseconds', async () => {
    await client.CreateCmqQueue({ QueueName: 'window', RewindSeconds: 600 });
    const now = Math.floor(Date.now() / 1000);
    await client.RewindCmqQueue({ QueueName: 'window', StartConsumeTime: now - 10 });
    await client.RewindCmqQueue({ QueueName: 'window', StartConsumeTime: (now - 10) * 1000 });
    await expectTcError(client.RewindCmqQueue({ QueueName: 'window',
      StartConsumeTime: now - 700 }), 'InvalidParameterValue');
    await expectTcError(client.RewindCmqQueue({ QueueName: 'window',
      StartConsumeTime: (now + 120) * 1000 }), 'InvalidParameterValue');
    await client.DeleteCmqQueue({ QueueName: 'window' });
  });

  test('dead-letter policies are stored, reported and unbound', async () => {
    await client.CreateCmqQueue({ QueueName: 'dlq' });
    await client.CreateCmqQueue({ QueueName: 'work', DeadLetterQueueName: 'dlq',
      Policy: 0, MaxReceiveCount: 3 });
    const work = (await client.DescribeCmqQueueDetail({ QueueName: 'work' })).QueueDescribe;
    assert.deepEqual(work.DeadLetterPolicy, { DeadLetterQueue: 'dlq', Policy: 0,
      MaxTimeToLive: 0, MaxReceiveCount: 3 });
    let dlq = (await client.DescribeCmqQueueDetail({ QueueName: 'dlq' })).QueueDescribe;
    assert.deepEqual(dlq.DeadLetterSource, [{ QueueId: work.QueueId, QueueName: 'work' }]);
    await client.UnbindCmqDeadLetter({ SourceQueueName: 'work' });
    dlq = (await client.DescribeCmqQueueDetail({ QueueName: 'dlq' })).QueueDescribe;
    assert.deepEqual(dlq.DeadLetterSource, []);
    await client.DeleteCmqQueue({ QueueName: 'work' });
    await client.DeleteCmqQueue({ QueueName: 'dlq' });
  });

  test('GET requests with flattened parameters are served', async () => {
    const get = tdmqClient(server, { profile: { httpProfile: { reqMethod: 'GET' } } });
    await get.CreateCmqQueue({ QueueName: 'viaget', Tags: [{ TagKey: 'k', TagValue: 'v' }] });
    const list = await get.DescribeCmqQueues({ QueueNameList: ['viaget'], IsTagFilter: true,
      Filters: [{ Name: 'tag:k', Values: ['v'] }] });
    assert.equal(list.TotalCount, 1);
    await get.DeleteCmqQueue({ QueueName: 'viaget' });
  });
});

describe('TDMQ queue actions, strict mode', () => {
  let server;
  before(async () => { server = await Server.start(STRICT_ARGS); });
  after(async () => { await server.stop(); });

  test('the same success path with signed requests', async () => {
    await successPath(server, tdmqClient(server));
  });
});

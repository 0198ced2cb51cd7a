'use strict';
// Cross-protocol scenarios (tdmq-cmq-v3.md §13.5): queues created, sent to,
// cleared and rewound over API 3.0 with the official Node.js SDK, received
// and deleted over the CMQ 2.0 data plane, with exact message sets.

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { Server, cmqV2, drainV2, expectTcError, tdmqClient } = require('../lib/harness.js');

describe('API 3.0 and CMQ 2.0 on the same queues', () => {
  let server;
  let client;
  before(async () => {
    server = await Server.start(['--cmq-max-queues', '2']);
    client = tdmqClient(server);
  });
  after(async () => { await server.stop(); });

  test('X1: a queue with "_" made over 3.0 is consumed and rewound across faces', async () => {
    await client.CreateCmqQueue({ QueueName: 'orders_x1', MsgRetentionSeconds: 3600,
      RewindSeconds: 600 });
    const ids = [];
    for (const body of ['a', 'b', 'c']) {
      const r = await cmqV2(server, { Action: 'SendMessage', queueName: 'orders_x1',
        msgBody: body });
      assert.equal(r.code, 0, JSON.stringify(r));
      ids.push(r.msgId);
    }
    assert.deepEqual((await drainV2(server, 'orders_x1')).map((m) => m.msgId), ids);
    let q = (await client.DescribeCmqQueueDetail({ QueueName: 'orders_x1' })).QueueDescribe;
    assert.equal(q.RewindMsgNum, 3);
    assert.equal(q.ActiveMsgNum, 0);
    await client.RewindCmqQueue({ QueueName: 'orders_x1',
      StartConsumeTime: Math.floor(Date.now() / 1000) - 5 });
    q = (await client.DescribeCmqQueueDetail({ QueueName: 'orders_x1' })).QueueDescribe;
    assert.equal(q.ActiveMsgNum, 3);
    const again = await drainV2(server, 'orders_x1');
    assert.deepEqual(again.map((m) => m.msgId), ids);
    assert.deepEqual(again.map((m) => m.dequeueCount), [2, 2, 2]);
    q = (await client.DescribeCmqQueueDetail({ QueueName: 'orders_x1' })).QueueDescribe;
    assert.equal(q.ActiveMsgNum, 0);
    await client.DeleteCmqQueue({ QueueName: 'orders_x1' });
  });

  test('X2: a 3.0 send is the 2.0 receive, byte for byte', async () => {
    await client.CreateCmqQueue({ QueueName: 'x2' });
    const body = 'grüße, 世界 🎉';
    const sent = await client.SendCmqMsg({ QueueName: 'x2', MsgContent: body });
    const [got] = await drainV2(server, 'x2');
    assert.equal(got.msgBody, body);
    assert.equal(got.msgId, sent.MsgId);
    await client.DeleteCmqQueue({ QueueName: 'x2' });
  });

  test('X3: each face applies its own defaults at create; one queue id', async () => {
    const made = await cmqV2(server, { Action: 'CreateQueue', queueName: 'x3two' });
    assert.equal(made.code, 0, JSON.stringify(made));
    const seen = (await client.DescribeCmqQueueDetail({ QueueName: 'x3two' })).QueueDescribe;
    assert.equal(seen.MsgRetentionSeconds, 345600);
    assert.equal(seen.MaxMsgSize, 65536);
    assert.equal(seen.QueueId, made.queueId);
    await client.CreateCmqQueue({ QueueName: 'x3three' });
    const attrs = await cmqV2(server, { Action: 'GetQueueAttributes', queueName: 'x3three' });
    assert.equal(attrs.msgRetentionSeconds, 3600);
    assert.equal(attrs.maxMsgSize, 1048576);
    const detail = (await client.DescribeCmqQueueDetail({ QueueName: 'x3three' })).QueueDescribe;
    assert.equal(Math.floor(detail.CreateTime / 1000), attrs.createTime);

    // X8: the queue-count limit (2) counts both faces.
    await expectTcError(client.CreateCmqQueue({ QueueName: 'x8' }), 'LimitExceeded');
    const third = await cmqV2(server, { Action: 'CreateQueue', queueName: 'x8' });
    assert.equal(third.code, 4450, JSON.stringify(third));

    // X4: a 2.0 SetQueueAttributes(rewindSeconds 0) turns 3.0 rewinds off.
    const set = await cmqV2(server, { Action: 'SetQueueAttributes', queueName: 'x3three',
      rewindSeconds: '0' });
    assert.equal(set.code, 0, JSON.stringify(set));
    await expectTcError(client.RewindCmqQueue({ QueueName: 'x3three',
      StartConsumeTime: Math.floor(Date.now() / 1000) }), 'FailedOperation');
    await client.DeleteCmqQueue({ QueueName: 'x3two' });
    await client.DeleteCmqQueue({ QueueName: 'x3three' });
  });

  test('X5: a clear ends in-flight handles and a rewind brings the messages back', async () => {
    await client.CreateCmqQueue({ QueueName: 'x5', RewindSeconds: 600 });
    for (const body of ['1', '2']) {
      await client.SendCmqMsg({ QueueName: 'x5', MsgContent: body });
    }
    const inflight = await cmqV2(server, { Action: 'ReceiveMessage', queueName: 'x5',
      pollingWaitSeconds: '0' });
    assert.equal(inflight.code, 0);
    await client.ClearCmqQueue({ QueueName: 'x5' });
    const late = await cmqV2(server, { Action: 'DeleteMessage', queueName: 'x5',
      receiptHandle: inflight.receiptHandle });
    assert.equal(late.code, 4430, JSON.stringify(late));
    await client.RewindCmqQueue({ QueueName: 'x5',
      StartConsumeTime: Math.floor(Date.now() / 1000) - 5 });
    const back = await drainV2(server, 'x5');
    assert.deepEqual(back.map((m) => m.msgBody), ['1', '2']);
    await client.DeleteCmqQueue({ QueueName: 'x5' });
  });

  test('X7: deleting a queue over 3.0 ends a 2.0 long poll on it', async () => {
    await client.CreateCmqQueue({ QueueName: 'x7' });
    const poll = cmqV2(server, { Action: 'ReceiveMessage', queueName: 'x7',
      pollingWaitSeconds: '20' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await client.DeleteCmqQueue({ QueueName: 'x7' });
    const answer = await poll;
    assert.equal(answer.code, 4440, JSON.stringify(answer));
    assert.ok(Date.now() - started < 10000, 'the poll ended with the delete');
  });
});

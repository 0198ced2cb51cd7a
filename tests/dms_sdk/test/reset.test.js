'use strict';
// The rewind cycle through the official SDK: send messages in batches
// separated by real time gaps, read back where each landed and when it was
// stored, reset a consumer group to points in time, and check the offsets
// and consumption details against what the sends and queries returned.

const assert = require('node:assert/strict');
const { describe, it, before, after } = require('node:test');
const {
  INSTANCE_ID, Server, allMessages, makeClient, rocketmq: r, sleep,
} = require('../lib/harness');

// A second instance with two brokers, so that resets cover queues of the
// same id on different brokers.
const TWO_BROKERS_ID = '22222222-0000-4000-8000-000000000002';
const BATCH_SIZES = [9, 3, 10];
const GAP_MS = 1100;
const FAR_FUTURE = [4102444800000 /* 2100-01-01 */, 253402300799999 /* 9999-12-31 */];

// One topic under test: where it lives and what was sent to it.
function topicCase(name, instanceId, queueNum, queueCount) {
  return { name, instanceId, queueNum, queueCount, sends: [], messages: null, queues: null };
}

const TOPIC = 'orders';
const GROUP = 'billing';
const IDLE_GROUP = 'audit';
const cases = [
  topicCase('one broker, 4 queues', INSTANCE_ID, 4, 4),
  topicCase('two brokers, 2 queues each', TWO_BROKERS_ID, 2, 4),
];

const qkey = (broker, id) => `${broker}/${id}`;

// The queues of the topic (from ShowTopicStatus), in the order reset answers
// list them: broker name, then queue id.
function queuesOf(status) {
  const out = [];
  for (const b of status.brokers) {
    for (const q of b.queues) {
      out.push({ broker: b.broker_name, id: q.id, min: q.min_offset, max: q.max_offset,
        lastTime: q.last_message_time });
    }
  }
  return out;
}

// The offset a reset to `t` must choose for each queue (spec §8): -1 is the
// queue's max_offset; otherwise the first offset whose store time is >= t,
// or max_offset when there is none.
function expectedOffsets(c, t) {
  return c.queues.map((q) => {
    let offset = q.max;
    if (t !== -1) {
      const first = c.messages
        .filter((m) => m.broker_name === q.broker && m.queue_id === q.id &&
          m.store_timestamp >= t && m.queue_offset >= q.min)
        .sort((a, b) => a.queue_offset - b.queue_offset)[0];
      if (first) offset = first.queue_offset;
    }
    return { broker_name: q.broker, queue_id: q.id, timestamp_offset: offset };
  });
}

function storeTimeAt(c, broker, id, offset) {
  const m = c.messages.find((x) => x.broker_name === broker && x.queue_id === id &&
    x.queue_offset === offset);
  assert.ok(m, `message ${broker}/${id}@${offset} was queried`);
  return m.store_timestamp;
}

describe('reset-message-offset through the SDK', { timeout: 120000 }, () => {
  let server;
  let client;

  const reset = (c, timestamp, group = GROUP) => client.resetConsumeOffset(
    new r.ResetConsumeOffsetRequest('reliability', c.instanceId, group)
      .withBody(new r.ResetConsumeOffsetReq(TOPIC, timestamp)));
  const details = (c, group = GROUP) => client.showConsumerListOrDetails(
    new r.ShowConsumerListOrDetailsRequest(c.instanceId, group).withTopic(TOPIC));
  const status = (c) => client.showTopicStatus(new r.ShowTopicStatusRequest(c.instanceId, TOPIC));

  // Resets `c` to `t`, checks the answer against `expected` (default: the
  // spec rule over the queried store times), then checks the consumption
  // details the group reports afterwards.
  async function resetAndCheck(c, t, expected = expectedOffsets(c, t), label = String(t)) {
    const answer = await reset(c, t);
    assert.equal(answer.httpStatusCode, 200);
    assert.deepEqual(answer.queues, expected, `reset to ${label} (${c.name})`);
    await checkDetails(c, expected, label);
    return answer;
  }

  // ShowConsumerListOrDetails after a reset (spec §5.8).
  async function checkDetails(c, expected, label) {
    const d = await details(c);
    assert.equal(d.httpStatusCode, 200);
    let sumMax = 0;
    let sumConsumer = 0;
    let sumLag = 0;
    const seen = [];
    for (const b of d.brokers) {
      for (const q of b.queues) {
        const st = c.queues.find((x) => x.broker === b.broker_name && x.id === q.id);
        assert.ok(st, `details list queue ${b.broker_name}/${q.id}`);
        const want = expected.find((e) => e.broker_name === b.broker_name && e.queue_id === q.id);
        const where = `${label} ${c.name} ${b.broker_name}/${q.id}`;
        assert.equal(q.broker_offset, st.max, `broker_offset ${where}`);
        assert.equal(q.consumer_offset, want.timestamp_offset, `consumer_offset ${where}`);
        assert.equal(q.lag, Math.max(0, st.max - want.timestamp_offset), `lag ${where}`);
        const lastTime = q.consumer_offset > st.min
          ? storeTimeAt(c, b.broker_name, q.id, q.consumer_offset - 1) : 0;
        assert.equal(q.last_message_time, lastTime, `last_message_time ${where}`);
        assert.equal(q.client_id, '', `client_id ${where}`);
        sumMax += q.broker_offset;
        sumConsumer += q.consumer_offset;
        sumLag += q.lag;
        seen.push(qkey(b.broker_name, q.id));
      }
    }
    assert.deepEqual(seen, c.queues.map((q) => qkey(q.broker, q.id)), 'every queue, in order');
    assert.equal(d.max_offset, sumMax);
    assert.equal(d.consumer_offset, sumConsumer);
    assert.equal(d.lag, sumLag);
  }

  before(async () => {
    server = await Server.start(['--instances',
      `${INSTANCE_ID}=rewindmq:1,${TWO_BROKERS_ID}=twobrokers:2`]);
    client = makeClient(server.endpoint);
    for (const c of cases) {
      const created = await client.createTopicOrBatchDeleteTopic(
        new r.CreateTopicOrBatchDeleteTopicRequest(c.instanceId).withBody(
          new r.CreateTopicOrBatchDeleteTopicReq().withName(TOPIC).withQueueNum(c.queueNum)));
      assert.equal(created.id, TOPIC);
      for (const [name, broadcast] of [[GROUP, false], [IDLE_GROUP, false]]) {
        const g = await client.createConsumerGroupOrBatchDeleteConsumerGroup(
          new r.CreateConsumerGroupOrBatchDeleteConsumerGroupRequest(c.instanceId).withBody(
            new r.CreateConsumerGroupOrBatchDeleteConsumerGroupReq().withName(name)
              .withBroadcast(broadcast)));
        assert.equal(g.name, name);
      }
    }
    // The batches, with real gaps between them.
    let seq = 0;
    for (let batch = 0; batch < BATCH_SIZES.length; batch++) {
      if (batch > 0) await sleep(GAP_MS);
      for (let i = 0; i < BATCH_SIZES[batch]; i++, seq++) {
        for (const c of cases) {
          const props = [
            new r.SendMessageProperties().withName('KEYS').withValue(`batch-${batch} seq-${seq}`),
            new r.SendMessageProperties().withName('TAGS').withValue(`b${batch}`),
          ];
          const body = `message ${seq} of batch ${batch}`;
          const sent = await client.sendMessage(new r.SendMessageRequest('reliability',
            c.instanceId).withBody(new r.SendMessageReq(TOPIC, body).withPropertyList(props)));
          c.sends.push({ batch, seq, body, props, sent });
        }
      }
    }
    for (const c of cases) {
      c.messages = await allMessages(client, TOPIC, { instanceId: c.instanceId });
      c.queues = queuesOf(await status(c));
      // Queried messages carry no broker name: take it, and the batch, from
      // the send answer with the same msg_id.
      const bySend = new Map(c.sends.map((s) => [s.sent.msg_id, s]));
      for (const m of c.messages) {
        const s = bySend.get(m.msg_id);
        if (!s) continue;
        m.broker_name = s.sent.broker_name;
        m.batch = s.batch;
      }
    }
  });

  after(async () => {
    if (server) await server.stop();
  });

  it('send answers echo the message and spread it round robin over every queue', () => {
    for (const c of cases) {
      const nextOffset = new Map();
      const order = [];
      for (const { body, props, sent } of c.sends) {
        assert.equal(sent.httpStatusCode, 200);
        assert.equal(sent.topic, TOPIC);
        assert.equal(sent.body, body);
        assert.deepEqual(sent.property_list, props.map((p) => ({ name: p.name, value: p.value })));
        assert.match(sent.msg_id, /^[0-9A-F]{32}$/);
        assert.match(sent.broker_name, /^broker-[01]$/);
        const k = qkey(sent.broker_name, sent.queue_id);
        assert.equal(sent.queue_offset, nextOffset.get(k) || 0, `offset in ${k}`);
        nextOffset.set(k, sent.queue_offset + 1);
        order.push(k);
      }
      assert.equal(new Set(c.sends.map((s) => s.sent.msg_id)).size, c.sends.length,
        'msg_id unique');
      // Round robin: every window of queueCount consecutive sends covers
      // every queue once.
      assert.equal(nextOffset.size, c.queueCount, c.name);
      for (let i = 0; i + c.queueCount <= order.length; i++) {
        assert.equal(new Set(order.slice(i, i + c.queueCount)).size, c.queueCount,
          `${c.name}: sends ${i}..${i + c.queueCount - 1}`);
      }
      if (c.instanceId === TWO_BROKERS_ID) {
        assert.deepEqual([...new Set(order)].sort(),
          ['broker-0/0', 'broker-0/1', 'broker-1/0', 'broker-1/1']);
      }
    }
  });

  it('queries return every message where the send put it, batches apart in time', () => {
    for (const c of cases) {
      assert.equal(c.messages.length, c.sends.length, c.name);
      const byId = new Map(c.messages.map((m) => [m.msg_id, m]));
      for (const { sent, body } of c.sends) {
        const m = byId.get(sent.msg_id);
        assert.ok(m, `message ${sent.msg_id} queried`);
        assert.equal(m.topic, TOPIC);
        assert.equal(m.instance_id, c.instanceId);
        assert.equal(m.body, body);
        assert.equal(m.queue_id, sent.queue_id);
        assert.equal(m.queue_offset, sent.queue_offset);
        assert.ok(Number.isInteger(m.store_timestamp) && m.store_timestamp > 0);
      }
      // Ordered by store time.
      for (let i = 1; i < c.messages.length; i++) {
        assert.ok(c.messages[i - 1].store_timestamp <= c.messages[i].store_timestamp);
      }
      // Store times are non-decreasing in each queue, and batches are more
      // than a second apart.
      for (const q of c.queues) {
        const inQueue = c.messages.filter((m) => m.broker_name === q.broker && m.queue_id === q.id)
          .sort((a, b) => a.queue_offset - b.queue_offset);
        inQueue.forEach((m, i) => {
          assert.equal(m.queue_offset, i);
          if (i > 0) assert.ok(inQueue[i - 1].store_timestamp <= m.store_timestamp);
        });
      }
      for (let b = 1; b < BATCH_SIZES.length; b++) {
        const prev = c.messages.filter((m) => m.batch === b - 1);
        const next = c.messages.filter((m) => m.batch === b);
        const gap = Math.min(...next.map((m) => m.store_timestamp)) -
          Math.max(...prev.map((m) => m.store_timestamp));
        assert.ok(gap >= 1000, `${c.name}: batch ${b - 1}→${b} ${gap} ms apart`);
      }
    }
  });

  it('topic status lists every queue with its offsets and last store time', async () => {
    for (const c of cases) {
      const st = await status(c);
      let sumMax = 0;
      for (const q of queuesOf(st)) {
        const inQueue = c.messages.filter((m) => m.broker_name === q.broker && m.queue_id === q.id);
        assert.equal(q.min, 0);
        assert.equal(q.max, inQueue.length, `${c.name} ${q.broker}/${q.id}`);
        assert.equal(q.lastTime, Math.max(...inQueue.map((m) => m.store_timestamp)));
        sumMax += q.max;
      }
      assert.equal(st.max_offset, sumMax);
      assert.equal(st.max_offset, c.sends.length);
      assert.equal(st.min_offset, 0);
      assert.equal(queuesOf(st).length, c.queueCount);
    }
  });

  it('a reset between two batches lands every queue on its first message of the later batches',
    async () => {
      for (const c of cases) {
        for (let b = 1; b < BATCH_SIZES.length; b++) {
          const lastBefore = Math.max(...c.messages.filter((m) => m.batch < b)
            .map((m) => m.store_timestamp));
          const firstAfter = Math.min(...c.messages.filter((m) => m.batch >= b)
            .map((m) => m.store_timestamp));
          const t = Math.floor((lastBefore + firstAfter) / 2);
          assert.ok(lastBefore < t && t < firstAfter);
          // Derived from the send answers alone: the offset of the queue's
          // first message sent in batch b or later.
          const expected = c.queues.map((q) => {
            const later = c.sends.filter((s) => s.batch >= b &&
              s.sent.broker_name === q.broker && s.sent.queue_id === q.id);
            return { broker_name: q.broker, queue_id: q.id,
              timestamp_offset: later.length ? later[0].sent.queue_offset : q.max };
          });
          assert.deepEqual(expected, expectedOffsets(c, t));
          await resetAndCheck(c, t, expected, `middle of gap ${b - 1}→${b}`);
          // The same instant as a numeric string.
          const asString = await reset(c, String(t));
          assert.deepEqual(asString.queues, expected, 'timestamp as a numeric string');
        }
      }
    });

  it('a reset to any stored time lands on the first message stored at or after it',
    async () => {
      for (const c of cases) {
        const times = [...new Set(c.messages.map((m) => m.store_timestamp))];
        for (const ts of times) {
          for (const t of [ts - 1, ts, ts + 1]) {
            const answer = await reset(c, t);
            assert.deepEqual(answer.queues, expectedOffsets(c, t), `${c.name} t=${t}`);
          }
        }
        // One of them in full, with the consumption details.
        await resetAndCheck(c, times[Math.floor(times.length / 2)]);
      }
    });

  it('a reset before all data goes to the earliest offsets (0, "0", early times)', async () => {
    for (const c of cases) {
      const earliest = c.queues.map((q) => ({ broker_name: q.broker, queue_id: q.id,
        timestamp_offset: q.min }));
      const first = Math.min(...c.messages.map((m) => m.store_timestamp));
      for (const t of [0, '0', 1, first - 3600000, first - 1, first]) {
        await resetAndCheck(c, t, earliest, JSON.stringify(t));
      }
    }
  });

  it('a reset after all data goes to the latest offsets (-1, "-1", later times)', async () => {
    for (const c of cases) {
      const latest = c.queues.map((q) => ({ broker_name: q.broker, queue_id: q.id,
        timestamp_offset: q.max }));
      const last = Math.max(...c.messages.map((m) => m.store_timestamp));
      for (const t of [-1, '-1', last + 1, Date.now() + 3600000, ...FAR_FUTURE,
        String(FAR_FUTURE[1])]) {
        await resetAndCheck(c, t, latest, JSON.stringify(t));
      }
    }
  });

  it('moves the group backwards and forwards (forced reset)', async () => {
    for (const c of cases) {
      const mid = c.messages[Math.floor(c.messages.length / 2)].store_timestamp;
      for (const t of [-1, 0, mid, -1, mid, 0]) await resetAndCheck(c, t);
    }
  });

  it('the rocketmq engine and the ForRocketMq method reset the same way', async () => {
    for (const c of cases) {
      const t = c.messages[c.messages.length - 3].store_timestamp;
      const expected = expectedOffsets(c, t);
      await reset(c, 0);
      const viaEngine = await client.resetConsumeOffset(
        new r.ResetConsumeOffsetRequest('rocketmq', c.instanceId, GROUP)
          .withBody(new r.ResetConsumeOffsetReq(TOPIC, t)));
      assert.deepEqual(viaEngine.queues, expected);
      await checkDetails(c, expected, 'engine rocketmq');
      await reset(c, 0);
      const viaRocketMq = await client.resetConsumeOffsetForRocketMq(
        new r.ResetConsumeOffsetForRocketMqRequest(c.instanceId, GROUP)
          .withBody(new r.ResetConsumeOffsetReq(TOPIC, t)));
      assert.equal(viaRocketMq.httpStatusCode, 200);
      assert.deepEqual(viaRocketMq.queues, expected);
      await checkDetails(c, expected, 'ForRocketMq');
    }
  });

  it('a reset makes the group a consumer of the topic; an idle group has none', async () => {
    for (const c of cases) {
      await reset(c, 0);
      const groups = await client.listConsumerGroupOfTopic(
        new r.ListConsumerGroupOfTopicRequest(c.instanceId, TOPIC));
      assert.deepEqual(groups.groups, [GROUP]);
      assert.equal(groups.total, 1);
      const topics = await client.showConsumerListOrDetails(
        new r.ShowConsumerListOrDetailsRequest(c.instanceId, GROUP));
      assert.deepEqual(topics.topics, [TOPIC]);
      assert.equal(topics.total, 1);
      const idleTopics = await client.showConsumerListOrDetails(
        new r.ShowConsumerListOrDetailsRequest(c.instanceId, IDLE_GROUP));
      assert.deepEqual(idleTopics.topics, []);
      assert.equal(idleTopics.total, 0);
      // Details of a group that never committed: consumer offset 0 everywhere.
      const idle = await details(c, IDLE_GROUP);
      assert.equal(idle.consumer_offset, 0);
      assert.equal(idle.lag, c.sends.length);
      for (const b of idle.brokers) {
        for (const q of b.queues) {
          assert.equal(q.consumer_offset, 0);
          assert.equal(q.lag, q.broker_offset);
          assert.equal(q.last_message_time, 0);
        }
      }
    }
  });

  it('a reset covers queues added later, which are empty', async () => {
    const c = cases[0];
    const updated = await client.updateTopic(new r.UpdateTopicRequest(c.instanceId, TOPIC)
      .withBody(new r.UpdateTopicReq().withReadQueueNum(6).withWriteQueueNum(6)));
    assert.equal(updated.httpStatusCode, 204);
    c.queues = queuesOf(await status(c));
    assert.equal(c.queues.length, 6);
    assert.deepEqual(c.queues.slice(4).map((q) => [q.id, q.min, q.max, q.lastTime]),
      [[4, 0, 0, 0], [5, 0, 0, 0]]);
    const lastBefore = Math.max(...c.messages.filter((m) => m.batch === 0)
      .map((m) => m.store_timestamp));
    for (const t of [0, lastBefore + 1, -1]) {
      const answer = await resetAndCheck(c, t);
      assert.deepEqual(answer.queues.slice(4).map((q) => q.timestamp_offset), [0, 0]);
    }
  });
});

describe('reset of a sparse topic', { timeout: 60000 }, () => {
  let server;
  let client;
  before(async () => {
    server = await Server.start();
    client = makeClient(server.endpoint);
  });
  after(async () => {
    if (server) await server.stop();
  });

  it('empty queues go to 0 whatever the time; the one message decides the others',
    async () => {
      await client.createTopicOrBatchDeleteTopic(new r.CreateTopicOrBatchDeleteTopicRequest(
        INSTANCE_ID).withBody(new r.CreateTopicOrBatchDeleteTopicReq().withName('sparse')
        .withQueueNum(3)));
      await client.createConsumerGroupOrBatchDeleteConsumerGroup(
        new r.CreateConsumerGroupOrBatchDeleteConsumerGroupRequest(INSTANCE_ID).withBody(
          new r.CreateConsumerGroupOrBatchDeleteConsumerGroupReq().withName('reader')));
      const resetTo = (t) => client.resetConsumeOffset(new r.ResetConsumeOffsetRequest(
        'reliability', INSTANCE_ID, 'reader').withBody(new r.ResetConsumeOffsetReq('sparse', t)))
        .then((a) => a.queues.map((q) => [q.broker_name, q.queue_id, q.timestamp_offset]));
      const zeros = [['broker-0', 0, 0], ['broker-0', 1, 0], ['broker-0', 2, 0]];
      // No message at all: every time is "after all data" = max_offset = 0.
      for (const t of [0, -1, Date.now(), FAR_FUTURE[1]]) assert.deepEqual(await resetTo(t), zeros);

      const sent = await client.sendMessage(new r.SendMessageRequest('reliability', INSTANCE_ID)
        .withBody(new r.SendMessageReq('sparse', 'only one')));
      const [m] = await allMessages(client, 'sparse');
      assert.equal(m.msg_id, sent.msg_id);
      const withOne = (offset) => zeros.map(([b, q, o]) =>
        [b, q, q === sent.queue_id ? offset : o]);
      assert.deepEqual(await resetTo(0), withOne(0));
      assert.deepEqual(await resetTo(m.store_timestamp - 1), withOne(0));
      assert.deepEqual(await resetTo(m.store_timestamp), withOne(0));
      assert.deepEqual(await resetTo(m.store_timestamp + 1), withOne(1));
      assert.deepEqual(await resetTo(-1), withOne(1));
      const d = await client.showConsumerListOrDetails(new r.ShowConsumerListOrDetailsRequest(
        INSTANCE_ID, 'reader').withTopic('sparse'));
      assert.deepEqual([d.max_offset, d.consumer_offset, d.lag], [1, 1, 0]);
      const q = d.brokers[0].queues.find((x) => x.id === sent.queue_id);
      assert.equal(q.last_message_time, m.store_timestamp);
    });
});

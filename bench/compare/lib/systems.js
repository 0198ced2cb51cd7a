'use strict';
// One adapter per system, all driven the same way by compare.js:
//
//   setup(groups)        create the queue/stream and one consumer group per
//                        worker (and one for verification)
//   append(i, body)      add message i of the load to the queue (Redis,
//                        NATS; rewindmq's queue is filled by rewindmq-import
//                        before its server starts, see useImport)
//   afterLoad(count)     check the count; learn firstMs/lastMs, the store
//                        times of the first and last message
//   rewind(group, T)     move `group` to the first message stored at or
//                        after T (epoch ms); resolves with that message's
//                        position, in the system's own terms
//   seek(T)              the pure time lookup, where the system has one
//   verify(T, answer)    checks `answer` against what was loaded, through a
//                        path other than the time index, and that a fresh
//                        rewind of the verification group lands there too
//   flush()              wait until loaded data is on disk per its settings
//   producer(name)       a function(body) that produces one message to a
//                        new queue `name`, resolving once acknowledged
//
// Positions: rewindmq a queue offset (0-based), Redis a stream entry id
// "ms-seq", NATS a stream sequence (1-based).

const nats = require('nats');
const redis = require('redis');
const { Pool } = require('undici');

const PROJECT = 'local';
const INSTANCE = '00000000-0000-4000-8000-000000000001';
const TOPIC = 'cmp';
const REQUEST_TIMEOUT_MS = 30000;

function fail(system, what) {
  return new Error(`${system}: ${what}`);
}

// Index of the first element of ascending `arr` (first `n` used) >= x.
function lowerBound(arr, n, x) {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------- rewindmq

// The DMS for RocketMQ facade over one HTTP/1.1 keep-alive connection,
// requests from all workers pipelined on it (up to `maxInFlight`), the way
// node-redis sends every worker's commands over one Redis connection; no
// credentials (the server's default). undici pipelines only requests
// marked idempotent and not blocking; every request here is marked so, and
// a benchmark run fails on any connection error rather than retrying.
class Rewindmq {
  constructor(server, maxInFlight) {
    this.name = 'rewindmq';
    this.port = server.port;
    this.pool = new Pool(`http://127.0.0.1:${server.port}`, {
      connections: 1,
      pipelining: maxInFlight,
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    this.admin = `/v2/${PROJECT}/instances/${INSTANCE}`;
    this.engine = `/v2/reliability/${PROJECT}/instances/${INSTANCE}`;
    this.imported = null;
  }

  // Takes the summary rewindmq-import printed for the folder this server
  // was started on, after checking it describes `count` messages at
  // offsets 0..count-1 of one queue of TOPIC. The msg_id of a message is
  // 16 hex digits of the queue's storage id and 16 of its offset, so the
  // ids need not be recorded while loading.
  useImport(summary, count) {
    const q = Array.isArray(summary.queues) && summary.queues.length === 1 ? summary.queues[0] : null;
    if (summary.topic !== TOPIC || summary.instance !== INSTANCE || summary.imported !== count || !q ||
        q.messages !== count || q.first_offset !== 0 || q.last_offset !== count - 1 ||
        !(Number.isSafeInteger(q.storage_queue_id) && q.storage_queue_id >= 0)) {
      throw fail(this.name, `rewindmq-import summary does not describe ${count} messages in one queue of ` +
        `${TOPIC}: ${JSON.stringify(summary)}`);
    }
    this.imported = summary;
    this.idPrefix = q.storage_queue_id.toString(16).toUpperCase().padStart(16, '0');
    this.count = count;
  }

  msgId(offset) {
    return this.idPrefix + offset.toString(16).toUpperCase().padStart(16, '0');
  }

  async request(method, path, body) {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const res = await this.pool.request({
      method,
      path,
      headers: data !== undefined ? { 'content-type': 'application/json' } : {},
      body: data,
      idempotent: true,
      blocking: false,
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw fail(this.name, `${method} ${path}: HTTP ${res.statusCode} ${text}`);
    }
    try {
      return text ? JSON.parse(text) : null;
    } catch (e) {
      throw fail(this.name, `${method} ${path}: not JSON: ${text.slice(0, 200)}`);
    }
  }

  // One queue, so that the rewind answer is one offset, as for the peers.
  // After an import the topic exists (the import created it); it is
  // checked, and the groups are created here either way.
  async setup(groups) {
    if (this.imported) {
      const t = await this.request('GET', `${this.admin}/topics/${TOPIC}`);
      if (t.total_read_queue_num !== 1 || t.total_write_queue_num !== 1) {
        throw fail(this.name, `imported topic ${TOPIC} is not one queue: ${JSON.stringify(t)}`);
      }
    } else {
      await this.request('POST', `${this.admin}/topics`, { name: TOPIC, queue_num: 1 });
    }
    for (const g of groups) await this.request('POST', `${this.admin}/groups`, { name: g });
  }

  // The message at `offset`, read back through the DMS query by msg_id,
  // not through the time index.
  async messageAt(offset) {
    const id = this.msgId(offset);
    const r = await this.request('GET',
      `${this.engine}/messages?topic=${TOPIC}&msg_id=${id}`);
    if (r.total !== 1 || r.messages[0].msg_id !== id || r.messages[0].queue_offset !== offset) {
      throw fail(this.name, `message ${id} (offset ${offset}) not found by id: ${JSON.stringify(r)}`);
    }
    return r.messages[0];
  }

  // Store time (ms) of the message at `offset`, by msg_id.
  async storeTimeOf(offset) {
    return (await this.messageAt(offset)).store_timestamp;
  }

  async afterLoad(count) {
    if (!this.imported || this.count !== count) throw fail(this.name, `no import of ${count} messages to check`);
    const status = await this.request('GET', `${this.admin}/topics/${TOPIC}/status`);
    if (status.min_offset !== 0 || status.max_offset !== count) {
      throw fail(this.name, `topic holds offsets [${status.min_offset}, ${status.max_offset}), expected [0, ${count})`);
    }
    const m0 = await this.messageAt(0);
    this.firstMs = m0.store_timestamp;
    this.recordBytes = m0.store_size;
    this.lastMs = await this.storeTimeOf(count - 1);
    const { first_store_time_ms: first, last_store_time_ms: last } = this.imported;
    if (this.firstMs !== first || this.lastMs !== last) {
      throw fail(this.name, `store times read back ${this.firstMs}..${this.lastMs}, ` +
        `rewindmq-import reported ${first}..${last}`);
    }
  }

  async rewind(group, t) {
    const r = await this.request('POST', `${this.engine}/groups/${group}/reset-message-offset`,
      { topic: TOPIC, timestamp: t });
    if (!r || !Array.isArray(r.queues) || r.queues.length !== 1) {
      throw fail(this.name, `reset answered ${JSON.stringify(r)}`);
    }
    return r.queues[0].timestamp_offset;
  }

  async verify(t, answer, verifyGroup) {
    if (!(answer >= 0 && answer < this.count)) throw fail(this.name, `rewind to ${t} gave offset ${answer}`);
    const at = await this.storeTimeOf(answer);
    if (at < t) throw fail(this.name, `rewind to ${t} gave offset ${answer}, stored at ${at} < ${t}`);
    if (answer > 0) {
      const before = await this.storeTimeOf(answer - 1);
      if (before >= t) {
        throw fail(this.name, `rewind to ${t} gave offset ${answer}, but offset ${answer - 1} ` +
          `is stored at ${before} >= ${t}`);
      }
    }
    const again = await this.rewind(verifyGroup, t);
    if (again !== answer) throw fail(this.name, `rewind to ${t} gave ${answer}, then ${again}`);
    const d = await this.request('GET', `${this.admin}/groups/${verifyGroup}/topics?topic=${TOPIC}`);
    if (d.consumer_offset !== answer) {
      throw fail(this.name, `after a rewind to offset ${answer} the group's consumer_offset is ${d.consumer_offset}`);
    }
  }

  async flush() {}

  async producer(name) {
    await this.request('POST', `${this.admin}/topics`, { name, queue_num: 1 });
    return async (body) => {
      await this.request('POST', `${this.engine}/messages`, { topic: name, body });
    };
  }

  async close() {
    await this.pool.destroy();
  }
}

// ------------------------------------------------------------------- Redis

// Redis Streams through node-redis, one connection (commands from all
// workers are pipelined on it; Redis executes commands on one thread).
class Redis {
  constructor(server) {
    this.name = 'redis';
    this.port = server.port;
  }

  async connect() {
    this.client = redis.createClient({ socket: { host: '127.0.0.1', port: this.port } });
    this.client.on('error', (e) => { this.lastError = e; });
    await this.client.connect();
  }

  async setup(groups) {
    for (const g of groups) await this.client.xGroupCreate(TOPIC, g, '0', { MKSTREAM: true });
  }

  prepareLoad(count) {
    this.count = count;
    this.idMs = new Float64Array(count);
    this.idSeq = new Float64Array(count);
  }

  async append(i, body) {
    const id = await this.client.xAdd(TOPIC, '*', { b: body });
    const dash = id.indexOf('-');
    this.idMs[i] = Number(id.slice(0, dash));
    this.idSeq[i] = Number(id.slice(dash + 1));
  }

  async afterLoad(count) {
    const len = await this.client.xLen(TOPIC);
    if (len !== count) throw fail(this.name, `stream holds ${len} entries, expected ${count}`);
    // Workers share one connection, so ids come back in send order; check.
    for (let i = 1; i < count; i++) {
      if (this.idMs[i] < this.idMs[i - 1] ||
          (this.idMs[i] === this.idMs[i - 1] && this.idSeq[i] <= this.idSeq[i - 1])) {
        throw fail(this.name, `XADD ids out of order at ${i}`);
      }
    }
    this.firstMs = this.idMs[0];
    this.lastMs = this.idMs[count - 1];
  }

  // The group's last-delivered id becomes the largest id before T, so its
  // next XREADGROUP delivers the first entry at or after T; XRANGE COUNT 1
  // returns that entry. The two commands do not depend on each other, so
  // they go out together (node-redis pipelines commands issued in the same
  // tick): one round trip. (Wrapping them in MULTI/EXEC measured several
  // times slower here, in the client, and the group is not shared.)
  async rewind(group, t) {
    const [, entries] = await Promise.all([
      this.client.xGroupSetId(TOPIC, group, `${t - 1}-18446744073709551615`),
      this.client.xRange(TOPIC, String(t), '+', { COUNT: 1 }),
    ]);
    if (!entries || entries.length !== 1) throw fail(this.name, `XRANGE ${t} + COUNT 1 returned ${JSON.stringify(entries)}`);
    return entries[0].id;
  }

  async seek(t) {
    const entries = await this.client.xRange(TOPIC, String(t), '+', { COUNT: 1 });
    if (entries.length !== 1) throw fail(this.name, `XRANGE ${t} + COUNT 1 returned nothing`);
    return entries[0].id;
  }

  async verify(t, answer, verifyGroup) {
    const k = lowerBound(this.idMs, this.count, t);
    const expected = k < this.count ? `${this.idMs[k]}-${this.idSeq[k]}` : null;
    if (answer !== expected) throw fail(this.name, `rewind to ${t} gave ${answer}, the loaded data says ${expected}`);
    const again = await this.rewind(verifyGroup, t);
    if (again !== answer) throw fail(this.name, `rewind to ${t} gave ${answer}, then ${again}`);
    const read = await this.client.xReadGroup(verifyGroup, 'verifier', { key: TOPIC, id: '>' }, { COUNT: 1 });
    const got = read && read[0] && read[0].messages[0] && read[0].messages[0].id;
    if (got !== answer) throw fail(this.name, `after a rewind to ${answer} XREADGROUP delivered ${got}`);
  }

  // Waits for a background AOF rewrite (Redis starts one by itself when the
  // file has grown enough) to finish, so the folder holds one copy.
  async flush() {
    const deadline = Date.now() + 300000;
    for (;;) {
      const info = await this.client.info('persistence');
      if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) return;
      if (Date.now() > deadline) throw fail(this.name, 'AOF rewrite still running after 300 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async producer(name) {
    return async (body) => {
      await this.client.xAdd(name, '*', { b: body });
    };
  }

  async close() {
    await this.client.quit();
  }
}

// ------------------------------------------------------------------- NATS

// NATS JetStream through nats.js, one connection. A durable pull consumer
// plays the consumer group.
class Nats {
  constructor(server) {
    this.name = 'nats';
    this.port = server.port;
    this.live = new Map();  // group -> consumer name currently defined
    this.generation = 0;
  }

  async connect() {
    this.nc = await nats.connect({ servers: `127.0.0.1:${this.port}`, timeout: REQUEST_TIMEOUT_MS });
    this.jsm = await this.nc.jetstreamManager({ timeout: REQUEST_TIMEOUT_MS });
    this.js = this.nc.jetstream({ timeout: REQUEST_TIMEOUT_MS });
  }

  async setup() {
    await this.jsm.streams.add({ name: 'CMP', subjects: [TOPIC], storage: nats.StorageType.File });
  }

  prepareLoad(count) {
    this.count = count;
  }

  async append(i, body) {
    const ack = await this.js.publish(TOPIC, body);
    if (ack.duplicate) throw fail(this.name, `publish ${i} reported a duplicate`);
  }

  async afterLoad(count) {
    const info = await this.jsm.streams.info('CMP');
    const s = info.state;
    if (s.messages !== count || s.first_seq !== 1 || s.last_seq !== count) {
      throw fail(this.name, `stream state ${JSON.stringify(s)}, expected ${count} messages 1..${count}`);
    }
    this.firstMs = await this.storeTimeOf(1);
    this.lastMs = await this.storeTimeOf(count);
  }

  // Store time in ms, rounded down (the server keeps nanoseconds).
  async storeTimeOf(seq) {
    const m = await this.jsm.streams.getMessage('CMP', { seq });
    const ms = Date.parse(m.timestamp);
    if (!Number.isFinite(ms)) throw fail(this.name, `message ${seq} has time ${m.timestamp}`);
    return ms;
  }

  // NATS 2.9 cannot change the start of an existing consumer, so a rewind
  // creates the group's consumer anew (deliver_policy by_start_time) and
  // fetches one message to learn where it starts. Returns [seq, ms]: the
  // time of the create and the fetch. The previous consumer is deleted
  // after the timed part (its cost is in the throughput, not the latency).
  async rewindTimed(group, t) {
    const name = `${group}-${++this.generation}`;
    const t0 = process.hrtime.bigint();
    await this.jsm.consumers.add('CMP', {
      durable_name: name,
      deliver_policy: nats.DeliverPolicy.StartTime,
      opt_start_time: new Date(t).toISOString(),
      ack_policy: nats.AckPolicy.Explicit,
    });
    const m = await this.js.pull('CMP', name, 5000);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const old = this.live.get(group);
    this.live.set(group, name);
    if (old) await this.jsm.consumers.delete('CMP', old);
    return [m.info.streamSequence, ms];
  }

  async rewind(group, t) {
    const [seq] = await this.rewindTimed(group, t);
    return seq;
  }

  async verify(t, answer, verifyGroup) {
    if (!(answer >= 1 && answer <= this.count)) throw fail(this.name, `rewind to ${t} gave sequence ${answer}`);
    const at = await this.storeTimeOf(answer);
    if (at < t) throw fail(this.name, `rewind to ${t} gave sequence ${answer}, stored at ${at} < ${t}`);
    if (answer > 1) {
      const before = await this.storeTimeOf(answer - 1);
      if (before >= t) {
        throw fail(this.name, `rewind to ${t} gave sequence ${answer}, but ${answer - 1} is stored at ${before} >= ${t}`);
      }
    }
    // The rewind itself fetched the consumer's first message; repeat it.
    const again = await this.rewind(verifyGroup, t);
    if (again !== answer) throw fail(this.name, `rewind to ${t} gave ${answer}, then ${again}`);
  }

  async flush() {}

  async producer(name) {
    const stream = name.toUpperCase().replace(/[^A-Z0-9_-]/g, '_');
    await this.jsm.streams.add({ name: stream, subjects: [name], storage: nats.StorageType.File });
    return async (body) => {
      const ack = await this.js.publish(name, body);
      if (ack.stream !== stream) throw fail(this.name, `publish went to stream ${ack.stream}`);
    };
  }

  async close() {
    for (const name of this.live.values()) await this.jsm.consumers.delete('CMP', name);
    this.live.clear();
    await this.nc.drain();
  }
}

module.exports = {
  Nats, Redis, Rewindmq, TOPIC,
};

#!/usr/bin/env node
// Crash harness for the rewindmq server over HTTP.
//
// Runs the real `rewindmq` binary on 127.0.0.1 under concurrent load through
// both facades (Tencent CMQ API 2.0 and Huawei DMS for RocketMQ), kills it
// with SIGKILL at a random instant, restarts it on the same data directory
// and checks, after every restart:
//
//   1. every acknowledged message is present and intact (DMS: body,
//      properties, msg_id, queue and queue offset, read back with
//      QueryMessages by time range, by msg_id and by key; CMQ: body and
//      msgId, read back by rewinding the queue to its creation time and
//      receiving everything), and no message appears that was never sent;
//   2. nothing is served twice outside the documented redelivery rules
//      (cmq-v2.md 7.2-7.4 and 9.2; broker/cmq_queues.h: in-flight and deleted
//      messages keep their state across a restart): a deleted message comes
//      back only after a RewindQueue that covers it, a received message is
//      not received again before its visibility timeout ends, dequeueCount
//      counts every delivery, and a delete before the timeout succeeds;
//   3. RocketMQ remoting producers (SEND_MESSAGE_V2) and pullers (PULL_MESSAGE
//      + UPDATE_CONSUMER_OFFSET) share the DMS topics: their acknowledged
//      messages are checked like DMS sends (by the DMS read-back), every
//      pulled record equals what was sent at that queue and offset, and a
//      consumer group's offsets after the restart are the last acknowledged
//      commit (or a later one that was in flight);
//   4. every rewind answer equals a brute-force oracle: DMS
//      reset-message-offset (dms-rocketmq.md 8) per queue against the
//      smallest offset with store_timestamp >= T (or max_offset), during
//      load and after each restart; CMQ RewindQueue (cmq-v2.md 9.2) by the
//      exact set of messages it makes receivable on a quiesced queue.
//
// A SIGKILL of the process loses nothing acknowledged in any durability
// mode: storage writes every record to the operating system before the
// append returns (storage/README.md, storage/FORMAT.md "Durability"), and
// the broker's metadata goes through RocksDB's write-ahead log, also written
// before the answer. So the checks are the same for always, interval and
// never.
//
// Usage: node crash_harness.mjs --binary PATH [--cycles N] [--seed S]
//          [--durability always|interval|never|mixed] [--concurrency N]
//          [--time-limit-s S] ...   (--help lists everything)
// Exit code 0 when every check passed, 1 on any violation, 2 on bad usage.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { RemotingConnection, decodeRecords, dmsMsgIdOf, encodeProperties } from './remoting_client.mjs';

// ---------------------------------------------------------------- options

const SLOW = !!process.env.RMQ_SANITIZED;

const OPTION_SPECS = {
  binary: ['PATH', process.env.REWINDMQ_BINARY || '', 'rewindmq binary (default: $REWINDMQ_BINARY)'],
  cycles: ['N', '10', 'kill/restart cycles'],
  seed: ['S', '', 'seed of every random choice (default: from the clock; printed)'],
  durability: ['MODE', 'mixed', 'always, interval, never, or mixed (one chosen per cycle)'],
  concurrency: ['N', SLOW ? '3' : '8', 'concurrent load workers'],
  'time-limit-s': ['S', '0', 'start no new cycle after this many seconds (0: no limit)'],
  'min-load-ms': ['MS', '100', 'shortest load phase before the kill'],
  'max-load-ms': ['MS', SLOW ? '800' : '1200', 'longest load phase before the kill'],
  'keep-gens': ['N', '3', 'restarts each generation of queues and topics is checked through'],
  'visibility-s': ['S', SLOW ? '2' : '1', 'visibilityTimeout of the CMQ queues'],
  'resets-per-check': ['N', '8', 'DMS resets checked per topic after each restart'],
  'segment-bytes': ['BYTES', '', 'server --segment-bytes (default: chosen by the seed)'],
  'index-interval-bytes': ['BYTES', '', 'server --index-interval-bytes (default: chosen by the seed)'],
  'keep-data': ['', false, 'keep the data directory and logs after a successful run'],
  verbose: ['', false, 'print more detail'],
};

function usage() {
  const lines = ['usage: node crash_harness.mjs [options]', ''];
  for (const [name, [arg, def, help]] of Object.entries(OPTION_SPECS)) {
    const flag = arg ? `--${name} ${arg}` : `--${name}`;
    const d = arg && def !== '' ? ` (default ${def})` : '';
    lines.push(`  ${flag.padEnd(30)} ${help}${d}`);
  }
  return lines.join('\n');
}

function parseOptions(argv) {
  const o = {};
  for (const [name, [, def]] of Object.entries(OPTION_SPECS)) o[name] = def;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(usage());
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m || !(m[1] in OPTION_SPECS)) badUsage(`unknown argument ${a}`);
    const [arg] = OPTION_SPECS[m[1]];
    if (!arg) {
      o[m[1]] = true;
    } else if (m[2] !== undefined) {
      o[m[1]] = m[2];
    } else {
      if (i + 1 >= argv.length) badUsage(`${a} needs a value`);
      o[m[1]] = argv[++i];
    }
  }
  const int = (name, min) => {
    const v = Number(o[name]);
    if (!Number.isInteger(v) || v < min) badUsage(`--${name} must be an integer >= ${min}`);
    return v;
  };
  const opts = {
    binary: o.binary,
    cycles: int('cycles', 1),
    seed: o.seed === '' ? String(Date.now() % 1000000007) : String(o.seed),
    durability: o.durability,
    concurrency: int('concurrency', 1),
    timeLimitS: int('time-limit-s', 0),
    minLoadMs: int('min-load-ms', 1),
    maxLoadMs: int('max-load-ms', 1),
    keepGens: int('keep-gens', 1),
    visibilityS: int('visibility-s', 1),
    resetsPerCheck: int('resets-per-check', 0),
    segmentBytes: o['segment-bytes'],
    indexIntervalBytes: o['index-interval-bytes'],
    keepData: o['keep-data'],
    verbose: o.verbose,
  };
  if (!['always', 'interval', 'never', 'mixed'].includes(opts.durability)) {
    badUsage('--durability must be always, interval, never or mixed');
  }
  if (opts.maxLoadMs < opts.minLoadMs) badUsage('--max-load-ms is below --min-load-ms');
  if (!opts.binary || !fs.existsSync(opts.binary)) {
    badUsage(`--binary (or REWINDMQ_BINARY) must name the rewindmq binary; got ${JSON.stringify(opts.binary)}`);
  }
  return opts;
}

function badUsage(msg) {
  console.error(`crash_harness: ${msg}\n\n${usage()}`);
  process.exit(2);
}

// ---------------------------------------------------------------- helpers

// mulberry32 seeded from a string: the same seed gives the same choices.
function hashString(s) {
  let h = 2166136261 >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

class Rng {
  constructor(...parts) {
    this.state = hashString(parts.join('/'));
  }
  next() {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo, hi) { // inclusive
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p) {
    return this.next() < p;
  }
  pick(arr) {
    return arr[Math.floor(this.next() * arr.length)];
  }
  weighted(table) { // [[weight, value], ...]
    const total = table.reduce((s, [w]) => s + w, 0);
    let r = this.next() * total;
    for (const [w, v] of table) {
      if ((r -= w) < 0) return v;
    }
    return table[table.length - 1][1];
  }
}

const PAYLOAD_CHARS = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ' ', ' ', '"', '\\', '/', '&', '=', '+', '%', '?', '#', '<', '>', "'", '\n', '\t',
  '{', '}', '[', ']', ':', ',', '.', '|', 'é', 'ß', '中', '文', '€', '😀', '🚀',
];

function randomText(rng, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick(PAYLOAD_CHARS);
  return s;
}

// Mostly short bodies, sometimes a few KiB, so records cross segment and
// index-interval boundaries.
function randomPayload(rng) {
  const n = rng.weighted([[70, () => rng.int(0, 64)], [25, () => rng.int(65, 600)],
    [5, () => rng.int(601, 6000)]])();
  return randomText(rng, n);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const nowMs = () => Date.now();
const short = (s, n = 80) => {
  const j = JSON.stringify(s);
  return j.length > n ? `${j.slice(0, n)}...(${s.length} chars)` : j;
};
const tagOf = (body) => {
  const i = body.indexOf('|');
  return i < 0 ? null : body.slice(0, i);
};

// Client and server clocks are the same CLOCK_REALTIME; Date.now() floors to
// the millisecond, so bounds derived from it get this much slack.
const SLACK_MS = 3;

// ---------------------------------------------------------------- failures

class Report {
  constructor() {
    this.failures = [];
    this.seen = new Set();
    this.checks = 0;
    this.rewindsChecked = { dmsLoad: 0, dmsRestart: 0, cmq: 0 };
  }
  fail(what) {
    if (this.seen.has(what)) return;
    this.seen.add(what);
    this.failures.push(what);
    console.log(`VIOLATION: ${what}`);
  }
  check(ok, what) {
    this.checks++;
    if (!ok) this.fail(typeof what === 'function' ? what() : what);
    return ok;
  }
}

// ---------------------------------------------------------------- HTTP

class NetError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const REQUEST_TIMEOUT_MS = SLOW ? 60000 : 15000;

function httpRequest(agent, port, method, urlPath, { body, headers = {}, timeoutMs } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(body, 'utf8');
    const h = { ...headers };
    if (data) h['Content-Length'] = data.length;
    const req = http.request({
      host: '127.0.0.1', port, method, path: urlPath, agent, headers: h,
      timeout: timeoutMs ?? REQUEST_TIMEOUT_MS,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => reject(new NetError(e.message, e.code || 'RESPONSE')));
    });
    req.on('timeout', () => req.destroy(new NetError('timeout', 'TIMEOUT')));
    req.on('error', (e) => reject(e instanceof NetError ? e : new NetError(e.message, e.code || 'REQUEST')));
    if (data) req.write(data);
    req.end();
  });
}

// ---------------------------------------------------------------- server

const INSTANCE = '00000000-0000-4000-8000-000000000001';
const STARTUP_LINE = /^rewindmq listening on 127\.0\.0\.1:(\d+), data in (.*)$/m;
const REMOTING_LINE = /^rewindmq remoting listening on 127\.0\.0\.1:(\d+)$/m;
const START_TIMEOUT_MS = SLOW ? 120000 : 30000;
const STOP_TIMEOUT_MS = SLOW ? 60000 : 30000;
const LOG_TAIL = 32 * 1024;

const children = new Set();
function killChildren() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killChildren();
    process.exit(130);
  });
}

class Server {
  constructor(opts, dataDir, logDir, durability, cycle) {
    this.opts = opts;
    this.dataDir = dataDir;
    this.logPath = path.join(logDir, `server-${cycle}.log`);
    this.durability = durability;
    this.stderrTail = '';
  }

  async start() {
    const args = ['--listen', '127.0.0.1:0', '--remoting-listen', '127.0.0.1:0', '--data-dir', this.dataDir,
      '--durability', this.durability, '--flush-interval-ms', '50',
      '--segment-bytes', String(this.opts.segmentBytes),
      '--index-interval-bytes', String(this.opts.indexIntervalBytes),
      '--worker-threads', '4', '--log-level', 'warning'];
    const log = fs.openSync(this.logPath, 'w');
    const child = spawn(this.opts.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    children.add(child);
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c) => {
      stdout += c;
      fs.writeSync(log, c);
    });
    child.stderr.on('data', (c) => {
      this.stderrTail = (this.stderrTail + c).slice(-LOG_TAIL);
      fs.writeSync(log, c);
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        children.delete(child);
        this.exit = { code, signal };
        resolve(this.exit);
      });
      child.on('error', (e) => {
        children.delete(child);
        this.exit = { code: null, signal: null, error: e.message };
        resolve(this.exit);
      });
    });
    this.exited.then(() => fs.closeSync(log));
    const deadline = nowMs() + START_TIMEOUT_MS;
    while (this.port === undefined) {
      if (this.exit) throw new Error(`rewindmq exited during start: ${JSON.stringify(this.exit)}\n${this.stderrTail}`);
      if (nowMs() > deadline) throw new Error(`rewindmq printed no startup line within ${START_TIMEOUT_MS} ms`);
      const m = STARTUP_LINE.exec(stdout);
      const r = REMOTING_LINE.exec(stdout);
      if (m && r) {
        this.port = Number(m[1]);
        this.remotingPort = Number(r[1]);
      } else {
        await sleep(10);
      }
    }
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    for (;;) {
      if (this.exit) throw new Error(`rewindmq exited during start: ${JSON.stringify(this.exit)}\n${this.stderrTail}`);
      try {
        const r = await httpRequest(this.agent, this.port, 'GET', '/healthz', { timeoutMs: 2000 });
        if (r.status === 200) break;
      } catch {
        // not ready yet
      }
      if (nowMs() > deadline) throw new Error(`/healthz not ready within ${START_TIMEOUT_MS} ms`);
      await sleep(10);
    }
  }

  alive() {
    return this.child && !this.exit;
  }

  async kill() {
    if (!this.exit) this.child.kill('SIGKILL');
    const e = await this.exited;
    this.agent.destroy();
    if (this.remotingConn) this.remotingConn.close();
    return e;
  }

  // One shared remoting connection (requests are multiplexed by opaque).
  async remoting() {
    if (!this.remotingConn || this.remotingConn.closed) {
      try {
        this.remotingConn = await RemotingConnection.connect(this.remotingPort, REQUEST_TIMEOUT_MS);
      } catch (e) {
        throw new NetError(e.message, 'remoting');
      }
    }
    return this.remotingConn;
  }

  // A remoting request; a closed connection is a NetError like HTTP's.
  async rmq(code, ext, body) {
    const c = await this.remoting();
    try {
      return await c.request(code, ext, body, REQUEST_TIMEOUT_MS);
    } catch (e) {
      throw new NetError(e.message, 'remoting');
    }
  }

  // Graceful stop: SIGTERM, expecting exit code 0.
  async stop() {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    let timer;
    const e = await Promise.race([this.exited,
      new Promise((resolve) => { timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS); })]);
    clearTimeout(timer);
    this.agent.destroy();
    if (e === null) {
      this.child.kill('SIGKILL');
      await this.exited;
      return { timeout: true };
    }
    return e;
  }

  async cmq(params) {
    const body = new URLSearchParams(params).toString();
    const r = await httpRequest(this.agent, this.port, 'POST', '/v2/index.php', {
      body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    let j;
    try {
      j = JSON.parse(r.text);
    } catch {
      throw new Error(`CMQ ${params.Action}: HTTP ${r.status}, not JSON: ${short(r.text, 200)}`);
    }
    return j;
  }

  async dms(method, urlPath, json) {
    const r = await httpRequest(this.agent, this.port, method, urlPath, {
      body: json === undefined ? undefined : JSON.stringify(json),
      headers: { 'Content-Type': 'application/json' },
    });
    let j = null;
    if (r.text !== '') {
      try {
        j = JSON.parse(r.text);
      } catch {
        throw new Error(`DMS ${method} ${urlPath}: HTTP ${r.status}, not JSON: ${short(r.text, 200)}`);
      }
    }
    return { status: r.status, json: j };
  }
}

// DMS paths (all three URL families are used; dms-rocketmq.md 1.3).
const PLAIN = `/v2/local/instances/${INSTANCE}`;
const ENGINE = `/v2/reliability/local/instances/${INSTANCE}`;
const ROCKET = `/v2/local/rocketmq/instances/${INSTANCE}`;
const GROUP = 'crash-group';
// The remoting pullers' group (never reset, so its offsets only grow).
const RMQ_GROUP = 'crash-rmq-group';
const RMQ_QUEUES = 4; // queues per generation topic (createGen)
const FAR_FUTURE_MS = 4102444800000; // 2100-01-01

// ---------------------------------------------------------------- model

// One generation: a CMQ queue and a DMS topic created at the start of a
// cycle, loaded during that cycle only, then checked after each of the next
// `keepGens` restarts and deleted.
class Gen {
  constructor(id) {
    this.id = id;
    this.queue = `cq-g${id}`;
    this.topic = `t-g${id}`;
    this.startS = 0; // RewindQueue time at or before every message
    this.killAt = null;
    // CMQ
    this.cmqSends = new Map(); // tag -> {body, id, state, sentAt, respAt}
    this.cmqMsgs = new Map(); // msgId -> {tag, enq, firstDeq, deliveries[]}
    this.cmqUnknownRecv = 0; // receives whose answer never came
    this.cmqRewinds = []; // {T, sentAt, respAt|null}
    this.cmqAll = null; // Set of msgIds in the log (after the first full drain)
    // DMS
    this.dmsSends = new Map(); // tag -> {body, props, ack, state, sentAt, respAt}
    this.dmsAckedMax = new Map(); // "broker/queue" -> largest acked offset
    this.dmsLoadResets = []; // resets answered during load, checked after restart
    this.dmsMessages = null; // last full read back
    // Remoting: per queue id of broker-0, the puller's next offset, the last
    // acknowledged commit and the largest commit sent.
    this.rmqPos = new Map();
    this.rmqAckedCommit = new Map();
    this.rmqSentCommit = new Map();
    this.checkedRestarts = 0;
  }
}

const queueKey = (broker, id) => `${broker}/${id}`;

// ---------------------------------------------------------------- load

class Load {
  constructor(ctx, gen, server, cycle) {
    this.ctx = ctx;
    this.gen = gen;
    this.server = server;
    this.cycle = cycle;
    this.killing = false;
    this.counts = { dmsSend: 0, cmqSend: 0, cmqRecv: 0, cmqDel: 0, dmsReset: 0, cmqRewind: 0, dmsQuery: 0,
      rmqSend: 0, rmqPull: 0 };
    this.acked = 0;
  }

  // An error while the server is meant to be up is a violation; once the
  // kill has begun, a network error is the expected end of a request.
  unexpected(what, e) {
    if (this.killing && e instanceof NetError) return;
    this.ctx.report.fail(`cycle ${this.cycle}: ${what} failed while the server was up: ${e.message || e}`);
  }

  async worker(w) {
    const rng = new Rng(this.ctx.opts.seed, 'load', this.cycle, w);
    let n = 0;
    while (!this.killing) {
      const op = rng.weighted([[30, 'dmsSend'], [15, 'cmqSend'], [8, 'cmqBatch'], [30, 'cmqRecv'],
        [5, 'dmsReset'], [1, 'cmqRewind'], [9, 'dmsQuery'], [15, 'rmqSend'], [8, 'rmqPull']]);
      n++;
      try {
        await this[op](rng, w, n);
      } catch (e) {
        this.unexpected(op, e);
        if (!this.killing) await sleep(10);
      }
    }
  }

  async dmsSend(rng, w, n) {
    const g = this.gen;
    const tag = `d${g.id}.${w}.${n}`;
    const body = `${tag}|${randomPayload(rng)}`;
    const props = [];
    for (let i = 0, k = rng.int(0, 3); i < k; i++) props.push({ name: `p${i}`, value: randomText(rng, rng.int(0, 20)) });
    if (rng.chance(0.5)) props.push({ name: 'KEYS', value: `k${tag} kk${w}` });
    if (rng.chance(0.3)) props.push({ name: 'TAGS', value: rng.pick(['tagA', 'tagB']) });
    const rec = { body, props, ack: null, state: 'pending', sentAt: nowMs(), respAt: null };
    g.dmsSends.set(tag, rec);
    const req = { topic: g.topic, body };
    if (props.length > 0 || rng.chance(0.5)) req.property_list = props;
    const base = rng.pick([ENGINE, ROCKET, `/v2/rocketmq/local/instances/${INSTANCE}`]);
    this.counts.dmsSend++;
    const r = await this.server.dms('POST', `${base}/messages`, req);
    rec.respAt = nowMs();
    if (r.status !== 200) {
      rec.state = 'failed';
      throw new Error(`DMS send answered ${r.status} ${JSON.stringify(r.json)}`);
    }
    const a = r.json;
    rec.state = 'acked';
    rec.ack = { msg_id: a.msg_id, queue_id: a.queue_id, queue_offset: a.queue_offset, broker_name: a.broker_name };
    this.acked++;
    const rep = this.ctx.report;
    rep.check(typeof a.msg_id === 'string' && /^[0-9A-F]{32}$/.test(a.msg_id) &&
      Number.isInteger(a.queue_id) && Number.isInteger(a.queue_offset) && typeof a.broker_name === 'string',
    () => `DMS send of ${tag} answered malformed fields ${short(a, 300)}`);
    rep.check(a.body === body && a.topic === g.topic,
      () => `DMS send of ${tag} echoed body ${short(a.body)} topic ${a.topic}, sent ${short(body)}`);
    const k = queueKey(a.broker_name, a.queue_id);
    g.dmsAckedMax.set(k, Math.max(g.dmsAckedMax.get(k) ?? -1, a.queue_offset));
  }

  // A RocketMQ producer's send (SEND_MESSAGE_V2) with a client message id.
  async rmqSend(rng, w, n) {
    const g = this.gen;
    const tag = `r${g.id}.${w}.${n}`;
    const body = `${tag}|${randomPayload(rng)}`;
    const uniq = [...Array(32)].map(() => '0123456789ABCDEF'[rng.int(0, 15)]).join('');
    const props = [];
    if (rng.chance(0.5)) props.push({ name: 'KEYS', value: `k${tag}` });
    if (rng.chance(0.3)) props.push({ name: 'TAGS', value: rng.pick(['tagA', 'tagB']) });
    if (rng.chance(0.5)) props.push({ name: 'p0', value: randomText(rng, rng.int(1, 20)) });
    const rec = { body, props, uniq, ack: null, state: 'pending', sentAt: nowMs(), respAt: null };
    g.dmsSends.set(tag, rec);
    const queueId = rng.int(0, RMQ_QUEUES - 1);
    const wire = encodeProperties([['UNIQ_KEY', uniq], ...props.map((p) => [p.name, p.value])]);
    this.counts.rmqSend++;
    const r = await this.server.rmq(310, {
      a: 'crash-producer', b: g.topic, c: 'TBW102', d: '4', e: String(queueId), f: '0',
      g: String(nowMs()), h: '0', i: wire, j: '0', k: 'false', m: 'false',
    }, Buffer.from(body, 'utf8'));
    rec.respAt = nowMs();
    if (r.code !== 0) {
      rec.state = 'failed';
      throw new Error(`remoting send answered ${r.code} ${r.remark}`);
    }
    const offset = Number(r.ext.queueOffset);
    const ok = this.ctx.report.check(/^[0-9A-F]{32}$/.test(r.ext.msgId || '') && Number(r.ext.queueId) === queueId &&
      Number.isInteger(offset), () => `remoting send of ${tag} answered malformed fields ${JSON.stringify(r.ext)}`);
    if (!ok) return;
    rec.state = 'acked';
    rec.ack = { msg_id: dmsMsgIdOf(r.ext.msgId), queue_id: queueId, queue_offset: offset, broker_name: 'broker-0' };
    this.acked++;
    const k = queueKey('broker-0', queueId);
    g.dmsAckedMax.set(k, Math.max(g.dmsAckedMax.get(k) ?? -1, offset));
  }

  // A RocketMQ puller: PULL_MESSAGE at its position, each record checked
  // against what was sent, then a synchronous UPDATE_CONSUMER_OFFSET.
  async rmqPull(rng) {
    const g = this.gen;
    const q = rng.int(0, RMQ_QUEUES - 1);
    if (this.rmqBusy?.has(q)) return;
    (this.rmqBusy ??= new Set()).add(q);
    try {
      const from = g.rmqPos.get(q) ?? 0;
      this.counts.rmqPull++;
      const r = await this.server.rmq(11, {
        consumerGroup: RMQ_GROUP, topic: g.topic, queueId: String(q), queueOffset: String(from),
        maxMsgNums: '16', sysFlag: '0', commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*',
        subVersion: '0', expressionType: 'TAG',
      });
      if (r.code === 19) return;
      if (r.code !== 0) throw new Error(`remoting pull of ${g.topic}/${q}@${from} answered ${r.code} ${r.remark}`);
      const records = decodeRecords(r.body);
      checkPulled(this.ctx, g, q, from, records, 'during load');
      const next = Number(r.ext.nextBeginOffset);
      g.rmqPos.set(q, next);
      g.rmqSentCommit.set(q, Math.max(g.rmqSentCommit.get(q) ?? 0, next));
      const c = await this.server.rmq(15, { consumerGroup: RMQ_GROUP, topic: g.topic, queueId: String(q),
        commitOffset: String(next) });
      if (c.code !== 0) throw new Error(`remoting commit of ${g.topic}/${q} to ${next} answered ${c.code} ${c.remark}`);
      g.rmqAckedCommit.set(q, Math.max(g.rmqAckedCommit.get(q) ?? 0, next));
    } finally {
      this.rmqBusy.delete(q);
    }
  }

  async dmsQuery(rng) {
    const g = this.gen;
    const acked = [...g.dmsSends.values()].filter((s) => s.state === 'acked');
    if (acked.length === 0) return;
    const s = rng.pick(acked.slice(-50));
    this.counts.dmsQuery++;
    const r = await this.server.dms('GET',
      `${rng.pick([ENGINE, ROCKET])}/messages?topic=${g.topic}&msg_id=${s.ack.msg_id}`);
    if (r.status !== 200) throw new Error(`DMS query by msg_id answered ${r.status} ${JSON.stringify(r.json)}`);
    const m = r.json.messages?.[0];
    this.ctx.report.check(r.json.total === 1 && m && sameDmsMessage(m, s),
      () => `DMS query by msg_id ${s.ack.msg_id} right after its send was acked returned ` +
        `${JSON.stringify(r.json.messages?.[0]?.property_list)}; sent ${JSON.stringify(s.props)} uniq ${s.uniq}; expected body ${short(s.body)} at ${s.ack.broker_name}/${s.ack.queue_id}@${s.ack.queue_offset}`);
  }

  async cmqSend(rng, w, n) {
    await this.cmqSendBatch(rng, w, n, 1);
  }

  async cmqBatch(rng, w, n) {
    await this.cmqSendBatch(rng, w, n, rng.int(1, 16));
  }

  async cmqSendBatch(rng, w, n, k) {
    const g = this.gen;
    const batch = k > 1 || rng.chance(0.2);
    const params = { Action: batch ? 'BatchSendMessage' : 'SendMessage', queueName: g.queue };
    const recs = [];
    for (let i = 0; i < k; i++) {
      const tag = `c${g.id}.${w}.${n}.${i}`;
      const body = `${tag}|${randomPayload(rng)}`;
      const rec = { body, id: null, state: 'pending', sentAt: nowMs(), respAt: null };
      g.cmqSends.set(tag, rec);
      recs.push(rec);
      params[batch ? `msgBody.${i + 1}` : 'msgBody'] = body;
    }
    this.counts.cmqSend += k;
    const r = await this.server.cmq(params);
    const t = nowMs();
    if (r.code !== 0) {
      for (const rec of recs) rec.state = 'failed';
      throw new Error(`CMQ ${params.Action} answered ${JSON.stringify(r)}`);
    }
    const ids = batch ? (r.msgList || []).map((x) => x.msgId) : [r.msgId];
    this.ctx.report.check(ids.length === k && ids.every((id) => typeof id === 'string' && /^[0-9]+$/.test(id)),
      () => `CMQ ${params.Action} of ${k} answered ${short(r, 300)}`);
    recs.forEach((rec, i) => {
      rec.state = 'acked';
      rec.id = ids[i];
      rec.respAt = t;
    });
    this.acked += k;
  }

  async cmqRecv(rng) {
    const g = this.gen;
    const batch = rng.chance(0.5);
    const params = { Action: batch ? 'BatchReceiveMessage' : 'ReceiveMessage', queueName: g.queue,
      pollingWaitSeconds: String(rng.chance(0.1) ? 1 : 0) };
    if (batch) params.numOfMsg = String(rng.int(1, 16));
    this.counts.cmqRecv++;
    const msgs = await cmqReceive(this.ctx, this.server, g, params);
    if (msgs === null) return;
    const del = msgs.filter(() => rng.chance(0.75));
    if (del.length === 0) return;
    this.counts.cmqDel += del.length;
    if (del.length === 1 && rng.chance(0.5)) {
      await cmqDelete(this.ctx, this.server, g, del, false);
    } else {
      await cmqDelete(this.ctx, this.server, g, del, true);
    }
  }

  async cmqRewind(rng) {
    const g = this.gen;
    const sentAt = nowMs();
    const nowS = Math.floor(sentAt / 1000);
    const T = rng.chance(0.7) ? nowS : rng.int(g.startS, nowS);
    this.counts.cmqRewind++;
    await cmqRewind(this.ctx, this.server, g, T);
  }

  async dmsReset(rng) {
    const g = this.gen;
    const t = nowMs();
    const T = rng.weighted([[60, t - rng.int(0, 1500)], [10, t + rng.int(0, 1000)], [10, -1], [10, 0],
      [10, t - rng.int(0, 50)]]);
    const lower = new Map();
    for (const [k, v] of g.dmsAckedMax) lower.set(k, v + 1);
    const asString = rng.chance(0.3);
    const entry = { T, sentAt: nowMs(), lower, answer: null };
    this.counts.dmsReset++;
    const r = await this.server.dms('POST', `${rng.pick([ENGINE, ROCKET])}/groups/${GROUP}/reset-message-offset`,
      { topic: g.topic, timestamp: asString ? String(T) : T });
    if (r.status !== 200) throw new Error(`DMS reset to ${T} answered ${r.status} ${JSON.stringify(r.json)}`);
    entry.answer = r.json.queues;
    entry.respAt = nowMs();
    g.dmsLoadResets.push(entry);
  }
}

// ---------------------------------------------------------------- CMQ ops

// One receive; records every delivery on its message. Returns the delivered
// messages, or null when there was nothing (7000). An answer that never
// arrives counts as an unknown receive on the generation.
async function cmqReceive(ctx, server, g, params) {
  const sentAt = nowMs();
  let r;
  try {
    r = await server.cmq(params);
  } catch (e) {
    g.cmqUnknownRecv++;
    throw e;
  }
  const respAt = nowMs();
  if (r.code === 7000) return null;
  if (r.code !== 0) throw new Error(`CMQ ${params.Action} answered ${JSON.stringify(r)}`);
  const list = params.Action === 'BatchReceiveMessage' ? r.msgInfoList : [r];
  const rep = ctx.report;
  const vis = ctx.opts.visibilityS;
  const out = [];
  for (const m of list) {
    const tag = tagOf(m.msgBody ?? '');
    const sent = tag === null ? undefined : g.cmqSends.get(tag);
    if (!rep.check(sent !== undefined,
      () => `CMQ queue ${g.queue} delivered msgId ${m.msgId} with a body that was never sent: ${short(m.msgBody)}`)) continue;
    rep.check(sent.body === m.msgBody,
      () => `CMQ msgId ${m.msgId} (${tag}) delivered body ${short(m.msgBody)}; sent ${short(sent.body)}`);
    rep.check(sent.id === null || sent.id === m.msgId,
      () => `CMQ message ${tag} was acked as msgId ${sent.id} but delivered as ${m.msgId}`);
    let rec = g.cmqMsgs.get(m.msgId);
    if (!rec) {
      rec = { tag, enq: m.enqueueTime, firstDeq: null, deliveries: [] };
      g.cmqMsgs.set(m.msgId, rec);
    }
    rep.check(rec.tag === tag, () => `CMQ msgId ${m.msgId} delivered as ${tag} and earlier as ${rec.tag}`);
    rep.check(rec.enq === m.enqueueTime,
      () => `CMQ msgId ${m.msgId}: enqueueTime ${m.enqueueTime}, earlier ${rec.enq}`);
    if (sent.state === 'acked') {
      rep.check(m.enqueueTime >= Math.floor(sent.sentAt / 1000) && m.enqueueTime <= Math.floor(sent.respAt / 1000),
        () => `CMQ msgId ${m.msgId}: enqueueTime ${m.enqueueTime} outside its send [${sent.sentAt}, ${sent.respAt}] ms`);
    }
    if (m.dequeueCount === 1) {
      rep.check(m.firstDequeueTime >= Math.floor(sentAt / 1000) && m.firstDequeueTime <= Math.floor(respAt / 1000),
        () => `CMQ msgId ${m.msgId}: first delivery at ${m.firstDequeueTime}, outside [${sentAt}, ${respAt}] ms`);
    }
    if (rec.firstDeq === null) rec.firstDeq = m.firstDequeueTime;
    rep.check(rec.firstDeq === m.firstDequeueTime,
      () => `CMQ msgId ${m.msgId}: firstDequeueTime ${m.firstDequeueTime}, earlier ${rec.firstDeq}`);
    rep.check(m.nextVisibleTime >= Math.floor(sentAt / 1000) + vis && m.nextVisibleTime <= Math.floor(respAt / 1000) + vis,
      () => `CMQ msgId ${m.msgId}: nextVisibleTime ${m.nextVisibleTime} is not receive time + ${vis}s ` +
        `(receive [${sentAt}, ${respAt}] ms)`);
    rep.check(typeof m.receiptHandle === 'string' && /^[A-Za-z0-9%#:_-]{1,256}$/.test(m.receiptHandle),
      () => `CMQ msgId ${m.msgId}: malformed receiptHandle ${short(m.receiptHandle)}`);
    const d = { count: m.dequeueCount, sentAt, respAt, handle: m.receiptHandle, del: null };
    rec.deliveries.push(d);
    out.push({ msgId: m.msgId, d });
  }
  return out;
}

// Deletes the given deliveries (one DeleteMessage each, or one
// BatchDeleteMessage) and records each outcome on its delivery.
async function cmqDelete(ctx, server, g, items, batch) {
  const calls = batch ? [items] : items.map((x) => [x]);
  for (const group of calls) {
    const sentAt = nowMs();
    for (const { d } of group) d.del = { sentAt, respAt: null, outcome: 'unknown' };
    const params = batch
      ? { Action: 'BatchDeleteMessage', queueName: g.queue }
      : { Action: 'DeleteMessage', queueName: g.queue, receiptHandle: group[0].d.handle };
    if (batch) group.forEach(({ d }, i) => { params[`receiptHandle.${i + 1}`] = d.handle; });
    const r = await server.cmq(params);
    const respAt = nowMs();
    const failed = new Set();
    if (r.code === 0) {
      // all deleted
    } else if (batch && (r.code === 6010 || r.code === 6020)) {
      for (const e of r.errorList || []) failed.add(e.receiptHandle);
    } else if (!batch && r.code === 4430) {
      failed.add(group[0].d.handle);
    } else {
      throw new Error(`CMQ ${params.Action} answered ${JSON.stringify(r)}`);
    }
    for (const { msgId, d } of group) {
      d.del.respAt = respAt;
      d.del.outcome = failed.has(d.handle) ? 'invalid' : 'ok';
      // The handle is valid until the next visible time, which is at least
      // receive sent + visibilityTimeout; a delete that ended before that
      // must have succeeded (cmq-v2.md 7.4, 8.10).
      if (d.del.outcome === 'invalid') {
        ctx.report.check(respAt + SLACK_MS >= d.sentAt + ctx.opts.visibilityS * 1000,
          () => `CMQ msgId ${msgId}: delete of delivery ${d.count} answered 4430 at ${respAt} ms, ` +
            `before its visibility timeout could end (received from ${d.sentAt} ms, ${ctx.opts.visibilityS}s)`);
      }
    }
  }
}

async function cmqRewind(ctx, server, g, T) {
  const rw = { T, sentAt: nowMs(), respAt: null };
  g.cmqRewinds.push(rw);
  const r = await server.cmq({ Action: 'RewindQueue', queueName: g.queue, startConsumeTime: String(T) });
  if (r.code !== 0) {
    rw.failed = true;
    throw new Error(`CMQ RewindQueue(${T}) answered ${JSON.stringify(r)}`);
  }
  rw.respAt = nowMs();
}

// Receives (without long polling) until the queue answers 7000 and
// `until()` holds; deletes every delivery at once. Returns msgId -> latest
// delivery. Bounded by a deadline.
async function cmqDrain(ctx, server, g, { until = () => true, what }) {
  const got = new Map();
  const deadline = nowMs() + (SLOW ? 180000 : 60000);
  for (;;) {
    if (nowMs() > deadline) {
      ctx.report.fail(`CMQ queue ${g.queue}: ${what} did not finish within the deadline`);
      return got;
    }
    const msgs = await cmqReceive(ctx, server, g,
      { Action: 'BatchReceiveMessage', queueName: g.queue, numOfMsg: '16', pollingWaitSeconds: '0' });
    if (msgs === null) {
      if (until()) return got;
      await sleep(50);
      continue;
    }
    for (const { msgId, d } of msgs) {
      const prev = got.get(msgId);
      ctx.report.check(prev === undefined || prev.del?.outcome !== 'ok',
        () => `CMQ msgId ${msgId} delivered twice during ${what} (dequeueCount ${prev.count} then ${d.count}), ` +
          `though the first delivery was deleted`);
      got.set(msgId, d);
    }
    // A delete that fails here (the answer came after the visibility
    // timeout) is judged by cmqDelete; the message then simply comes again.
    await cmqDelete(ctx, server, g, msgs, true);
  }
}

// The redelivery rules, over every delivery seen of the generation's
// messages (cmq-v2.md 7.2, 9.2; broker/cmq_queues.h on restarts).
function checkCmqDeliveries(ctx, g) {
  const rep = ctx.report;
  const vis = ctx.opts.visibilityS * 1000;
  for (const [msgId, rec] of g.cmqMsgs) {
    const ds = [...rec.deliveries].sort((a, b) => a.count - b.count);
    for (let i = 0; i < ds.length; i++) {
      const b = ds[i];
      if (i === 0) {
        rep.check(b.count === 1 || g.cmqUnknownRecv > 0,
          () => `CMQ msgId ${msgId}: first delivery seen has dequeueCount ${b.count} though every receive was answered`);
        continue;
      }
      const a = ds[i - 1];
      rep.check(b.count !== a.count,
        () => `CMQ msgId ${msgId}: delivered twice with dequeueCount ${b.count} (answers at ${a.respAt} and ${b.respAt} ms)`);
      if (b.count !== a.count + 1) {
        rep.check(g.cmqUnknownRecv > 0,
          () => `CMQ msgId ${msgId}: dequeueCount went from ${a.count} to ${b.count} though every receive was answered`);
        continue;
      }
      const byTimeout = b.respAt + SLACK_MS >= a.sentAt + vis;
      const delOk = a.del && a.del.outcome === 'ok';
      const delMaybe = a.del && a.del.outcome === 'unknown';
      const byRewind = (delOk || delMaybe) && g.cmqRewinds.some((rw) => !rw.failed && rw.T <= rec.enq &&
        rw.sentAt <= b.respAt + SLACK_MS && (rw.respAt === null || rw.respAt + SLACK_MS >= a.del.sentAt));
      if (delOk) {
        rep.check(byRewind,
          () => `CMQ msgId ${msgId} (enqueueTime ${rec.enq}): delivered again (dequeueCount ${b.count}, answer at ` +
            `${b.respAt} ms) after its delete was acknowledged (at ${a.del.respAt} ms), with no RewindQueue at or ` +
            `before its enqueue time in between`);
      } else {
        rep.check(byTimeout || byRewind,
          () => `CMQ msgId ${msgId}: delivered again (dequeueCount ${b.count}, answer at ${b.respAt} ms) before the ` +
            `visibility timeout of delivery ${a.count} (received from ${a.sentAt} ms, ${vis} ms) could end`);
      }
    }
  }
}

// ---------------------------------------------------------------- DMS checks

// Pulled records are what was sent at those offsets, in order.
function checkPulled(ctx, g, q, from, records, when) {
  const rep = ctx.report;
  records.forEach((rec, i) => {
    rep.check(rec.queueOffset === from + i && rec.queueId === q && rec.topic === g.topic,
      () => `remoting pull ${when} of ${g.topic}/${q}@${from}: record ${i} is ${rec.topic}/${rec.queueId}@${rec.queueOffset}`);
    const tag = tagOf(rec.body);
    const sent = tag === null ? undefined : g.dmsSends.get(tag);
    if (!rep.check(sent !== undefined, () => `remoting pull ${when}: ${g.topic}/${q}@${rec.queueOffset} was never sent: ${short(rec.body)}`)) return;
    rep.check(rec.body === sent.body, () => `remoting pull ${when}: ${tag} body ${short(rec.body)}, sent ${short(sent.body)}`);
    if (sent.uniq) {
      rep.check(rec.properties.get('UNIQ_KEY') === sent.uniq,
        () => `remoting pull ${when}: ${tag} UNIQ_KEY ${rec.properties.get('UNIQ_KEY')}, sent ${sent.uniq}`);
    }
    if (sent.ack) {
      rep.check(sent.ack.queue_id === q && sent.ack.queue_offset === rec.queueOffset,
        () => `remoting pull ${when}: ${tag} at ${q}@${rec.queueOffset}, acknowledged at ${sent.ack.queue_id}@${sent.ack.queue_offset}`);
    }
  });
}

// After a restart the remoting group's offsets are the last acknowledged
// commit (or a later one in flight), and pulling from there still matches.
async function rmqCheckOffsets(ctx, server, g) {
  const rep = ctx.report;
  for (let q = 0; q < RMQ_QUEUES; q++) {
    const acked = g.rmqAckedCommit.get(q);
    if (acked === undefined) continue;
    const r = await server.rmq(14, { consumerGroup: RMQ_GROUP, topic: g.topic, queueId: String(q) });
    const got = r.code === 0 ? Number(r.ext.offset) : null;
    rep.check(got !== null && got >= acked && got <= (g.rmqSentCommit.get(q) ?? acked),
      () => `remoting: offset of ${RMQ_GROUP} on ${g.topic}/${q} after the restart is ${got} (code ${r.code}); ` +
        `last acknowledged commit ${acked}, largest sent ${g.rmqSentCommit.get(q)}`);
    if (got === null) continue;
    g.rmqPos.set(q, got);
    const p = await server.rmq(11, {
      consumerGroup: RMQ_GROUP, topic: g.topic, queueId: String(q), queueOffset: String(got),
      maxMsgNums: '32', sysFlag: '0', suspendTimeoutMillis: '0', subscription: '*', expressionType: 'TAG',
    });
    if (p.code === 0) checkPulled(ctx, g, q, got, decodeRecords(p.body), 'after the restart');
    else rep.check(p.code === 19, () => `remoting pull of ${g.topic}/${q}@${got} after the restart answered ${p.code} ${p.remark}`);
  }
}

function propsMap(list) {
  const m = new Map();
  for (const p of list || []) m.set(p.name, p.value);
  return m;
}

// A message read back equals what was sent (and acknowledged, if it was).
function sameDmsMessage(m, sent) {
  if (m.body !== sent.body) return false;
  const got = propsMap(m.property_list);
  const want = propsMap(sent.props);
  // REST sends show the broker's id; RocketMQ clients' their own.
  if (got.get('UNIQ_KEY') !== (sent.uniq ?? m.msg_id)) return false;
  got.delete('UNIQ_KEY');
  if (got.size !== want.size) return false;
  for (const [k, v] of want) if (got.get(k) !== v) return false;
  if (m.body_crc !== (crc32(Buffer.from(m.body, 'utf8')) & 0x7fffffff)) return false;
  if (sent.ack) {
    const a = sent.ack;
    if (m.msg_id !== a.msg_id || m.queue_id !== a.queue_id || m.queue_offset !== a.queue_offset) return false;
  }
  return true;
}

async function dmsReadAll(ctx, server, g) {
  const out = [];
  let total = null;
  for (let offset = 0; ; offset += 100) {
    const r = await server.dms('GET',
      `${ROCKET}/messages?topic=${g.topic}&start_time=0&end_time=${FAR_FUTURE_MS}&limit=100&offset=${offset}`);
    if (r.status !== 200) throw new Error(`DMS query of ${g.topic} answered ${r.status} ${JSON.stringify(r.json)}`);
    if (total === null) total = r.json.total;
    ctx.report.check(r.json.total === total, () => `DMS query of ${g.topic}: total changed from ${total} to ${r.json.total} while quiesced`);
    out.push(...r.json.messages);
    if (r.json.messages.length === 0 || out.length >= total) break;
  }
  ctx.report.check(out.length === total, () => `DMS query of ${g.topic}: read ${out.length} messages, total says ${total}`);
  return out;
}

// Checks the whole content of a generation's topic; returns per queue the
// stored (offset, store_timestamp) lists for the reset oracle.
async function dmsCheckTopic(ctx, server, g, rng, cycle) {
  const rep = ctx.report;
  const st = await server.dms('GET', `${PLAIN}/topics/${g.topic}/status`);
  if (st.status !== 200) throw new Error(`DMS topic status of ${g.topic} answered ${st.status} ${JSON.stringify(st.json)}`);
  const queues = new Map(); // key -> {broker, id, min, max, last, msgs: []}
  for (const b of st.json.brokers) {
    for (const q of b.queues) {
      queues.set(queueKey(b.broker_name, q.id),
        { broker: b.broker_name, id: q.id, min: q.min_offset, max: q.max_offset, last: q.last_message_time, msgs: [] });
    }
  }
  const msgs = await dmsReadAll(ctx, server, g);
  const byId = new Map();
  for (const m of msgs) {
    rep.check(!byId.has(m.msg_id), () => `DMS ${g.topic}: msg_id ${m.msg_id} read back twice`);
    byId.set(m.msg_id, m);
    const q = queues.get(queueKey(m.broker_name ?? brokerOfQueue(queues, m), m.queue_id));
    const tag = tagOf(m.body);
    const sent = tag === null ? undefined : g.dmsSends.get(tag);
    if (!rep.check(sent !== undefined,
      () => `DMS ${g.topic}: message ${m.msg_id} at queue ${m.queue_id}@${m.queue_offset} was never sent: ${short(m.body)}`)) continue;
    rep.check(sameDmsMessage(m, sent),
      () => `DMS ${g.topic}: message ${tag} read back as ${short(m, 400)}; sent body ${short(sent.body)} ` +
        `properties ${JSON.stringify(sent.props)} ack ${JSON.stringify(sent.ack)}`);
    if (sent.state === 'acked') {
      rep.check(m.store_timestamp + SLACK_MS >= sent.sentAt && m.store_timestamp <= sent.respAt + SLACK_MS,
        () => `DMS ${g.topic}: ${m.msg_id} store_timestamp ${m.store_timestamp} outside its send [${sent.sentAt}, ${sent.respAt}]`);
    }
    if (q) q.msgs.push(m);
  }
  // Every acknowledged send is there.
  for (const [tag, s] of g.dmsSends) {
    if (s.state !== 'acked') continue;
    rep.check(byId.has(s.ack.msg_id),
      () => `DMS ${g.topic}: acknowledged message ${s.ack.msg_id} (${tag}, ${s.ack.broker_name}/${s.ack.queue_id}` +
        `@${s.ack.queue_offset}, acked at ${s.respAt} ms) is missing after the restart`);
  }
  // Each queue holds exactly the offsets [min_offset, max_offset), store
  // times never decrease, and the status agrees.
  for (const [k, q] of queues) {
    q.msgs.sort((a, b) => a.queue_offset - b.queue_offset);
    const offs = q.msgs.map((m) => m.queue_offset);
    const contiguous = offs.length === q.max - q.min && offs.every((o, i) => o === q.min + i);
    rep.check(contiguous, () => `DMS ${g.topic} queue ${k}: status says offsets [${q.min}, ${q.max}), ` +
      `query returned ${offs.length} offsets ${short(offs, 200)}`);
    for (let i = 1; i < q.msgs.length; i++) {
      rep.check(q.msgs[i].store_timestamp >= q.msgs[i - 1].store_timestamp,
        () => `DMS ${g.topic} queue ${k}: store_timestamp decreases at offset ${q.msgs[i].queue_offset}`);
    }
    const lastTs = q.msgs.length ? q.msgs[q.msgs.length - 1].store_timestamp : 0;
    rep.check(q.last === lastTs, () => `DMS ${g.topic} queue ${k}: last_message_time ${q.last}, newest message at ${lastTs}`);
  }
  // A sample read back by msg_id and by key.
  const acked = [...g.dmsSends.values()].filter((s) => s.state === 'acked');
  for (let i = 0; i < Math.min(6, acked.length); i++) {
    const s = rng.pick(acked);
    const r = await server.dms('GET', `${ENGINE}/messages?topic=${g.topic}&msg_id=${s.ack.msg_id}`);
    rep.check(r.status === 200 && r.json.total === 1 && sameDmsMessage(r.json.messages[0], s),
      () => `DMS ${g.topic}: query by msg_id ${s.ack.msg_id} after restart returned ${r.status} ${short(r.json, 300)}`);
  }
  const keyed = acked.filter((s) => s.props.some((p) => p.name === 'KEYS'));
  for (let i = 0; i < Math.min(3, keyed.length); i++) {
    const s = rng.pick(keyed);
    const key = s.props.find((p) => p.name === 'KEYS').value.split(' ')[0];
    const r = await server.dms('GET',
      `${ROCKET}/messages?topic=${g.topic}&key=${encodeURIComponent(key)}&start_time=0&end_time=${FAR_FUTURE_MS}&limit=10`);
    rep.check(r.status === 200 && r.json.total === 1 && sameDmsMessage(r.json.messages[0], s),
      () => `DMS ${g.topic}: query by key ${key} after restart returned ${r.status} ${short(r.json, 300)}`);
  }
  g.dmsMessages = queues;

  // Resets answered during load, against the final content.
  for (const e of g.dmsLoadResets) checkLoadReset(ctx, g, e, queues);
  rep.rewindsChecked.dmsLoad += g.dmsLoadResets.length;
  g.dmsLoadResets = [];

  // Fresh resets against the brute-force oracle.
  const allTs = [...new Set([...queues.values()].flatMap((q) => q.msgs.map((m) => m.store_timestamp)))]
    .sort((a, b) => a - b);
  for (let i = 0; i < ctx.opts.resetsPerCheck; i++) {
    const T = pickResetTime(rng, allTs);
    const body = { topic: g.topic, timestamp: rng.chance(0.3) ? String(T) : T };
    const r = await server.dms('POST', `${rng.pick([ENGINE, ROCKET])}/groups/${GROUP}/reset-message-offset`, body);
    if (!rep.check(r.status === 200, () => `DMS reset of ${g.topic} to ${T} answered ${r.status} ${JSON.stringify(r.json)}`)) continue;
    checkReset(ctx, g, T, r.json.queues, queues, cycle);
    rep.rewindsChecked.dmsRestart++;
  }
}

function brokerOfQueue(queues, m) {
  for (const q of queues.values()) if (q.id === m.queue_id) return q.broker;
  return '?';
}

function pickResetTime(rng, ts) {
  if (ts.length === 0) return rng.pick([0, -1, nowMs(), FAR_FUTURE_MS]);
  const i = rng.int(0, ts.length - 1);
  const kind = rng.weighted([[30, 'exact'], [10, 'minus1'], [10, 'plus1'], [15, 'between'], [5, 'zero'],
    [8, 'beforeFirst'], [8, 'afterLast'], [5, 'farFuture'], [5, 'latest'], [4, 'one']]);
  switch (kind) {
    case 'exact': return ts[i];
    case 'minus1': return ts[i] - 1;
    case 'plus1': return ts[i] + 1;
    case 'between': return i + 1 < ts.length ? Math.floor((ts[i] + ts[i + 1]) / 2) : ts[i] + 1;
    case 'zero': return 0;
    case 'beforeFirst': return ts[0] - rng.int(1, 100000);
    case 'afterLast': return ts[ts.length - 1] + 1;
    case 'farFuture': return FAR_FUTURE_MS;
    case 'latest': return -1;
    default: return 1;
  }
}

// dms-rocketmq.md 8: per queue the first offset with store_timestamp >= T,
// else max_offset; -1 is max_offset.
function oracleOffset(q, T) {
  if (T === -1) return q.max;
  const m = q.msgs.find((x) => x.store_timestamp >= T);
  return m ? m.queue_offset : q.max;
}

function checkAnswerShape(ctx, g, T, answer, queues, label) {
  const keys = [...queues.values()].sort((a, b) => (a.broker < b.broker ? -1 : a.broker > b.broker ? 1 : a.id - b.id))
    .map((q) => queueKey(q.broker, q.id));
  const got = (answer || []).map((a) => queueKey(a.broker_name, a.queue_id));
  return ctx.report.check(JSON.stringify(got) === JSON.stringify(keys),
    () => `DMS ${label} reset of ${g.topic} to ${T}: answer lists queues ${JSON.stringify(got)}, expected ${JSON.stringify(keys)}`);
}

function checkReset(ctx, g, T, answer, queues, cycle) {
  if (!checkAnswerShape(ctx, g, T, answer, queues, 'restart')) return;
  for (const a of answer) {
    const q = queues.get(queueKey(a.broker_name, a.queue_id));
    const want = oracleOffset(q, T);
    ctx.report.check(a.timestamp_offset === want,
      () => `cycle ${cycle}: DMS reset of ${g.topic} to T=${T}: queue ${a.broker_name}/${a.queue_id} answered ` +
        `timestamp_offset ${a.timestamp_offset}, brute force says ${want} (store timestamps of offsets ` +
        `${q.min}..${q.max - 1}: ${short(q.msgs.map((m) => m.store_timestamp), 300)})`);
  }
}

// A reset answered during load saw each queue at some instant between its
// request and its answer, as a prefix [min_offset, L) of what was finally
// stored. Its answer is then min(f, L), f being the brute-force oracle over
// the final content (max_offset for T = -1). So the answer r is right when
// r == f, or when r < f is a length the queue can have had then: at least
// the acknowledged length when the request was sent, and the message at
// r - 1 was sent before the answer came. (Store times do not narrow L: a
// record is stamped when its append starts and becomes visible when it
// ends, so a record invisible to the reset may carry an earlier time.)
function checkLoadReset(ctx, g, e, queues) {
  if (!checkAnswerShape(ctx, g, e.T, e.answer, queues, 'load')) return;
  for (const a of e.answer) {
    const k = queueKey(a.broker_name, a.queue_id);
    const q = queues.get(k);
    const f = oracleOffset(q, e.T);
    const r = a.timestamp_offset;
    const lower = e.lower.get(k) ?? 0;
    let ok = r === f;
    if (!ok && r < f && r >= lower) {
      const prev = r > q.min ? q.msgs[r - 1 - q.min] : null;
      const sent = prev ? g.dmsSends.get(tagOf(prev.body)) : null;
      ok = prev === null || (sent !== undefined && sent.sentAt <= e.respAt + SLACK_MS);
    }
    ctx.report.check(ok,
      () => `DMS reset of ${g.topic} to T=${e.T} during load (sent at ${e.sentAt} ms, answered at ${e.respAt} ms): ` +
        `queue ${k} answered ${r}; brute force over the final content says ${f}, acknowledged length at the ` +
        `request was ${lower}`);
  }
}

// ---------------------------------------------------------------- CMQ checks

async function cmqAttributes(server, g) {
  return server.cmq({ Action: 'GetQueueAttributes', queueName: g.queue });
}

// After a restart: make every message of the queue receivable and receive
// it; then a rewind to a random time against the exact expected set.
async function cmqCheckQueue(ctx, server, g, rng, cycle) {
  const rep = ctx.report;
  const vis = ctx.opts.visibilityS;
  const first = g.cmqAll === null;
  // 1. Before any rewind. The generation just loaded: wait out every
  //    delivery that may still be in flight (one made just before the kill
  //    ends by killAt + visibilityTimeout) and receive what is ACTIVE; the
  //    delivery rules then check that no deleted message is among them.
  //    An older generation was left with every message DELETED: nothing is
  //    receivable until a rewind.
  if (first) {
    const waitUntil = g.killAt + vis * 1000 + 200;
    await cmqDrain(ctx, server, g, { what: 'the read back before rewinding', until: () => nowMs() >= waitUntil });
    checkCmqDeliveries(ctx, g);
  } else {
    const r = await server.cmq({ Action: 'ReceiveMessage', queueName: g.queue, pollingWaitSeconds: '0' });
    rep.check(r.code === 7000, () => `cycle ${cycle}: CMQ queue ${g.queue}: every message was deleted before the ` +
      `restart and no rewind followed, yet a receive answered ${short(r, 300)}`);
    if (r.code === 0) g.cmqUnknownRecv++;
  }
  // 2. Everything: rewind to the generation's start, receive until empty.
  await cmqRewind(ctx, server, g, g.startS);
  const ackedIds = [...g.cmqSends.values()].filter((s) => s.state === 'acked').map((s) => s.id);
  const got = await cmqDrain(ctx, server, g, { what: 'the full read back' });
  rep.rewindsChecked.cmq++;
  for (const id of ackedIds) {
    const s = [...g.cmqSends.values()].find((x) => x.id === id);
    rep.check(got.has(id), () => `cycle ${cycle}: CMQ queue ${g.queue}: acknowledged message ${id} ` +
      `(${tagOf(s.body)}, acked at ${s.respAt} ms) is missing after the restart (not receivable after ` +
      `RewindQueue(${g.startS}) and the visibility timeout)`);
  }
  if (first) {
    // What the read back before rewinding received was deleted, so the
    // rewind brought it back with the rest: `got` is the whole queue.
    g.cmqAll = new Set(got.keys());
  } else {
    const missing = [...g.cmqAll].filter((id) => !got.has(id));
    const extra = [...got.keys()].filter((id) => !g.cmqAll.has(id));
    rep.check(missing.length === 0 && extra.length === 0,
      () => `cycle ${cycle}: CMQ queue ${g.queue}: RewindQueue(${g.startS}) on the quiesced queue made ` +
        `${got.size} messages receivable; expected all ${g.cmqAll.size}; missing ${short(missing, 200)} extra ${short(extra, 200)}`);
  }
  await cmqCheckCounters(ctx, server, g, 'after the full read back');

  // 3. RewindQueue(T) on the quiesced queue (every message DELETED):
  //    exactly the messages with enqueueTime >= T come back (9.2 rule 3).
  const enq = [...g.cmqAll].map((id) => g.cmqMsgs.get(id).enq);
  const nowS = Math.floor(nowMs() / 1000);
  const cands = [g.startS, nowS];
  for (const t of new Set(enq)) cands.push(t, t + 1, t - 1);
  const T = Math.min(nowS, Math.max(g.startS, rng.pick(cands)));
  await cmqRewind(ctx, server, g, T);
  const back = await cmqDrain(ctx, server, g, { what: `RewindQueue(${T})` });
  const want = [...g.cmqAll].filter((id) => g.cmqMsgs.get(id).enq >= T);
  const missing = want.filter((id) => !back.has(id));
  const extra = [...back.keys()].filter((id) => !(g.cmqMsgs.get(id).enq >= T && g.cmqAll.has(id)));
  rep.check(missing.length === 0 && extra.length === 0,
    () => `cycle ${cycle}: CMQ queue ${g.queue}: RewindQueue(${T}) on the quiesced queue revived ${back.size} ` +
      `messages; brute force over enqueueTime >= ${T} expects ${want.length}; missing ${short(missing, 200)} ` +
      `extra ${short(extra.map((id) => `${id}@${g.cmqMsgs.get(id)?.enq}`), 200)}`);
  rep.rewindsChecked.cmq++;
  await cmqCheckCounters(ctx, server, g, `after RewindQueue(${T})`);
  checkCmqDeliveries(ctx, g);
}

async function cmqCheckCounters(ctx, server, g, when) {
  const a = await cmqAttributes(server, g);
  ctx.report.check(a.code === 0 && a.activeMsgNum === 0 && a.inactiveMsgNum === 0 && a.delayMsgNum === 0 &&
    a.rewindMsgNum === g.cmqAll.size,
  () => `CMQ queue ${g.queue} ${when}: counters ${short(a, 300)}; expected 0 active, 0 inactive, 0 delayed, ` +
    `${g.cmqAll.size} rewindable`);
}

// ---------------------------------------------------------------- main

async function createGen(ctx, server, id) {
  const g = new Gen(id);
  g.startS = Math.floor(nowMs() / 1000);
  const c = await server.cmq({ Action: 'CreateQueue', queueName: g.queue, visibilityTimeout: String(ctx.opts.visibilityS),
    rewindSeconds: '86400', pollingWaitSeconds: '0' });
  if (c.code !== 0) throw new Error(`CreateQueue ${g.queue} answered ${JSON.stringify(c)}`);
  const t = await server.dms('POST', `${PLAIN}/topics`, { name: g.topic, queue_num: 4 });
  if (t.status !== 200) throw new Error(`create topic ${g.topic} answered ${t.status} ${JSON.stringify(t.json)}`);
  return g;
}

async function deleteGen(ctx, server, g) {
  const c = await server.cmq({ Action: 'DeleteQueue', queueName: g.queue });
  if (c.code !== 0) throw new Error(`DeleteQueue ${g.queue} answered ${JSON.stringify(c)}`);
  const t = await server.dms('DELETE', `${PLAIN}/topics/${g.topic}`);
  if (t.status !== 204) throw new Error(`delete topic ${g.topic} answered ${t.status} ${JSON.stringify(t.json)}`);
}

async function checkDeleted(ctx, server, g) {
  const c = await server.cmq({ Action: 'GetQueueAttributes', queueName: g.queue });
  ctx.report.check(c.code === 4440, () => `CMQ queue ${g.queue} was deleted (acknowledged) but after the restart ` +
    `GetQueueAttributes answered ${short(c, 200)}`);
  const t = await server.dms('GET', `${PLAIN}/topics/${g.topic}`);
  ctx.report.check(t.status === 400 && t.json?.error_code === 'DMS.00400876',
    () => `DMS topic ${g.topic} was deleted (acknowledged) but after the restart it answers ${t.status} ${short(t.json, 200)}`);
}

async function verify(ctx, server, live, deleted, cycle) {
  const rng = new Rng(ctx.opts.seed, 'verify', cycle);
  for (const g of deleted) await checkDeleted(ctx, server, g);
  for (const g of live) await dmsCheckTopic(ctx, server, g, rng, cycle);
  for (const g of live) await rmqCheckOffsets(ctx, server, g);
  // The generation loaded last goes last: its in-flight deliveries need the
  // visibility timeout to pass, which the other checks overlap.
  for (const g of live) await cmqCheckQueue(ctx, server, g, rng, cycle);
  for (const g of live) g.checkedRestarts++;
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  const seedRng = new Rng(opts.seed, 'config');
  if (opts.segmentBytes === '') opts.segmentBytes = seedRng.pick(['16K', '64K', '1M']);
  if (opts.indexIntervalBytes === '') opts.indexIntervalBytes = seedRng.pick(['128', '1K', '8K']);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rewindmq-crash-'));
  const dataDir = path.join(scratch, 'data');
  const report = new Report();
  const ctx = { opts, report };
  console.log(`crash harness: seed ${opts.seed}, ${opts.cycles} cycles, durability ${opts.durability}, ` +
    `concurrency ${opts.concurrency}, load ${opts.minLoadMs}-${opts.maxLoadMs} ms, segment ${opts.segmentBytes}, ` +
    `index interval ${opts.indexIntervalBytes}, scratch ${scratch}`);
  const started = nowMs();
  let live = [];
  let deleted = [];
  let server = null;
  let cycle = 0;
  let totalAcked = 0;
  const modeCounts = {};
  try {
    for (; cycle < opts.cycles; cycle++) {
      if (opts.timeLimitS > 0 && cycle > 0 && nowMs() - started > opts.timeLimitS * 1000) {
        console.log(`time limit of ${opts.timeLimitS}s reached after ${cycle} cycles`);
        break;
      }
      const crng = new Rng(opts.seed, 'cycle', cycle);
      const mode = opts.durability === 'mixed' ? crng.pick(['always', 'interval', 'never']) : opts.durability;
      modeCounts[mode] = (modeCounts[mode] || 0) + 1;
      const t0 = nowMs();
      server = new Server(opts, dataDir, scratch, mode, cycle);
      await server.start();
      const startMs = nowMs() - t0;
      const checksBefore = report.checks;
      if (cycle === 0) {
        const r = await server.dms('POST', `${PLAIN}/groups`, { name: GROUP });
        if (r.status !== 200) throw new Error(`create group ${GROUP} answered ${r.status} ${JSON.stringify(r.json)}`);
      }
      const v0 = nowMs();
      await verify(ctx, server, live, deleted, cycle);
      const verifyMs = nowMs() - v0;
      if (report.failures.length > 0) break;
      deleted = [];
      // Retire the oldest generation, start a new one.
      const keep = [];
      for (const g of live) {
        if (g.checkedRestarts >= opts.keepGens) {
          await deleteGen(ctx, server, g);
          deleted.push(g);
        } else {
          keep.push(g);
        }
      }
      live = keep;
      const g = await createGen(ctx, server, cycle);
      live.push(g);
      // Load, then SIGKILL at a random instant.
      const load = new Load(ctx, g, server, cycle);
      const loadMs = crng.int(opts.minLoadMs, opts.maxLoadMs);
      const workers = [];
      for (let w = 0; w < opts.concurrency; w++) workers.push(load.worker(w));
      await sleep(loadMs);
      if (!server.alive()) report.fail(`cycle ${cycle}: rewindmq died during load: ${JSON.stringify(server.exit)}\n${server.stderrTail}`);
      load.killing = true;
      await server.kill();
      g.killAt = nowMs();
      await Promise.all(workers);
      totalAcked += load.acked;
      const c = load.counts;
      console.log(`cycle ${cycle}: ${mode.padEnd(8)} start ${startMs} ms, verify ${verifyMs} ms, checks ${report.checks - checksBefore}, ` +
        `load ${loadMs} ms: acked ${load.acked} (dms ${c.dmsSend} sent, cmq ${c.cmqSend} sent, ${c.cmqRecv} receives, ` +
        `${c.cmqDel} deletes, ${c.dmsReset} dms resets, ${c.cmqRewind} cmq rewinds, ${c.dmsQuery} queries, ` +
        `remoting ${c.rmqSend} sent, ${c.rmqPull} pulls), ` +
        `rewinds checked ${report.rewindsChecked.dmsLoad + report.rewindsChecked.dmsRestart + report.rewindsChecked.cmq}, ` +
        `failures ${report.failures.length}`);
      if (report.failures.length > 0) break;
    }
    // A last restart checks what the last kill left, then a graceful stop.
    if (report.failures.length === 0) {
      server = new Server(opts, dataDir, scratch, opts.durability === 'mixed' ? 'interval' : opts.durability, 'final');
      await server.start();
      await verify(ctx, server, live, deleted, cycle);
      const e = await server.stop();
      report.check(e.code === 0, () => `rewindmq did not stop cleanly on SIGTERM: ${JSON.stringify(e)}\n${server.stderrTail}`);
      console.log(`final check: ${live.length} generations checked after the last kill; stopped with ${JSON.stringify(e)}`);
    }
  } catch (e) {
    report.fail(`cycle ${cycle}: ${e.stack || e}${server ? `\nserver exit ${JSON.stringify(server.exit)}\n${server.stderrTail}` : ''}`);
  } finally {
    if (server && server.alive()) await server.kill();
  }
  const rw = report.rewindsChecked;
  const wall = ((nowMs() - started) / 1000).toFixed(1);
  console.log(`summary: seed ${opts.seed}, cycles ${cycle}, durability ${JSON.stringify(modeCounts)}, ` +
    `acked messages ${totalAcked}, checks ${report.checks}, rewinds checked ${rw.dmsLoad + rw.dmsRestart + rw.cmq} ` +
    `(dms during load ${rw.dmsLoad}, dms after restart ${rw.dmsRestart}, cmq ${rw.cmq}), ` +
    `failures ${report.failures.length}, wall ${wall} s`);
  if (report.failures.length > 0) {
    console.log(`FAILED; data and server logs kept in ${scratch}`);
    process.exitCode = 1;
  } else {
    if (!opts.keepData) fs.rmSync(scratch, { recursive: true, force: true });
    else console.log(`data and server logs kept in ${scratch}`);
    process.exitCode = 0;
  }
}

await main();

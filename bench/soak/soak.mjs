#!/usr/bin/env node
// Soak benchmark: one rewindmq server, a fixed-rate mixed workload over its
// CMQ and DMS HTTP facades for a bounded time, a sample of the server's
// memory, open files and latency every few seconds, and a verdict on
// whether memory and tail latency stay flat. See README.md. Normally started
// by run.sh:
//
//   node soak.mjs --binary PATH [--minutes 30] [--rate 400] [--out DIR]
//                 [--in-flight 64] [--sample-seconds 10] [--check]
//
// Built-in modules only, so nothing needs installing but Node.js itself.

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// ------------------------------------------------------------ settings

const START_TIMEOUT_MS = 30000;
const STOP_TIMEOUT_MS = 30000;
const REQUEST_TIMEOUT_MS = 10000;
const FREE_SOCKET_TIMEOUT_MS = 20000;
const DRAIN_TIMEOUT_MS = 15000;
const TICK_MS = 5;
const ERRORS_PRINTED = 5;
const ERRORS_KEPT = 50;

// Flatness rule (README.md, "Flatness verdict"): the mean of the last third
// of the samples (the first, warm-up, sample left out) against the mean of
// the first third. Flat: last <= RATIO * first + slack.
const FLAT_RATIO = 1.10;
const RSS_SLACK_BYTES = 4 * 1024 * 1024;
const P99_SLACK_MS = 1;

// DMS: the server's default instance, any project id.
const PROJECT = 'local';
const INSTANCE = '00000000-0000-4000-8000-000000000001';
const ADMIN = `/v2/${PROJECT}/instances/${INSTANCE}`;
const ENGINE = `/v2/reliability/${PROJECT}/instances/${INSTANCE}`;
const DMS_TOPIC = 'soak';
const DMS_GROUP = 'soak';
const DMS_QUEUES = 4;

// CMQ: one queue with rewind on. Deleted messages are kept for the rewind
// window and dropped after it, so the queue's in-memory state stays bounded.
const CMQ_PATH = '/v2/index.php';
const CMQ_QUEUE = 'soak';
const CMQ_REWIND_WINDOW_S = 60;

// Rewinds and resets go this far back: recent messages, always inside the
// rewind window.
const REWIND_BACK_S = 5;
const BODY_BYTES = 100;

// The schedule repeats this cycle of 20 slots, one operation per slot. A
// CMQ receive that gets a message deletes it right after (one more
// request, in the same slot). Receives outnumber sends so the queue drains
// between rewinds, which re-deliver the last REWIND_BACK_S seconds.
const CYCLE = [
  'cmq_send', 'dms_send', 'cmq_receive', 'dms_offset', 'cmq_receive',
  'cmq_send', 'dms_send', 'cmq_receive', 'dms_reset', 'cmq_rewind',
  'cmq_send', 'dms_send', 'cmq_receive', 'dms_offset', 'cmq_receive',
  'cmq_send', 'dms_send', 'cmq_receive', 'dms_reset', 'dms_send',
];
// Per request kind (cmq_delete is the follow-up of a receive).
const KINDS = ['cmq_send', 'cmq_receive', 'cmq_delete', 'cmq_rewind', 'dms_send', 'dms_reset', 'dms_offset'];
const REQUESTS = {
  cmq_send: 'CMQ SendMessage',
  cmq_receive: 'CMQ ReceiveMessage, pollingWaitSeconds=0 (an empty answer, 7000/10200, is counted apart, not as an error)',
  cmq_delete: 'CMQ DeleteMessage of the handle the receive just got',
  cmq_rewind: `CMQ RewindQueue, startConsumeTime = now - ${REWIND_BACK_S} s`,
  dms_send: 'DMS POST .../messages',
  dms_reset: `DMS POST .../groups/{group}/reset-message-offset, timestamp = now - ${REWIND_BACK_S * 1000} ms`,
  dms_offset: 'DMS GET .../groups/{group}/topics?topic= (consumer offsets)',
};

// ------------------------------------------------------------ arguments

function usage(msg) {
  if (msg) process.stderr.write(`${msg}\n`);
  process.stderr.write('usage: node soak.mjs --binary PATH [--minutes M] [--rate OPS_PER_S] [--out DIR] ' +
    '[--in-flight N] [--sample-seconds S] [--check]\n');
  process.exit(2);
}

function positive(text, flag, integer = false) {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    usage(`${flag}: not a positive ${integer ? 'integer' : 'number'}: ${text}`);
  }
  return n;
}

function parseArgs(argv) {
  const opts = {
    binary: null,
    minutes: 30,
    rate: 400,
    out: path.join(HERE, 'results'),
    inFlight: 64,
    sampleSeconds: 10,
    check: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--binary': opts.binary = path.resolve(value()); break;
      case '--minutes': opts.minutes = positive(value(), flag); break;
      case '--rate': opts.rate = positive(value(), flag); break;
      case '--out': opts.out = path.resolve(value()); break;
      case '--in-flight': opts.inFlight = positive(value(), flag, true); break;
      case '--sample-seconds': opts.sampleSeconds = positive(value(), flag); break;
      case '--check': opts.check = true; break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown option ${flag}`);
    }
  }
  if (!opts.binary) usage('--binary is required');
  return opts;
}

// ------------------------------------------------------------ helpers

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function round(x, digits) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// Nearest-rank percentile of an unsorted array (sorted in place).
function percentile(values, p) {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * values.length);
  return values[Math.min(values.length, Math.max(1, rank)) - 1];
}

// Latencies of a whole run in logarithmic buckets 1% wide, so memory does
// not grow with the length of the run; percentiles are within 1%.
class Histogram {
  constructor() {
    this.buckets = new Map();
    this.count = 0;
    this.max = 0;
  }

  add(msValue) {
    const b = Math.floor(Math.log(Math.max(msValue, 1e-3) * 1000) / Math.log(1.01));
    this.buckets.set(b, (this.buckets.get(b) || 0) + 1);
    this.count++;
    if (msValue > this.max) this.max = msValue;
  }

  merge(other) {
    for (const [b, n] of other.buckets) this.buckets.set(b, (this.buckets.get(b) || 0) + n);
    this.count += other.count;
    this.max = Math.max(this.max, other.max);
  }

  // Nearest rank; the bucket's upper bound, capped at the largest value.
  percentile(p) {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b);
      if (seen >= rank) return Math.min(this.max, (1.01 ** (b + 1)) / 1000);
    }
    return this.max;
  }
}

function mean(xs) {
  const v = xs.filter((x) => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

const mib = (bytes) => (bytes === null ? 'n/a' : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
const ms = (x) => (x === null ? 'n/a' : `${x.toFixed(2)} ms`);

function body(n) {
  const head = `soak-${n}-`;
  return head + 'x'.repeat(Math.max(0, BODY_BYTES - head.length));
}

// ------------------------------------------------------------ machine

function sourceRevision() {
  const git = (args) => execFileSync('git', args, { cwd: HERE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git(['rev-parse', '--short', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) ? `${head}+changes` : head;
  } catch (e) {
    return 'unknown';
  }
}

// The server's durability setting and flush interval: what --help gives as
// defaults unless the environment (which the server inherits) sets them.
function rewindmqSettings(binary) {
  const r = spawnSync(binary, ['--help'], { encoding: 'utf8' });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n');
  const pick = (flag) => {
    const at = lines.findIndex((l) => l.trim().startsWith(`${flag} `));
    const m = at >= 0 && /default: (\S+)/.exec(lines[at + 1] || '');
    return m ? m[1] : 'unknown';
  };
  return {
    durability: process.env.REWINDMQ_DURABILITY || pick('--durability'),
    flush_interval_ms: process.env.REWINDMQ_FLUSH_INTERVAL_MS || pick('--flush-interval-ms'),
  };
}

function machineInfo(binary) {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = (/^model name\s*:\s*(.*)$/m.exec(cpuinfo) || [])[1] || 'unknown';
  return {
    cpu_model: model.trim(),
    cores: os.cpus().length,
    ram_bytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()}`,
    load_average_at_start: os.loadavg().map((x) => round(x, 2)),
    versions: {
      rewindmq: `${sourceRevision()} (${binary})`,
      node: process.version,
    },
  };
}

// ------------------------------------------------------------ server

class Server {
  constructor(binary, dir) {
    this.dir = dir;
    this.dataDir = path.join(dir, 'data');
    this.logPath = path.join(dir, 'server.log');
    this.args = ['--data-dir', this.dataDir, '--listen', '127.0.0.1:0', '--remoting-listen', '127.0.0.1:0',
      '--log-level', 'warning'];
    this.output = '';
    this.exited = null;
    this.onExit = null;
    const log = fs.openSync(this.logPath, 'a');
    this.child = spawn(binary, this.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: Ctrl-C in the terminal reaches this script only,
      // which then stops the server by PID.
      detached: true,
    });
    this.pid = this.child.pid;
    if (process.env.SOAK_PIDFILE && this.pid) {
      fs.appendFileSync(process.env.SOAK_PIDFILE, `${this.pid} ${path.basename(binary)}\n`);
    }
    const keep = (chunk) => {
      fs.writeSync(log, chunk);
      this.output += chunk;
      if (this.output.length > 32768) this.output = this.output.slice(-16384);
    };
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', keep);
    this.child.stderr.on('data', keep);
    this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      fs.closeSync(log);
      if (this.onExit) this.onExit(this.exited);
    });
    this.child.on('error', (e) => {
      this.exited = { code: null, signal: null, error: e.message };
      if (this.onExit) this.onExit(this.exited);
    });
  }

  async started() {
    const re = /^rewindmq listening on 127\.0\.0\.1:(\d+), data in (.*)$/m;
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const m = re.exec(this.output);
      if (m) {
        this.port = Number(m[1]);
        return;
      }
      if (this.exited) throw new Error(`rewindmq exited before serving: ${JSON.stringify(this.exited)}\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`rewindmq printed no "listening" line within ${START_TIMEOUT_MS} ms\n${this.output}`);
      await sleep(20);
    }
  }

  // SIGTERM (graceful shutdown), then SIGKILL after a timeout.
  async stop() {
    if (this.exited) return this.exited;
    const done = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch (e) {
      // already gone
    }
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS); });
    let result = await Promise.race([done, timeout]);
    clearTimeout(timer);
    if (result === null) {
      process.stderr.write(`rewindmq (pid ${this.pid}) still running ${STOP_TIMEOUT_MS} ms after SIGTERM: SIGKILL\n`);
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch (e) {
        // already gone
      }
      result = await done;
      result.killed = true;
    }
    return result;
  }

  // VmRSS and its anonymous / file-backed parts, threads, open files.
  resources() {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = (name) => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : null;
    };
    const threads = /^Threads:\s+(\d+)$/m.exec(status);
    return {
      rss_bytes: kb('VmRSS'),
      rss_anon_bytes: kb('RssAnon'),
      rss_file_bytes: kb('RssFile'),
      threads: threads ? Number(threads[1]) : null,
      open_fds: fs.readdirSync(`/proc/${this.pid}/fd`).length,
    };
  }

  // User + system CPU seconds so far (clock ticks of 10 ms).
  cpuSeconds() {
    const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }
}

function diskBytes(dir) {
  let total = 0;
  const walk = (d) => {
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch (e) {
      return;  // removed while walking
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      try {
        if (e.isDirectory()) walk(p);
        else total += fs.lstatSync(p).blocks * 512;
      } catch (err) {
        // removed while walking
      }
    }
  };
  walk(dir);
  return total;
}

// ------------------------------------------------------------ clients

class OpError extends Error {}

class Client {
  constructor(port, inFlight) {
    this.port = port;
    // Idle sockets are closed by this side after FREE_SOCKET_TIMEOUT_MS, well
    // before the server's 60 s idle timeout, so a request is never written
    // into a connection the server is closing at that moment.
    this.agent = new http.Agent({
      keepAlive: true, maxSockets: inFlight, maxFreeSockets: inFlight, timeout: FREE_SOCKET_TIMEOUT_MS,
    });
  }

  request(method, urlPath, contentType, payload) {
    const data = payload === undefined ? null : Buffer.from(payload);
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: this.port,
        method,
        path: urlPath,
        agent: this.agent,
        headers: data ? { 'Content-Type': contentType, 'Content-Length': data.length } : {},
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new OpError(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (e) => reject(e instanceof OpError ? e : new OpError(`${e.code || ''} ${e.message}`.trim())));
      req.end(data);
    });
  }

  // CMQ API 2.0: form-encoded POST, HTTP 200 and a JSON `code`. Resolves
  // with the answer when its code is 0 or one of `accept`.
  async cmq(params, accept = []) {
    const form = new URLSearchParams(params).toString();
    const r = await this.request('POST', CMQ_PATH, 'application/x-www-form-urlencoded', form);
    const what = `CMQ ${params.Action}`;
    if (r.status !== 200) throw new OpError(`${what}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    let j;
    try {
      j = JSON.parse(r.text);
    } catch (e) {
      throw new OpError(`${what}: not JSON: ${r.text.slice(0, 200)}`);
    }
    if (j.code !== 0 && !accept.includes(j.code)) throw new OpError(`${what}: code ${j.code} ${j.message}`);
    return j;
  }

  // DMS REST: JSON, any 2xx is success.
  async dms(method, urlPath, payload) {
    const r = await this.request(method, urlPath, 'application/json',
      payload === undefined ? undefined : JSON.stringify(payload));
    const what = `DMS ${method} ${urlPath}`;
    if (r.status < 200 || r.status >= 300) throw new OpError(`${what}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    try {
      return r.text ? JSON.parse(r.text) : null;
    } catch (e) {
      throw new OpError(`${what}: not JSON: ${r.text.slice(0, 200)}`);
    }
  }

  close() {
    this.agent.destroy();
  }
}

async function setup(client) {
  await client.cmq({ Action: 'CreateQueue', queueName: CMQ_QUEUE, rewindSeconds: String(CMQ_REWIND_WINDOW_S) });
  await client.dms('POST', `${ADMIN}/topics`, { name: DMS_TOPIC, queue_num: DMS_QUEUES });
  await client.dms('POST', `${ADMIN}/groups`, { name: DMS_GROUP });
}

// Queue state at a sample, outside the timed workload: what the CMQ queue
// holds (a backlog that grew without bound would explain growing memory)
// and the DMS topic's size.
async function probe(client) {
  try {
    const q = await client.cmq({ Action: 'GetQueueAttributes', queueName: CMQ_QUEUE });
    const g = await client.dms('GET', `${ADMIN}/groups/${DMS_GROUP}/topics?topic=${DMS_TOPIC}`);
    return {
      cmq_active_msgs: q.activeMsgNum,
      cmq_inactive_msgs: q.inactiveMsgNum,
      cmq_rewind_msgs: q.rewindMsgNum,
      dms_max_offset: g.max_offset,
      dms_consumer_offset: g.consumer_offset,
    };
  } catch (e) {
    return { probe_error: e.message };
  }
}

// ------------------------------------------------------------ statistics

// Latencies and counts per request kind over one sampling window; `total`
// accumulates every window (and the drain after the last one).
class Window {
  constructor() {
    this.kinds = Object.fromEntries(KINDS.map((k) => [k, { lat: [], errors: 0 }]));
    this.shed = 0;
    this.emptyReceives = 0;
    this.maxInFlight = 0;
  }
}

class Stats {
  constructor() {
    this.window = new Window();
    this.total = Object.fromEntries(KINDS.map((k) => [k, { lat: new Histogram(), errors: 0 }]));
    this.shed = 0;
    this.emptyReceives = 0;
    this.errorsSeen = [];
    this.errorCount = 0;
    this.t0 = 0;
  }

  ok(kind, latencyMs) {
    this.window.kinds[kind].lat.push(latencyMs);
    this.total[kind].lat.add(latencyMs);
  }

  error(kind, e) {
    this.window.kinds[kind].errors++;
    this.total[kind].errors++;
    this.errorCount++;
    const at = round((nowMs() - this.t0) / 1000, 1);
    if (this.errorsSeen.length < ERRORS_KEPT) this.errorsSeen.push({ t_s: at, kind, error: e.message });
    if (this.errorCount <= ERRORS_PRINTED) {
      process.stderr.write(`error at ${at} s: ${kind}: ${e.message}\n`);
      if (this.errorCount === ERRORS_PRINTED) process.stderr.write('(further errors are counted, not printed)\n');
    }
  }

  // Ends the window: its figures, and a fresh window.
  cut() {
    const w = this.window;
    this.window = new Window();
    const all = [];
    let errors = 0;
    const perKind = {};
    for (const k of KINDS) {
      const { lat, errors: e } = w.kinds[k];
      errors += e;
      for (const x of lat) all.push(x);
      perKind[k] = {
        ops: lat.length, errors: e, p50_ms: round(percentile(lat, 50), 3), p99_ms: round(percentile(lat, 99), 3),
      };
    }
    return {
      ops: all.length,
      errors,
      shed: w.shed,
      cmq_empty_receives: w.emptyReceives,
      max_in_flight: w.maxInFlight,
      p50_ms: round(percentile(all, 50), 3),
      p99_ms: round(percentile(all, 99), 3),
      max_ms: round(percentile(all, 100), 3),
      per_kind: perKind,
    };
  }

  totals(seconds) {
    const perKind = {};
    let ops = 0;
    let errors = 0;
    const all = new Histogram();
    for (const k of KINDS) {
      const { lat, errors: e } = this.total[k];
      ops += lat.count;
      errors += e;
      all.merge(lat);
      perKind[k] = {
        ops: lat.count,
        errors: e,
        p50_ms: round(lat.percentile(50), 3),
        p99_ms: round(lat.percentile(99), 3),
        max_ms: round(lat.count ? lat.max : null, 3),
      };
    }
    return {
      ops,
      errors,
      shed: this.shed,
      cmq_empty_receives: this.emptyReceives,
      requests_per_s: round(ops / seconds, 1),
      p50_ms: round(all.percentile(50), 3),
      p99_ms: round(all.percentile(99), 3),
      max_ms: round(all.count ? all.max : null, 3),
      percentiles_note: 'whole-run percentiles from 1%-wide logarithmic buckets',
      per_kind: perKind,
    };
  }
}

// ------------------------------------------------------------ workload

class Workload {
  constructor(client, stats, opts) {
    this.client = client;
    this.stats = stats;
    this.opts = opts;
    this.inFlight = 0;
    this.sent = 0;
    this.idle = null;  // resolve() when inFlight drops to 0
  }

  // Runs one timed request; true on success.
  async timed(kind, fn) {
    const t0 = nowMs();
    try {
      const r = await fn();
      this.stats.ok(kind, nowMs() - t0);
      return r === undefined ? true : r;
    } catch (e) {
      this.stats.error(kind, e);
      return null;
    }
  }

  async op(kind) {
    const c = this.client;
    switch (kind) {
      case 'cmq_send':
        await this.timed(kind, async () => {
          const r = await c.cmq({ Action: 'SendMessage', queueName: CMQ_QUEUE, msgBody: body(this.sent++), delaySeconds: '0' });
          if (typeof r.msgId !== 'string' || !r.msgId) throw new OpError(`CMQ SendMessage: no msgId in ${JSON.stringify(r)}`);
        });
        break;
      case 'cmq_receive': {
        const got = await this.timed(kind, async () => {
          const r = await c.cmq({ Action: 'ReceiveMessage', queueName: CMQ_QUEUE, pollingWaitSeconds: '0' }, [7000]);
          if (r.code === 7000) {
            this.stats.window.emptyReceives++;
            this.stats.emptyReceives++;
            return false;
          }
          if (typeof r.receiptHandle !== 'string' || !r.receiptHandle) {
            throw new OpError(`CMQ ReceiveMessage: no receiptHandle in ${JSON.stringify(r).slice(0, 200)}`);
          }
          return r.receiptHandle;
        });
        if (typeof got === 'string') {
          await this.timed('cmq_delete', () => c.cmq({ Action: 'DeleteMessage', queueName: CMQ_QUEUE, receiptHandle: got })
            .then(() => undefined));
        }
        break;
      }
      case 'cmq_rewind':
        await this.timed(kind, () => c.cmq({
          Action: 'RewindQueue', queueName: CMQ_QUEUE, startConsumeTime: String(Math.floor(Date.now() / 1000) - REWIND_BACK_S),
        }).then(() => undefined));
        break;
      case 'dms_send':
        await this.timed(kind, async () => {
          const r = await c.dms('POST', `${ENGINE}/messages`, { topic: DMS_TOPIC, body: body(this.sent++) });
          if (!r || !/^[0-9A-F]{32}$/i.test(r.msg_id)) throw new OpError(`DMS send: answer ${JSON.stringify(r)}`);
        });
        break;
      case 'dms_reset':
        await this.timed(kind, async () => {
          const r = await c.dms('POST', `${ENGINE}/groups/${DMS_GROUP}/reset-message-offset`,
            { topic: DMS_TOPIC, timestamp: Date.now() - REWIND_BACK_S * 1000 });
          if (!r || !Array.isArray(r.queues) || r.queues.length !== DMS_QUEUES) {
            throw new OpError(`DMS reset-message-offset: answer ${JSON.stringify(r).slice(0, 200)}`);
          }
        });
        break;
      case 'dms_offset':
        await this.timed(kind, async () => {
          const r = await c.dms('GET', `${ADMIN}/groups/${DMS_GROUP}/topics?topic=${DMS_TOPIC}`);
          if (!r || typeof r.consumer_offset !== 'number' || !Array.isArray(r.brokers)) {
            throw new OpError(`DMS consumer offsets: answer ${JSON.stringify(r).slice(0, 200)}`);
          }
        });
        break;
      default:
        throw new Error(`unknown kind ${kind}`);
    }
  }

  launch(kind) {
    this.inFlight++;
    const w = this.stats.window;
    if (this.inFlight > w.maxInFlight) w.maxInFlight = this.inFlight;
    this.op(kind).finally(() => {
      this.inFlight--;
      if (this.inFlight === 0 && this.idle) this.idle();
    });
  }

  // Open loop: slot i is due at i / rate seconds after the start, whatever
  // the answers; a due slot finds `in-flight` requests outstanding, it is
  // shed (counted, not sent) so a slow server cannot make the client pile
  // up requests. Resolves when `shouldStop()` is true.
  async run(t0, shouldStop) {
    let issued = 0;
    while (!shouldStop()) {
      const due = Math.floor(((nowMs() - t0) / 1000) * this.opts.rate);
      while (issued < due && !shouldStop()) {
        if (this.inFlight >= this.opts.inFlight) {
          this.stats.window.shed++;
          this.stats.shed++;
        } else {
          this.launch(CYCLE[issued % CYCLE.length]);
        }
        issued++;
      }
      await sleep(TICK_MS);
    }
    return issued;
  }

  async drain(timeoutMs) {
    if (this.inFlight === 0) return true;
    let timer;
    const idle = new Promise((resolve) => { this.idle = () => resolve(true); });
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    const r = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return r;
  }
}

// ------------------------------------------------------------ verdict

function verdict(samples) {
  const used = samples.slice(1);  // the first sample is warm-up
  const third = Math.floor(used.length / 3);
  const rule = `flat when mean(last third) <= ${FLAT_RATIO} x mean(first third) + slack ` +
    `for RssAnon and p99 (RSS slack ${RSS_SLACK_BYTES / 2 ** 20} MiB, p99 slack ${P99_SLACK_MS} ms); the first sample is left out`;
  if (third < 1) {
    return { flat: false, enough_samples: false, rule, samples_used: used.length, why: 'fewer than 3 samples after the warm-up one' };
  }
  const judge = (get, slack) => {
    const first = mean(used.slice(0, third).map(get));
    const last = mean(used.slice(used.length - third).map(get));
    const limit = first === null ? null : FLAT_RATIO * first + slack;
    return { first_third_mean: first, last_third_mean: last, limit, flat: first !== null && last !== null && last <= limit };
  };
  // The verdict's memory figure is the anonymous part of the RSS: the
  // server's own memory, where a leak shows. VmRSS also counts the pages
  // of the memory-mapped segment files that the server has read, page
  // cache that grows with the data written and that the kernel takes back
  // under pressure; it is judged the same way for information only.
  const rss = judge((s) => s.rss_anon_bytes, RSS_SLACK_BYTES);
  const vmRss = judge((s) => s.rss_bytes, RSS_SLACK_BYTES);
  const p99 = judge((s) => s.p99_ms, P99_SLACK_MS);
  for (const j of [rss, vmRss, p99]) {
    for (const k of ['first_third_mean', 'last_third_mean', 'limit']) j[k] = round(j[k], 3);
  }
  return {
    flat: rss.flat && p99.flat,
    enough_samples: true,
    rule,
    samples_used: used.length,
    samples_per_third: third,
    rss: { measure: 'RssAnon', ...rss },
    p99,
    vm_rss_for_information: { measure: 'VmRSS', ...vmRss },
  };
}

// ------------------------------------------------------------ chart

function gnuplotQuote(s) {
  return s.replace(/['\\]/g, '');
}

// chart.png from chart.dat: RSS (top) and p50/p99 (bottom) against time.
// Returns the path, or null when gnuplot is missing or fails.
function chart(result, outDir) {
  const dat = path.join(outDir, 'chart.dat');
  const png = path.join(outDir, 'chart.png');
  const rows = ['# t_s vm_rss_mib rss_anon_mib p50_ms p99_ms rss_file_mib'];
  for (const s of result.samples) {
    const v = (x, f) => (x === null ? 'NaN' : f(x));
    rows.push([s.t_s, v(s.rss_bytes, (x) => (x / 2 ** 20).toFixed(3)), v(s.rss_anon_bytes, (x) => (x / 2 ** 20).toFixed(3)),
      v(s.p50_ms, String), v(s.p99_ms, String), v(s.rss_file_bytes, (x) => (x / 2 ** 20).toFixed(3))].join(' '));
  }
  fs.writeFileSync(dat, `${rows.join('\n')}\n`);
  try {
    fs.rmSync(png, { force: true });
  } catch (e) {
    // not there
  }
  const m = result.machine;
  const st = result.settings;
  const title = gnuplotQuote(`rewindmq soak: ${st.rate} ops/s for ${st.minutes} min, CMQ + DMS mix ` +
    `(${m.cpu_model}, ${m.cores} cores)`);
  const script = (terminal) => [
    `set terminal ${terminal} size 1000,700`,
    `set output '${png}'`,
    'set multiplot layout 2,1 title \'' + title + '\'',
    'set grid',
    'set key inside left top opaque',
    'set xrange [0:*]',
    "set xlabel 'time since start, s'",
    "set ylabel 'server RSS, MiB'",
    'set yrange [0:*]',
    `plot '${dat}' using 1:3 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'RssAnon (judged)', ` +
      `'${dat}' using 1:2 with linespoints lw 1 pt 6 dt 2 lc rgb '#9467bd' title 'VmRSS', ` +
      `'${dat}' using 1:6 with lines lw 1 dt 3 lc rgb '#7f7f7f' title 'RssFile (mapped files)'`,
    `set ylabel 'latency per ${st.sample_seconds} s window, ms'`,
    'set yrange [0:*]',
    `plot '${dat}' using 1:4 with linespoints lw 2 pt 7 lc rgb '#2ca02c' title 'p50', ` +
      `'${dat}' using 1:5 with linespoints lw 2 pt 5 lc rgb '#d62728' title 'p99'`,
    'unset multiplot',
    '',
  ].join('\n');
  for (const terminal of ['pngcairo', 'png']) {
    const r = spawnSync('gnuplot', [], { input: script(terminal), encoding: 'utf8' });
    if (r.error) return null;  // no gnuplot
    if (r.status === 0 && fs.existsSync(png) && fs.statSync(png).size > 0) return png;
  }
  return null;
}

// ------------------------------------------------------------ main

function summary(result) {
  const t = result.totals;
  const v = result.verdict;
  const lines = [];
  lines.push(`soak: ${result.settings.minutes} min at ${result.settings.rate} ops/s scheduled ` +
    `(${result.settings.in_flight} in flight at most), ${result.samples.length} samples`);
  const shedAfter = t.shed - (result.samples.length ? result.samples[0].shed : 0);
  lines.push(`requests answered ok: ${t.ops} (${t.requests_per_s}/s), errors ${t.errors}, ` +
    `shed ${t.shed} (${shedAfter} after the warm-up window), ` +
    `empty CMQ receives ${t.cmq_empty_receives}; p50 ${ms(t.p50_ms)}, p99 ${ms(t.p99_ms)}, max ${ms(t.max_ms)}`);
  for (const k of KINDS) {
    const p = t.per_kind[k];
    lines.push(`  ${k.padEnd(11)} ${String(p.ops).padStart(8)} ok ${String(p.errors).padStart(5)} err  ` +
      `p50 ${ms(p.p50_ms).padStart(9)}  p99 ${ms(p.p99_ms).padStart(9)}  max ${ms(p.max_ms).padStart(9)}`);
  }
  const last = result.samples[result.samples.length - 1];
  if (last) lines.push(`server at the end: RSS ${mib(last.rss_bytes)} (anon ${mib(last.rss_anon_bytes)}), ${last.open_fds} open files, ${last.threads} threads, data ${mib(last.data_bytes)}`);
  if (v.enough_samples) {
    const r = v.rss;
    const p = v.p99;
    const i = v.vm_rss_for_information;
    lines.push(`RSS (anon)  first third ${mib(r.first_third_mean)}, last third ${mib(r.last_third_mean)}, ` +
      `limit ${mib(r.limit)}: ${r.flat ? 'flat' : 'GROWING'}`);
    lines.push(`p99         first third ${ms(p.first_third_mean)}, last third ${ms(p.last_third_mean)}, ` +
      `limit ${ms(p.limit)}: ${p.flat ? 'flat' : 'GROWING'}`);
    lines.push(`(VmRSS, not judged: first third ${mib(i.first_third_mean)}, last third ${mib(i.last_third_mean)}, ` +
      `includes ${mib(last.rss_file_bytes)} of mapped files at the end)`);
  } else {
    lines.push(`verdict: NOT JUDGED: ${v.why}; run longer`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`verdict: ${v.flat ? 'FLAT' : 'NOT FLAT'} (${v.rule})`);
  return `${lines.join('\n')}\n`;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(opts.out, { recursive: true });
  const durationMs = opts.minutes * 60000;
  const sampleMs = opts.sampleSeconds * 1000;
  const startedAt = new Date();
  const result = {
    benchmark: 'rewindmq soak: fixed-rate mixed CMQ and DMS workload',
    started_at: startedAt.toISOString(),
    machine: machineInfo(opts.binary),
    settings: {
      minutes: opts.minutes,
      rate: opts.rate,
      in_flight: opts.inFlight,
      sample_seconds: opts.sampleSeconds,
      request_timeout_ms: REQUEST_TIMEOUT_MS,
      cycle: CYCLE,
      requests: REQUESTS,
      body_bytes: BODY_BYTES,
      rewind_back_s: REWIND_BACK_S,
      cmq: { queue: CMQ_QUEUE, rewind_seconds: CMQ_REWIND_WINDOW_S, path: CMQ_PATH },
      dms: { project: PROJECT, instance: INSTANCE, topic: DMS_TOPIC, queue_num: DMS_QUEUES, group: DMS_GROUP },
      rewindmq: { ...rewindmqSettings(opts.binary), transport: 'HTTP/1.1 keep-alive, at most one connection per request in flight' },
      flatness: {
        ratio: FLAT_RATIO, rss_slack_bytes: RSS_SLACK_BYTES, p99_slack_ms: P99_SLACK_MS, warmup_samples_ignored: 1,
      },
    },
    samples: [],
  };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rewindmq-soak-'));
  if (process.env.SOAK_PIDFILE) fs.appendFileSync(process.env.SOAK_PIDFILE, `dir ${dir}\n`);
  let server = null;
  let client = null;
  let failure = null;   // why the run failed (kept data), or null
  let interrupted = null;
  let stopNow = false;
  const stats = new Stats();

  const onSignal = (sig) => {
    if (interrupted) return;
    interrupted = sig;
    stopNow = true;
    process.stderr.write(`\n${sig}: stopping\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    server = new Server(opts.binary, dir);
    server.onExit = (st) => {
      if (!stopNow) {
        failure = failure || `rewindmq exited during the run: ${JSON.stringify(st)}`;
        stopNow = true;
      }
    };
    await server.started();
    result.settings.rewindmq.args = server.args;
    process.stderr.write(`rewindmq pid ${server.pid} on 127.0.0.1:${server.port}, data in ${server.dataDir}\n`);
    client = new Client(server.port, opts.inFlight);
    await setup(client);

    const workload = new Workload(client, stats, opts);
    const t0 = nowMs();
    stats.t0 = t0;
    let cpuBefore = server.cpuSeconds();
    let lastCut = t0;
    const nSamples = Math.ceil(durationMs / sampleMs);
    let k = 0;
    let runStopped = false;

    const sampler = (async () => {
      while (k < nSamples && !stopNow) {
        const at = Math.min((k + 1) * sampleMs, durationMs);
        while (!stopNow && nowMs() - t0 < at) await sleep(Math.min(50, Math.max(1, at - (nowMs() - t0))));
        if (stopNow) break;
        k++;
        if (k === nSamples) runStopped = true;  // the schedule ends with the last window
        const now = nowMs();
        const w = stats.cut();
        let res;
        let cpu;
        try {
          res = server.resources();
          cpu = server.cpuSeconds();
        } catch (e) {
          failure = failure || `cannot read /proc/${server.pid}: ${e.message}`;
          stopNow = true;
          break;
        }
        const windowS = (now - lastCut) / 1000;
        lastCut = now;
        const s = {
          t_s: round((now - t0) / 1000, 1),
          window_s: round(windowS, 2),
          ...res,
          data_bytes: diskBytes(server.dataDir),
          ...(await probe(client)),
          server_cpu_s: round(cpu - cpuBefore, 2),
          ops_per_s: round(w.ops / windowS, 1),
          ...w,
        };
        cpuBefore = cpu;
        result.samples.push(s);
        process.stderr.write(`[${String(Math.round(s.t_s)).padStart(5)} s/${Math.round(durationMs / 1000)} s] ` +
          `rss ${mib(s.rss_bytes)} (anon ${mib(s.rss_anon_bytes)}), fds ${s.open_fds}, ` +
          `ops ${s.ops} (${s.ops_per_s}/s), err ${s.errors}, shed ${s.shed}, ` +
          `p50 ${ms(s.p50_ms)}, p99 ${ms(s.p99_ms)}, cpu ${s.server_cpu_s} s, ` +
          `cmq active/inflight/deleted ${s.cmq_active_msgs}/${s.cmq_inactive_msgs}/${s.cmq_rewind_msgs}\n`);
      }
    })();

    await workload.run(t0, () => runStopped || stopNow);
    const runEnd = nowMs();
    await sampler;
    const drained = await workload.drain(DRAIN_TIMEOUT_MS);
    if (!drained) failure = failure || `${workload.inFlight} requests still unanswered ${DRAIN_TIMEOUT_MS} ms after the end`;
    result.run_seconds = round((nowMs() - t0) / 1000, 1);
    result.totals = stats.totals(Math.max(0.001, (runEnd - t0) / 1000));
  } catch (e) {
    failure = failure || e.message;
  } finally {
    stopNow = true;
    if (client) client.close();
    if (server) {
      result.server_exit = await server.stop();
      if (!failure && !interrupted && (result.server_exit.code !== 0 || result.server_exit.killed)) {
        failure = `rewindmq did not shut down cleanly: ${JSON.stringify(result.server_exit)}`;
      }
    }
  }

  result.finished_at = new Date().toISOString();
  result.machine.load_average_at_end = os.loadavg().map((x) => round(x, 2));
  result.errors_seen = stats.errorsSeen;
  if (!result.totals) result.totals = stats.totals(1);
  result.verdict = verdict(result.samples);
  if (interrupted) result.interrupted = interrupted;
  if (failure) result.failure = failure;

  const checks = [];
  if (failure) checks.push(`run failed: ${failure}`);
  if (interrupted) checks.push(`interrupted by ${interrupted}`);
  if (result.totals.errors > 0) checks.push(`${result.totals.errors} operations failed`);
  // Shedding in the warm-up window (the first sample) is reported but not
  // judged, like that window's latency and memory.
  const warmupShed = result.samples.length ? result.samples[0].shed : 0;
  result.totals.shed_after_warmup = result.totals.shed - warmupShed;
  if (result.totals.shed_after_warmup > 0) {
    checks.push(`${result.totals.shed_after_warmup} scheduled operations shed after the warm-up window ` +
      `(${result.settings.in_flight} requests were outstanding: the server did not keep up with --rate)`);
  }
  if (!result.verdict.enough_samples) checks.push(`no verdict: ${result.verdict.why}`);
  else if (!result.verdict.flat) checks.push('not flat');
  result.check = { requested: opts.check, passed: checks.length === 0, problems: checks };

  const jsonPath = path.join(opts.out, 'results.json');
  fs.writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  if (fs.existsSync(path.join(dir, 'server.log'))) fs.copyFileSync(path.join(dir, 'server.log'), path.join(opts.out, 'server.log'));
  const png = result.samples.length ? chart(result, opts.out) : null;

  process.stdout.write(summary(result));
  process.stdout.write(`results: ${jsonPath}\n`);
  process.stdout.write(png ? `chart:   ${png}\n` : 'chart:   not drawn (gnuplot missing or failed)\n');

  if (failure || (result.totals.errors > 0)) {
    process.stderr.write(`${failure ? `FAILED: ${failure}\n` : ''}server data and log kept in ${dir} (log: ${path.join(dir, 'server.log')}); remove it when done\n`);
    if (server && server.output) process.stderr.write(`--- server output (tail)\n${server.output.slice(-4000)}\n`);
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  if (interrupted) process.exit(interrupted === 'SIGINT' ? 130 : 143);
  if (failure) process.exit(1);
  if (opts.check) {
    process.stdout.write(result.check.passed ? 'check: passed\n' : `check: FAILED: ${checks.join('; ')}\n`);
    process.exit(result.check.passed ? 0 : 1);
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});

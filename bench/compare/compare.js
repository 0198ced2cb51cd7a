#!/usr/bin/env node
'use strict';
// Side-by-side benchmark of time-based rewind in rewindmq, Redis Streams and
// NATS JetStream; see README.md. Normally started by run.sh, which installs
// the servers and the npm packages and builds rewindmq and rewindmq-import:
//
//   node compare.js --binary PATH [--sizes 1e5,1e6] [--out DIR]
//                   [--concurrency 16] [--rewinds 2000] [--produce 20000]
//                   [--verify 200] [--load-concurrency 64] [--seed 42]
//                   [--import-batch 100] [--import-binary PATH]
//                   [--redis-server PATH] [--nats-server PATH]
//
// rewindmq's queue is loaded by rewindmq-import into the data folder before
// its server starts; --import-binary (or $REWINDMQ_IMPORT_BINARY) names the
// tool, by default the one of the same build tree as --binary
// (build/release/broker/server/rewindmq -> build/release/tools/rewindmq-import).

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const {
  Progress, round, runPool, seededRandom, summarize,
} = require('./lib/measure');
const servers = require('./lib/servers');
const {
  Nats, Redis, Rewindmq, TOPIC,
} = require('./lib/systems');
const report = require('./lib/report');

const SYSTEMS = ['rewindmq', 'redis', 'nats'];
// Loaded one message per request; rewindmq is loaded by rewindmq-import.
const SENT_LOAD_SYSTEMS = ['redis', 'nats'];
const MAX_IMPORT_BATCH = 100000;
const LOAD_BODY_BYTES = 100;
const PRODUCE_BODY_BYTES = [100, 1024];
const SETTLE_MS = 1000;
// Longer than every server's periodic write-out: rewindmq's 200 ms
// interval sync, Redis's once-a-second AOF fsync.
const FLUSH_WAIT_MS = 2500;

// Untimed operations before each timed run (JIT, connections, caches).
function warmupCount(timed) {
  return Math.max(100, Math.ceil(timed / 10));
}

function usage(msg) {
  if (msg) process.stderr.write(`${msg}\n`);
  process.stderr.write('usage: node compare.js --binary PATH [--sizes 1e5,1e6] [--out DIR] ' +
    '[--concurrency N] [--rewinds N] [--produce N] [--verify N] [--load-concurrency N] ' +
    '[--seed N] [--import-batch N] [--import-binary PATH] [--redis-server PATH] [--nats-server PATH]\n');
  process.exit(2);
}

function parseCount(text, what) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) usage(`${what}: not a positive integer: ${text}`);
  return n;
}

function parseArgs(argv) {
  const opts = {
    sizes: [1e5, 1e6],
    out: path.join(__dirname, 'results'),
    binary: null,
    concurrency: 16,
    rewinds: 2000,
    produce: 20000,
    verify: 200,
    loadConcurrency: 64,
    seed: 42,
    importBatch: 100,
    importBinary: process.env.REWINDMQ_IMPORT_BINARY ? path.resolve(process.env.REWINDMQ_IMPORT_BINARY) : null,
    redisServer: 'redis-server',
    natsServer: 'nats-server',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--sizes': opts.sizes = value().split(',').map((s) => parseCount(s.trim(), '--sizes')); break;
      case '--out': opts.out = path.resolve(value()); break;
      case '--binary': opts.binary = path.resolve(value()); break;
      case '--concurrency': opts.concurrency = parseCount(value(), flag); break;
      case '--rewinds': opts.rewinds = parseCount(value(), flag); break;
      case '--produce': opts.produce = parseCount(value(), flag); break;
      case '--verify': opts.verify = parseCount(value(), flag); break;
      case '--load-concurrency': opts.loadConcurrency = parseCount(value(), flag); break;
      case '--seed': opts.seed = parseCount(value(), flag); break;
      case '--import-batch': opts.importBatch = parseCount(value(), flag); break;
      case '--import-binary': opts.importBinary = path.resolve(value()); break;
      case '--redis-server': opts.redisServer = value(); break;
      case '--nats-server': opts.natsServer = value(); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${flag}`);
    }
  }
  if (!opts.binary) usage('--binary is required');
  if (opts.importBatch > MAX_IMPORT_BATCH) usage(`--import-batch: at most ${MAX_IMPORT_BATCH}`);
  // The build tree's layout: <build>/broker/server/rewindmq and
  // <build>/tools/rewindmq-import.
  if (!opts.importBinary) {
    opts.importBinary = path.resolve(path.dirname(opts.binary), '..', '..', 'tools', 'rewindmq-import');
  }
  try {
    fs.accessSync(opts.importBinary, fs.constants.X_OK);
  } catch (e) {
    usage(`not an executable: ${opts.importBinary} (rewindmq-import loads rewindmq's queue; ` +
      'build the rewindmq-import target, or name it with --import-binary or $REWINDMQ_IMPORT_BINARY)');
  }
  opts.verify = Math.min(opts.verify, opts.rewinds);
  return opts;
}

function firstLine(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim();
  } catch (e) {
    return `unknown (${cmd} ${args.join(' ')} failed)`;
  }
}

// rewindmq's durability setting and flush interval: the defaults --help
// states (the benchmark passes neither flag), unless the environment sets
// them. --help prints each flag on one line and "env NAME; default: VALUE"
// on the next.
function rewindmqSettings(binary) {
  const r = spawnSync(binary, ['--help'], { encoding: 'utf8' });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n');
  const pick = (flag) => {
    const at = lines.findIndex((l) => l.trim().startsWith(`${flag} `));
    const m = at >= 0 && /default: (\S+)/.exec(lines[at + 1] || '');
    return m ? m[1] : 'unknown';
  };
  // The server inherits the environment, where REWINDMQ_* settings win
  // over the defaults.
  return {
    durability: process.env.REWINDMQ_DURABILITY || pick('--durability'),
    flush_interval_ms: process.env.REWINDMQ_FLUSH_INTERVAL_MS || pick('--flush-interval-ms'),
  };
}

// The commit the working tree is at (and whether it has changes), for the
// record; the binary itself has no version flag.
function sourceRevision() {
  const git = (args) => execFileSync('git', args, { cwd: __dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git(['rev-parse', '--short', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) ? `${head}+changes` : head;
  } catch (e) {
    return 'unknown';
  }
}

// "redis-server 7.0.15" from "Redis server v=7.0.15 sha=...".
function shortVersion(line, re, name) {
  const m = re.exec(line);
  return m ? `${name} ${m[1]}` : line;
}

function machineInfo(opts) {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = (/^model name\s*:\s*(.*)$/m.exec(cpuinfo) || [])[1] || 'unknown';
  const pkg = (name) => require(`${name}/package.json`).version;
  return {
    cpu_model: model.trim(),
    cores: os.cpus().length,
    ram_bytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()}`,
    load_average_at_start: os.loadavg().map((x) => round(x, 2)),
    versions: {
      rewindmq: `${sourceRevision()} (${opts.binary})`,
      rewindmq_import: opts.importBinary,
      redis_server: shortVersion(firstLine(opts.redisServer, ['--version']), /v=(\S+)/, 'redis-server'),
      nats_server: shortVersion(firstLine(opts.natsServer, ['--version']), /v(\d\S*)/, 'nats-server'),
      node: process.version,
      nats_js: pkg('nats'),
      node_redis: pkg('redis'),
      undici: pkg('undici'),
    },
  };
}

function body(bytes) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < bytes; i++) s += alphabet[(i * 7) % alphabet.length];
  return s;
}

// The adapter's form of a message body.
function payload(system, text) {
  return system === 'nats' ? new TextEncoder().encode(text) : text;
}

// A new folder `name` under `dir`.
function subdir(dir, name) {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

// rewindmq on its folder, which the import has filled; Redis and NATS on
// new ones.
async function startAll(opts, dir, rewindmqDir, logDir) {
  const procs = {};
  procs.rewindmq = await servers.startRewindmq(opts.binary, rewindmqDir, logDir);
  procs.redis = await servers.startRedis(opts.redisServer, subdir(dir, 'redis'), logDir);
  procs.nats = await servers.startNats(opts.natsServer, subdir(dir, 'nats'), logDir);
  return procs;
}

async function connectAll(opts, procs) {
  const maxInFlight = Math.max(opts.concurrency, opts.loadConcurrency);
  const clients = {
    rewindmq: new Rewindmq(procs.rewindmq, maxInFlight),
    redis: new Redis(procs.redis),
    nats: new Nats(procs.nats),
  };
  await clients.redis.connect();
  await clients.nats.connect();
  return clients;
}

function usageOf(proc) {
  const m = proc.memory();
  return {
    rss: m.rss, rssAnon: m.anon, rssFile: m.file, disk: servers.diskUsage(proc.dataDir),
  };
}

// rewindmq's server is started on a folder that is already loaded, so its
// figures for the empty queue come from another server, on a scratch
// folder, set up as the measured one is (the topic with one queue and the
// same groups) and stopped before the import runs. Returns {usage, pid,
// exit}.
async function emptyRewindmqUsage(opts, dataDir, logDir, groups) {
  const proc = await servers.startRewindmq(opts.binary, dataDir, logDir, 'rewindmq-empty');
  const client = new Rewindmq(proc, 1);
  let usage;
  let exit;
  try {
    await client.setup(groups);
    await servers.sleep(SETTLE_MS);
    usage = usageOf(proc);
  } finally {
    await client.close();
    exit = await proc.stop();
    if (exit && exit.code !== 0) process.stderr.write(`rewindmq (empty queue) exited with ${JSON.stringify(exit)}\n`);
  }
  return { usage, pid: proc.pid, exit };
}

// Runs `fn` and returns [its result, server CPU seconds spent meanwhile].
async function withCpu(proc, fn) {
  const before = proc.cpuSeconds();
  const result = await fn();
  return [result, proc.cpuSeconds() - before];
}

// The data folder of the size being measured, removed on Ctrl-C.
let currentDir = null;

async function benchSize(opts, size, label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rewindmq-compare-${size}-`));
  currentDir = dir;
  // For run.sh, which names the folders left behind if this process dies.
  if (process.env.COMPARE_PIDFILE) fs.appendFileSync(process.env.COMPARE_PIDFILE, `dir ${dir}\n`);
  const out = { messages: size, load_body_bytes: LOAD_BODY_BYTES, systems: {} };
  let procs = {};
  let clients = {};
  let ok = false;
  try {
    const logDir = subdir(dir, 'logs');
    const groups = Array.from({ length: opts.concurrency }, (_, w) => `grp-${w}`);
    const verifyGroup = 'grp-verify';

    process.stderr.write(`== ${label}: rewindmq with the empty queue, in ${dir}\n`);
    const emptyRewindmq = await emptyRewindmqUsage(opts, subdir(dir, 'rewindmq-empty'), logDir,
      [...groups, verifyGroup]);

    // rewindmq's load: rewindmq-import into the folder its server will
    // open, before that server starts.
    const rewindmqDir = subdir(dir, 'rewindmq');
    const imported = await servers.importRewindmq(opts.importBinary, rewindmqDir, logDir, {
      topic: TOPIC, count: size, bodyBytes: LOAD_BODY_BYTES, queues: 1, batch: opts.importBatch,
    });
    const sum = imported.summary;
    process.stderr.write(`${label} load rewindmq (rewindmq-import --batch ${opts.importBatch}): ` +
      `${sum.imported}/${size} in ${sum.seconds} s, ${sum.msgs_per_s}/s\n`);

    process.stderr.write(`== ${label}: starting servers in ${dir}\n`);
    procs = await startAll(opts, dir, rewindmqDir, logDir);
    clients = await connectAll(opts, procs);
    clients.rewindmq.useImport(sum, size);
    for (const s of SYSTEMS) {
      await clients[s].setup([...groups, verifyGroup]);
      out.systems[s] = { port: procs[s].port, pid: procs[s].pid };
    }
    out.systems.rewindmq.empty_queue_server = { pid: emptyRewindmq.pid, exit: emptyRewindmq.exit };
    await servers.sleep(SETTLE_MS);
    const empty = Object.fromEntries(SENT_LOAD_SYSTEMS.map((s) => [s, usageOf(procs[s])]));
    empty.rewindmq = emptyRewindmq.usage;

    // The import's figures, after checking the server serves what it
    // reported.
    await clients.rewindmq.afterLoad(size);
    const q = sum.queues[0];
    out.systems.rewindmq.load = {
      method: `rewindmq-import --batch ${opts.importBatch} into the data folder, before the server starts`,
      seconds: sum.seconds,
      per_s: sum.msgs_per_s,
      process_wall_seconds: round(imported.wall_seconds, 3),
      // The import runs the storage in its own process: that process's CPU
      // time, opening and syncing the folder included.
      server_cpu_us_per_msg: round((imported.cpu_seconds * 1e6) / size, 2),
      process_cpu_seconds: round(imported.cpu_seconds, 2),
      batch: opts.importBatch,
      appends: Math.ceil(size / opts.importBatch),
      storage_queue_id: q.storage_queue_id,
      // store_size of the first message as the query by msg_id reports it.
      stored_record_bytes: clients.rewindmq.recordBytes,
      first_ms: clients.rewindmq.firstMs,
      last_ms: clients.rewindmq.lastMs,
    };

    // Redis and NATS: one request per message, one system at a time.
    const loadBody = body(LOAD_BODY_BYTES);
    for (const s of SENT_LOAD_SYSTEMS) {
      const c = clients[s];
      const p = payload(s, loadBody);
      c.prepareLoad(size);
      const [run, cpu] = await withCpu(procs[s], () => runPool({
        count: size,
        concurrency: opts.loadConcurrency,
        op: (i) => c.append(i, p),
        progress: new Progress(`${label} load ${s}`, size),
      }));
      await c.afterLoad(size);
      out.systems[s].load = {
        method: s === 'redis'
          ? `one XADD per message, ${opts.loadConcurrency} in flight`
          : `one JetStream publish per message, acked, ${opts.loadConcurrency} in flight`,
        seconds: round(run.seconds, 3),
        per_s: round(size / run.seconds, 0),
        server_cpu_us_per_msg: round((cpu * 1e6) / size, 2),
        first_ms: c.firstMs,
        last_ms: c.lastMs,
      };
    }
    for (const s of SYSTEMS) {
      const l = out.systems[s].load;
      l.store_time_span_ms = l.last_ms - l.first_ms;
    }
    for (const s of SYSTEMS) await clients[s].flush();
    await servers.sleep(FLUSH_WAIT_MS);
    for (const s of SYSTEMS) {
      const loaded = usageOf(procs[s]);
      const e = empty[s];
      out.systems[s].disk_bytes_per_msg = round((loaded.disk.allocated - e.disk.allocated) / size, 1);
      out.systems[s].disk_apparent_bytes_per_msg = round((loaded.disk.apparent - e.disk.apparent) / size, 1);
      out.systems[s].memory_bytes_per_msg = round((loaded.rss - e.rss) / size, 1);
      out.systems[s].anon_memory_bytes_per_msg = round((loaded.rssAnon - e.rssAnon) / size, 1);
      out.systems[s].rss_empty_bytes = e.rss;
      out.systems[s].rss_loaded_bytes = loaded.rss;
      out.systems[s].rss_anon_empty_bytes = e.rssAnon;
      out.systems[s].rss_anon_loaded_bytes = loaded.rssAnon;
      out.systems[s].rss_file_empty_bytes = e.rssFile;
      out.systems[s].rss_file_loaded_bytes = loaded.rssFile;
      out.systems[s].disk_loaded_bytes = loaded.disk.allocated;
    }

    // Rewinds: the same sequence of points (fractions of each system's
    // stored time range) for every system.
    const rng = seededRandom(opts.seed + size);
    const warmup = warmupCount(opts.rewinds);
    const fractions = Array.from({ length: warmup + opts.rewinds }, () => rng());
    const pointsFor = (c) => fractions.map((f) => Math.min(c.lastMs,
      c.firstMs + Math.floor(f * (c.lastMs - c.firstMs + 1))));
    for (const s of SYSTEMS) {
      const c = clients[s];
      const points = pointsFor(c);
      const rewindOp = s === 'nats'
        ? (i, w) => c.rewindTimed(groups[w], points[i])
        : (i, w) => c.rewind(groups[w], points[i]);
      await runPool({
        count: warmup, concurrency: opts.concurrency, op: rewindOp, selfTimed: s === 'nats',
      });
      const timed = points.slice(warmup);
      const timedOp = s === 'nats'
        ? (i, w) => c.rewindTimed(groups[w], timed[i])
        : (i, w) => c.rewind(groups[w], timed[i]);
      const [run, cpu] = await withCpu(procs[s], () => runPool({
        count: opts.rewinds,
        concurrency: opts.concurrency,
        op: timedOp,
        selfTimed: s === 'nats',
        keepResults: true,
        progress: new Progress(`${label} rewind ${s}`, opts.rewinds),
      }));
      out.systems[s].rewind = {
        ...summarize(run),
        server_cpu_us_per_op: round((cpu * 1e6) / opts.rewinds, 1),
        // How many different messages the timed rewinds landed on.
        distinct_answers: new Set(run.results.map(String)).size,
      };

      // Every (rewinds/verify)-th answer, checked against the loaded data.
      const step = Math.floor(opts.rewinds / opts.verify);
      const vp = new Progress(`${label} verify ${s}`, opts.verify);
      for (let k = 0; k < opts.verify; k++) {
        const i = k * step;
        await c.verify(timed[i], run.results[i], verifyGroup);
        vp.add();
      }
      vp.finish();
      out.systems[s].rewind.verified = opts.verify;

      if (c.seek) {
        const [seekRun, seekCpu] = await withCpu(procs[s], () => runPool({
          count: opts.rewinds,
          concurrency: opts.concurrency,
          op: (i) => c.seek(timed[i]),
          keepResults: true,
        }));
        for (let k = 0; k < opts.verify; k++) {
          const i = k * step;
          if (seekRun.results[i] !== run.results[i]) {
            throw new Error(`${s}: time seek to ${timed[i]} gave ${seekRun.results[i]}, the rewind ${run.results[i]}`);
          }
        }
        out.systems[s].seek = { ...summarize(seekRun), server_cpu_us_per_op: round((seekCpu * 1e6) / opts.rewinds, 1) };
      } else {
        out.systems[s].seek = null;
      }
    }

    // Produce, to a fresh one-queue topic/stream per body size.
    for (const s of SYSTEMS) {
      out.systems[s].produce = {};
      for (const bytes of PRODUCE_BODY_BYTES) {
        const send = await clients[s].producer(`prod-${bytes}`);
        const p = payload(s, body(bytes));
        await runPool({ count: warmupCount(opts.produce), concurrency: opts.concurrency, op: () => send(p) });
        const [run, cpu] = await withCpu(procs[s], () => runPool({
          count: opts.produce,
          concurrency: opts.concurrency,
          op: () => send(p),
          progress: new Progress(`${label} produce ${bytes} B ${s}`, opts.produce),
        }));
        out.systems[s].produce[bytes] = { ...summarize(run), server_cpu_us_per_op: round((cpu * 1e6) / opts.produce, 1) };
      }
    }
    ok = true;
  } finally {
    for (const c of Object.values(clients)) {
      try {
        await c.close();
      } catch (e) {
        process.stderr.write(`closing ${c.name}: ${e.message}\n`);
      }
    }
    const exits = await servers.stopAll();
    for (const [name, status] of Object.entries(exits)) {
      if (status && status.code !== 0) process.stderr.write(`${name} exited with ${JSON.stringify(status)}\n`);
      if (out.systems[name]) out.systems[name].exit = status;
    }
    if (ok) fs.rmSync(dir, { recursive: true, force: true });
    else if (!stopping) process.stderr.write(`server data and logs kept in ${dir}\n`);
    currentDir = null;
  }
  return out;
}

function sizeLabel(n) {
  const e = Math.log10(n);
  return Number.isInteger(e) ? `1e${e}` : String(n);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(opts.out, { recursive: true });
  const started = Date.now();
  const result = {
    benchmark: 'rewindmq vs Redis Streams vs NATS JetStream: time-based rewind',
    started_at: new Date(started).toISOString(),
    machine: machineInfo(opts),
    settings: {
      concurrency: opts.concurrency,
      rewinds: opts.rewinds,
      warmup_rewinds: warmupCount(opts.rewinds),
      verified_rewinds: opts.verify,
      produce_messages: opts.produce,
      warmup_produce_messages: warmupCount(opts.produce),
      produce_body_bytes: PRODUCE_BODY_BYTES,
      load_body_bytes: LOAD_BODY_BYTES,
      load_concurrency: opts.loadConcurrency,
      import_batch: opts.importBatch,
      seed: opts.seed,
      rewindmq: {
        ...rewindmqSettings(opts.binary),
        transport: 'DMS REST over HTTP/1.1 keep-alive, one connection per request in flight',
        load: `rewindmq-import --batch ${opts.importBatch} into the stopped server's data folder (one store time per batch); ` +
          'produce measured through the DMS send route',
      },
      redis: { persistence: 'appendonly yes, appendfsync everysec, RDB snapshots off (save "")', transport: 'one RESP connection (node-redis), pipelined' },
      nats: { persistence: 'JetStream file storage, server defaults (no sync setting exists in 2.9)', transport: 'one NATS connection (nats.js)' },
    },
    sizes: [],
  };
  for (const size of opts.sizes) {
    result.sizes.push(await benchSize(opts, size, sizeLabel(size)));
  }
  result.machine.load_average_at_end = os.loadavg().map((x) => round(x, 2));
  result.wall_seconds = round((Date.now() - started) / 1000, 1);

  const jsonPath = path.join(opts.out, 'results.json');
  fs.writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  const table = report.table(result);
  fs.writeFileSync(path.join(opts.out, 'results.txt'), table);
  process.stdout.write(table);
  const chart = report.chart(result, opts.out);
  process.stdout.write(`\nresults: ${jsonPath}\n`);
  process.stdout.write(chart ? `chart:   ${chart}\n` : 'chart:   not drawn (gnuplot missing or failed)\n');
}

let stopping = false;
async function abort(why, code) {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`\n${why}: stopping the servers\n`);
  await servers.stopAll();
  if (currentDir) fs.rmSync(currentDir, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => abort('interrupted', 130));
process.on('SIGTERM', () => abort('terminated', 143));

main().catch(async (e) => {
  process.stderr.write(`\nFAILED: ${e.stack || e}\n`);
  await servers.stopAll();
  process.exit(1);
});

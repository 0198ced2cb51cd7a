'use strict';
// Starts and stops the three servers of the comparison, each on 127.0.0.1
// with a free port and its own data folder, runs rewindmq-import on
// rewindmq's folder before its server starts, and reads resource usage from
// /proc. Every started process is tracked: stopAll() stops them by PID
// (SIGTERM, then SIGKILL after a timeout), and each PID is also appended to
// the file named by $COMPARE_PIDFILE so that run.sh can stop leftovers if
// this process dies without cleaning up.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const START_TIMEOUT_MS = 30000;
const STOP_TIMEOUT_MS = 30000;
const LOG_TAIL_CHARS = 16384;

const running = new Set();

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A port that was free a moment ago (Redis cannot pick its own: port 0
// disables its TCP listener).
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A child process with the tail of its output kept for error messages.
class Proc {
  // stopSignal: the signal that shuts the server down cleanly; keepStdout:
  // also keep all of standard output (for a tool that prints its result).
  constructor(name, binary, args, logDir, stopSignal = 'SIGTERM', keepStdout = false) {
    this.name = name;
    this.stopSignal = stopSignal;
    this.output = '';
    this.stdout = '';
    this.exited = null;
    this.logPath = path.join(logDir, `${name}.log`);
    const log = fs.openSync(this.logPath, 'a');
    this.child = spawn(binary, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a Ctrl-C in the terminal reaches this script,
      // which then stops the server by PID in order.
      detached: true,
    });
    this.pid = this.child.pid;
    running.add(this);
    if (process.env.COMPARE_PIDFILE && this.pid) {
      fs.appendFileSync(process.env.COMPARE_PIDFILE, `${this.pid} ${path.basename(binary)}\n`);
    }
    let logOpen = true;
    const closeLog = () => {
      if (logOpen) fs.closeSync(log);
      logOpen = false;
    };
    const keep = (chunk) => {
      if (logOpen) fs.writeSync(log, chunk);
      this.output += chunk;
      if (this.output.length > 2 * LOG_TAIL_CHARS) this.output = this.output.slice(-LOG_TAIL_CHARS);
    };
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => {
      if (keepStdout) this.stdout += chunk;
      keep(chunk);
    });
    this.child.stderr.on('data', keep);
    // Resolves with the exit status once the process has exited and its
    // output has been read to the end (output can arrive after 'exit').
    this.closed = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        closeLog();
        resolve({ code, signal });
      });
      this.child.on('error', (e) => {
        closeLog();
        resolve({ code: null, signal: null, error: e.message });
      });
    });
    this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      running.delete(this);
    });
    this.child.on('error', (e) => {
      this.exited = { code: null, signal: null, error: e.message };
      running.delete(this);
    });
  }

  fail(why) {
    return new Error(`${this.name} did not start: ${why}\n--- output (tail)\n${this.output}`);
  }

  // Waits until `re` matches a line of the output; returns the match.
  async waitForLine(re) {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const m = re.exec(this.output);
      if (m) return m;
      if (this.exited) throw this.fail(`exited ${JSON.stringify(this.exited)}`);
      if (Date.now() > deadline) throw this.fail(`no ${re} within ${START_TIMEOUT_MS} ms`);
      await sleep(20);
    }
  }

  // The stop signal, wait, then SIGKILL. Resolves with the exit status.
  async stop() {
    if (this.exited) return this.exited;
    const done = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      process.kill(this.pid, this.stopSignal);
    } catch (e) {
      // already gone
    }
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS); });
    let result = await Promise.race([done, timeout]);
    clearTimeout(timer);
    if (result === null) {
      process.stderr.write(`${this.name} (pid ${this.pid}) still running ${STOP_TIMEOUT_MS} ms after ${this.stopSignal}: SIGKILL\n`);
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch (e) {
        // already gone
      }
      result = await done;
    }
    return result;
  }

  // Resident set size in bytes (VmRSS of /proc/PID/status).
  rssBytes() {
    return this.memory().rss;
  }

  // {rss, anon, file} bytes: VmRSS and its anonymous and file-backed parts
  // (RssAnon, RssFile; the latter counts mapped files' resident pages).
  memory() {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = (field) => {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
      if (!m) throw new Error(`no ${field} in /proc/${this.pid}/status`);
      return Number(m[1]) * 1024;
    };
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
  }

  // User + system CPU time of all threads so far, in seconds.
  cpuSeconds() {
    const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may
    // contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);  // utime, stime
    return ticks / CLOCK_TICKS;
  }
}

// sysconf(_SC_CLK_TCK) is 100 on every Linux architecture Debian ships.
const CLOCK_TICKS = 100;

// Bytes under `dir`: allocated (what du reports) and apparent (file sizes).
function diskUsage(dir) {
  let allocated = 0;
  let apparent = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      if (e.isDirectory()) {
        walk(p);
      } else {
        allocated += st.blocks * 512;
        apparent += st.size;
      }
    }
  };
  walk(dir);
  return { allocated, apparent };
}

// rewindmq with its default durability; prints
// "rewindmq listening on 127.0.0.1:PORT, data in DIR" once serving. `name`
// names its log (the benchmark also runs one on an empty folder).
async function startRewindmq(binary, dataDir, logDir, name = 'rewindmq') {
  const proc = new Proc(name, binary,
    ['--listen', '127.0.0.1:0', '--remoting-listen', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'warning'], logDir);
  const m = await proc.waitForLine(/^rewindmq listening on 127\.0\.0\.1:(\d+), data in (.*)$/m);
  proc.port = Number(m[1]);
  proc.dataDir = dataDir;
  return proc;
}

// Redis with the append-only file, fsync once a second, and no RDB
// snapshots (see README.md, "Persistence").
async function startRedis(binary, dataDir, logDir) {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const proc = new Proc('redis', binary, [
      '--bind', '127.0.0.1', '--port', String(port), '--dir', dataDir,
      '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
      '--daemonize', 'no', '--logfile', '',
    ], logDir);
    try {
      // "Ready to accept connections tcp" (7.x), logged at the default level.
      await proc.waitForLine(/Ready to accept connections/);
      proc.port = port;
      proc.dataDir = dataDir;
      return proc;
    } catch (e) {
      await proc.stop();
      // Someone else took the port between freePort() and the bind.
      if (attempt < 3 && /Address already in use/.test(proc.output)) continue;
      throw e;
    }
  }
}

// nats-server with JetStream (file storage under dataDir), defaults
// otherwise; -p -1 picks a free port, which it logs. It shuts down cleanly
// on SIGTERM too, but then exits with status 1; on SIGINT with 0.
async function startNats(binary, dataDir, logDir) {
  const proc = new Proc('nats', binary,
    ['-js', '-a', '127.0.0.1', '-p', '-1', '-sd', dataDir], logDir, 'SIGINT');
  const m = await proc.waitForLine(/Listening for client connections on 127\.0\.0\.1:(\d+)/);
  await proc.waitForLine(/Server is ready/);
  proc.port = Number(m[1]);
  proc.dataDir = dataDir;
  return proc;
}

// CPU seconds (user + system) of this process's children that have exited
// and been waited for (cutime + cstime of /proc/self/stat).
function exitedChildrenCpuSeconds() {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}

// Bulk-loads `count` generated messages of `bodyBytes` bytes into topic
// `topic` (created with `queues` queues) of rewindmq's data folder, which no
// server may hold, with rewindmq-import: `batch` messages per append, each
// append one store time. The tool runs with the server's settings (the
// same flags and REWINDMQ_* environment as the server) and syncs before it
// exits. Resolves with {summary: the tool's JSON line, wall_seconds,
// cpu_seconds}.
async function importRewindmq(importBinary, dataDir, logDir, {
  topic, count, bodyBytes, queues, batch,
}) {
  const args = ['--data-dir', dataDir, '--log-level', 'warning', '--topic', topic,
    '--count', String(count), '--body-bytes', String(bodyBytes), '--queues', String(queues),
    '--batch', String(batch)];
  const cpuBefore = exitedChildrenCpuSeconds();
  const t0 = process.hrtime.bigint();
  const proc = new Proc('rewindmq-import', importBinary, args, logDir, 'SIGTERM', true);
  const status = await proc.closed;
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuSeconds = exitedChildrenCpuSeconds() - cpuBefore;
  const failed = (why) => new Error(`rewindmq-import ${args.join(' ')}: ${why}\n--- output (tail)\n${proc.output}`);
  if (status.code !== 0) throw failed(`exited ${JSON.stringify(status)}`);
  const lines = proc.stdout.split('\n').filter((l) => l.startsWith('{'));
  if (lines.length !== 1) throw failed(`expected one JSON line on stdout, got ${lines.length}`);
  let summary;
  try {
    summary = JSON.parse(lines[0]);
  } catch (e) {
    throw failed(`not JSON: ${lines[0]}`);
  }
  return { summary, wall_seconds: wallSeconds, cpu_seconds: cpuSeconds };
}

async function stopAll() {
  const results = await Promise.all([...running].map(async (p) => [p.name, await p.stop()]));
  return Object.fromEntries(results);
}

module.exports = {
  diskUsage, importRewindmq, sleep, startNats, startRedis, startRewindmq, stopAll,
};

'use strict';
// Starts and stops the real rewindmq binary for the Node.js end-to-end tests
// (tests/dms_sdk, tests/tdmq_sdk): 127.0.0.1 with port 0, a fresh data
// directory, ready once GET /healthz answers 200.
//
// Environment:
//   REWINDMQ_BINARY  path of the rewindmq binary (required; ctest sets it)
//   RMQ_SANITIZED    set for sanitizer builds: longer start/stop timeouts

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const BINARY = process.env.REWINDMQ_BINARY;
if (!BINARY || !fs.existsSync(BINARY)) {
  throw new Error(
    `REWINDMQ_BINARY must name the rewindmq binary (got ${JSON.stringify(BINARY)}); ` +
    'ctest sets it for the end-to-end tests');
}

// One scratch directory per test process for the servers' data
// directories (and whatever else a test keeps there), removed at exit.
const SCRATCH = fs.mkdtempSync(path.join(os.tmpdir(), 'rewindmq-e2e-'));

const SLOW = !!process.env.RMQ_SANITIZED;
const START_TIMEOUT_MS = SLOW ? 90000 : 30000;
const STOP_TIMEOUT_MS = SLOW ? 60000 : 30000;
const STARTUP_LINE = /^rewindmq listening on 127\.0\.0\.1:(\d+), data in (.*)$/;
const LOG_TAIL_BYTES = 64 * 1024;

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  fs.rmSync(SCRATCH, { recursive: true, force: true });
});

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// GET http://127.0.0.1:port/path → {status, body}; rejects on network errors.
function httpGet(port, urlPath, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

// A rewindmq process. Use Server.start(); always call stop().
class Server {
  constructor(child, port, dataDir, logs) {
    this.child = child;
    this.port = port;
    this.dataDir = dataDir;
    this.logs = logs;
    this.endpoint = `http://127.0.0.1:${port}`;
  }

  // args: extra flags, e.g. ['--dms-credentials', 'AK:SK'].
  static async start(args = []) {
    const dataDir = fs.mkdtempSync(path.join(SCRATCH, 'data-'));
    const child = spawn(BINARY, ['--listen', '127.0.0.1:0', '--remoting-listen', '127.0.0.1:0', '--data-dir', dataDir,
      '--worker-threads', '4', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const logs = { stdout: '', stderr: '' };
    const keep = (name) => (chunk) => {
      logs[name] += chunk;
      if (logs[name].length > 2 * LOG_TAIL_BYTES) logs[name] = logs[name].slice(-LOG_TAIL_BYTES);
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', keep('stdout'));
    child.stderr.on('data', keep('stderr'));
    let exited = null;
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
    });
    child.on('error', (e) => { exited = { code: null, signal: null, error: e }; });

    const describeFailure = (why) => new Error(
      `rewindmq did not start: ${why}\nstdout:\n${logs.stdout}\nstderr:\n${logs.stderr}`);
    const deadline = Date.now() + START_TIMEOUT_MS;
    let port = null;
    while (port === null) {
      if (exited) throw describeFailure(`exited ${JSON.stringify(exited)}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw describeFailure(`no startup line within ${START_TIMEOUT_MS} ms`);
      }
      const line = logs.stdout.split('\n').find((l) => STARTUP_LINE.test(l));
      if (line) {
        const m = STARTUP_LINE.exec(line);
        assert.equal(m[2], dataDir, 'startup line names the data directory');
        port = Number(m[1]);
      } else {
        await sleep(20);
      }
    }
    // Ready once /healthz answers 200.
    for (;;) {
      if (exited) throw describeFailure(`exited ${JSON.stringify(exited)}`);
      try {
        const r = await httpGet(port, '/healthz');
        if (r.status === 200) break;
      } catch (e) {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw describeFailure(`/healthz not ready within ${START_TIMEOUT_MS} ms`);
      }
      await sleep(50);
    }
    const server = new Server(child, port, dataDir, logs);
    server.exited = () => exited;
    return server;
  }

  // SIGTERM, then wait for a clean exit; returns the exit code. SIGKILL (and
  // a thrown error) if it does not stop in time.
  async stop() {
    const exitedNow = this.exited();
    if (exitedNow) return exitedNow.code;
    const done = new Promise((resolve) => this.child.once('exit', (code, signal) =>
      resolve({ code, signal })));
    this.child.kill('SIGTERM');
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS); });
    const result = await Promise.race([done, timeout]);
    clearTimeout(timer);
    if (result === null) {
      this.child.kill('SIGKILL');
      throw new Error(`rewindmq still running ${STOP_TIMEOUT_MS} ms after SIGTERM\n` +
        `stderr:\n${this.logs.stderr}`);
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    if (result.code !== 0) {
      throw new Error(`rewindmq exited with ${JSON.stringify(result)}\n` +
        `stderr:\n${this.logs.stderr}`);
    }
    return result.code;
  }
}

module.exports = { SCRATCH, Server, httpGet, sleep };

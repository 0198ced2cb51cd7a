'use strict';
// Measurement tools: a bounded-concurrency runner that times each
// operation, percentiles, a deterministic random source and a progress
// display (one updating line on a terminal, periodic lines otherwise).

// mulberry32: a small seeded generator, so every run and every system sees
// the same sequence of rewind points (as fractions of the stored range).
function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Nearest-rank percentile of an ascending array of numbers.
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

// Reports progress of a long loop on stderr.
class Progress {
  constructor(label, total) {
    this.label = label;
    this.total = total;
    this.done = 0;
    this.start = Date.now();
    this.tty = !!process.stderr.isTTY;
    this.lastDraw = 0;
    this.nextLinePct = 10;
    this.lastLine = this.start;
    this.printed = -1;
  }

  text() {
    const secs = (Date.now() - this.start) / 1000;
    const rate = secs > 0 ? Math.round(this.done / secs) : 0;
    const pct = this.total ? Math.floor((100 * this.done) / this.total) : 100;
    return `${this.label}: ${this.done}/${this.total} (${pct}%) ${secs.toFixed(1)} s, ${rate}/s`;
  }

  add(n = 1) {
    this.done += n;
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastDraw >= 200) {
        this.lastDraw = now;
        process.stderr.write(`\r\x1b[K${this.text()}`);
      }
    } else {
      // Without a terminal (CI logs): a line per 10% step, at most one
      // every 2 s, and at least one every 15 s.
      const pct = (100 * this.done) / this.total;
      const since = now - this.lastLine;
      if ((pct >= this.nextLinePct && since >= 2000) || since >= 15000) {
        while (this.nextLinePct <= pct) this.nextLinePct += 10;
        this.lastLine = now;
        this.printed = this.done;
        process.stderr.write(`${this.text()}\n`);
      }
    }
  }

  finish() {
    if (this.tty) process.stderr.write(`\r\x1b[K${this.text()}\n`);
    else if (this.printed !== this.done) process.stderr.write(`${this.text()}\n`);
  }
}

// Runs op(i) for i in [0, count) with at most `concurrency` in flight, each
// worker w calling op(i, w) for its share. Returns {seconds, latenciesMs
// (ascending), results (by i)}. The first failure stops the run and is
// thrown: a failed operation is never timed. With `selfTimed`, op resolves
// with [result, milliseconds] and times itself (for an operation whose
// cleanup must not count in its latency).
async function runPool({
  count, concurrency, op, progress = null, keepResults = false, selfTimed = false,
}) {
  const latencies = new Float64Array(count);
  const results = keepResults ? new Array(count) : null;
  let next = 0;
  let failure = null;
  const start = process.hrtime.bigint();
  const worker = async (w) => {
    while (failure === null) {
      const i = next++;
      if (i >= count) return;
      const t0 = process.hrtime.bigint();
      let r;
      try {
        r = await op(i, w);
      } catch (e) {
        if (failure === null) failure = e;
        return;
      }
      if (selfTimed) {
        latencies[i] = r[1];
        [r] = r;
      } else {
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
      }
      if (results) results[i] = r;
      if (progress) progress.add();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, (_, w) => worker(w)));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (progress) progress.finish();
  if (failure) throw failure;
  latencies.sort();
  return { seconds, latenciesMs: latencies, results };
}

// {ops, seconds, per_s, p50_ms, p99_ms, max_ms} of a runPool() result.
function summarize(run) {
  const n = run.latenciesMs.length;
  return {
    ops: n,
    seconds: round(run.seconds, 3),
    per_s: round(n / run.seconds, 1),
    p50_ms: round(percentile(run.latenciesMs, 50), 3),
    p99_ms: round(percentile(run.latenciesMs, 99), 3),
    max_ms: round(percentile(run.latenciesMs, 100), 3),
  };
}

function round(x, digits) {
  if (x === null || x === undefined) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

module.exports = { Progress, percentile, round, runPool, seededRandom, summarize };

'use strict';
// Renders the results: a text table with ratios, and a PNG chart of rewind
// latency against queue size drawn with gnuplot.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const SYSTEMS = ['rewindmq', 'redis', 'nats'];
const PEERS = ['redis', 'nats'];

// [label, better, value getter, integer?]; better: 'higher', 'lower' or
// 'info'.
const ROWS = [
  ['rewind: rewinds/s', 'higher', (s) => s.rewind && s.rewind.per_s],
  ['rewind: p50 ms', 'lower', (s) => s.rewind && s.rewind.p50_ms],
  ['rewind: p99 ms', 'lower', (s) => s.rewind && s.rewind.p99_ms],
  ['rewind: server CPU us/op', 'lower', (s) => s.rewind && s.rewind.server_cpu_us_per_op],
  ['rewind: distinct answers', 'info', (s) => s.rewind && s.rewind.distinct_answers, true],
  ['time seek only: p50 ms', 'lower', (s) => s.seek && s.seek.p50_ms],
  ['time seek only: p99 ms', 'lower', (s) => s.seek && s.seek.p99_ms],
  ['produce 100 B: msgs/s', 'higher', (s) => s.produce && s.produce[100] && s.produce[100].per_s],
  ['produce 100 B: p99 ms', 'lower', (s) => s.produce && s.produce[100] && s.produce[100].p99_ms],
  ['produce 1 KiB: msgs/s', 'higher', (s) => s.produce && s.produce[1024] && s.produce[1024].per_s],
  ['produce 1 KiB: p99 ms', 'lower', (s) => s.produce && s.produce[1024] && s.produce[1024].p99_ms],
  ['disk bytes/msg', 'lower', (s) => s.disk_bytes_per_msg],
  ['memory (RSS) bytes/msg', 'lower', (s) => s.memory_bytes_per_msg],
  ['memory (anon RSS) B/msg', 'lower', (s) => s.anon_memory_bytes_per_msg],
  ['load: seconds', 'info', (s) => s.load && s.load.seconds],
  ['load: msgs/s', 'info', (s) => s.load && s.load.per_s],
];

function fmt(x, integer = false) {
  if (x === null || x === undefined) return 'n/a';
  if (integer) return String(Math.round(x));
  if (Math.abs(x) >= 1000) return String(Math.round(x));
  if (Math.abs(x) >= 100) return x.toFixed(1);
  return x.toFixed(3).replace(/\.?0+$/, '') || '0';
}

// How many times better rewindmq is than the peer (> 1: rewindmq better).
function advantage(better, mine, theirs) {
  if (better === 'info' || mine === null || mine === undefined || theirs === null || theirs === undefined) return 'n/a';
  if (mine <= 0 || theirs <= 0) return 'n/a';
  const r = better === 'higher' ? mine / theirs : theirs / mine;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}x`;
}

function pad(s, n, right = false) {
  s = String(s);
  if (s.length >= n) return s;
  return right ? s + ' '.repeat(n - s.length) : ' '.repeat(n - s.length) + s;
}

function gib(bytes) {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

function table(result) {
  const m = result.machine;
  const st = result.settings;
  const lines = [];
  lines.push(`# ${result.benchmark}`);
  lines.push(`machine: ${m.cpu_model}, ${m.cores} cores, ${gib(m.ram_bytes)} RAM, ${m.kernel}; ` +
    `load average ${m.load_average_at_start.join(' ')} at start, ${(m.load_average_at_end || []).join(' ')} at end`);
  lines.push(`servers: rewindmq ${m.versions.rewindmq} (durability ${st.rewindmq.durability}, ` +
    `flush interval ${st.rewindmq.flush_interval_ms} ms); ${m.versions.redis_server} (${st.redis.persistence}); ` +
    `${m.versions.nats_server} (${st.nats.persistence})`);
  lines.push(`client: node ${m.versions.node}, nats.js ${m.versions.nats_js}, node-redis ${m.versions.node_redis}, undici ${m.versions.undici}; ` +
    `${st.concurrency} operations in flight for every system; ${st.rewinds} timed rewinds ` +
    `(after ${st.warmup_rewinds} warm-up, ${st.verified_rewinds} verified), ${st.produce_messages} produces per body size ` +
    `(after ${st.warmup_produce_messages} warm-up)`);
  lines.push('ratio columns: how many times better rewindmq is than the peer (>1: rewindmq better, <1: worse)');
  for (const size of result.sizes) {
    lines.push('');
    lines.push(`## ${size.messages} messages of ${size.load_body_bytes} B in one queue/stream`);
    const head = [pad('metric', 26, true), pad('better', 6), ...SYSTEMS.map((s) => pad(s, 10)),
      ...PEERS.map((p) => pad(`vs ${p}`, 9))];
    lines.push(head.join('  '));
    for (const [label, better, get, integer] of ROWS) {
      const v = Object.fromEntries(SYSTEMS.map((s) => [s, size.systems[s] ? get(size.systems[s]) : null]));
      lines.push([pad(label, 26, true), pad(better, 6), ...SYSTEMS.map((s) => pad(fmt(v[s], integer), 10)),
        ...PEERS.map((p) => pad(advantage(better, v.rewindmq, v[p]), 9))].join('  '));
    }
  }
  lines.push('');
  lines.push('rewind: rewindmq = DMS reset-message-offset (one HTTP request); redis = XGROUP SETID to the last ' +
    'id before T + XRANGE key T + COUNT 1, pipelined (one round trip); nats = add a durable consumer with deliver_policy ' +
    'by_start_time + fetch 1 message (two round trips; the previous consumer is deleted after the timed ' +
    'part, which counts in rewinds/s but not in the latency).');
  lines.push('time seek only: redis XRANGE key T + COUNT 1; rewindmq and nats 2.9 have no separate ' +
    'time lookup over their network APIs (n/a).');
  lines.push(`load (not compared): rewindmq = rewindmq-import into the data folder before the server starts, ` +
    `${st.import_batch} messages per append (one store time each), seconds and msgs/s as the tool reports them ` +
    `(including its final sync); redis = one XADD, nats = one acknowledged JetStream publish per message, ` +
    `${st.load_concurrency} in flight. produce: every system through its normal send path ` +
    '(rewindmq: the DMS send route, one HTTP request per message).');
  lines.push(`wall time: ${result.wall_seconds} s`);
  return `${lines.join('\n')}\n`;
}

// Draws chart.png in outDir; returns its path, or null if gnuplot is
// missing or fails.
function chart(result, outDir) {
  const dataPath = path.join(outDir, 'chart.dat');
  const pngPath = path.join(outDir, 'chart.png');
  const rows = ['# messages ' + SYSTEMS.map((s) => `${s}_p50_ms ${s}_p99_ms`).join(' ')];
  for (const size of result.sizes) {
    const cols = [size.messages];
    for (const s of SYSTEMS) {
      const r = size.systems[s] && size.systems[s].rewind;
      cols.push(r ? r.p50_ms : 'NaN', r ? r.p99_ms : 'NaN');
    }
    rows.push(cols.join(' '));
  }
  fs.writeFileSync(dataPath, `${rows.join('\n')}\n`);
  const sizes = result.sizes.map((s) => s.messages);
  const xmin = Math.min(...sizes) / 2;
  const xmax = Math.max(...sizes) * 2;
  const m = result.machine;
  const title = `time-based rewind latency, ${result.settings.concurrency} in flight ` +
    `(${m.cpu_model.replace(/'/g, '')}, ${m.cores} cores)`;
  const colors = { rewindmq: '#1f77b4', redis: '#d62728', nats: '#2ca02c' };
  const plots = [];
  SYSTEMS.forEach((s, k) => {
    plots.push(`'${dataPath}' using 1:${2 + 2 * k} with linespoints lw 2 pt 7 dt 1 lc rgb '${colors[s]}' title '${s} p50'`);
    plots.push(`'${dataPath}' using 1:${3 + 2 * k} with linespoints lw 2 pt 5 dt 2 lc rgb '${colors[s]}' title '${s} p99'`);
  });
  const script = (terminal) => [
    `set terminal ${terminal} size 1000,600`,
    `set output '${pngPath}'`,
    'set logscale x',
    'set logscale y',
    `set xrange [${xmin}:${xmax}]`,
    "set format x '10^{%L}'",
    "set xlabel 'messages in the queue (log scale)'",
    "set ylabel 'rewind latency, ms (log scale)'",
    `set title '${title}'`,
    'set key outside right top',
    'set grid',
    `plot ${plots.join(', ')}`,
    '',
  ].join('\n');
  for (const terminal of ['pngcairo enhanced', 'png']) {
    const r = spawnSync('gnuplot', [], { input: script(terminal), encoding: 'utf8' });
    if (r.status === 0 && fs.existsSync(pngPath) && fs.statSync(pngPath).size > 0) return pngPath;
  }
  return null;
}

module.exports = { chart, table };

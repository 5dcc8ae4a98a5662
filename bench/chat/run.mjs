// npm run bench:chat — wsx-chat against the same chat on Socket.IO 4 (socketio-server.mjs), both
// on the same better-sqlite3 store, side by side in one run. The server runs pinned to CPU 0;
// the load generators (load.mjs, two processes) to CPU 1. Numbers, never pass/fail.
//
// Scenarios: rooms of 10 and of 200 members, at full speed (a window of messages in flight per
// user) and at a fixed rate (open loop); and idle signed-in users for memory. Figures: messages
// stored and acknowledged per second, deliveries per second, ack latency p50/p99/p99.9, server
// CPU per message, RSS per user. Environment: BENCH_CHAT_MEASURE_MS (default 8000),
// BENCH_CHAT_ONLY=wsx-chat|socket.io, BENCH_CHAT_SCENARIOS=comma-separated ids.
// `--scale` runs the chat on PostgreSQL + Redis with 1 and 2 workers instead (scale.mjs).
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from 'wsx';
import { cpuMicros, cpuWindow, rssKiB } from '../lib/proc.mjs';
import { pinning } from '../lib/processes.mjs';
import {
  commitFigures,
  fmt,
  loadGenerators,
  startWorker,
  summarize,
  writeResults,
} from './measure.mjs';
import { runScale } from './scale.mjs';
import { roomOf, seed, token } from './seed.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const CHAT_CLI = here('../../apps/chat/dist/server/cli.js');
const MEASURE_MS = Number(process.env.BENCH_CHAT_MEASURE_MS ?? 8000);
const WARMUP_MS = 2000;
const WORKERS = 2;

const SERVERS = {
  'wsx-chat': (dir) => [
    CHAT_CLI,
    '--port',
    '0',
    '--data-dir',
    dir,
    '--rate',
    '1000000',
    '--burst',
    '1000000',
  ],
  'socket.io': (dir) => [here('./socketio-server.mjs'), '0', dir],
};

const SCENARIOS = [
  {
    id: 'room10-full',
    title: 'Rooms of 10, full speed',
    roomSize: 10,
    users: 1000,
    mode: 'full',
    window: 4,
  },
  {
    id: 'room10-rate',
    title: 'Rooms of 10, 10,000 msg/s offered (open loop)',
    roomSize: 10,
    users: 1000,
    mode: 'rate',
    rate: 10_000,
  },
  {
    id: 'room200-full',
    title: 'Rooms of 200, full speed',
    roomSize: 200,
    users: 1000,
    mode: 'full',
    window: 1,
  },
  {
    id: 'room200-rate',
    title: 'Rooms of 200, 500 msg/s offered (open loop)',
    roomSize: 200,
    users: 1000,
    mode: 'rate',
    rate: 500,
  },
  {
    id: 'idle',
    title: 'Idle signed-in users, 10,000 in rooms of 10',
    roomSize: 10,
    users: 10_000,
    mode: 'idle',
  },
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function startServer(kind, dir, pin, { inspect = false } = {}) {
  // BENCH_CHAT_PROFILE=<dir>: the servers write a CPU profile there when stopped.
  const profile = process.env.BENCH_CHAT_PROFILE;
  const node = [process.execPath];
  if (profile) node.push('--cpu-prof', `--cpu-prof-dir=${profile}`);
  // The idle-memory run asks for full collections through the inspector (as `npm run bench`
  // does through its servers' control channel), so that RSS is read without the young
  // generation a burst of arrivals grew; neither server is changed for it.
  if (inspect) node.push('--inspect=127.0.0.1:0');
  const [file, ...args] = [...pin.server, ...node, ...SERVERS[kind](dir)];
  const child = spawn(file, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  const server = { child, pid: child.pid, port: 0, inspector: null };
  createInterface({ input: child.stderr }).on('line', (line) => {
    const match = /Debugger listening on (ws:\/\/\S+)/.exec(line);
    if (match) server.inspector = match[1];
    else if (!/^(For help, see|Debugger (attached|ending)|$)|wsx chat is running/.test(line))
      console.error(line);
  });
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${kind} exited (${code}) before listening`)));
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line);
      if (entry.msg !== 'listening') return;
      server.port = Number(new URL(entry.url).port);
      resolve(server);
    });
  });
}

/** Two full garbage collections in the server, through its inspector; resolves after them. */
async function fullGc(server) {
  const ws = await connect(server.inspector, { perMessageDeflate: false });
  for (const id of [1, 2]) {
    ws.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
    for await (const message of ws) if (JSON.parse(message).id === id) break;
  }
  ws.close();
  await sleep(500);
}

async function runOne(kind, scenario, template, pin) {
  const dir = mkdtempSync(join(tmpdir(), `bench-chat-${kind}-`));
  cpSync(template, dir, { recursive: true });
  const server = await startServer(kind, dir, pin, { inspect: scenario.mode === 'idle' });
  const rss0 = rssKiB(server.pid);
  const users = Array.from({ length: scenario.users }, (_, i) => ({
    token: token(i),
    room: roomOf(i, scenario.roomSize),
  }));
  const job = {
    kind,
    port: server.port,
    mode: scenario.mode,
    rate: (scenario.rate ?? 0) / WORKERS,
    window: scenario.window ?? 1,
  };
  if (scenario.mode === 'idle') return idleMemory(server, users, job, pin, dir);
  const workers = Array.from({ length: WORKERS }, (_, w) =>
    startWorker({ ...job, users: users.filter((_, i) => i % WORKERS === w) }, pin),
  );
  try {
    await Promise.all(workers.map((w) => w.next('ready')));
    for (const w of workers)
      w.child.send({ type: 'go', warmupMs: WARMUP_MS, measureMs: MEASURE_MS });
    await sleep(WARMUP_MS);
    const cpu = cpuWindow(server.pid);
    const generators = () => workers.reduce((us, w) => us + cpuMicros(w.child.pid), 0);
    const generators0 = generators();
    await sleep(MEASURE_MS);
    const window = loadGenerators(cpu(), generators() - generators0);
    const rss = rssKiB(server.pid);
    const commits = kind === 'wsx-chat' ? await commitFigures(server.port) : {};
    const results = await Promise.all(workers.map((w) => w.next('result')));
    return {
      ...summarize(results, window, (rss - rss0) / scenario.users, MEASURE_MS),
      ...commits,
    };
  } finally {
    for (const w of workers) w.child.kill();
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * RSS per idle signed-in user, as the slope between two populations: half the users connect,
 * then the other half. A burst of arrivals grows V8's young generation to its limit (tens of
 * MiB, whatever the number of users) and an idle process has no reason to collect and give it
 * back; the slope leaves that fixed amount out. The plain average is reported beside it.
 */
async function idleMemory(server, users, job, pin, dir) {
  const half = users.length / 2;
  const workers = [];
  await fullGc(server);
  const readings = [rssKiB(server.pid)];
  try {
    for (const part of [users.slice(0, half), users.slice(half)]) {
      const batch = Array.from({ length: WORKERS }, (_, w) =>
        startWorker({ ...job, users: part.filter((_, i) => i % WORKERS === w) }, pin),
      );
      workers.push(...batch);
      await Promise.all(batch.map((w) => w.next('ready')));
      await sleep(2000);
      await fullGc(server);
      readings.push(rssKiB(server.pid));
    }
    return {
      rssPerUserKiB: (readings[2] - readings[1]) / half,
      rssAveragePerUserKiB: (readings[2] - readings[0]) / users.length,
    };
  } finally {
    for (const w of workers) w.child.kill();
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (process.argv.includes('--scale')) return runScale();
  const pin = pinning();
  const kinds = Object.keys(SERVERS).filter(
    (k) => !process.env.BENCH_CHAT_ONLY || k === process.env.BENCH_CHAT_ONLY,
  );
  const only = process.env.BENCH_CHAT_SCENARIOS?.split(',');
  const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.id));
  const started = new Date();
  const load = loadavg();
  console.log(
    `bench:chat — ${pin.note}; load average before: ${load.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const templates = new Map();
  const results = {};
  for (const scenario of scenarios) {
    const key = `${scenario.users}/${scenario.roomSize}`;
    if (!templates.has(key)) {
      const dir = mkdtempSync(join(tmpdir(), 'bench-chat-seed-'));
      await seed(dir, scenario.users, scenario.roomSize);
      templates.set(key, dir);
    }
    results[scenario.id] = {};
    for (const kind of kinds) {
      process.stdout.write(`${scenario.title} — ${kind} ... `);
      const result = await runOne(kind, scenario, templates.get(key), pin);
      results[scenario.id][kind] = result;
      console.log(JSON.stringify(result));
    }
  }
  for (const dir of templates.values()) rmSync(dir, { recursive: true, force: true });
  const report = format(scenarios, results, {
    started,
    seconds: (Date.now() - started) / 1000,
    pin,
    load,
    loadAfter: loadavg(),
  });
  writeResults('latest', report, started, results);
}

function format(scenarios, results, meta) {
  const rows = [];
  const row = (title, figure, key, higherBetter, digits = 1) => {
    const w = results[title]?.['wsx-chat']?.[key];
    const s = results[title]?.['socket.io']?.[key];
    const ratio =
      higherBetter !== null && Number.isFinite(w) && Number.isFinite(s) && s > 0 && w > 0
        ? higherBetter
          ? w / s
          : s / w
        : Number.NaN;
    const scenario = scenarios.find((x) => x.id === title);
    rows.push(
      `| ${scenario.title} | ${figure} | ${fmt(w, digits)} | ${fmt(s, digits)} | ${Number.isFinite(ratio) ? `${ratio.toFixed(1)}x` : '—'} |`,
    );
  };
  for (const s of scenarios) {
    if (s.mode === 'idle') {
      row(
        s.id,
        'RSS KiB per idle signed-in user (slope from 5,000 to 10,000, after a full GC)',
        'rssPerUserKiB',
        false,
        2,
      );
      row(
        s.id,
        'RSS KiB per idle signed-in user, average over 10,000 (after a full GC)',
        'rssAveragePerUserKiB',
        false,
        2,
      );
      continue;
    }
    row(s.id, 'messages stored + acked /s', 'acksPerSecond', true, 0);
    row(s.id, 'deliveries /s', 'deliveriesPerSecond', true, 0);
    row(s.id, 'ack latency p50 ms', 'p50', false, 2);
    row(s.id, 'ack latency p99 ms', 'p99', false, 2);
    row(s.id, 'ack latency p99.9 ms', 'p999', false, 2);
    row(s.id, 'server CPU µs per message', 'cpuUsPerMessage', false, 1);
    row(s.id, 'server RSS KiB per user (under load)', 'rssPerUserKiB', false, 1);
    row(
      s.id,
      'server CPU used, % of its core (the rest went to other processes)',
      'serverCpuPct',
      null,
      0,
    );
    row(s.id, 'load generators CPU, % of one core', 'generatorCpuPct', null, 0);
    row(s.id, 'wsx-chat: messages per grouped commit', 'messagesPerCommit', null, 0);
    row(s.id, 'wsx-chat: ms per commit (incl. fsync)', 'commitMs', null, 2);
  }
  const others = Object.values(results)
    .flatMap((r) => Object.values(r))
    .map((r) => r.otherCpuPct)
    .filter(Number.isFinite);
  const otherAvg = others.length ? others.reduce((a, b) => a + b, 0) / others.length : Number.NaN;
  return [
    '| scenario | figure | wsx-chat | Socket.IO 4 | wsx-chat advantage |',
    '|---|---|---:|---:|---:|',
    ...rows,
    '',
    `${meta.started.toISOString()}, ${meta.seconds.toFixed(0)} s. ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores, Node ${process.version}. ${meta.pin.note}. ` +
      `Load average before ${meta.load.map((l) => l.toFixed(2)).join(' ')}, after ${meta.loadAfter.map((l) => l.toFixed(2)).join(' ')}; ` +
      `CPU used by other processes during the measurement windows: ${otherAvg.toFixed(0)}% of one core on average. ` +
      `Both servers: SQLite (better-sqlite3) with synchronous=FULL and grouped commits; ${MEASURE_MS / 1000} s windows after ${WARMUP_MS / 1000} s of warm-up.`,
  ].join('\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

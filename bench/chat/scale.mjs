// npm run bench:chat -- --scale — the chat on several processes: wsx-chat on PostgreSQL + Redis
// with 1 and 2 worker processes (`--workers`), beside the single-node default (SQLite, the
// in-process broker) in the same run. The chat processes are pinned to CPU 0; PostgreSQL,
// redis-server and the load generators to CPU 1. Numbers, never pass/fail.
//
// On a 2-core machine two workers cannot go faster than one (they share CPU 0): what this
// measures is the cost of the multi-node path per message — in the chat processes (fan-out
// through Redis, ordering by seq, the pg driver), in PostgreSQL and in Redis — from which a
// machine with more cores can be sized. Figures: messages stored and acknowledged per second,
// ack latency p50/p99/p99.9, CPU per message in each part. Environment: BENCH_CHAT_MEASURE_MS
// (default 8000), BENCH_CHAT_SCALE_RATE (open-loop rate, default 2000 msg/s).
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpuMicros, machineMicros } from '../lib/proc.mjs';
import { pinning } from '../lib/processes.mjs';
import { fmt, loadGenerators, startWorker, summarize, writeResults } from './measure.mjs';
import { roomOf, seed, seedPostgres, token } from './seed.mjs';
import { childrenOf, startPostgres, startRedis } from './services.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const CHAT_CLI = here('../../apps/chat/dist/server/cli.js');
const MEASURE_MS = Number(process.env.BENCH_CHAT_MEASURE_MS ?? 8000);
const RATE = Number(process.env.BENCH_CHAT_SCALE_RATE ?? 2000);
const WARMUP_MS = 2000;
const GENERATORS = 2;
const USERS = 1000;
const ROOM_SIZE = 10;

const CONFIGS = [
  { id: 'sqlite', title: 'SQLite + in-process broker, 1 process', workers: 1 },
  { id: 'pg1', title: 'PostgreSQL + Redis, 1 worker', workers: 1 },
  { id: 'pg2', title: 'PostgreSQL + Redis, 2 workers', workers: 2 },
];
const SCENARIOS = [
  { id: 'full', title: 'rooms of 10, full speed (4 in flight per user)', mode: 'full', window: 4 },
  { id: 'rate', title: `rooms of 10, ${RATE} msg/s offered (open loop)`, mode: 'rate', rate: RATE },
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sum = (pids) =>
  pids.reduce((us, pid) => {
    try {
      return us + cpuMicros(pid);
    } catch {
      return us; // exited
    }
  }, 0);

/** Starts wsx-chat; resolves { child, port, pids } once every worker listens. */
function startChat(args, workers, pin) {
  const [file, ...rest] = [...pin.server, process.execPath, CHAT_CLI, ...args];
  const child = spawn(file, rest, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (line !== '' && !line.includes('wsx chat is running')) console.error(line);
  });
  const pids = new Set([child.pid]);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`wsx-chat exited (${code}) before listening`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line);
      if (entry.msg !== 'listening') return;
      pids.add(entry.pid);
      if (workers === 1 || entry.workers === workers)
        resolve({ child, port: Number(new URL(entry.url).port), pids: [...pids] });
    });
  });
}

async function runOne(config, scenario, backends, pin) {
  let args = ['--port', '0', '--rate', '1000000', '--burst', '1000000'];
  let dataDir = null;
  let db = null;
  if (config.id === 'sqlite') {
    dataDir = mkdtempSync(join(tmpdir(), 'bench-chat-scale-'));
    cpSync(backends.sqliteTemplate, dataDir, { recursive: true });
    args.push('--data-dir', dataDir);
  } else {
    db = `run_${config.id}_${scenario.id}_${Date.now()}`;
    await backends.postgres.query(`CREATE DATABASE ${db} TEMPLATE seed`);
    args = [...args, '--store', backends.postgres.url(db), '--broker', backends.redis.url];
    args.push('--workers', String(config.workers));
  }
  const chat = await startChat(args, config.workers, pin);
  const users = Array.from({ length: USERS }, (_, i) => ({
    token: token(i),
    room: roomOf(i, ROOM_SIZE),
  }));
  const job = {
    kind: 'wsx-chat',
    port: chat.port,
    mode: scenario.mode,
    rate: (scenario.rate ?? 0) / GENERATORS,
    window: scenario.window ?? 1,
  };
  const generators = Array.from({ length: GENERATORS }, (_, g) =>
    startWorker({ ...job, users: users.filter((_, i) => i % GENERATORS === g) }, pin),
  );
  try {
    await Promise.all(generators.map((g) => g.next('ready')));
    for (const g of generators)
      g.child.send({ type: 'go', warmupMs: WARMUP_MS, measureMs: MEASURE_MS });
    await sleep(WARMUP_MS);
    const window = meter(chat.pids, config.id === 'sqlite' ? {} : backends, generators);
    const wal0 = db === null ? null : await walAndCommits(backends.postgres, db);
    await sleep(MEASURE_MS);
    const cpu = window();
    const wal1 = db === null ? null : await walAndCommits(backends.postgres, db);
    const results = await Promise.all(generators.map((g) => g.next('result')));
    const summary = summarize(results, cpu, Number.NaN, MEASURE_MS);
    const messages = summary.acksPerSecond * cpu.seconds;
    const perMessage = (x) => (messages > 0 ? x / messages : Number.NaN);
    return {
      ...summary,
      pgUsPerMessage: perMessage(cpu.pgUs),
      redisUsPerMessage: perMessage(cpu.redisUs),
      walBytesPerMessage: wal0 === null ? Number.NaN : perMessage(wal1.wal - wal0.wal),
      messagesPerCommit: wal0 === null ? Number.NaN : messages / (wal1.commits - wal0.commits),
    };
  } finally {
    for (const g of generators) g.child.kill();
    chat.child.kill('SIGTERM');
    await new Promise((resolve) => chat.child.once('exit', resolve));
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** PostgreSQL's WAL position (bytes) and the database's committed transactions so far. */
async function walAndCommits(postgres, db) {
  const { rows } = await postgres.query(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 AS wal,
       (SELECT xact_commit FROM pg_stat_database WHERE datname = '${db}')::float8 AS commits`,
  );
  return rows[0];
}

/** CPU over a window: the chat processes, PostgreSQL's, Redis's, the load generators', the rest. */
function meter(chatPids, backends, generators) {
  const pgPids = backends.postgres
    ? [backends.postgres.pid, ...childrenOf(backends.postgres.pid)]
    : [];
  const redisPids = backends.redis ? [backends.redis.pid] : [];
  const genPids = generators.map((g) => g.child.pid);
  const t0 = performance.now();
  const [chat0, pg0, redis0, gen0, machine0] = [
    sum(chatPids),
    sum(pgPids),
    sum(redisPids),
    sum(genPids),
    machineMicros(),
  ];
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const chatUs = sum(chatPids) - chat0;
    const pgUs = sum(pgPids) - pg0;
    const redisUs = sum(redisPids) - redis0;
    const genUs = sum(genPids) - gen0;
    const busy = machineMicros().busy - machine0.busy;
    const pct = (us) => (100 * us) / (seconds * 1e6);
    const window = loadGenerators(
      {
        seconds,
        serverCpuUs: chatUs,
        serverCpuPct: pct(chatUs),
        otherCpuPct: pct(busy - chatUs - pgUs - redisUs),
      },
      genUs,
    );
    return { ...window, pgUs, redisUs, pgCpuPct: pct(pgUs), redisCpuPct: pct(redisUs) };
  };
}

function format(results, meta) {
  const head = `| figure | ${CONFIGS.map((c) => c.title).join(' | ')} |`;
  const lines = [];
  for (const scenario of SCENARIOS) {
    lines.push(`**${scenario.title}**`, '', head, `|---|${CONFIGS.map(() => '---:').join('|')}|`);
    const row = (figure, key, digits) =>
      lines.push(
        `| ${figure} | ${CONFIGS.map((c) => fmt(results[c.id]?.[scenario.id]?.[key], digits)).join(' | ')} |`,
      );
    row('messages stored + acked /s', 'acksPerSecond', 0);
    row('deliveries /s', 'deliveriesPerSecond', 0);
    row('ack latency p50 ms', 'p50', 2);
    row('ack latency p99 ms', 'p99', 2);
    row('ack latency p99.9 ms', 'p999', 2);
    row('chat processes CPU µs per message', 'cpuUsPerMessage', 1);
    row('PostgreSQL CPU µs per message', 'pgUsPerMessage', 1);
    row('Redis CPU µs per message', 'redisUsPerMessage', 1);
    row('PostgreSQL WAL bytes per message', 'walBytesPerMessage', 0);
    row('messages per PostgreSQL transaction', 'messagesPerCommit', 1);
    row('chat processes CPU, % of one core', 'serverCpuPct', 0);
    row('other processes CPU, % of one core (not ours)', 'otherCpuPct', 0);
    row('errors', 'errors', 0);
    lines.push('');
  }
  lines.push(
    `${meta.started.toISOString()}, ${meta.seconds.toFixed(0)} s. ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores, Node ${process.version}. ` +
      `Chat processes on CPU 0; PostgreSQL (fsync on, synchronous_commit on), redis-server and the load generators on CPU 1 (${meta.pin.note}). ` +
      `${USERS} users in rooms of ${ROOM_SIZE}. Load average before ${meta.load.map((l) => l.toFixed(2)).join(' ')}, after ${meta.loadAfter.map((l) => l.toFixed(2)).join(' ')}. ` +
      `${MEASURE_MS / 1000} s windows after ${WARMUP_MS / 1000} s of warm-up.`,
  );
  return lines.join('\n');
}

export async function runScale() {
  const pin = pinning();
  const load = loadavg();
  const started = new Date();
  console.log(
    `bench:chat --scale — ${pin.note}; load average before: ${load.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const servicePin = pin.load.length ? pin.load : [];
  const postgres = await startPostgres(servicePin);
  const redis = await startRedis(servicePin);
  const sqliteTemplate = mkdtempSync(join(tmpdir(), 'bench-chat-seed-'));
  const results = {};
  try {
    await postgres.query('CREATE DATABASE seed');
    await seedPostgres(postgres.url('seed'), USERS, ROOM_SIZE);
    await seed(sqliteTemplate, USERS, ROOM_SIZE);
    const backends = { postgres, redis, sqliteTemplate };
    for (const scenario of SCENARIOS) {
      for (const config of CONFIGS) {
        process.stdout.write(`${scenario.title} — ${config.title} ... `);
        const result = await runOne(config, scenario, backends, pin);
        results[config.id] = { ...results[config.id], [scenario.id]: result };
        console.log(JSON.stringify(result));
      }
    }
  } finally {
    await redis.stop();
    await postgres.stop();
    rmSync(sqliteTemplate, { recursive: true, force: true });
  }
  const report = format(results, {
    started,
    seconds: (Date.now() - started) / 1000,
    pin,
    load,
    loadAfter: loadavg(),
  });
  writeResults('scale', report, started, results);
}

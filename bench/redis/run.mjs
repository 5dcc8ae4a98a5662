#!/usr/bin/env node
// Cross-process fan-out over Redis: wsx + wsx-redis against Socket.IO 4 + @socket.io/redis-adapter,
// with 1, 2 and 3 server processes sharing one redis-server, in the same run.
//
//   npm run bench:redis [-- --reps N] [--quick] [--systems wsx,socketio] [--processes 1,2,3]
//                       [--rate 10000] [--modes throughput,rate]
//                       [--no-redis-benchmark | --redis-benchmark-only]
//
// Pinning (2 cores): every server process on CPU 0; redis-server and the load generator on CPU
// 1. Two figures per system and process count:
// - throughput: 50 subscribers per process, closed loop (64 messages in flight): deliveries/s
//   and deliveries per server CPU-second (the servers' CPU summed; Redis's CPU shown apart);
// - latency at 10,000 messages/s: 2 subscribers per process, paced publishes for 5 s: p50/p99
//   publish-to-receipt on the publisher's process and on the others (cross-process).
// Then `redis-benchmark` measures Redis's own pub/sub throughput here (for docs/scaling.md).
// Results: bench/results/redis.md (tables) and redis.json (every sample, machine, load).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { machine } from '../lib/machine.mjs';
import { pinning } from '../lib/processes.mjs';
import { summarize } from '../lib/stats.mjs';
import { freePort, redisBenchmark } from './redis-benchmark.mjs';
import { markdown } from './report.mjs';

const HERE = new URL('.', import.meta.url).pathname;
const RESULTS = new URL('../results/', import.meta.url).pathname;

function options(argv) {
  const get = (name) => {
    const at = argv.indexOf(`--${name}`);
    return at < 0 ? undefined : argv[at + 1];
  };
  const quick = argv.includes('--quick');
  return {
    reps: Number(get('reps') ?? (quick ? 1 : 3)),
    // wsx-local: one wsx process with no adapter, the baseline of what Redis costs.
    systems: (get('systems') ?? 'wsx-local,wsx,socketio').split(','),
    processes: (get('processes') ?? '1,2,3').split(',').map(Number),
    window: quick ? 2 : 5,
    warmup: quick ? 1 : 2,
    rate: Number(get('rate') ?? 10_000),
    modes: (get('modes') ?? 'throughput,rate').split(','),
    redisBenchmark: !argv.includes('--no-redis-benchmark'),
    redisBenchmarkOnly: argv.includes('--redis-benchmark-only'),
  };
}

/** A redis-server pinned to the load generator's core, no persistence, in a temp dir. */
async function startRedis(pin) {
  const dir = mkdtempSync(join(tmpdir(), 'wsx-bench-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(...prefixed(pin.load, 'redis-server', [...args, '--dir', dir]), {
    stdio: 'ignore',
  });
  for (let i = 0; i < 200; i++) {
    const ping = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (ping.stdout.trim() === 'PONG') break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    port,
    pid: child.pid,
    url: `redis://127.0.0.1:${port}`,
    stop() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function prefixed(prefix, file, args) {
  const all = [...prefix, file, ...args];
  return [all[0], all.slice(1)];
}

/** Starts one server process (pinned to the server core); resolves { pid, port, stop }. */
function startServer(system, redisUrl, pin) {
  const file = join(HERE, system === 'socketio' ? 'socketio-node.mjs' : 'wsx-node.mjs');
  const env = { ...process.env, REDIS_URL: redisUrl };
  if (system === 'wsx-local') delete env.REDIS_URL;
  // WSX_BENCH_PROFILE=<dir>: each server process writes a CPU profile there when stopped.
  const profile = process.env.WSX_BENCH_PROFILE;
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const child = spawn(...prefixed(pin.server, process.execPath, [...flags, file]), {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${system} server exited (${code})`)));
    createInterface({ input: child.stdout }).once('line', (line) =>
      resolve({
        pid: child.pid,
        port: Number(line),
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit');
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
      }),
    );
  });
}

function runLoad(job, pin) {
  // BENCH_LOAD_FLAGS: Node flags for the load generator (e.g. --cpu-prof), as for npm run bench.
  const flags = process.env.BENCH_LOAD_FLAGS?.split(' ').filter(Boolean) ?? [];
  const file = join(HERE, 'load.mjs');
  const child = spawn(...prefixed(pin.load, process.execPath, [...flags, file]), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.send(job);
  return new Promise((resolve, reject) => {
    child.once('message', (m) =>
      m.type === 'result' ? resolve(m.result) : reject(new Error(m.message)),
    );
    child.once('exit', (code) => code !== 0 && reject(new Error(`load exited (${code})`)));
  });
}

async function measure(system, processes, mode, opts, redis, pin) {
  const servers = [];
  for (let i = 0; i < processes; i++) servers.push(await startServer(system, redis.url, pin));
  try {
    return await runLoad(
      {
        system: system === 'socketio' ? 'socketio' : 'wsx',
        mode,
        ports: servers.map((s) => s.port),
        serverPids: servers.map((s) => s.pid),
        redisPid: redis.pid,
        subs: mode === 'throughput' ? 50 : 2,
        inflight: 64,
        rate: opts.rate,
        window: opts.window,
        warmup: opts.warmup,
      },
      pin,
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

const opts = options(process.argv.slice(2));
const pin = pinning();
const started = Date.now();
const load = { before: loadavg(), after: null };
const redis = await startRedis(pin);
const samples = [];
try {
  for (let rep = 0; rep < (opts.redisBenchmarkOnly ? 0 : opts.reps); rep++) {
    for (const processes of opts.processes) {
      for (const system of opts.systems) {
        if (system === 'wsx-local' && processes !== 1) continue;
        for (const mode of opts.modes) {
          const result = await measure(system, processes, mode, opts, redis, pin);
          samples.push({ rep, system, processes, mode, ...result });
          console.error(`${system} x${processes} ${mode}: ${JSON.stringify(result)}`);
        }
      }
    }
  }
} finally {
  redis.stop();
}
const redisBench = opts.redisBenchmark ? await redisBenchmark(pin) : null;
load.after = loadavg();

const summary = {};
for (const s of samples) {
  const key = `${s.system}|${s.processes}|${s.mode}`;
  summary[key] ??= [];
  summary[key].push(s);
}
const figures = Object.fromEntries(
  Object.entries(summary).map(([key, list]) => [
    key,
    Object.fromEntries(
      Object.keys(list[0])
        .filter((k) => typeof list[0][k] === 'number' && k !== 'rep' && k !== 'processes')
        .map((k) => [k, summarize(list.map((s) => s[k]))]),
    ),
  ]),
);
const report = {
  date: new Date().toISOString(),
  seconds: Math.round((Date.now() - started) / 1000),
  machine: machine(pin),
  load,
  options: opts,
  figures,
  samples,
  redisBenchmark: redisBench,
};
const partial =
  opts.redisBenchmarkOnly || opts.reps < 3 || opts.systems.length < 3 || opts.processes.length < 3;
const out = partial ? join(RESULTS, 'tmp') : RESULTS;
spawnSync('mkdir', ['-p', out]);
writeFileSync(join(out, 'redis.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(out, 'redis.md'), markdown(report));
console.log(markdown(report));

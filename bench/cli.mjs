#!/usr/bin/env node
// `wsx bench` against the repository's own load generator (bench/load/), on the same wsx server
// (bench/servers/wsx.mjs: echo on /, broadcast on /broadcast), in the same run: is the CLI's
// load generator the bottleneck? Each measurement starts a fresh server pinned to CPU 0 and
// runs one generator pinned to CPU 1; the two generators alternate, 3 repetitions by default.
//   npm run bench:cli [-- --reps N] [-- --quick]
// Results: bench/results/cli.{md,json} (--quick: bench/results/tmp/). Numbers, never pass/fail.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { machine } from './lib/machine.mjs';
import { cpuMicros, machineMicros } from './lib/proc.mjs';
import { pinning, pinSelf, runJob, startServer } from './lib/processes.mjs';
import { summarize } from './lib/stats.mjs';

const WSX = new URL('../packages/wsx/dist/cli/main.js', import.meta.url).pathname;
const log = (...args) => console.error(...args);

const SCENARIOS = [
  {
    id: 'echo-64',
    title: 'Echo, 64 B text: 100 connections, 32 messages in flight on each',
    unit: 'msg/s',
    repo: (w) => ({
      mode: 'echo',
      conns: 100,
      depth: 32,
      payload: { kind: 'text', size: 64 },
      ...w,
    }),
    repoFigure: (r) => r.msgsPerSec,
    cli: (w) => ['-c', '100', '-C', '32', '-s', '64', '-w', `${w.warmup}s`, '-d', `${w.window}s`],
    path: '/',
  },
  {
    id: 'fanout-1k',
    title: 'Fan-out, 64 B to 1,000 subscribers: one publisher, 64 messages in flight',
    unit: 'deliveries/s',
    repo: (w) => ({
      mode: 'fanout',
      subs: 1000,
      inflight: 64,
      latencyWindow: 0.3,
      latencySamples: 50,
      ...w,
    }),
    repoFigure: (r) => r.deliveriesPerSec,
    cli: (w) => [
      '--mode',
      'publish',
      '-c',
      '1000',
      '--senders',
      '1',
      '-C',
      '64',
      '-s',
      '64',
      '-w',
      `${w.warmup}s`,
      '-d',
      `${w.window}s`,
    ],
    path: '/broadcast',
  },
];

function options(argv) {
  const quick = argv.includes('--quick');
  const at = argv.indexOf('--reps');
  const reps = at >= 0 ? Number(argv[at + 1]) : quick ? 1 : 3;
  if (!(Number.isInteger(reps) && reps >= 1)) throw new Error('--reps takes a whole number >= 1');
  return { quick, reps, window: quick ? { warmup: 0.5, window: 1 } : { warmup: 1, window: 3 } };
}

/** The repository's generator: its own window after its warm-up; server CPU from /proc. */
async function repoGenerator(scenario, pin, window) {
  const server = await startServer('wsx', {}, pin);
  const r = await runJob(
    { ...scenario.repo(window), port: server.port, serverPid: server.pid },
    pin,
    server,
  );
  const figure = scenario.repoFigure(r);
  return {
    figure,
    serverCpuPct: r.serverCpuPct,
    loadCpuPct: r.loadCpuPct,
    otherCpuPct: r.otherCpuPct,
    ...perMessage(r.serverCpuPct, r.loadCpuPct, figure),
  };
}

/**
 * `wsx bench --json`, run as a user would (a child process pinned to the load core), with the
 * same warm-up and window as the repository's generator. Its figures are its own summary's
 * (throughput, and its CPU over the window). The server's CPU is sampled every 100 ms; the
 * window read is the last `window` seconds of sending (ending just before exit).
 */
async function cliGenerator(scenario, pin, window) {
  const server = await startServer('wsx', {}, pin);
  try {
    const url = `ws://127.0.0.1:${server.port}${scenario.path}`;
    const args = [
      ...pin.load,
      process.execPath,
      WSX,
      'bench',
      '--json',
      '--quiet',
      '--connect-rate',
      '100000',
      ...scenario.cli(window),
      url,
    ];
    const child = spawn(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    const samples = [];
    const sample = () => {
      try {
        samples.push({
          t: performance.now(),
          server: cpuMicros(server.pid),
          load: cpuMicros(child.pid),
          machine: machineMicros().busy,
        });
      } catch {
        // the generator has exited
      }
    };
    const timer = setInterval(sample, 100);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s) => {
      out += s;
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    clearInterval(timer);
    if (code !== 0) throw new Error(`wsx bench exited with ${code}`);
    const summary = JSON.parse(out);
    const end = samples.at(-2) ?? samples.at(-1); // the last full interval before closing
    const start = samples.findLast((s) => s.t <= end.t - window.window * 1000) ?? samples[0];
    const seconds = (end.t - start.t) / 1000;
    const pct = (us) => (100 * us) / (seconds * 1e6);
    const server$ = end.server - start.server;
    const load = end.load - start.load;
    const figure = summary.throughput.messagesPerSecond;
    return {
      figure,
      serverCpuPct: pct(server$),
      // Its own reading, over all its sending (process.cpuUsage, as its summary reports it).
      loadCpuPct: summary.generatorCpuPercent,
      otherCpuPct: Math.max(0, pct(end.machine - start.machine - server$ - load)),
      ...perMessage(pct(server$), summary.generatorCpuPercent, figure),
      errors: summary.errors,
      latency: summary.latencyUs,
    };
  } finally {
    await server.stop();
  }
}

/**
 * CPU microseconds per message (or delivery) of the server and of the generator: unlike
 * throughput, hardly moved by other processes taking turns on the cores of a shared machine. A
 * generator that spends less per message than the server cannot be what limits it, once each
 * has a core of its own.
 */
function perMessage(serverCpuPct, loadCpuPct, perSecond) {
  return {
    serverUsPerMsg: (serverCpuPct * 1e4) / perSecond,
    generatorUsPerMsg: (loadCpuPct * 1e4) / perSecond,
  };
}

const fmt = (n, digits = 0) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(digits);

function table(results) {
  const lines = [
    '| scenario | load generator | throughput (median, min–max) | × repo | server CPU µs per message | generator CPU µs per message | server CPU % | generator CPU % | other CPU % |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { scenario, generators } of results) {
    const repo = summarize(generators.repo.map((s) => s.figure)).median;
    for (const [name, label] of [
      ['repo', 'bench/load (raw sockets)'],
      ['cli', '`wsx bench`'],
    ]) {
      const samples = generators[name];
      const f = summarize(samples.map((s) => s.figure));
      const med = (key, digits = 0) => summarize(samples.map((s) => s[key])).median.toFixed(digits);
      lines.push(
        `| ${scenario.title} | ${label} | ${fmt(f.median)} ${scenario.unit} (${fmt(f.min)}–${fmt(f.max)}) | ${(f.median / repo).toFixed(2)}x | ${med('serverUsPerMsg', 2)} | ${med('generatorUsPerMsg', 2)} | ${med('serverCpuPct')} | ${med('loadCpuPct')} | ${med('otherCpuPct')} |`,
      );
    }
  }
  return lines.join('\n');
}

async function main() {
  const opts = options(process.argv.slice(2));
  const pin = pinning();
  if (pin.server.length === 0) log(`\n*** ${pin.note}: figures are NOT comparable ***\n`);
  pinSelf(pin);
  const started = new Date();
  const load = loadavg();
  const results = [];
  for (const scenario of SCENARIOS) {
    const generators = { repo: [], cli: [] };
    for (let rep = 0; rep < opts.reps; rep++) {
      const order = rep % 2 === 0 ? ['repo', 'cli'] : ['cli', 'repo'];
      for (const name of order) {
        const run = name === 'repo' ? repoGenerator : cliGenerator;
        const s = await run(scenario, pin, opts.window);
        generators[name].push(s);
        log(
          `[${scenario.id} ${rep + 1}/${opts.reps}] ${name}: ${fmt(s.figure)} ${scenario.unit}, CPU µs per message: server ${s.serverUsPerMsg.toFixed(2)}, generator ${s.generatorUsPerMsg.toFixed(2)} (server ${s.serverCpuPct.toFixed(0)}%, generator ${s.loadCpuPct.toFixed(0)}%, other ${s.otherCpuPct.toFixed(0)}%)${s.errors && Object.keys(s.errors).length ? ` errors ${JSON.stringify(s.errors)}` : ''}`,
        );
      }
    }
    results.push({ scenario, generators });
  }
  const m = machine(pin);
  const header =
    `${started.toISOString()}. ${m.cpu}, ${m.cores} cores, Linux ${m.kernel}, Node ${m.node}, wsx ${m.wsx} at ${m.commit}${m.uncommitted ? ' (uncommitted changes)' : ''}. ` +
    `${m.pinning}. Load average before the run: ${load.map((l) => l.toFixed(2)).join(', ')}. ${opts.reps} repetition(s), generators alternating; ` +
    `both: ${opts.window.warmup} s of warm-up, then a ${opts.window.window} s window (server CPU for wsx bench: sampled over its last ${opts.window.window} s).`;
  const report = `# wsx bench against the repository's load generator\n\n${header}\n\n${table(results)}\n`;
  const out = new URL(opts.quick ? './results/tmp/' : './results/', import.meta.url).pathname;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'cli.md'), report);
  const json = {
    startedAt: started.toISOString(),
    loadavg: load,
    machine: m,
    options: opts,
    results: results.map(({ scenario, generators }) => ({
      id: scenario.id,
      title: scenario.title,
      unit: scenario.unit,
      generators,
    })),
  };
  writeFileSync(join(out, 'cli.json'), `${JSON.stringify(json, null, 2)}\n`);
  console.log(report);
  log(`wrote ${join(out, 'cli.{md,json}')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

// What bench:chat's scenarios share: the load generator processes (load.mjs, pinned to the load
// core), the CPU of the load generators taken out of the machine's, wsx-chat's grouped-commit
// figures from its /metrics, the summary of one measurement window, and the results files.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from '../lib/stats.mjs';

const LOAD = fileURLToPath(new URL('./load.mjs', import.meta.url));

export function startWorker(job, pin) {
  const child = spawn(
    pin.load[0] ?? process.execPath,
    [
      ...pin.load.slice(1),
      ...(pin.load.length ? [process.execPath] : []),
      '--max-semi-space-size=32',
      LOAD,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const inbox = [];
  const waiting = [];
  child.on('message', (message) => {
    if (message.type === 'error') console.error(`load generator: ${message.message}`);
    const w = waiting.findIndex((x) => x.type === message.type || message.type === 'error');
    if (w >= 0) waiting.splice(w, 1)[0].resolve(message);
    else inbox.push(message);
  });
  child.send({ type: 'job', ...job });
  return {
    child,
    next: (type) =>
      new Promise((resolve, reject) => {
        const at = inbox.findIndex((m) => m.type === type);
        if (at >= 0) return resolve(inbox.splice(at, 1)[0]);
        waiting.push({
          type,
          resolve: (m) => (m.type === 'error' ? reject(new Error(m.message)) : resolve(m)),
        });
      }),
  };
}

/**
 * The load generators are processes of their own: their CPU is counted apart, and taken out
 * of what the rest of the machine used (cpuWindow counts only this process as the load).
 */
export function loadGenerators(window, generatorUs) {
  const pct = (100 * generatorUs) / (window.seconds * 1e6);
  return { ...window, generatorCpuPct: pct, otherCpuPct: Math.max(0, window.otherCpuPct - pct) };
}

/** wsx-chat's own view of its grouped commits (its /metrics): messages per commit, ms each. */
export async function commitFigures(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  const commits = value('chat_store_commit_seconds_count');
  return {
    messagesPerCommit: value('chat_store_commit_messages_sum') / commits,
    commitMs: (1000 * value('chat_store_commit_seconds_sum')) / commits,
  };
}

export function summarize(results, window, rssPerUserKiB, measureMs) {
  const seconds = measureMs / 1000;
  const acks = results.reduce((n, r) => n + r.acks, 0);
  const latencies = Float64Array.from(results.flatMap((r) => r.latencies)).sort();
  const errors = results.reduce((n, r) => n + r.errors, 0);
  return {
    acksPerSecond: acks / seconds,
    deliveriesPerSecond: results.reduce((n, r) => n + r.deliveries, 0) / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    p999: percentile(latencies, 99.9),
    // Nothing acknowledged in the window (a server that collapsed): no per-message figure.
    cpuUsPerMessage: acks === 0 ? Number.NaN : window.serverCpuUs / acks,
    serverCpuPct: window.serverCpuPct,
    generatorCpuPct: window.generatorCpuPct,
    otherCpuPct: window.otherCpuPct,
    rssPerUserKiB,
    errors,
    firstError: results.find((r) => r.firstError)?.firstError ?? null,
  };
}

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

/** A figure for the tables: thousands as "12.3k", absent ones as a dash. */
export const fmt = (n, digits = 1) =>
  Number.isFinite(n) ? (n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(digits)) : '—';

/** Prints the report and writes results/<name>.md and results/<name>.json (every sample). */
export function writeResults(name, report, started, results) {
  console.log(`\n${report}`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${name}.md`), `${report}\n`);
  writeFileSync(
    join(RESULTS, `${name}.json`),
    `${JSON.stringify({ started, results }, null, 2)}\n`,
  );
}

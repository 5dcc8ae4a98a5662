/** The end of a run: the processes' results merged, as text for a person or as JSON. */

import { formatBytes } from '../values.js';
import { Histogram } from './histogram.js';
import type { BenchMode, LoadResult } from './job.js';

/** What the run was asked to do (for the summary's header). */
export interface BenchPlan {
  readonly url: string;
  readonly mode: BenchMode;
  readonly connections: number;
  readonly senders: number;
  readonly concurrency: number;
  readonly rate: number | null;
  readonly size: number;
  readonly binary: boolean;
  readonly durationMs: number | null;
  readonly warmupMs: number;
  readonly messages: number | null;
  readonly processes: number;
}

/** The JSON summary (`--json`): stable field names; latencies in microseconds. */
export interface BenchSummary {
  readonly url: string;
  readonly mode: BenchMode;
  readonly size: number;
  readonly binary: boolean;
  readonly processes: number;
  /** Closed loop: messages in flight per sender; null in open loop. */
  readonly concurrency: number | null;
  /** Open loop: the target rate (messages/s); null in closed loop. */
  readonly rate: number | null;
  readonly connections: {
    readonly requested: number;
    readonly opened: number;
    readonly failed: number;
  };
  readonly senders: number;
  /** Sent: messages sent (publish: published). Received: echoes, or publish deliveries. */
  readonly messages: { readonly sent: number; readonly received: number };
  /** The warm-up before measuring (messages sent then are neither counted nor timed). */
  readonly warmupSeconds: number;
  /** From the first message measured (after the warm-up) to the last received. */
  readonly seconds: number;
  readonly throughput: { readonly messagesPerSecond: number; readonly megabytesPerSecond: number };
  readonly latencyUs: {
    readonly count: number;
    readonly min: number;
    readonly mean: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
  };
  readonly errors: Readonly<Record<string, number>>;
  /**
   * How busy the load generator was: its busiest process's CPU time while the messages went
   * and came, in % of one core. Near 100, it may be what limits the figures (--processes).
   */
  readonly generatorCpuPercent: number;
}

export function summarize(plan: BenchPlan, results: readonly LoadResult[]): BenchSummary {
  const histogram = new Histogram();
  const errors: Record<string, number> = {};
  let opened = 0;
  let failed = 0;
  let sent = 0;
  let received = 0;
  let elapsedMs = 0;
  let cpuPct = 0;
  for (const result of results) {
    histogram.add(result.histogram);
    opened += result.opened;
    failed += result.failed;
    sent += result.sent;
    received += result.received;
    elapsedMs = Math.max(elapsedMs, result.elapsedMs);
    cpuPct = Math.max(cpuPct, result.cpuPct);
    for (const [kind, count] of Object.entries(result.errorKinds)) {
      errors[kind] = (errors[kind] ?? 0) + count;
    }
  }
  const seconds = elapsedMs / 1000;
  const us = (ns: number): number => Math.round(ns / 10) / 100; // 0.01 µs
  return {
    url: plan.url,
    mode: plan.mode,
    size: plan.size,
    binary: plan.binary,
    processes: plan.processes,
    concurrency: plan.rate === null ? plan.concurrency : null,
    rate: plan.rate,
    connections: { requested: plan.connections, opened, failed },
    senders: plan.mode === 'echo' ? opened : Math.min(plan.senders, opened),
    messages: { sent, received },
    warmupSeconds: plan.warmupMs / 1000,
    seconds: Math.round(seconds * 1000) / 1000,
    throughput: {
      messagesPerSecond: seconds > 0 ? Math.round(received / seconds) : 0,
      megabytesPerSecond:
        seconds > 0 ? Math.round((received * plan.size) / seconds / 1e4) / 100 : 0,
    },
    latencyUs: {
      count: histogram.count,
      min: us(histogram.min),
      mean: us(histogram.mean),
      p50: us(histogram.percentile(50)),
      p90: us(histogram.percentile(90)),
      p99: us(histogram.percentile(99)),
      p999: us(histogram.percentile(99.9)),
      max: us(histogram.max),
    },
    errors,
    generatorCpuPercent: Math.round(cpuPct),
  };
}

/** A generator process this busy may be what limits a run. */
const BUSY_PCT = 90;

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** `850 µs`, `12.3 ms`, `1.25 s`. */
export function formatLatency(us: number): string {
  if (us < 1000) return `${us < 10 ? us.toFixed(2) : us < 100 ? us.toFixed(1) : us.toFixed(0)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

/** The one-line description of the load: mode, message, connections, loop. */
export function loadLine(plan: BenchPlan): string {
  const message = `${formatBytes(plan.size)} ${plan.binary ? 'binary' : 'text'}`;
  const who =
    plan.mode === 'echo'
      ? `${count(plan.connections)} connections`
      : `${count(plan.senders)} sender${plan.senders === 1 ? '' : 's'} to ${count(plan.connections)} connections`;
  const loop =
    plan.rate === null
      ? `${count(plan.concurrency)} in flight per ${plan.mode === 'echo' ? 'connection' : 'sender'}`
      : `open loop at ${count(plan.rate)} msg/s`;
  const length =
    plan.messages === null
      ? `${(plan.durationMs ?? 0) / 1000} s`
      : `${count(plan.messages)} messages`;
  const processes = plan.processes > 1 ? `, ${plan.processes} processes` : '';
  const warmup = plan.warmupMs > 0 ? ` after ${plan.warmupMs / 1000} s of warm-up` : '';
  return `${plan.mode}, ${message}, ${who}, ${loop}, ${length}${warmup}${processes}`;
}

export function formatSummary(summary: BenchSummary, plan: BenchPlan): string {
  const l = summary.latencyUs;
  const publish = summary.mode === 'publish';
  const rows: [string, string][] = [
    [
      'connections',
      `${count(summary.connections.opened)} opened, ${count(summary.connections.failed)} failed`,
    ],
    [
      'messages',
      publish
        ? `${count(summary.messages.sent)} published, ${count(summary.messages.received)} delivered`
        : `${count(summary.messages.sent)} sent, ${count(summary.messages.received)} received`,
    ],
    [
      'throughput',
      `${count(summary.throughput.messagesPerSecond)} ${publish ? 'deliveries' : 'msg'}/s, ` +
        `${summary.throughput.megabytesPerSecond} MB/s over ${summary.seconds.toFixed(2)} s`,
    ],
    [
      publish ? 'latency' : 'round trip',
      l.count === 0
        ? 'no message timed'
        : `p50 ${formatLatency(l.p50)}  p90 ${formatLatency(l.p90)}  p99 ${formatLatency(l.p99)}  ` +
          `p99.9 ${formatLatency(l.p999)}  max ${formatLatency(l.max)}  (mean ${formatLatency(l.mean)})`,
    ],
  ];
  const errors = Object.entries(summary.errors).sort((a, b) => b[1] - a[1]);
  if (errors.length === 0) rows.push(['errors', 'none']);
  for (const [i, [kind, n]] of errors.entries()) {
    rows.push([i === 0 ? 'errors' : '', `${count(n)} ${kind}`]);
  }
  rows.push(['generator', generatorLine(summary)]);
  const lines = [`wsx bench ${summary.url}: ${loadLine(plan)}`, ''];
  for (const [label, value] of rows) lines.push(`  ${label.padEnd(12)}${value}`);
  return `${lines.join('\n')}\n`;
}

/** `CPU 23% of a core`, with a warning when the generator may have been the bottleneck. */
function generatorLine(summary: BenchSummary): string {
  const busiest = summary.processes > 1 ? ' (busiest process)' : '';
  const cpu = `CPU ${summary.generatorCpuPercent}% of a core${busiest}`;
  // In open loop the generator polls for the next due message: busy, but not a bottleneck.
  if (summary.rate !== null) return `${cpu} (open loop: it polls between sends)`;
  if (summary.generatorCpuPercent < BUSY_PCT) return cpu;
  return `${cpu}: it may be what limits these figures (try --processes)`;
}

/** What one load-generator process is asked to do, and what it reports. */

import type { HistogramData } from './histogram.js';

export type BenchMode = 'echo' | 'publish';

/** One process's share of a run. */
export interface LoadJob {
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly protocols: readonly string[];
  readonly origin: string | undefined;
  /** PEM text of the CAs to trust. */
  readonly ca: string | undefined;
  readonly insecure: boolean;
  readonly timeoutMs: number;
  readonly mode: BenchMode;
  readonly connections: number;
  /** Connections that send: all of them in echo mode; the first ones in publish mode. */
  readonly senders: number;
  /** The number of this process's first sender (sender numbers are unique across processes). */
  readonly senderBase: number;
  /** Closed loop: messages in flight per sender. */
  readonly concurrency: number;
  readonly size: number;
  readonly binary: boolean;
  /** How long to send before measuring (JIT, connection ramp): not counted, not timed. */
  readonly warmupMs: number;
  /** How long to send (after the warm-up), or null with `messages`. */
  readonly durationMs: number | null;
  /** How many messages this process sends in all, or null with `durationMs`. */
  readonly messages: number | null;
  /** Open loop: this process's messages per second, or null (closed loop). */
  readonly rate: number | null;
  /** Connections opened per second at most. */
  readonly connectRate: number;
  /** The run's clock origin: `process.hrtime.bigint()` of the coordinating process, as text. */
  readonly epochNs: string;
}

/** Counters, as progress and in the result. */
export interface LoadProgress {
  readonly opened: number;
  readonly failed: number;
  readonly sent: number;
  readonly received: number;
  readonly errors: number;
}

/** Why a connection could not open: for the exit status when none could. */
export interface OpenFailure {
  readonly message: string;
  readonly hint: string | undefined;
  readonly exitCode: number;
}

export interface LoadResult extends LoadProgress {
  /** From the start of sending to the last message received (or to the stop). */
  readonly elapsedMs: number;
  /** The process's CPU time while sending and receiving, in % of one core. */
  readonly cpuPct: number;
  readonly errorKinds: Readonly<Record<string, number>>;
  readonly histogram: HistogramData;
  readonly firstFailure: OpenFailure | null;
}

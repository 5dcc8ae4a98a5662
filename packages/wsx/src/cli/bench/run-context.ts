/**
 * The state one process's connections share during a run: what to send (the prebuilt frames),
 * the clock, the counters, the histogram and the errors by kind. Plain fields: the connections
 * touch them for every message.
 */

import { type FrameRing, maskOffset } from './frames.js';
import { Histogram } from './histogram.js';
import type { BenchMode, LoadJob } from './job.js';

/** At most this many messages may be due and unwritten (open loop) in one process: 8 MB of times. */
const MAX_BACKLOG = 1_000_000;

export class RunContext {
  readonly mode: BenchMode;
  /** The data opcode of the messages sent: 1 text, 2 binary. */
  readonly opcode: number;
  readonly size: number;
  readonly concurrency: number;
  readonly closedLoop: boolean;
  readonly ring: FrameRing;
  /** Where a frame's masking key starts (the payload follows it). */
  readonly maskAt: number;
  readonly histogram = new Histogram();
  readonly errorKinds = new Map<string, number>();
  /** Microseconds on the run's clock (shared by every process of the run). */
  readonly clock: () => number;
  /** The clock when the current read arrived: every message of one read is received then. */
  readNow = 0;
  /** The clock when the last message arrived (the end of the throughput window). */
  lastReceived = 0;
  /** Messages sent (or due) before this time are the warm-up: neither counted nor timed. */
  measureFrom = Number.POSITIVE_INFINITY;
  sending = false;
  sent = 0;
  received = 0;
  errors = 0;
  /** Messages due but not written yet (open loop). */
  backlogged = 0;
  /** Messages this process may still send (`--messages`), or Infinity. */
  #quota: number;
  #onQuotaSpent: () => void;
  #onClosed: () => void;

  constructor(
    job: LoadJob,
    ring: FrameRing,
    hooks: { quotaSpent: () => void; closed: () => void },
  ) {
    this.mode = job.mode;
    this.opcode = job.binary ? 2 : 1;
    this.size = job.size;
    this.concurrency = job.concurrency;
    this.closedLoop = job.rate === null;
    this.ring = ring;
    this.maskAt = maskOffset(ring.bytes);
    this.#quota = job.messages ?? Number.POSITIVE_INFINITY;
    this.#onQuotaSpent = hooks.quotaSpent;
    this.#onClosed = hooks.closed;
    this.clock = sharedClock(BigInt(job.epochNs));
  }

  /** How many of `wanted` messages may go out now (the rest of the quota); 0 once stopped. */
  take(wanted: number): number {
    if (!this.sending || wanted <= 0) return 0;
    const k = Math.min(wanted, this.#quota);
    if (this.clock() < this.measureFrom) return k; // the warm-up is not part of --messages
    this.#quota -= k;
    if (this.#quota === 0) {
      this.sending = false;
      queueMicrotask(this.#onQuotaSpent);
    }
    return k;
  }

  /** Open loop: whether one more due message may wait in a backlog. */
  mayBacklog(): boolean {
    if (this.backlogged < MAX_BACKLOG) return true;
    this.error('not sent: over a million messages waiting to be written');
    return false;
  }

  /** Counts `k` messages sent (or due) at `time`, unless that is during the warm-up. */
  countSent(k: number, time: number): void {
    if (time >= this.measureFrom) this.sent += k;
  }

  /** A message received now, `nanoseconds` after it was sent (or due) at `sentAt`. */
  record(nanoseconds: number, sentAt: number): void {
    if (sentAt < this.measureFrom) return; // a warm-up message
    this.received++;
    this.lastReceived = this.readNow;
    this.histogram.record(nanoseconds);
  }

  error(kind: string, count = 1): void {
    if (count <= 0) return;
    this.errors += count;
    this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + count);
  }

  /** One of the process's connections closed. */
  connectionClosed(): void {
    this.#onClosed();
  }
}

/**
 * Microseconds since the coordinator's `epoch` (its `process.hrtime.bigint()`): every process of
 * a run reads the same monotonic clock, which `performance.now()` reads too, without allocating.
 */
function sharedClock(epoch: bigint): () => number {
  const offset = Number(process.hrtime.bigint() - epoch) / 1000 - performance.now() * 1000;
  return () => performance.now() * 1000 + offset;
}

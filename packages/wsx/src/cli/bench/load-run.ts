/**
 * One process's share of a run: open the connections at a bounded rate, send (closed or open
 * loop) until the duration or the message count is reached, wait for the answers still on their
 * way, close every connection, and report counters and the latency histogram.
 */

import { HandshakeError } from '../../core/index.js';
import { describeFailure } from '../failures.js';
import { FrameRing, messageFrames, payloadOf } from './frames.js';
import type { LoadJob, LoadProgress, LoadResult, OpenFailure } from './job.js';
import { LoadConnection } from './load-connection.js';
import { type LoadTarget, openLoadSocket, targetOf } from './load-socket.js';
import { Pacer } from './pacer.js';
import { RunContext } from './run-context.js';
import { STAMP_BYTES } from './stamp.js';

/** Handshakes under way at once, whatever the connect rate: a server's accept queue is finite. */
const MAX_PENDING = 256;
/** How long answers may take to arrive once sending stopped, before they count as lost. */
const DRAIN_MS = 5000;
/** How long the closing handshakes at the end may take before the sockets are dropped. */
const CLOSE_MS = 2000;
/** Publish mode: deliveries are over once none arrived for this long (µs). */
const QUIET_US = 50_000;
/** The prebuilt frames of a process stay under this many bytes. */
const RING_BYTES = 4 * 1024 * 1024;

export class LoadRun {
  readonly #job: LoadJob;
  readonly #target: LoadTarget;
  readonly #run: RunContext;
  readonly #connections: LoadConnection[] = [];
  #opened = 0;
  #failed = 0;
  #firstFailure: OpenFailure | null = null;
  #startedAt = 0;
  /** This process's CPU time when sending started, and over the run (until the answers are in). */
  #cpuAtStart: NodeJS.CpuUsage | null = null;
  #cpuPct = 0;
  #stopping = false;
  #pacer: Pacer | null = null;
  #stopTimer: ReturnType<typeof setTimeout> | null = null;
  #warmupTimer: ReturnType<typeof setTimeout> | null = null;
  #finish: (() => void) | null = null;

  constructor(job: LoadJob) {
    this.#job = job;
    this.#target = targetOf(new URL(job.url), {
      protocols: job.protocols,
      origin: job.origin,
      headers: job.headers,
      ca: job.ca,
      insecure: job.insecure,
      timeoutMs: job.timeoutMs,
    });
    const payload = payloadOf(job.size, job.binary);
    if (job.mode === 'publish') payload.fill(0x30, 0, STAMP_BYTES); // '0' digits, stamped later
    const frameLength = messageFrames(payload, job.binary, 1)[0]!.length;
    const count = Math.max(
      1,
      Math.min(Math.max(job.concurrency, 64), Math.floor(RING_BYTES / frameLength)),
    );
    const ring = new FrameRing(messageFrames(payload, job.binary, count));
    this.#run = new RunContext(job, ring, {
      quotaSpent: () => this.stop(),
      closed: () => this.#connectionClosed(),
    });
  }

  progress(): LoadProgress {
    const run = this.#run;
    return {
      opened: this.#opened,
      failed: this.#failed,
      sent: run.sent,
      received: run.received,
      errors: run.errors,
    };
  }

  /** Opens every connection, at most `connectRate` per second; resolves when all have tried. */
  open(): Promise<void> {
    const total = this.#job.connections;
    const interval = 1000 / this.#job.connectRate;
    const began = performance.now();
    let started = 0;
    let pending = 0;
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const tick = (): void => {
        timer = null;
        const due = Math.min(total, Math.floor((performance.now() - began) / interval) + 1);
        while (started < due && pending < MAX_PENDING) {
          pending++;
          const index = started++;
          this.#openOne(index).finally(() => {
            pending--;
            if (started === total && pending === 0) resolve();
            else if (timer === null) tick();
          });
        }
        if (started < total && timer === null && pending < MAX_PENDING) {
          timer = setTimeout(tick, Math.max(1, began + started * interval - performance.now()));
        }
      };
      if (total === 0) resolve();
      else tick();
    });
  }

  async #openOne(index: number): Promise<void> {
    try {
      const socket = await openLoadSocket(this.#target);
      const sender = index < this.#job.senders ? this.#job.senderBase + index : -1;
      this.#connections.push(new LoadConnection(this.#run, socket, sender));
      this.#opened++;
    } catch (error) {
      this.#failed++;
      this.#run.error(openErrorKind(error));
      if (this.#firstFailure === null) {
        const failure = describeFailure(error, {
          secure: this.#target.secure,
          protocols: this.#job.protocols,
          credentials: this.#job.headers.some(([n]) => n.toLowerCase() === 'authorization'),
          origin: this.#job.origin,
        });
        this.#firstFailure = {
          message: failure.message,
          hint: failure.hint,
          exitCode: failure.exitCode,
        };
      }
    }
  }

  /**
   * Sends until done; resolves once this process's messages are answered (or given up on).
   * `measureFrom` is when the measurement starts on the run's clock (the end of the warm-up),
   * the same for every process of the run: a receiver in one process must count what a sender
   * in another sent; null without a warm-up (everything counts). Then {@link finish} closes
   * and reports, once every process got here.
   */
  run(measureFrom: number | null): Promise<void> {
    const run = this.#run;
    const senders = this.#connections.filter((c) => c.senderId >= 0);
    const done = new Promise<void>((resolve) => {
      this.#finish = resolve;
    });
    this.#startedAt = measureFrom ?? run.clock();
    run.measureFrom = measureFrom ?? Number.NEGATIVE_INFINITY;
    const warmupMs = Math.max(0, (this.#startedAt - run.clock()) / 1000);
    if (warmupMs === 0) this.#cpuAtStart = process.cpuUsage();
    else {
      this.#warmupTimer = setTimeout(() => {
        this.#cpuAtStart = process.cpuUsage();
      }, warmupMs);
    }
    run.sending = true;
    if (this.#job.durationMs !== null) {
      this.#stopTimer = setTimeout(() => this.stop(), warmupMs + this.#job.durationMs);
    }
    if (this.#job.rate === null) {
      for (const connection of senders) connection.refill();
    } else {
      this.#pacer = new Pacer(run, senders, this.#job.rate);
      this.#pacer.start();
    }
    if (senders.length === 0 || this.#job.messages === 0) this.stop();
    return done;
  }

  /**
   * Every process of the run has stopped sending: waits for the last deliveries (publish
   * mode: other processes' messages may still be on their way), closes, and reports.
   */
  async finish(): Promise<LoadResult> {
    const run = this.#run;
    const deadline = run.clock() + DRAIN_MS * 1000;
    while (run.mode === 'publish' && run.clock() - run.lastReceived < QUIET_US) {
      if (run.clock() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.#cpuPct = this.#cpuSinceStart();
    await this.#closeAll();
    return this.#result();
  }

  /** Stops sending; what is in flight may still arrive (at most DRAIN_MS). */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#run.sending = false;
    this.#pacer?.stop();
    if (this.#stopTimer !== null) clearTimeout(this.#stopTimer);
    if (this.#warmupTimer !== null) clearTimeout(this.#warmupTimer);
    const deadline = setTimeout(() => this.#drained(), DRAIN_MS);
    const poll = setInterval(() => {
      if (this.#allAnswered()) {
        clearTimeout(deadline);
        clearInterval(poll);
        this.#drained();
      }
    }, 5);
  }

  /** A connection closed: with none left open, the run is over. */
  #connectionClosed(): void {
    if (this.#finish === null) return; // not running (opening, or closing at the end)
    if (this.#connections.every((c) => c.closed)) this.stop();
    if (this.#stopping && this.#allAnswered()) this.#drained();
  }

  #allAnswered(): boolean {
    if (this.#run.mode === 'publish' && this.#run.clock() - this.#run.lastReceived < QUIET_US) {
      return false; // deliveries to the other receivers may still be on their way
    }
    return this.#connections.every((c) => c.closed || c.unanswered === 0);
  }

  #drained(): void {
    const finish = this.#finish;
    this.#finish = null;
    finish?.();
  }

  async #closeAll(): Promise<void> {
    const open = this.#connections.filter((c) => !c.closed);
    const closed = open.map((c) => new Promise((resolve) => c.socket.once('close', resolve)));
    for (const connection of open) connection.close();
    const timer = setTimeout(() => {
      for (const connection of open) connection.socket.destroy();
    }, CLOSE_MS);
    await Promise.all(closed);
    clearTimeout(timer);
  }

  /** This process's CPU time since sending started, as a share of one core (%). */
  #cpuSinceStart(): number {
    if (this.#cpuAtStart === null) return 0; // stopped during the warm-up
    const used = process.cpuUsage(this.#cpuAtStart);
    const elapsedUs = this.#run.clock() - this.#startedAt;
    return elapsedUs > 0 ? (100 * (used.user + used.system)) / elapsedUs : 0;
  }

  #result(): LoadResult {
    const run = this.#run;
    run.error(
      'no reply',
      this.#connections.reduce((sum, c) => sum + c.unanswered, 0),
    );
    run.error('not sent: the run ended first', run.backlogged);
    const end = run.received > 0 ? run.lastReceived : run.clock();
    return {
      ...this.progress(),
      elapsedMs: Math.max(0, end - this.#startedAt) / 1000,
      cpuPct: this.#cpuPct,
      errorKinds: Object.fromEntries(run.errorKinds),
      histogram: run.histogram.toData(),
      firstFailure: this.#firstFailure,
    };
  }
}

/** A short, countable name for why a connection did not open. */
function openErrorKind(error: unknown): string {
  if (error instanceof HandshakeError) {
    if (error.status > 0) return `handshake: HTTP ${error.status}`;
    return `handshake: ${error.code
      .replace(/^WSX_ERR_/, '')
      .toLowerCase()
      .replace(/_/g, ' ')}`;
  }
  const code = (error as { code?: string }).code;
  return `connect: ${code ?? (error as Error).message}`;
}

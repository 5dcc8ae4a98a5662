/**
 * The driver under every WebSocket: it binds a sans-I/O core `Connection` to a `Transport`. It
 * feeds the connection what the transport reads and hands the events to the application (see
 * inbound.ts), writes what the connection queues (one write per read, or per tick for sends made
 * elsewhere), keeps output and input bounded (backpressure, the slow-consumer policy, the
 * server's memory budget), runs the close timer, and reports the close. The public `WebSocket`
 * is a thin facade over it; the server and the client create drivers and bind them to a
 * transport once their handshake is done.
 *
 * Memory: an idle connection is this object, the core's `Connection`, the facade and the
 * transport. Booleans are bits of one number ({@link Flag}); whatever most connections never
 * need lives in a {@link DriverRare} allocated on first use ("rare state", the pattern the core's
 * Connection uses too: see docs/ARCHITECTURE.md). Helper methods are TypeScript `private`, not
 * `#`: in V8 a class with `#` methods gives every instance a hidden brand field.
 */

import { type Connection, SEND_EOF } from '../core/connection.js';
import { CloseCode } from '../core/constants.js';
import type { ConnectionClosedError } from '../core/errors.js';
import { InvalidStateError } from '../core/errors.js';
import { canSend, type Phase, type ReadyState, readyStateOf } from '../core/lifecycle.js';
import { createFlushQueue } from '../node/flush-queue.js';
import type { Transport } from '../node/transport.js';
import { accountMemory, checkOutput, closeSlowConsumer, shedConnection } from './bounds.js';
import { closedError, reportClosed } from './closing.js';
import type { ConnectionCompression } from './compression.js';
import {
  type Callback,
  type DriverCore,
  type DriverHost,
  DriverRare,
  Flag,
} from './driver-state.js';
import { dispatchEvents } from './inbound.js';
import { sweepConnection } from './liveness.js';
import type { BudgetHolder } from './memory-budget.js';
import { mergeSmall } from './output.js';
import type { Publication } from './publication.js';
import { reportError } from './report.js';
import type { ConnectionSettings } from './settings.js';
import { type BinaryType, SendStatus } from './types.js';

/** The property a transport carries to find its driver from shared listener functions. */
const kDriver = Symbol('wsx.driver');
type BoundTransport = Transport & { [kDriver]?: Driver };

/**
 * Work per connection per turn of the event loop when inflating: at most this much output, then
 * the next slice waits for a later turn (≈1-2 ms of zlib), so one large compressed message cannot
 * starve the other connections. Messages up to this size inflate in one step, synchronously.
 */
export const INFLATE_SLICE = 256 * 1024;

/**
 * After the closing handshake, once our end of the transport is flushed, the peer has this long
 * to close its end before the transport is dropped (instead of the whole close timeout).
 */
export const CLOSE_LINGER = 1000;

let queueFlush: (driver: Driver) => void;

export class Driver implements BudgetHolder, DriverCore {
  /** The facade handlers receive and events are emitted on. */
  readonly ws: DriverHost;
  #settings: ConnectionSettings<DriverHost>;
  #conn: Connection | null = null;
  #transport: Transport | null = null;
  flags = 0;
  // Timed checks, in the settings' clock's milliseconds (whole: they stay small integers).
  lastReceived = 0;
  lastMessage = 0;
  pingSentAt = 0;
  #rare: DriverRare | null = null;

  constructor(ws: DriverHost, settings: ConnectionSettings<DriverHost>) {
    this.ws = ws;
    this.#settings = settings;
  }

  get rare(): DriverRare {
    this.#rare ??= new DriverRare();
    return this.#rare;
  }

  /** The rare state if it exists (reading it never allocates). */
  get rareOrNull(): DriverRare | null {
    return this.#rare;
  }

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  set(flag: number, on: boolean): void {
    this.flags = on ? this.flags | flag : this.flags & ~flag;
  }

  get settings(): ConnectionSettings<DriverHost> {
    return this.#settings;
  }

  /** The protocol connection; null until the opening handshake is done. */
  get connection(): Connection | null {
    return this.#conn;
  }

  get transport(): Transport | null {
    return this.#transport;
  }

  get compression(): ConnectionCompression | null {
    return this.#rare?.compression ?? null;
  }

  get readyState(): ReadyState {
    return readyStateOf(this.#conn?.phase ?? null, this.has(Flag.CLOSED));
  }

  get binaryType(): BinaryType {
    return this.has(Flag.ARRAYBUFFER) ? 'arraybuffer' : 'nodebuffer';
  }

  set binaryType(type: BinaryType) {
    this.set(Flag.ARRAYBUFFER, type === 'arraybuffer');
  }

  /** Bytes accepted and not yet handed to the operating system. */
  get bufferedAmount(): number {
    return (this.#conn?.bytesToSend ?? 0) + (this.#transport?.writableLength ?? 0);
  }

  /** Topic messages dropped for this connection (over `maxBackpressure`). */
  get droppedMessages(): number {
    return this.#rare?.dropped ?? 0;
  }

  // ---- Binding -----------------------------------------------------------------------------

  /**
   * Binds an open transport and the connection the handshake agreed. `head` holds bytes read past
   * the handshake (the first frames): they are read first, once {@link startReading} is called.
   */
  bind(
    transport: Transport,
    connection: Connection,
    head: Buffer,
    compression: ConnectionCompression | null,
    protocol: string,
  ): void {
    this.#conn = connection;
    this.#transport = transport;
    if (compression !== null) this.rare.compression = compression;
    if (protocol !== '') this.rare.protocol = protocol;
    if (head.length > 0) this.rare.head = head;
    (transport as BoundTransport)[kDriver] = this;
    transport.on('close', Driver.onClose);
    transport.on('error', Driver.onError);
    const settings = this.#settings;
    const now = Math.floor(settings.clock.now());
    this.lastReceived = now;
    this.lastMessage = now;
    settings.sweeper?.add(this.ws as never);
  }

  /**
   * Starts reading: the bytes that came with the handshake first, then the transport. Called
   * once listeners are in place; also on end or close, so those bytes always come first.
   */
  startReading(): void {
    const transport = this.#transport;
    if (transport === null || this.has(Flag.STARTED)) return;
    this.set(Flag.STARTED, true);
    const head = this.#rare?.head ?? null;
    if (head !== null) this.rare.head = null;
    // Listening first is safe: 'data' is never emitted synchronously. Reading the head after
    // lets a handler that calls pause() on its first message keep the transport paused.
    transport.on('data', Driver.onData);
    this.updateReading();
    if (head !== null) this.read(head);
    // The peer may have half-closed while the upgrade was pending (an async `upgrade` hook).
    if (transport.readableEnded) this.ended();
  }

  /**
   * Reads from the transport unless something holds it: `pause()`, the `for await` queue, an
   * async handler in progress, a message being inflated, or output the peer does not read.
   */
  updateReading(): void {
    const transport = this.#transport;
    if (transport === null || !this.has(Flag.STARTED) || this.has(Flag.CLOSED)) return;
    const rare = this.#rare;
    const held =
      (this.flags & (Flag.USER_PAUSED | Flag.QUEUE_PAUSED | Flag.OUTPUT_BLOCKED)) !== 0 ||
      (rare !== null && (rare.backlog !== null || rare.inflating !== null));
    // A failed connection reads on, so that its closing handshake can complete.
    if (held && !this.has(Flag.FAILED)) transport.pause();
    else transport.resume();
  }

  // ---- Transport listeners: shared functions, no closure per connection ------------------------

  static onData(this: Transport, chunk: Buffer): void {
    (this as BoundTransport)[kDriver]!.read(chunk);
  }

  static onClose(this: Transport): void {
    (this as BoundTransport)[kDriver]!.transportClosed();
  }

  static onError(this: Transport): void {
    // A reset or similar: 'close' follows, and reports 1006 unless the closing handshake was done.
    this.destroy();
  }

  static onDrain(this: Transport): void {
    (this as BoundTransport)[kDriver]!.drained();
  }

  // ---- Reading -----------------------------------------------------------------------------

  read(chunk: Buffer): void {
    const conn = this.#conn!;
    this.lastReceived = Math.floor(this.#settings.clock.now());
    conn.receiveData(chunk);
    this.takeEvents();
    this.flush();
  }

  /** The peer ended its side of the stream. */
  private ended(): void {
    this.startReading();
    this.#conn!.receiveEof();
    this.flush();
  }

  /**
   * Dispatches what the connection reported, inflating compressed messages as they come: in one
   * step when small, else in slices over several turns ({@link INFLATE_SLICE}). While an async
   * handler holds a backlog, nothing more is inflated: input waits compressed, not inflated.
   */
  takeEvents(): void {
    const conn = this.#conn!;
    for (;;) {
      const events = conn.eventsReceived();
      if (events.length > 0) dispatchEvents(this, events);
      const rare = this.#rare;
      if (rare !== null && (rare.backlog !== null || rare.inflating !== null)) return;
      const work = conn.takeWork();
      if (work === null) return;
      const job = this.compression!.inflater.start(work.data, work.limit);
      if (!this.finishInflating(job.step(INFLATE_SLICE))) {
        this.rare.inflating = job;
        this.updateReading();
        setImmediate(Driver.continueInflating, this);
        return;
      }
    }
  }

  /** Hands an inflated message (or the failure) to the connection; false while there is more. */
  private finishInflating(result: Buffer | 'too-big' | 'invalid' | 'more'): boolean {
    const conn = this.#conn!;
    if (result === 'more') return false;
    if (result === 'too-big') conn.failWork(true);
    else if (result === 'invalid') conn.failWork(false);
    else conn.completeWork(result);
    return true;
  }

  /** The next slice of a large message, on a later turn: other connections ran meanwhile. */
  static continueInflating(driver: Driver): void {
    const rare = driver.#rare;
    const job = rare?.inflating ?? null;
    if (job === null || driver.has(Flag.CLOSED)) return;
    if (!driver.finishInflating(job.step(INFLATE_SLICE))) {
      driver.account();
      setImmediate(Driver.continueInflating, driver);
      return;
    }
    rare!.inflating = null;
    driver.account();
    driver.takeEvents();
    driver.updateReading();
    driver.flush();
  }

  // ---- Failure and errors --------------------------------------------------------------------

  /**
   * The one path for an exception in application code for this connection (any handler, any
   * listener, a rejected promise): report it, and close the connection with 1011 at once (RFC
   * 6455 §7.4.1: "an endpoint is terminating the connection because it encountered an unexpected
   * condition"). Messages still waiting are not delivered; reading resumes so that the closing
   * handshake can complete.
   */
  fail(error: unknown): void {
    this.report(error instanceof Error ? error : new Error(String(error)), true);
    const conn = this.#conn;
    if (conn === null || this.has(Flag.CLOSED) || this.has(Flag.FAILED)) return;
    this.set(Flag.FAILED, true);
    if (this.#rare !== null) this.#rare.backlog = null;
    conn.fail(CloseCode.INTERNAL_ERROR);
    this.updateReading();
    this.requestFlush();
  }

  /** Reports an error: see {@link reportError}. */
  report(error: Error, fromApplication: boolean): void {
    reportError(this.#settings.handlers, this.ws, error, fromApplication);
  }

  /** Emits to listeners; an exception in one fails the connection, never the I/O path. */
  emitSafely(event: string, ...args: unknown[]): void {
    try {
      this.ws.emit(event, ...args);
    } catch (error) {
      if (this.#conn === null) this.report(error as Error, true);
      else this.fail(error);
    }
  }

  // ---- Writing -----------------------------------------------------------------------------

  /** The connection, if the application may send on it now; throws while CONNECTING. */
  openConnection(what: string): Connection | null {
    const conn = this.#conn;
    if (conn === null) {
      if (this.has(Flag.CLOSED)) return null;
      throw new InvalidStateError(
        `cannot ${what}: WebSocket is not open: readyState 0 (CONNECTING)`,
      );
    }
    return this.has(Flag.CLOSED) || !canSend(conn.phase) ? null : conn;
  }

  notOpen(what: string): InvalidStateError {
    return new InvalidStateError(
      `cannot ${what}: WebSocket is not open: readyState ${this.readyState}`,
    );
  }

  /** After the application queued a message: schedule the write, say whether to back off. */
  queued(): SendStatus {
    this.requestFlush();
    const buffered = this.bufferedAmount;
    if (buffered > this.#settings.backpressureLimit) this.slowConsumer('too much data buffered');
    return buffered > (this.#transport?.writableHighWaterMark ?? 0)
      ? SendStatus.BACKPRESSURE
      : SendStatus.SUCCESS;
  }

  /** Queues a topic message unless the connection is over `maxBackpressure`. */
  deliver(message: Publication): SendStatus {
    const conn = this.#conn;
    if (this.has(Flag.CLOSED) || conn === null || !canSend(conn.phase)) return SendStatus.DROPPED;
    if (this.bufferedAmount > this.#settings.maxBackpressure) {
      this.rare.dropped++;
      return SendStatus.DROPPED;
    }
    const compression = this.compression;
    if (compression === null || !message.compressible(compression.threshold)) {
      conn.sendPrepared(message.plain());
    } else if (compression.sharedKey !== null) {
      // No context takeover: compressed once for every subscriber with the same settings.
      conn.sendPrepared(message.compressedWith(compression.deflater));
    } else {
      conn.sendCompressed(message.binary, compression.deflater.compress(message.bytes()));
    }
    return this.queued();
  }

  addSendCallback(callback: Callback): void {
    const rare = this.rare;
    if (rare.sendCallbacks === null) rare.sendCallbacks = [callback];
    else rare.sendCallbacks.push(callback);
  }

  /** Resolves once the transport's buffer has drained; rejects if the connection closes first. */
  whenDrained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const rare = this.rare;
      const waiter = { resolve, reject };
      if (rare.drainWaiters === null) rare.drainWaiters = [waiter];
      else rare.drainWaiters.push(waiter);
    });
  }

  /** Sends made during a read go out with the read's write; other sends are batched per tick. */
  requestFlush(): void {
    if ((this.flags & (Flag.IN_READ | Flag.FLUSH_QUEUED)) !== 0) return;
    this.flags |= Flag.FLUSH_QUEUED;
    queueFlush(this);
  }

  static flushLater(driver: Driver): void {
    driver.flags &= ~Flag.FLUSH_QUEUED;
    driver.flush();
  }

  static {
    queueFlush = createFlushQueue(Driver.flushLater);
  }

  flush(): void {
    const conn = this.#conn;
    const transport = this.#transport;
    if (conn === null || transport === null) return;
    const chunks = conn.dataToSend();
    if (chunks.length > 0 && !transport.destroyed) {
      this.write(transport, chunks);
      checkOutput(this, transport);
    }
    if (conn.closeExpected() && this.#rare?.closeTimer == null && !this.has(Flag.CLOSED)) {
      this.armCloseTimer(this.#settings.closeTimeout);
    }
  }

  private write(transport: Transport, chunks: readonly Uint8Array[]): void {
    const rare = this.#rare;
    const callbacks = rare?.sendCallbacks ?? null;
    if (callbacks !== null) rare!.sendCallbacks = null;
    const done =
      callbacks === null
        ? undefined
        : (error?: Error | null) => {
            for (const cb of callbacks) cb(error ?? undefined);
          };
    let ok = true;
    let ended = false;
    const merged = chunks.length > 1 ? mergeSmall(chunks) : null;
    if (merged !== null) {
      ok = transport.write(merged, done);
    } else {
      const corked = chunks.length > 1;
      if (corked) transport.cork();
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i]!;
        if (chunk === SEND_EOF) {
          transport.end();
          ended = true;
        } else {
          ok = transport.write(chunk, i === chunks.length - 1 ? done : undefined);
        }
      }
      if (corked) transport.uncork();
    }
    if (!ok) this.awaitDrain(transport);
    // Our side is closed and the closing handshake is over: the peer has a short while to close
    // its side, not the whole close timeout.
    if (ended && this.#conn!.closeExpected()) this.armCloseTimer(CLOSE_LINGER);
  }

  /** Listens for `drain` once (shared listener), if not already. */
  awaitDrain(transport: Transport): void {
    if (this.has(Flag.NEED_DRAIN)) return;
    this.set(Flag.NEED_DRAIN, true);
    transport.once('drain', Driver.onDrain);
  }

  /** Tells the memory budget what this connection holds (bounds.ts). */
  account(): void {
    accountMemory(this);
  }

  /** The memory budget is spent and this connection holds the most (bounds.ts). */
  shed(): void {
    shedConnection(this);
  }

  /** The slow-consumer policy (bounds.ts): closes with 1008. */
  slowConsumer(reason: string): void {
    closeSlowConsumer(this, reason);
  }

  private drained(): void {
    this.set(Flag.NEED_DRAIN, false);
    const rare = this.#rare;
    const waiters = rare?.drainWaiters ?? null;
    if (waiters !== null) {
      rare!.drainWaiters = null;
      for (const w of waiters) w.resolve();
    }
    if (this.has(Flag.OUTPUT_BLOCKED)) {
      this.set(Flag.OUTPUT_BLOCKED, false);
      this.updateReading();
    }
    accountMemory(this);
    try {
      this.#settings.handlers?.drain?.(this.ws);
      this.ws.emit('drain');
    } catch (error) {
      this.fail(error);
    }
  }

  // ---- Closing -----------------------------------------------------------------------------

  /** Starts the closing handshake. A no-op once closing. */
  close(code: number | undefined, reason: string): void {
    const conn = this.#conn;
    if (conn === null || this.has(Flag.CLOSED) || !canSend(conn.phase)) return;
    conn.sendClose(code, reason);
    this.requestFlush();
  }

  /** Drops the transport at once, without a closing handshake (the peer sees 1006). */
  terminate(): void {
    this.#transport?.destroy();
  }

  private armCloseTimer(ms: number): void {
    const rare = this.rare;
    const clock = this.#settings.clock;
    if (rare.closeTimer !== null) clock.clearTimeout(rare.closeTimer);
    rare.closeTimer = clock.setTimeout(() => this.#transport?.destroy(), ms);
  }

  private transportClosed(): void {
    if (this.has(Flag.CLOSED)) return;
    this.startReading();
    const conn = this.#conn!;
    conn.receiveEof();
    this.set(Flag.CLOSED, true);
    const rare = this.#rare;
    if (rare !== null && rare.closeTimer !== null)
      this.#settings.clock.clearTimeout(rare.closeTimer);
    reportClosed(this, conn);
  }

  /** A client's opening failed: the connection is CLOSED without ever opening. */
  openingFailed(error: Error): void {
    this.set(Flag.CLOSED, true);
    if (this.ws.listenerCount('error') > 0) this.emitSafely('error', error);
    this.#rare?.messages?.end(error);
    this.emitSafely('close', CloseCode.ABNORMAL_CLOSURE, '');
  }

  /** Undefined for a normal closure, else the error the message iterator throws. */
  closedError(): ConnectionClosedError | undefined {
    return closedError(this.#conn);
  }

  // ---- Timed checks --------------------------------------------------------------------------

  /** One sweep of the timed checks: heartbeat, idle timeout, slow consumer (liveness.ts). */
  sweep(now: number): void {
    const conn = this.#conn;
    if (this.has(Flag.CLOSED) || conn === null || !canSend(conn.phase)) return;
    sweepConnection(this, conn, now);
  }

  /** Records application traffic for the idle timeout. */
  touch(): void {
    this.lastMessage = Math.floor(this.#settings.clock.now());
  }

  /** The phase of the connection, or null while a client is CONNECTING. */
  get phase(): Phase | null {
    return this.#conn?.phase ?? null;
  }
}

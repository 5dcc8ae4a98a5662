/**
 * The driver under every `WebSocket`: it binds a sans-I/O `Connection` to a socket. It feeds the
 * connection what the socket reads and dispatches the events (pausing the socket while an async
 * `message` handler runs), writes what the connection queues (one write per read, or per tick
 * for sends made elsewhere), runs the close timer and the timed checks of the shared sweep
 * (heartbeat, idle, slow consumer), and reports the close. `WebSocket` adds the public API.
 */

import type { Socket } from 'node:net';
import { type Connection, SEND_EOF } from '../core/connection.js';
import { CloseCode } from '../core/constants.js';
import { ConnectionClosedError, InvalidStateError } from '../core/errors.js';
import type { ConnectionEvent } from '../core/events.js';
import { State } from '../core/lifecycle.js';
import type { TimerHandle } from './clock.js';
import type { ConnectionCompression } from './compression.js';
import { createFlushQueue } from './flush-queue.js';
import { LazyEventEmitter } from './lazy-emitter.js';
import type { MessageQueue } from './message-queue.js';
import { asBuffer } from './runtime.js';
import type { ConnectionSettings } from './settings.js';
import type { Publication, TopicRegistry } from './topics.js';
import { type BinaryType, SendStatus } from './types.js';
import type { WebSocket } from './websocket.js';

/** The property a socket carries to find its driver from shared listener functions. */
const kDriver = Symbol('wsx.driver');
type BoundSocket = Socket & { [kDriver]?: Driver<unknown> };

/** Internal: queues a topic message (the TopicRegistry's delivery). */
export const kDeliver = Symbol('wsx.deliver');
/** Internal: one sweep of the timed checks. */
export const kSweep = Symbol('wsx.sweep');

/** How much a connection keeps of messages that arrive before anyone listens for them. */
const EARLY_LIMIT = { messages: 64, bytes: 1024 * 1024 };
/**
 * mergeSmall copies chunks of at most 4 KiB (the bound up to which the core's frame writer
 * copies payloads into its slab; larger payloads stay uncopied), up to 64 KiB in all.
 */
const MERGE_CHUNK_MAX = 4 * 1024;
const MERGE_TOTAL_MAX = 64 * 1024;

/** Queues a driver to be flushed at the end of the tick (set once the class exists). */
let queueFlush: (driver: Driver<unknown>) => void;

export type Callback = (error?: Error) => void;

type Waiter = { resolve: () => void; reject: (e: Error) => void };
type Early = { items: [Buffer, boolean][]; bytes: number; scheduled?: boolean };

// Bits of Driver#flags.
const F_CLOSED = 1;
const F_IN_READ = 2;
const F_FLUSH_QUEUED = 4;
const F_NEED_DRAIN = 8;
const F_STARTED = 16;
const F_USER_PAUSED = 32;
const F_FAILED = 64;
const F_ARRAYBUFFER = 128;
const F_FRAGMENTING = 256;

/** The part of a connection's state that most connections never need. */
class Extra {
  compression: ConnectionCompression | null = null;
  closeTimer: TimerHandle | null = null;
  sendCallbacks: Callback[] | null = null;
  drainWaiters: Waiter[] | null = null;
  head: Buffer | null = null;
  backlog: ConnectionEvent[] | null = null;
  topics: Set<string> | null = null;
  dropped = 0;
  early: Early | null = null;
  overSince = 0;
  messages: MessageQueue | null = null;
  protocol = '';
  url = '';
  abortHandshake: ((error: Error) => void) | null = null;
}

export abstract class Driver<Data> extends LazyEventEmitter {
  #conn: Connection | null = null;
  #socket: Socket | null = null;
  #settings: ConnectionSettings<Data> | null = null;
  /** Booleans, one bit each (see the F_ constants): an idle connection stays small. */
  #flags = 0;
  // Timed checks, in the settings' clock's milliseconds (whole: they stay small integers).
  #lastReceived = 0;
  #lastMessage = 0;
  #pingSentAt = 0;
  /** State most connections never need, allocated on first use. */
  #extra: Extra | null = null;

  #x(): Extra {
    this.#extra ??= new Extra();
    return this.#extra;
  }

  #flag(bit: number): boolean {
    return (this.#flags & bit) !== 0;
  }

  #setFlag(bit: number, on: boolean): void {
    this.#flags = on ? this.#flags | bit : this.#flags & ~bit;
  }

  get #closed(): boolean {
    return this.#flag(F_CLOSED);
  }
  set #closed(on: boolean) {
    this.#setFlag(F_CLOSED, on);
  }
  /** True while events of one read are dispatched: sends made then go out with that read's write. */
  get #inRead(): boolean {
    return this.#flag(F_IN_READ);
  }
  set #inRead(on: boolean) {
    this.#setFlag(F_IN_READ, on);
  }
  get #flushQueued(): boolean {
    return this.#flag(F_FLUSH_QUEUED);
  }
  set #flushQueued(on: boolean) {
    this.#setFlag(F_FLUSH_QUEUED, on);
  }
  get #needDrain(): boolean {
    return this.#flag(F_NEED_DRAIN);
  }
  set #needDrain(on: boolean) {
    this.#setFlag(F_NEED_DRAIN, on);
  }
  /** Whether reading has started; until then the bytes that came with the 101 wait. */
  get #started(): boolean {
    return this.#flag(F_STARTED);
  }
  set #started(on: boolean) {
    this.#setFlag(F_STARTED, on);
  }
  get #userPaused(): boolean {
    return this.#flag(F_USER_PAUSED);
  }
  set #userPaused(on: boolean) {
    this.#setFlag(F_USER_PAUSED, on);
  }
  /** Set once a handler failed: the connection is closing with 1011, no more messages are delivered. */
  get #failed(): boolean {
    return this.#flag(F_FAILED);
  }
  set #failed(on: boolean) {
    this.#setFlag(F_FAILED, on);
  }

  get #compression(): ConnectionCompression | null {
    return this.#extra?.compression ?? null;
  }
  get #closeTimer(): TimerHandle | null {
    return this.#extra?.closeTimer ?? null;
  }
  set #closeTimer(timer: TimerHandle | null) {
    if (timer !== null || this.#extra !== null) this.#x().closeTimer = timer;
  }
  get #sendCallbacks(): Callback[] | null {
    return this.#extra?.sendCallbacks ?? null;
  }
  set #sendCallbacks(callbacks: Callback[] | null) {
    if (callbacks !== null || this.#extra !== null) this.#x().sendCallbacks = callbacks;
  }
  get #drainWaiters(): Waiter[] | null {
    return this.#extra?.drainWaiters ?? null;
  }
  set #drainWaiters(waiters: Waiter[] | null) {
    if (waiters !== null || this.#extra !== null) this.#x().drainWaiters = waiters;
  }
  /** Bytes that came with the 101, waiting for reading to start. */
  get #head(): Buffer | null {
    return this.#extra?.head ?? null;
  }
  set #head(head: Buffer | null) {
    if (head !== null || this.#extra !== null) this.#x().head = head;
  }
  /** Events waiting for an async `message` handler to settle (read-side backpressure). */
  get #backlog(): ConnectionEvent[] | null {
    return this.#extra?.backlog ?? null;
  }
  set #backlog(backlog: ConnectionEvent[] | null) {
    if (backlog !== null || this.#extra !== null) this.#x().backlog = backlog;
  }
  get #topics(): Set<string> | null {
    return this.#extra?.topics ?? null;
  }
  set #topics(topics: Set<string> | null) {
    if (topics !== null || this.#extra !== null) this.#x().topics = topics;
  }
  /** Messages that arrived before anyone listened for them. */
  get #early(): Early | null {
    return this.#extra?.early ?? null;
  }
  set #early(early: Early | null) {
    if (early !== null || this.#extra !== null) this.#x().early = early;
  }
  get #overSince(): number {
    return this.#extra?.overSince ?? 0;
  }
  set #overSince(since: number) {
    if (since !== 0 || this.#extra !== null) this.#x().overSince = since;
  }

  /** How binary messages reach `message` listeners. */
  protected get binaryKind(): BinaryType {
    return this.#flag(F_ARRAYBUFFER) ? 'arraybuffer' : 'nodebuffer';
  }
  protected set binaryKind(kind: BinaryType) {
    this.#setFlag(F_ARRAYBUFFER, kind === 'arraybuffer');
  }
  /** The queue of `for await`, once iteration started. */
  protected get messages(): MessageQueue | null {
    return this.#extra?.messages ?? null;
  }
  protected set messages(queue: MessageQueue | null) {
    if (queue !== null || this.#extra !== null) this.#x().messages = queue;
  }
  /** The subprotocol agreed ('' when none). */
  protected get protocolName(): string {
    return this.#extra?.protocol ?? '';
  }
  protected set protocolName(protocol: string) {
    if (protocol !== '' || this.#extra !== null) this.#x().protocol = protocol;
  }
  /** A client's URL. */
  protected get urlText(): string {
    return this.#extra?.url ?? '';
  }
  protected set urlText(url: string) {
    this.#x().url = url;
  }
  /** Aborts a client's opening handshake in progress. */
  protected get abortHandshake(): ((error: Error) => void) | null {
    return this.#extra?.abortHandshake ?? null;
  }
  protected set abortHandshake(abort: ((error: Error) => void) | null) {
    if (abort !== null || this.#extra !== null) this.#x().abortHandshake = abort;
  }
  /** Whether a message sent with `fin: false` awaits its continuation. */
  protected get fragmenting(): boolean {
    return this.#flag(F_FRAGMENTING);
  }
  protected set fragmenting(on: boolean) {
    this.#setFlag(F_FRAGMENTING, on);
  }

  /** CONNECTING, OPEN, CLOSING or CLOSED. */
  abstract get readyState(): number;

  /** Starts the closing handshake (the public API's). */
  abstract close(code?: number, reason?: string): void;

  /** This driver as the WebSocket its handlers receive. */
  get #ws(): WebSocket<Data> {
    return this as unknown as WebSocket<Data>;
  }

  /** The protocol connection; null while a client is CONNECTING. */
  protected get connection(): Connection | null {
    return this.#conn;
  }

  protected get socket(): Socket | null {
    return this.#socket;
  }

  protected get settings(): ConnectionSettings<Data> | null {
    return this.#settings;
  }

  protected set settings(settings: ConnectionSettings<Data>) {
    this.#settings = settings;
  }

  /** The permessage-deflate codecs, when compression was agreed. */
  protected get compression(): ConnectionCompression | null {
    return this.#extra?.compression ?? null;
  }

  /** Whether the socket has closed (or a client's handshake failed). */
  protected get isClosed(): boolean {
    return this.#closed;
  }

  /** Topics this connection is subscribed to, maintained by the public API. */
  protected get topicSet(): Set<string> | null {
    return this.#topics;
  }

  protected set topicSet(topics: Set<string> | null) {
    this.#topics = topics;
  }

  /** Topic messages dropped for this connection (over `maxBackpressure`). */
  protected get droppedCount(): number {
    return this.#extra?.dropped ?? 0;
  }

  /** Bytes accepted and not yet handed to the operating system. */
  get bufferedAmount(): number {
    return (this.#conn?.bytesToSend ?? 0) + (this.#socket?.writableLength ?? 0);
  }

  /** Stops reading from the socket until `resume()` (read-side backpressure). */
  pause(): void {
    this.#userPaused = true;
    this.#socket?.pause();
  }

  /** Resumes reading after `pause()`. */
  resume(): void {
    this.#userPaused = false;
    if (this.#backlog === null) this.#socket?.resume();
  }

  /** Binds the socket. `head` holds bytes read past the handshake; see {@link startReading}. */
  protected bindSocket(
    socket: Socket,
    connection: Connection,
    head: Buffer,
    compression: ConnectionCompression | null,
  ): void {
    this.#conn = connection;
    if (compression !== null) this.#x().compression = compression;
    this.#socket = socket;
    if (head.length > 0) this.#head = head;
    (socket as BoundSocket)[kDriver] = this as unknown as Driver<unknown>;
    // Clear a timeout left by an HTTP server (attached mode). Only then: setTimeout(0) on a
    // socket that has none would still add a `timeout` property to every socket.
    if (socket.timeout) socket.setTimeout(0);
    socket.setNoDelay(true);
    // Node ends our side when the peer's ends (no 'end' listener needed: 'close' follows, and
    // reports the end of stream to the connection). The server then closes TCP first.
    socket.allowHalfOpen = false;
    socket.on('close', Driver.#onClose);
    socket.on('error', Driver.#onError);
    const settings = this.#settings!;
    const now = Math.floor(settings.clock.now());
    this.#lastReceived = now;
    this.#lastMessage = now;
    settings.sweeper?.add(this);
  }

  /**
   * Starts reading: the bytes that came with the handshake first, then the socket. Called once
   * listeners are in place; also on end or close, so those bytes always come first.
   */
  protected startReading(): void {
    const socket = this.#socket;
    if (socket === null || this.#started) return;
    this.#started = true;
    const head = this.#head;
    this.#head = null;
    // Listening first is safe: 'data' is never emitted synchronously. Reading the head after
    // lets a handler that calls pause() on its first message keep the socket paused.
    socket.on('data', Driver.#onData);
    socket.resume();
    if (head !== null && head.length > 0) this.#read(head);
    // The peer may have half-closed while the upgrade was pending (an async `upgrade` hook).
    if (socket.readableEnded) this.#ended();
  }

  /** A client's handshake failed: the connection is CLOSED without ever opening. */
  protected handshakeFailed(error: Error): void {
    this.#closed = true;
    if (this.listenerCount('error') > 0) this.emitSafely('error', error);
    this.messages?.end(error);
    this.emitSafely('close', CloseCode.ABNORMAL_CLOSURE, '');
  }

  /** Records application traffic for the idle timeout. */
  protected touch(): void {
    this.#lastMessage = Math.floor(this.#settings!.clock.now());
  }

  /** The registry of the server's topics. */
  protected registry(what: string): TopicRegistry {
    const topics = this.#settings?.topics;
    if (topics === null || topics === undefined) {
      throw new InvalidStateError(`cannot ${what}: topics belong to server-side connections`);
    }
    return topics;
  }

  /** Internal: queues a topic message unless over `maxBackpressure`. */
  [kDeliver](message: Publication): SendStatus {
    const conn = this.#conn;
    if (this.#closed || conn === null || conn.state !== State.OPEN) return SendStatus.DROPPED;
    const settings = this.#settings!;
    if (this.bufferedAmount > settings.maxBackpressure) {
      this.#x().dropped++;
      return SendStatus.DROPPED;
    }
    const compression = this.#compression;
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

  /** Internal: one sweep: heartbeat, idle timeout, slow consumer. */
  [kSweep](now: number): void {
    const conn = this.#conn;
    if (this.#closed || conn === null || conn.state !== State.OPEN) return;
    const s = this.#settings!;
    if (this.#pingSentAt !== 0) {
      if (this.#lastReceived >= this.#pingSentAt) {
        this.#pingSentAt = 0;
      } else if (now - this.#pingSentAt >= s.pongTimeout) {
        // A dead peer: no answer to the ping. Terminated; its close is reported as 1006.
        this.#socket?.destroy();
        return;
      }
    }
    if (
      s.pingInterval > 0 &&
      this.#pingSentAt === 0 &&
      now - this.#lastReceived >= s.pingInterval
    ) {
      this.#pingSentAt = now;
      conn.sendPing();
      this.requestFlush();
    }
    if (s.idleTimeout > 0 && now - this.#lastMessage >= s.idleTimeout) {
      this.close(CloseCode.GOING_AWAY, 'idle timeout');
      return;
    }
    if (s.backpressureTimeout > 0 && this.bufferedAmount > s.maxBackpressure) {
      if (this.#overSince === 0) this.#overSince = now;
      else if (now - this.#overSince >= s.backpressureTimeout) this.#slowConsumer('too slow');
    } else {
      this.#overSince = 0;
    }
  }

  // ---- Socket listeners --------------------------------------------------------------------

  static #onData(this: Socket, chunk: Buffer): void {
    (this as BoundSocket)[kDriver]!.#read(chunk);
  }

  /** The peer ended its side of the stream. */
  #ended(): void {
    this.startReading();
    this.#conn!.receiveEof();
    this.#flush();
  }

  static #onClose(this: Socket): void {
    (this as BoundSocket)[kDriver]!.#socketClosed();
  }

  static #onError(this: Socket): void {
    // A reset or similar: 'close' follows, and reports 1006 unless the closing handshake was done.
    this.destroy();
  }

  static #onDrain(this: Socket): void {
    const ws = (this as BoundSocket)[kDriver]!;
    const waiters = ws.#drainWaiters;
    ws.#drainWaiters = null;
    if (waiters !== null) for (const w of waiters) w.resolve();
    if (!ws.#needDrain) return;
    ws.#needDrain = false;
    try {
      ws.#settings!.handlers?.drain?.(ws.#ws);
      ws.emit('drain');
    } catch (error) {
      ws.handlerFailed(error);
    }
  }

  // ---- Reading -----------------------------------------------------------------------------

  #read(chunk: Buffer): void {
    const conn = this.#conn!;
    this.#lastReceived = Math.floor(this.#settings!.clock.now());
    conn.receiveData(chunk);
    this.#takeEvents(conn);
    this.#flush();
  }

  /** Dispatches what the connection reported, inflating compressed messages as they come. */
  #takeEvents(conn: Connection): void {
    for (;;) {
      const events = conn.eventsReceived();
      if (events.length > 0) {
        if (this.#backlog !== null) this.#backlog.push(...events);
        else this.#dispatchAll(events, 0);
      }
      const work = conn.takeWork();
      if (work === null) return;
      // Synchronous: the connection reads nothing further until this answer (order is kept).
      const result = this.#compression!.inflater.inflate(work.data, work.limit);
      if (result === 'too-big') conn.failWork(true);
      else if (result === 'invalid') conn.failWork(false);
      else conn.completeWork(result);
    }
  }

  /** Dispatches events from `from`; stops (and pauses reading) at an async handler in progress. */
  #dispatchAll(events: readonly ConnectionEvent[], from: number): void {
    this.#inRead = true;
    for (let i = from; i < events.length && !this.#failed; i++) {
      const pending = this.#dispatch(events[i]!);
      if (pending !== null) {
        this.#backlog = events.slice(i + 1);
        this.#socket!.pause();
        pending.then(
          () => this.#continueBacklog(),
          (error: unknown) => this.handlerFailed(error),
        );
        break;
      }
    }
    this.#inRead = false;
  }

  #continueBacklog(): void {
    const backlog = this.#backlog;
    this.#backlog = null;
    if (backlog !== null && !this.#closed) this.#dispatchAll(backlog, 0);
    if (this.#backlog === null && !this.#userPaused && !this.#closed) this.#socket!.resume();
    this.#flush();
  }

  /** Dispatches one event; returns the promise of an async `message` handler still pending. */
  #dispatch(event: ConnectionEvent): Promise<unknown> | null {
    try {
      switch (event.type) {
        case 'text':
          return this.#deliver(event.data, false);
        case 'binary':
          return this.#deliver(event.data, true);
        case 'ping':
          this.#settings!.handlers?.ping?.(this.#ws, asBuffer(event.data));
          this.emit('ping', asBuffer(event.data));
          return null;
        case 'pong':
          this.#settings!.handlers?.pong?.(this.#ws, asBuffer(event.data));
          this.emit('pong', asBuffer(event.data));
          return null;
        case 'error':
          this.#report(event.error, false);
          return null;
        default:
          // 'close': reported when the socket closes, with the code and reason received.
          return null;
      }
    } catch (error) {
      this.handlerFailed(error);
      return null;
    }
  }

  #deliver(data: Uint8Array, isBinary: boolean): Promise<unknown> | null {
    const buffer = asBuffer(data);
    this.#lastMessage = this.#lastReceived;
    const handler = this.#settings!.handlers?.message;
    if (handler === undefined && this.messages === null && this.listenerCount('message') === 0) {
      this.#keepEarly(buffer, isBinary);
      return null;
    }
    this.messages?.push(isBinary ? buffer : buffer.toString('utf8'));
    if (this.binaryKind === 'arraybuffer' && isBinary) {
      this.emit('message', toArrayBuffer(buffer), true);
    } else {
      this.emit('message', buffer, isBinary);
    }
    if (handler === undefined) return null;
    const result: unknown = handler(this.#ws, buffer, isBinary);
    return isPromise(result) ? result : null;
  }

  /**
   * Keeps a message that arrived before anyone listens for messages (a client that awaits
   * something else after `connect()`, a server that attaches listeners after an await in its
   * `connection` listener), up to {@link EARLY_LIMIT} bytes or messages; an application that
   * never listens does not make memory grow, it just loses what it ignores.
   */
  #keepEarly(buffer: Buffer, isBinary: boolean): void {
    if (this.#early === null) this.#early = { items: [], bytes: 0 };
    const early = this.#early;
    if (
      early.items.length >= EARLY_LIMIT.messages ||
      early.bytes + buffer.length > EARLY_LIMIT.bytes
    ) {
      return;
    }
    early.items.push([buffer, isBinary]);
    early.bytes += buffer.length;
  }

  /** A consumer of messages appeared: hand it what arrived before, in order, on the next tick. */
  protected deliverEarly(): void {
    const early = this.#early;
    if (early === null || early.items.length === 0 || early.scheduled) return;
    early.scheduled = true;
    process.nextTick(() => {
      this.#early = null;
      for (const [buffer, isBinary] of early.items)
        this.#dispatch({ type: isBinary ? 'binary' : 'text', data: buffer });
      this.#flush();
    });
  }

  /**
   * A handler threw: report it, and close this connection with 1011 (RFC 6455 §7.4.1). Messages
   * still waiting are not delivered; reading resumes so the closing can complete.
   */
  protected handlerFailed(error: unknown): void {
    this.#report(error instanceof Error ? error : new Error(String(error)), true);
    const conn = this.#conn;
    if (conn === null || this.#closed || this.#failed) return;
    this.#failed = true;
    this.#backlog = null;
    conn.fail(CloseCode.INTERNAL_ERROR);
    this.#socket!.resume();
    this.requestFlush();
  }

  /**
   * Reports an error to the `error` handler, else to `error` listeners. An error from
   * application code with nowhere to go is printed, never thrown: the process keeps serving.
   */
  #report(error: Error, fromApplication: boolean): void {
    try {
      const handler = this.#settings?.handlers?.error;
      if (handler !== undefined) handler(this.#ws, error);
      else if (this.listenerCount('error') > 0) this.emit('error', error);
      else if (fromApplication) {
        console.error('wsx: error in a WebSocket handler (connection closed with 1011):', error);
      }
    } catch (secondary) {
      console.error('wsx: error in an error handler:', secondary);
    }
  }

  /** Emits to listeners; an exception in one is reported, never thrown into the I/O path. */
  protected emitSafely(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (error) {
      if (this.#conn === null) this.#report(error as Error, true);
      else this.handlerFailed(error);
    }
  }

  // ---- Writing -----------------------------------------------------------------------------

  protected openConnection(what: string): Connection | null {
    if (this.#conn === null) {
      if (this.#closed) return null;
      throw new InvalidStateError(
        `cannot ${what}: WebSocket is not open: readyState 0 (CONNECTING)`,
      );
    }
    return this.#closed || this.#conn.state !== State.OPEN ? null : this.#conn;
  }

  protected notOpen(what: string): InvalidStateError {
    return new InvalidStateError(
      `cannot ${what}: WebSocket is not open: readyState ${this.readyState}`,
    );
  }

  /** After queueing: schedule the write, apply the hard limit, and say whether to back off. */
  protected queued(): SendStatus {
    this.requestFlush();
    const buffered = this.bufferedAmount;
    if (buffered > this.#settings!.backpressureLimit) {
      this.#slowConsumer('too much data buffered');
    }
    return buffered > this.#socket!.writableHighWaterMark
      ? SendStatus.BACKPRESSURE
      : SendStatus.SUCCESS;
  }

  /**
   * The slow-consumer policy: a connection that does not read closes with 1008 (policy
   * violation). Its close frame waits behind the data it did not read, so the close timer, not
   * the peer, usually ends it.
   */
  #slowConsumer(reason: string): void {
    if (this.#conn?.state !== State.OPEN) return;
    this.#conn.sendClose(CloseCode.POLICY_VIOLATION, `slow consumer: ${reason}`);
    this.requestFlush();
  }

  protected drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.#drainWaiters === null) this.#drainWaiters = [waiter];
      else this.#drainWaiters.push(waiter);
    });
  }

  protected addSendCallback(callback: Callback): void {
    if (this.#sendCallbacks === null) this.#sendCallbacks = [callback];
    else this.#sendCallbacks.push(callback);
  }

  /** Sends during a read go out with the read's write; other sends are batched per tick. */
  protected requestFlush(): void {
    if (this.#inRead || this.#flushQueued) return;
    this.#flushQueued = true;
    queueFlush(this as unknown as Driver<unknown>);
  }

  static #flushLater(ws: Driver<unknown>): void {
    ws.#flushQueued = false;
    ws.#flush();
  }

  static {
    queueFlush = createFlushQueue(this.#flushLater);
  }

  #flush(): void {
    const conn = this.#conn;
    const socket = this.#socket;
    if (conn === null || socket === null) return;
    const chunks = conn.dataToSend();
    if (chunks.length > 0 && !socket.destroyed) this.#write(socket, chunks);
    if (conn.closeExpected() && this.#closeTimer === null && !this.#closed) {
      const settings = this.#settings!;
      this.#closeTimer = settings.clock.setTimeout(
        () => this.#socket?.destroy(),
        settings.closeTimeout,
      );
    }
  }

  #write(socket: Socket, chunks: readonly Uint8Array[]): void {
    const callbacks = this.#sendCallbacks;
    this.#sendCallbacks = null;
    const done =
      callbacks === null
        ? undefined
        : (error?: Error | null) => {
            for (const cb of callbacks) cb(error ?? undefined);
          };
    let ok = true;
    const merged = chunks.length > 1 ? mergeSmall(chunks) : null;
    if (merged !== null) {
      ok = socket.write(merged, done);
    } else {
      const corked = chunks.length > 1;
      if (corked) socket.cork();
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i]!;
        const last = i === chunks.length - 1;
        if (chunk === SEND_EOF) socket.end();
        else ok = socket.write(chunk, last ? done : undefined);
      }
      if (corked) socket.uncork();
    }
    if (!ok && !this.#needDrain) {
      this.#needDrain = true;
      socket.once('drain', Driver.#onDrain);
    }
  }

  // ---- Closing -----------------------------------------------------------------------------

  #socketClosed(): void {
    if (this.#closed) return;
    this.startReading();
    const conn = this.#conn!;
    conn.receiveEof();
    this.#closed = true;
    const settings = this.#settings!;
    if (this.#closeTimer !== null) settings.clock.clearTimeout(this.#closeTimer);
    this.#closeTimer = null;
    settings.sweeper?.delete(this);
    this.#compression?.close();
    if (this.#topics !== null) {
      for (const topic of this.#topics) settings.topics?.unsubscribe(this, topic);
      this.#topics = null;
    }
    this.#failWaiters();
    this.messages?.end(this.closedError());
    (settings.onClosed as ((ws: Driver<Data>) => void) | null)?.(this);
    const { closeCode: code, closeReason: reason } = conn;
    try {
      settings.handlers?.close?.(this.#ws, code, reason);
    } catch (error) {
      this.#report(error as Error, true);
    }
    this.emitSafely('close', code, reason);
  }

  #failWaiters(): void {
    if (this.#sendCallbacks === null && this.#drainWaiters === null) return;
    const error = this.notOpen('send');
    if (this.#sendCallbacks !== null) {
      for (const cb of this.#sendCallbacks) process.nextTick(cb, error);
      this.#sendCallbacks = null;
    }
    if (this.#drainWaiters !== null) {
      for (const w of this.#drainWaiters) w.reject(error);
      this.#drainWaiters = null;
    }
  }

  /** Undefined for a normal closure, else the error the message iterator throws. */
  protected closedError(): ConnectionClosedError | undefined {
    const conn = this.#conn;
    const received = conn?.closeReceived ?? null;
    const sent = conn?.closeSent ?? null;
    if (received !== null && sent !== null && isNormal(received.code) && isNormal(sent.code)) {
      return undefined;
    }
    return new ConnectionClosedError(received, sent, conn?.closeReceivedThenSent ?? false);
  }
}

/**
 * Several small chunks of one write (topic messages: each subscriber's frames are shared bytes,
 * so they are not merged in the core's output slab) copied into one buffer: one `write` instead
 * of a corked batch, which costs the stream machinery a step per chunk and the kernel an iovec
 * each. Null when the chunks end the stream, or hold a large payload (not worth a copy).
 */
function mergeSmall(chunks: readonly Uint8Array[]): Buffer | null {
  let total = 0;
  for (const chunk of chunks) {
    if (chunk === SEND_EOF || chunk.length > MERGE_CHUNK_MAX) return null;
    total += chunk.length;
  }
  return total <= MERGE_TOTAL_MAX ? Buffer.concat(chunks, total) : null;
}

function isNormal(code: number): boolean {
  return (
    code === CloseCode.NORMAL_CLOSURE ||
    code === CloseCode.GOING_AWAY ||
    code === CloseCode.NO_STATUS_RECEIVED
  );
}

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(
    buffer.byteOffset,
    buffer.byteOffset + buffer.byteLength,
  ) as ArrayBuffer;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}

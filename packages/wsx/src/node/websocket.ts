/**
 * `WebSocket`: one connection, bound to a socket. The same class serves both sides: the server
 * creates it for each accepted upgrade, and `new WebSocket(url)` (or `connect()`) opens one as a
 * client. The protocol is the sans-I/O `Connection`; this class is the driver that feeds it what
 * the socket reads, writes what it queues (batched: one write per read, or per tick for sends
 * made elsewhere), runs the close timer, and reports events to listeners and handlers.
 *
 * Its event-emitter surface follows `ws` (`message` (data, isBinary), `close` (code, reason),
 * `ping`, `pong`, `error`, `open`, `drain`; `send`, `close`, `terminate`, `ping`, `pong`,
 * `readyState`, `bufferedAmount`), so code written for `ws` runs unchanged in the common cases.
 */

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Connection, SEND_EOF } from '../core/connection.js';
import { CloseCode } from '../core/constants.js';
import { ConnectionClosedError, InvalidStateError, UsageError } from '../core/errors.js';
import type { ConnectionEvent } from '../core/events.js';
import { State } from '../core/state.js';
import {
  type ClientTlsOptions,
  type HandshakeResult,
  openHandshake,
  parseWebSocketUrl,
} from './client-handshake.js';
import { createFlushQueue } from './flush-queue.js';
import { type Message, MessageQueue } from './message-queue.js';
import { alloc, asBuffer, isUtf8, random } from './runtime.js';
import { type SendData, toPayload } from './send-data.js';

/** `readyState` values (WHATWG and `ws`). */
export const ReadyState = {
  CONNECTING: 0,
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
} as const;
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

/**
 * What `send()` reports, as uWebSockets does: the data was queued and the socket's buffer is
 * under its high-water mark (SUCCESS), or over it (BACKPRESSURE: wait for `drain`), or the
 * connection is not open and nothing was sent (DROPPED).
 */
export const SendStatus = {
  BACKPRESSURE: 0,
  SUCCESS: 1,
  DROPPED: 2,
} as const;
export type SendStatus = (typeof SendStatus)[keyof typeof SendStatus];

/** Per-connection handlers of a server route (the uWebSockets "behavior"). */
export interface ConnectionHandlers<Data> {
  /** The connection is open. May return a promise: a rejection closes it with 1011. */
  open?(ws: WebSocket<Data>): unknown;
  /** A message: text (`isBinary` false, valid UTF-8) or binary. May return a promise, as `open`. */
  message?(ws: WebSocket<Data>, data: Buffer, isBinary: boolean): unknown;
  drain?(ws: WebSocket<Data>): void;
  ping?(ws: WebSocket<Data>, data: Buffer): void;
  pong?(ws: WebSocket<Data>, data: Buffer): void;
  close?(ws: WebSocket<Data>, code: number, reason: string): void;
  /** An error thrown by a handler (the connection is then closed with 1011), or a peer's protocol violation. */
  error?(ws: WebSocket<Data>, error: Error): void;
}

/** Limits and timers shared by both sides. */
export interface ConnectionLimits {
  /** Largest message accepted, in bytes (1009 beyond). Default 1 MiB. `maxPayload` is the `ws` name. */
  maxMessageSize?: number;
  /** Largest frame accepted, in bytes. Default: `maxMessageSize`. */
  maxFrameSize?: number;
  /** How long to wait for the peer to finish the closing handshake before dropping TCP. Default 10 s. */
  closeTimeout?: number;
}

/** Options of `new WebSocket(url, protocols, options)` and `connect(url, options)`. */
export interface ClientOptions extends ConnectionLimits, ClientTlsOptions {
  /** Subprotocols to offer, most preferred first. */
  protocols?: string | readonly string[];
  /** Extra request headers (`Authorization`, `Cookie`, ...). */
  headers?: Record<string, string> | readonly (readonly [string, string])[];
  /** The `Origin` header to send. */
  origin?: string;
  /** Time allowed for the TCP/TLS connection and the opening handshake. Default 10 s. */
  handshakeTimeout?: number;
  /** `ws` name of `maxMessageSize`. */
  maxPayload?: number;
  /** How binary messages are delivered to `message` listeners. Default 'nodebuffer'. */
  binaryType?: BinaryType;
  /** Compression is not negotiated by this version; only `false` is accepted. */
  perMessageDeflate?: false;
}

export type BinaryType = 'nodebuffer' | 'arraybuffer';

const DEFAULT_CLOSE_TIMEOUT = 10_000; // Python websockets' default; long enough for slow links
const DEFAULT_HANDSHAKE_TIMEOUT = 10_000; // a handshake is one round trip plus TLS
const CLIENT_OPTIONS = new Set([
  'protocols',
  'headers',
  'origin',
  'handshakeTimeout',
  'maxPayload',
  'maxMessageSize',
  'maxFrameSize',
  'closeTimeout',
  'binaryType',
  'perMessageDeflate',
  'ca',
  'cert',
  'key',
  'passphrase',
  'pfx',
  'rejectUnauthorized',
  'servername',
  'checkServerIdentity',
  'minVersion',
  'ciphers',
]);
const TLS_OPTIONS = [
  'ca',
  'cert',
  'key',
  'passphrase',
  'pfx',
  'rejectUnauthorized',
  'servername',
  'checkServerIdentity',
  'minVersion',
  'ciphers',
] as const;

/** The property a socket carries to find its WebSocket from shared listener functions. */
const kWebSocket = Symbol('wsx.websocket');
type BoundSocket = Socket & { [kWebSocket]?: WebSocket<unknown> };

/** Internal: lets the server attach an accepted socket. Not part of the public API. */
export const kAttach = Symbol('wsx.attach');

/** Internal: starts reading once `connection` listeners are in place. */
export const kStart = Symbol('wsx.start');

/** Queues a connection to be flushed at the end of the tick (set once the class exists). */
let queueFlush: (ws: WebSocket<unknown>) => void;

/** What the server passes when it attaches an accepted connection. */
export interface AcceptedConnection<Data> {
  readonly socket: Socket;
  readonly connection: Connection;
  readonly protocol: string;
  readonly handlers: ConnectionHandlers<Data> | null;
  readonly closeTimeout: number;
  readonly data: Data;
  /** Called once the connection has closed (the server forgets it). */
  readonly onClosed: ((ws: WebSocket<Data>) => void) | null;
}

export class WebSocket<Data = unknown> extends EventEmitter {
  static readonly CONNECTING = ReadyState.CONNECTING;
  static readonly OPEN = ReadyState.OPEN;
  static readonly CLOSING = ReadyState.CLOSING;
  static readonly CLOSED = ReadyState.CLOSED;
  readonly CONNECTING = ReadyState.CONNECTING;
  readonly OPEN = ReadyState.OPEN;
  readonly CLOSING = ReadyState.CLOSING;
  readonly CLOSED = ReadyState.CLOSED;

  /** Application data for this connection: what the server's `upgrade` hook returned. */
  data: Data;

  #conn: Connection | null = null;
  #socket: Socket | null = null;
  #closed = false;
  #protocol = '';
  #url = '';
  #handlers: ConnectionHandlers<Data> | null = null;
  #binaryType: BinaryType = 'nodebuffer';
  #closeTimeout = DEFAULT_CLOSE_TIMEOUT;
  #closeTimer: ReturnType<typeof setTimeout> | null = null;
  /** True while events of one read are dispatched: sends made then go out with that read's write. */
  #inRead = false;
  #flushQueued = false;
  #needDrain = false;
  /** Whether a message sent with `fin: false` awaits its continuation. */
  #fragmenting = false;
  #sendCallbacks: ((error?: Error) => void)[] | null = null;
  #queue: MessageQueue | null = null;
  #abortHandshake: ((error: Error) => void) | null = null;
  #onClosed: ((ws: WebSocket<Data>) => void) | null = null;
  /** Whether reading has started ([kStart]); until then the bytes that came with the 101 wait. */
  #started = false;
  #head: Buffer | null = null;
  #closeCode: number = CloseCode.ABNORMAL_CLOSURE;
  #closeReason = '';

  /**
   * Opens a client connection to `address` (`ws://` or `wss://`), like `ws` and the browser's
   * `WebSocket`. Listen for `open`, or use `connect()`, which returns a promise.
   * `address` null is for the server side, which attaches accepted sockets.
   */
  constructor(
    address: string | URL | null,
    protocols?: string | readonly string[] | ClientOptions,
    options?: ClientOptions,
  ) {
    super();
    this.data = undefined as Data;
    if (address === null) return;
    const opts: ClientOptions =
      protocols !== undefined && typeof protocols === 'object' && !Array.isArray(protocols)
        ? (protocols as ClientOptions)
        : { ...options, ...(protocols === undefined ? {} : { protocols: protocols as string[] }) };
    this.#startClient(address, opts);
  }

  /** CONNECTING, OPEN, CLOSING or CLOSED. */
  get readyState(): ReadyState {
    if (this.#closed) return ReadyState.CLOSED;
    if (this.#conn === null) return ReadyState.CONNECTING;
    return this.#conn.state === State.OPEN ? ReadyState.OPEN : ReadyState.CLOSING;
  }

  /** The subprotocol the server selected, or ''. */
  get protocol(): string {
    return this.#protocol;
  }

  /** The extensions in use (none in this version): ''. */
  get extensions(): string {
    return '';
  }

  /** The URL this client connected to ('' on the server side). */
  get url(): string {
    return this.#url;
  }

  /** Bytes accepted by `send()` and not yet handed to the operating system. */
  get bufferedAmount(): number {
    return (this.#conn?.bytesToSend ?? 0) + (this.#socket?.writableLength ?? 0);
  }

  /** The peer's IP address. */
  get remoteAddress(): string | undefined {
    return this.#socket?.remoteAddress;
  }

  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(type: BinaryType) {
    if (type !== 'nodebuffer' && type !== 'arraybuffer') {
      throw new UsageError(`binaryType is 'nodebuffer' or 'arraybuffer', not '${String(type)}'`);
    }
    this.#binaryType = type;
  }

  /** Whether reading is paused (`pause()`). */
  get isPaused(): boolean {
    return this.#socket?.isPaused() ?? false;
  }

  /**
   * Sends a message: a string as text, anything else as binary unless `binary` says otherwise.
   * With `fin: false`, starts (or continues) a fragmented message. `callback` runs once the data
   * is written to the socket. Returns a {@link SendStatus}.
   *
   * @throws {InvalidStateError} while CONNECTING (as `ws` and WHATWG do). After close, nothing is
   * sent and DROPPED is returned: a send racing a close initiated by the peer is not a bug.
   */
  send(
    data: SendData,
    options?: { binary?: boolean; fin?: boolean; compress?: boolean } | ((error?: Error) => void),
    callback?: (error?: Error) => void,
  ): SendStatus {
    const cb = typeof options === 'function' ? options : callback;
    const opts = typeof options === 'function' ? undefined : options;
    const conn = this.#openConnection('send');
    if (conn === null) {
      if (cb !== undefined) process.nextTick(cb, this.#notOpen('send'));
      return SendStatus.DROPPED;
    }
    const payload = toPayload(data);
    const fin = opts?.fin ?? true;
    const binary = opts?.binary ?? typeof payload !== 'string';
    if (this.#fragmenting) conn.sendContinuation(binary ? bytesOf(payload) : payload, fin);
    else if (binary) conn.sendBinary(bytesOf(payload), fin);
    else conn.sendText(payload, fin);
    this.#fragmenting = !fin;
    if (cb !== undefined) this.#addSendCallback(cb);
    this.#requestFlush();
    const socket = this.#socket!;
    return this.bufferedAmount > socket.writableHighWaterMark
      ? SendStatus.BACKPRESSURE
      : SendStatus.SUCCESS;
  }

  /** Sends a ping (at most 125 bytes of payload). `ws`'s signature: `(data, mask, callback)`. */
  ping(data?: SendData, _mask?: boolean, callback?: (error?: Error) => void): void {
    this.#control('ping', data, callback);
  }

  /** Sends an unsolicited pong. `ws`'s signature: `(data, mask, callback)`. */
  pong(data?: SendData, _mask?: boolean, callback?: (error?: Error) => void): void {
    this.#control('pong', data, callback);
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2): sends a close frame and waits up to
   * `closeTimeout` for the peer's before dropping the connection. A no-op once closing.
   *
   * @throws {UsageError} for a code that may not be sent or a reason over 123 bytes.
   */
  close(code?: number, reason?: string): void {
    if (this.#closed) return;
    if (this.#conn === null) {
      this.#abortHandshake?.(
        new InvalidStateError('WebSocket was closed before the connection was established'),
      );
      return;
    }
    if (this.#conn.state !== State.OPEN) return;
    this.#conn.sendClose(code, reason ?? '');
    this.#requestFlush();
  }

  /** Drops the connection at once, without a closing handshake (the peer sees 1006). */
  terminate(): void {
    if (this.#closed) return;
    if (this.#conn === null) {
      this.#abortHandshake?.(
        new InvalidStateError('WebSocket was terminated before the connection was established'),
      );
      return;
    }
    this.#socket?.destroy();
  }

  /** Stops reading from the socket (read-side backpressure). */
  pause(): void {
    this.#socket?.pause();
  }

  /** Resumes reading. */
  resume(): void {
    this.#socket?.resume();
  }

  /**
   * Iterates over incoming messages: text as strings, binary as Buffers. The loop ends on a
   * normal closure (1000, 1001 or 1005 both ways) and throws a {@link ConnectionClosedError},
   * which carries both close frames, on any other. Start it before the event loop turns, or
   * messages that arrive first go only to `message` listeners.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    if (this.#queue === null) {
      this.#queue = new MessageQueue({ pause: () => this.pause(), resume: () => this.resume() });
      if (this.#closed) this.#queue.end(this.#closedError());
    }
    return this.#queue;
  }

  /** Internal: binds an accepted server-side socket. */
  [kAttach](accepted: AcceptedConnection<Data>): void {
    this.data = accepted.data;
    this.#handlers = accepted.handlers;
    this.#closeTimeout = accepted.closeTimeout;
    this.#protocol = accepted.protocol;
    this.#onClosed = accepted.onClosed;
    this.#bind(accepted.socket, accepted.connection);
  }

  /** Internal: processes bytes that arrived with the handshake, once listeners are in place. */
  [kStart](head: Buffer): void {
    const socket = this.#socket;
    if (socket === null || this.#started) return;
    this.#started = true;
    // Listening first is safe: 'data' is never emitted synchronously. Reading the head after
    // lets a handler that calls pause() on its first message keep the socket paused.
    socket.on('data', WebSocket.#onData);
    socket.resume();
    if (head.length > 0) this.#read(head);
    // The peer may have half-closed while the upgrade was pending (an async `upgrade` hook).
    if (socket.readableEnded) WebSocket.#onEnd.call(socket);
  }

  // ---- Client ------------------------------------------------------------------------------

  #startClient(address: string | URL, options: ClientOptions): void {
    for (const key of Object.keys(options)) {
      if (!CLIENT_OPTIONS.has(key)) throw new UsageError(`unknown client option '${key}'`);
    }
    if (options.perMessageDeflate) {
      throw new UsageError('perMessageDeflate is not supported by this version of wsx');
    }
    const url = parseWebSocketUrl(address);
    this.#url = url.href;
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    if (options.binaryType !== undefined) this.binaryType = options.binaryType;
    const protocols =
      options.protocols === undefined
        ? []
        : typeof options.protocols === 'string'
          ? [options.protocols]
          : [...options.protocols];
    const tls: Record<string, unknown> = {};
    for (const key of TLS_OPTIONS) if (options[key] !== undefined) tls[key] = options[key];
    const maxMessageSize = options.maxMessageSize ?? options.maxPayload;
    this.#abortHandshake = openHandshake(
      {
        url,
        protocols,
        headers: options.headers as Record<string, string> | undefined,
        origin: options.origin,
        timeout: options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
        tls: tls as ClientTlsOptions,
      },
      (error, result) => {
        this.#abortHandshake = null;
        // Always after the caller's turn: close() during CONNECTING must not emit synchronously.
        if (error !== null) process.nextTick(WebSocket.#failHandshake, this, error);
        else this.#handshakeDone(result!, maxMessageSize, options.maxFrameSize);
      },
    );
  }

  #handshakeDone(result: HandshakeResult, maxMessageSize?: number, maxFrameSize?: number): void {
    const connection = new Connection({
      role: 'client',
      random,
      isUtf8,
      alloc,
      ...(maxMessageSize === undefined ? {} : { maxMessageSize }),
      ...(maxFrameSize === undefined ? {} : { maxFrameSize }),
    });
    this.#protocol = result.protocol;
    this.#bind(result.socket, connection);
    // Frames that came with the 101 are read on the next turn, after `await connect()` resumes
    // (or before, if the socket ends first: see #startIfNeeded).
    this.#head = result.head;
    setImmediate(WebSocket.#beginReading, this);
    try {
      this.emit('upgrade', result.response);
      this.emit('open');
    } catch (error) {
      this.#handlerFailed(error);
    }
  }

  static #beginReading<D>(ws: WebSocket<D>): void {
    ws.#startIfNeeded();
  }

  /** Reads the bytes that came with the 101 before anything that follows them. */
  #startIfNeeded(): void {
    if (this.#started) return;
    const head = this.#head ?? Buffer.alloc(0);
    this.#head = null;
    this[kStart](head);
  }

  static #failHandshake<D>(ws: WebSocket<D>, error: Error): void {
    ws.#handshakeFailed(error);
  }

  #handshakeFailed(error: Error): void {
    this.#closed = true;
    if (this.listenerCount('error') > 0) this.emit('error', error);
    this.#queue?.end(error);
    this.emit('close', CloseCode.ABNORMAL_CLOSURE, '');
  }

  // ---- Socket binding ----------------------------------------------------------------------

  #bind(socket: Socket, connection: Connection): void {
    this.#conn = connection;
    this.#socket = socket;
    (socket as BoundSocket)[kWebSocket] = this as unknown as WebSocket<unknown>;
    socket.setTimeout(0);
    socket.setNoDelay(true);
    socket.on('end', WebSocket.#onEnd);
    socket.on('close', WebSocket.#onClose);
    socket.on('error', WebSocket.#onError);
    socket.on('drain', WebSocket.#onDrain);
  }

  static #onData(this: Socket, chunk: Buffer): void {
    (this as BoundSocket)[kWebSocket]!.#read(chunk);
  }

  static #onEnd(this: Socket): void {
    const ws = (this as BoundSocket)[kWebSocket]!;
    ws.#startIfNeeded();
    ws.#conn!.receiveEof();
    ws.#flush();
  }

  static #onClose(this: Socket): void {
    (this as BoundSocket)[kWebSocket]!.#socketClosed();
  }

  static #onError(this: Socket): void {
    // A reset or similar: 'close' follows, and reports 1006 unless the closing handshake was done.
    this.destroy();
  }

  static #onDrain(this: Socket): void {
    const ws = (this as BoundSocket)[kWebSocket]!;
    if (!ws.#needDrain) return;
    ws.#needDrain = false;
    try {
      ws.#handlers?.drain?.(ws);
      ws.emit('drain');
    } catch (error) {
      ws.#handlerFailed(error); // as for every handler: report, close with 1011, keep serving
    }
  }

  // ---- Reading -----------------------------------------------------------------------------

  #read(chunk: Buffer): void {
    const conn = this.#conn!;
    conn.receiveData(chunk);
    const events = conn.eventsReceived();
    if (events.length > 0) {
      this.#inRead = true;
      for (let i = 0; i < events.length; i++) this.#dispatch(events[i]!);
      this.#inRead = false;
    }
    this.#flush();
  }

  #dispatch(event: ConnectionEvent): void {
    try {
      switch (event.type) {
        case 'text':
          this.#deliver(event.data, false);
          break;
        case 'binary':
          this.#deliver(event.data, true);
          break;
        case 'ping':
          this.#handlers?.ping?.(this, asBuffer(event.data));
          this.emit('ping', asBuffer(event.data));
          break;
        case 'pong':
          this.#handlers?.pong?.(this, asBuffer(event.data));
          this.emit('pong', asBuffer(event.data));
          break;
        case 'error':
          this.#report(event.error, false);
          break;
        // 'close': reported when the socket closes, with the code and reason received.
      }
    } catch (error) {
      this.#handlerFailed(error);
    }
  }

  #deliver(data: Uint8Array, isBinary: boolean): void {
    const buffer = asBuffer(data);
    const handler = this.#handlers?.message;
    if (handler !== undefined) {
      const result = handler(this, buffer, isBinary);
      if (isPromise(result)) result.catch((error: unknown) => this.#handlerFailed(error));
    }
    this.#queue?.push(isBinary ? buffer : buffer.toString('utf8'));
    if (this.#binaryType === 'arraybuffer' && isBinary) {
      this.emit('message', toArrayBuffer(buffer), true);
    } else {
      this.emit('message', buffer, isBinary);
    }
  }

  /** A handler threw: report it, and close this connection with 1011 (RFC 6455 §7.4.1). */
  #handlerFailed(error: unknown): void {
    this.#report(error instanceof Error ? error : new Error(String(error)), true);
    const conn = this.#conn;
    if (conn === null || this.#closed) return;
    conn.fail(CloseCode.INTERNAL_ERROR);
    this.#requestFlush();
  }

  /**
   * Reports an error to the `error` handler, else to `error` listeners. An error from
   * application code with nowhere to go is printed, never thrown: the process keeps serving.
   */
  #report(error: Error, fromApplication: boolean): void {
    try {
      if (this.#handlers?.error !== undefined) this.#handlers.error(this, error);
      else if (this.listenerCount('error') > 0) this.emit('error', error);
      else if (fromApplication)
        console.error('wsx: error in a WebSocket handler (connection closed with 1011):', error);
    } catch (secondary) {
      console.error('wsx: error in an error handler:', secondary);
    }
  }

  // ---- Writing -----------------------------------------------------------------------------

  #openConnection(what: string): Connection | null {
    if (this.#conn === null) {
      if (this.#closed) return null;
      throw new InvalidStateError(
        `cannot ${what}: WebSocket is not open: readyState 0 (CONNECTING)`,
      );
    }
    return this.#closed || this.#conn.state !== State.OPEN ? null : this.#conn;
  }

  #notOpen(what: string): InvalidStateError {
    return new InvalidStateError(
      `cannot ${what}: WebSocket is not open: readyState ${this.readyState}`,
    );
  }

  #control(
    kind: 'ping' | 'pong',
    data: SendData | undefined,
    callback?: (error?: Error) => void,
  ): void {
    const conn = this.#openConnection(kind);
    if (conn === null) {
      if (callback !== undefined) process.nextTick(callback, this.#notOpen(kind));
      return;
    }
    const payload = data === undefined ? EMPTY : bytesOf(toPayload(data));
    if (kind === 'ping') conn.sendPing(payload);
    else conn.sendPong(payload);
    if (callback !== undefined) this.#addSendCallback(callback);
    this.#requestFlush();
  }

  #addSendCallback(callback: (error?: Error) => void): void {
    if (this.#sendCallbacks === null) this.#sendCallbacks = [callback];
    else this.#sendCallbacks.push(callback);
  }

  /** Sends during a read go out with the read's write; other sends are batched per tick. */
  #requestFlush(): void {
    if (this.#inRead || this.#flushQueued) return;
    this.#flushQueued = true;
    queueFlush(this as unknown as WebSocket<unknown>);
  }

  static #flushLater(ws: WebSocket<unknown>): void {
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
      this.#closeTimer = setTimeout(WebSocket.#closeTimedOut, this.#closeTimeout, this);
      this.#closeTimer.unref();
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
    const corked = chunks.length > 1;
    if (corked) socket.cork();
    let ok = true;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!;
      const last = i === chunks.length - 1;
      if (chunk === SEND_EOF) socket.end();
      else ok = socket.write(chunk, last ? done : undefined);
    }
    if (corked) socket.uncork();
    if (!ok) this.#needDrain = true;
  }

  static #closeTimedOut<D>(ws: WebSocket<D>): void {
    ws.#closeTimer = null;
    ws.#socket?.destroy();
  }

  // ---- Closing -----------------------------------------------------------------------------

  #socketClosed(): void {
    if (this.#closed) return;
    this.#startIfNeeded();
    const conn = this.#conn!;
    conn.receiveEof();
    this.#closed = true;
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    this.#closeTimer = null;
    this.#closeCode = conn.closeCode;
    this.#closeReason = conn.closeReason;
    if (this.#sendCallbacks !== null) {
      const error = this.#notOpen('send');
      for (const cb of this.#sendCallbacks) process.nextTick(cb, error);
      this.#sendCallbacks = null;
    }
    this.#queue?.end(this.#closedError());
    this.#onClosed?.(this);
    try {
      this.#handlers?.close?.(this, this.#closeCode, this.#closeReason);
    } catch (error) {
      this.#report(error as Error, true);
    }
    try {
      this.emit('close', this.#closeCode, this.#closeReason);
    } catch (error) {
      this.#report(error instanceof Error ? error : new Error(String(error)), true);
    }
  }

  /** Undefined for a normal closure, else the error the message iterator throws. */
  #closedError(): ConnectionClosedError | undefined {
    const conn = this.#conn;
    const received = conn?.closeReceived ?? null;
    const sent = conn?.closeSent ?? null;
    if (received !== null && sent !== null && isNormal(received.code) && isNormal(sent.code)) {
      return undefined;
    }
    return new ConnectionClosedError(received, sent, conn?.closeReceivedThenSent ?? false);
  }
}

const EMPTY = new Uint8Array(0);

function bytesOf(payload: string | Uint8Array): Uint8Array {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(
    buffer.byteOffset,
    buffer.byteOffset + buffer.byteLength,
  ) as ArrayBuffer;
}

function isNormal(code: number): boolean {
  return (
    code === CloseCode.NORMAL_CLOSURE ||
    code === CloseCode.GOING_AWAY ||
    code === CloseCode.NO_STATUS_RECEIVED
  );
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}

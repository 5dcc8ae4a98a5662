/**
 * `WebSocket`: one connection, the public face of a {@link Driver}. The same class serves both
 * sides: the server creates one for each accepted upgrade, and `new WebSocket(url)` (or
 * `connect()`) opens one as a client. The socket work is the driver's; this file is the API.
 *
 * Its event-emitter surface follows `ws` (`message` (data, isBinary), `close` (code, reason),
 * `ping`, `pong`, `error`, `open`, `drain`, `upgrade`; `send`, `close`, `terminate`, `ping`,
 * `pong`, `readyState`, `bufferedAmount`), typed event by event, so code written for `ws` runs
 * unchanged in the common cases.
 */

import type { EventEmitter } from 'node:events';
import { InvalidStateError, UsageError } from '../core/errors.js';
import type { HttpResponseHead } from '../core/http-head.js';
import { ReadyState } from '../core/lifecycle.js';
import { LazyEventEmitter } from '../node/lazy-emitter.js';
import { clientOpener } from './client-opener.js';
import type { ClientOptions } from './client-options.js';
import { Driver } from './driver.js';
import { type Callback, type DriverHost, Flag } from './driver-state.js';
import type { Handlers } from './handlers.js';
import { deliverEarly } from './inbound.js';
import { type Message, MessageQueue } from './message-queue.js';
import { type SendData, toPayload } from './send-data.js';
import type { ConnectionSettings } from './settings.js';
import type { PublishOptions } from './topic-hub.js';
import { type BinaryType, type SendOptions, SendStatus } from './types.js';

/** A message's data as `message` listeners get it: a Buffer, or an ArrayBuffer for binary
 * messages when `binaryType` is 'arraybuffer'. */
export type RawData = Buffer | ArrayBuffer;

/** The events of a {@link WebSocket} and their arguments. */
export interface WebSocketEvents {
  /** A client's opening handshake completed. */
  open: [];
  /** A message: text (`isBinary` false; data is its UTF-8 bytes) or binary. */
  message: [data: RawData, isBinary: boolean];
  /** The connection closed: the peer's close code (1005 without one, 1006 without a frame). */
  close: [code: number, reason: string];
  error: [error: Error];
  ping: [data: Buffer];
  pong: [data: Buffer];
  /** The buffer fell back under the high-water mark after `send()` said BACKPRESSURE. */
  drain: [];
  /**
   * A client's handshake response (the 101), just before `open`, and the request head as it was
   * written (latin1 text: request line, headers, blank line). Over HTTP/2, the 200 answering the
   * extended CONNECT (`version` 'HTTP/2'), and the request as a `CONNECT <path> HTTP/2` line and
   * its fields.
   */
  upgrade: [response: HttpResponseHead, request: Uint8Array];
}

/** Per-connection handlers of a server route (the uWebSockets "behavior"). */
export type ConnectionHandlers<Data> = Handlers<WebSocket<Data>>;

/** Passed by the package to create a server-side WebSocket (see {@link acceptedWebSocket}). */
const ACCEPTED = Symbol('wsx.accepted');

type Emitter = new () => EventEmitter<WebSocketEvents>;

/** Package-internal: the driver of a WebSocket. Not exported from the package. */
export let driverOf: (ws: WebSocket<unknown>) => Driver;

export class WebSocket<Data = unknown> extends (LazyEventEmitter as unknown as Emitter) {
  static readonly CONNECTING = ReadyState.CONNECTING;
  static readonly OPEN = ReadyState.OPEN;
  static readonly CLOSING = ReadyState.CLOSING;
  static readonly CLOSED = ReadyState.CLOSED;
  // On the prototype, not on each instance (as `ws` does).
  get CONNECTING(): 0 {
    return ReadyState.CONNECTING;
  }
  get OPEN(): 1 {
    return ReadyState.OPEN;
  }
  get CLOSING(): 2 {
    return ReadyState.CLOSING;
  }
  get CLOSED(): 3 {
    return ReadyState.CLOSED;
  }

  /** Application data for this connection: what the server's `upgrade` hook returned. */
  data: Data;
  /** Typed without `Data`, so that a WebSocket<Data> is a WebSocket<unknown> too. */
  readonly #driver: Driver;

  static {
    driverOf = (ws) => ws.#driver;
  }

  /**
   * Opens a client connection to `address` (`ws://`, `wss://` or `ws+unix:`), like `ws` and the
   * browser's `WebSocket`. Listen for `open`, or use `connect()`, which returns a promise.
   */
  constructor(
    address: string | URL,
    protocols?: string | readonly string[] | ClientOptions,
    options?: ClientOptions,
  ) {
    super();
    this.data = undefined as Data;
    if ((address as unknown) === ACCEPTED) {
      this.#driver = new Driver(this, protocols as unknown as ConnectionSettings<DriverHost>);
      return;
    }
    if (typeof address !== 'string' && !(address instanceof URL)) {
      throw new UsageError(`a WebSocket needs a ws:// or wss:// URL (got ${String(address)})`);
    }
    const opts: ClientOptions =
      protocols !== undefined && typeof protocols === 'object' && !Array.isArray(protocols)
        ? (protocols as ClientOptions)
        : { ...options, ...(protocols === undefined ? {} : { protocols: protocols as string[] }) };
    this.#driver = clientOpener()(this as WebSocket<unknown>, address, opts);
  }

  /** CONNECTING, OPEN, CLOSING or CLOSED. */
  get readyState(): ReadyState {
    return this.#driver.readyState;
  }

  /** The subprotocol agreed, or ''. */
  get protocol(): string {
    return this.#driver.rareOrNull?.protocol ?? '';
  }

  /** The extensions agreed, as in `Sec-WebSocket-Extensions` (e.g. permessage-deflate), or ''. */
  get extensions(): string {
    return this.#driver.compression?.extensions ?? '';
  }

  /** The URL this client connected to (the last one when redirects were followed); '' on a server. */
  get url(): string {
    return this.#driver.rareOrNull?.url ?? '';
  }

  /** The peer's IP address. */
  get remoteAddress(): string | undefined {
    return this.#driver.transport?.remoteAddress;
  }

  /** Bytes accepted and not yet handed to the operating system. */
  get bufferedAmount(): number {
    return this.#driver.bufferedAmount;
  }

  /** Topic messages not sent to this connection because it was over `maxBackpressure`. */
  get droppedMessages(): number {
    return this.#driver.droppedMessages;
  }

  /** The topics this connection is subscribed to. */
  get topics(): string[] {
    const topics = this.#driver.rareOrNull?.topics ?? null;
    return topics === null ? [] : [...topics];
  }

  get binaryType(): BinaryType {
    return this.#driver.binaryType;
  }

  set binaryType(type: BinaryType) {
    if (type !== 'nodebuffer' && type !== 'arraybuffer') {
      throw new UsageError(`binaryType is 'nodebuffer' or 'arraybuffer', not '${String(type)}'`);
    }
    this.#driver.binaryType = type;
  }

  /** Whether reading is paused (`pause()`, or an async handler in progress). */
  get isPaused(): boolean {
    return this.#driver.transport?.isPaused() ?? false;
  }

  /** Stops reading from the peer until `resume()` (read-side backpressure). */
  pause(): void {
    this.#driver.set(Flag.USER_PAUSED, true);
    this.#driver.updateReading();
  }

  /** Resumes reading after `pause()`. */
  resume(): void {
    this.#driver.set(Flag.USER_PAUSED, false);
    this.#driver.updateReading();
  }

  /**
   * Sends a message: a string as text, anything else as binary unless `binary` says otherwise.
   * With `fin: false`, starts (or continues) a fragmented message. `callback` runs once the data
   * is written to the socket. Returns a {@link SendStatus}.
   *
   * @throws {InvalidStateError} while CONNECTING (as `ws` and WHATWG do). After close, nothing is
   * sent and DROPPED is returned: a send racing a close initiated by the peer is not a bug.
   */
  send(data: SendData, options?: SendOptions | Callback, callback?: Callback): SendStatus {
    const driver = this.#driver;
    const cb = typeof options === 'function' ? options : callback;
    const opts = typeof options === 'function' ? undefined : options;
    const conn = driver.openConnection('send');
    if (conn === null) {
      if (cb !== undefined) process.nextTick(cb, driver.notOpen('send'));
      return SendStatus.DROPPED;
    }
    const payload = toPayload(data);
    const fin = opts?.fin ?? true;
    const binary = opts?.binary ?? typeof payload !== 'string';
    // The core knows whether a fragmented message is being sent: it continues it.
    const fragmenting = conn.isFragmenting;
    const compression = opts?.compress === false || !fin || fragmenting ? null : driver.compression;
    if (fragmenting) conn.sendContinuation(binary ? bytesOf(payload) : payload, fin);
    else if (compression !== null && worthCompressing(payload, compression.threshold)) {
      // Fragmented messages go uncompressed: each message decides (RFC 7692 §6).
      conn.sendCompressed(binary, compression.deflater.compress(bytesOf(payload)));
    } else if (binary) conn.sendBinary(bytesOf(payload), fin);
    else conn.sendText(payload, fin);
    if (cb !== undefined) driver.addSendCallback(cb);
    driver.touch();
    return driver.queued();
  }

  /**
   * Sends, and waits until the connection's buffer is back under the high-water mark: the
   * awaitable form for producers. Rejects when the connection is not open or closes first.
   */
  async sendAsync(data: SendData, options?: SendOptions): Promise<void> {
    const status = this.send(data, options);
    if (status === SendStatus.DROPPED) throw this.#driver.notOpen('send');
    if (status === SendStatus.BACKPRESSURE) await this.#driver.whenDrained();
  }

  /** Sends a ping (at most 125 bytes of payload). `ws`'s signature: `(data, mask, callback)`. */
  ping(data?: SendData, _mask?: boolean, callback?: Callback): void {
    this.sendControl('ping', data, callback);
  }

  /** Sends an unsolicited pong. `ws`'s signature: `(data, mask, callback)`. */
  pong(data?: SendData, _mask?: boolean, callback?: Callback): void {
    this.sendControl('pong', data, callback);
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2): sends a close frame and waits up to
   * `closeTimeout` for the peer's before dropping the connection. A no-op once closing.
   *
   * @throws {UsageError} for a code that may not be sent or a reason over 123 bytes.
   */
  close(code?: number, reason?: string): void {
    const driver = this.#driver;
    if (driver.has(Flag.CLOSED)) return;
    if (driver.connection === null) {
      driver.rareOrNull?.abortOpening?.(closedBeforeOpen('closed'));
      return;
    }
    driver.close(code, reason ?? '');
  }

  /** Drops the connection at once, without a closing handshake (the peer sees 1006). */
  terminate(): void {
    const driver = this.#driver;
    if (driver.has(Flag.CLOSED)) return;
    if (driver.connection === null) {
      driver.rareOrNull?.abortOpening?.(closedBeforeOpen('terminated'));
      return;
    }
    driver.terminate();
  }

  /** Subscribes to a topic of the server (see `server.publish`). False if already subscribed. */
  subscribe(topic: string): boolean {
    const hub = this.hub('subscribe');
    const driver = this.#driver;
    if (driver.has(Flag.CLOSED) || !hub.subscribe(this, topic)) return false;
    const rare = driver.rare;
    if (rare.topics === null) rare.topics = new Set([topic]);
    else rare.topics.add(topic);
    return true;
  }

  /** Unsubscribes from a topic. False if it was not subscribed. */
  unsubscribe(topic: string): boolean {
    const hub = this.hub('unsubscribe');
    this.#driver.rareOrNull?.topics?.delete(topic);
    return hub.unsubscribe(this, topic);
  }

  /** Whether this connection is subscribed to `topic`. */
  isSubscribed(topic: string): boolean {
    return this.#driver.rareOrNull?.topics?.has(topic) ?? false;
  }

  /**
   * Publishes to every subscriber of `topic` but this connection (uWebSockets' `ws.publish`),
   * through the same path as `server.publish` (and so to other processes, with an adapter).
   */
  publish(
    topic: string,
    data: SendData,
    options: Omit<PublishOptions<unknown>, 'except'> = {},
  ): number {
    return this.hub('publish').publish(topic, data, { ...options, except: this });
  }

  override on<K extends keyof WebSocketEvents>(
    event: K,
    listener: (...args: WebSocketEvents[K]) => void,
  ): this {
    super.on(event, listener as never);
    if (event === 'message') deliverEarly(this.#driver);
    return this;
  }

  override addListener<K extends keyof WebSocketEvents>(
    event: K,
    listener: (...args: WebSocketEvents[K]) => void,
  ): this {
    return this.on(event, listener);
  }

  override once<K extends keyof WebSocketEvents>(
    event: K,
    listener: (...args: WebSocketEvents[K]) => void,
  ): this {
    super.once(event, listener as never);
    if (event === 'message') deliverEarly(this.#driver);
    return this;
  }

  /**
   * Iterates over incoming messages: text as strings, binary as Buffers. The loop ends on a
   * normal closure (1000, 1001 or 1005 both ways) and throws a `ConnectionClosedError`, which
   * carries both close frames, on any other. Start it before the event loop turns, or messages
   * that arrive first go only to `message` listeners.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    const driver = this.#driver;
    const rare = driver.rare;
    if (rare.messages === null) {
      rare.messages = new MessageQueue({
        pause: () => {
          driver.set(Flag.QUEUE_PAUSED, true);
          driver.updateReading();
        },
        resume: () => {
          driver.set(Flag.QUEUE_PAUSED, false);
          driver.updateReading();
        },
      });
      deliverEarly(driver);
      if (driver.has(Flag.CLOSED)) rare.messages.end(driver.closedError());
    }
    return rare.messages;
  }

  // `private` methods, not `#` ones: in V8 a class with `#` methods gives each instance a hidden
  // brand field (8 bytes on every connection).

  private hub(what: string) {
    const topics = this.#driver.settings.topics;
    if (topics === null) {
      throw new InvalidStateError(`cannot ${what}: topics belong to server-side connections`);
    }
    return topics;
  }

  private sendControl(
    kind: 'ping' | 'pong',
    data: SendData | undefined,
    callback?: Callback,
  ): void {
    const driver = this.#driver;
    const conn = driver.openConnection(kind);
    if (conn === null) {
      if (callback !== undefined) process.nextTick(callback, driver.notOpen(kind));
      return;
    }
    const payload = data === undefined ? EMPTY : bytesOf(toPayload(data));
    if (kind === 'ping') conn.sendPing(payload);
    else conn.sendPong(payload);
    if (callback !== undefined) driver.addSendCallback(callback);
    driver.requestFlush();
  }
}

/** Package-internal: a server-side WebSocket with these settings and data, not bound yet. */
export function acceptedWebSocket<Data>(
  settings: ConnectionSettings<WebSocket<Data>>,
  data: Data,
): WebSocket<Data> {
  const ws = new WebSocket<Data>(ACCEPTED as never, settings as never);
  ws.data = data;
  return ws;
}

const EMPTY = new Uint8Array(0);

function closedBeforeOpen(how: string): Error {
  return new InvalidStateError(`WebSocket was ${how} before the connection was established`);
}

/** The sweep's visit of one connection (heartbeat, idle and slow-consumer checks). */
export function sweepWebSocket(ws: WebSocket<unknown>, now: number): void {
  driverOf(ws).sweep(now);
}

/** Below the threshold, compressing costs a zlib call for a few bytes saved. */
function worthCompressing(payload: string | Uint8Array, threshold: number): boolean {
  if (typeof payload !== 'string') return payload.length >= threshold;
  return payload.length * 3 >= threshold && Buffer.byteLength(payload) >= threshold;
}

function bytesOf(payload: string | Uint8Array): Uint8Array {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

/**
 * `WebSocket`: one connection. The same class serves both sides: the server creates it for each
 * accepted upgrade, and `new WebSocket(url)` (or `connect()`) opens one as a client. The socket
 * work is the {@link Driver}'s; this file is the public API.
 *
 * Its event-emitter surface follows `ws` (`message` (data, isBinary), `close` (code, reason),
 * `ping`, `pong`, `error`, `open`, `drain`; `send`, `close`, `terminate`, `ping`, `pong`,
 * `readyState`, `bufferedAmount`), so code written for `ws` runs unchanged in the common cases.
 */

import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Connection } from '../core/connection.js';
import { InvalidStateError, UsageError } from '../core/errors.js';
import { State } from '../core/state.js';
import { type HandshakeResult, openHandshake } from './client-handshake.js';
import { type ClientOptions, resolveClientOptions } from './client-options.js';
import type { ClientCompression, ConnectionCompression } from './compression.js';
import { type Callback, Driver, kDeliver, kSweep } from './driver.js';
import { type Message, MessageQueue } from './message-queue.js';
import { alloc, allocUnsafe, isUtf8, random } from './runtime.js';
import { type SendData, toPayload } from './send-data.js';
import { type ConnectionSettings, resolveSettings } from './settings.js';
import type { PublishOptions } from './topics.js';
import {
  type BinaryType,
  ReadyState,
  type SendOptions,
  SendStatus,
  type WebSocketOptions,
} from './types.js';

export { kDeliver, kSweep };

/** Internal: lets the server attach an accepted socket. Not part of the public API. */
export const kAttach = Symbol('wsx.attach');
/** Internal: starts reading once `connection` listeners are in place. */
export const kStart = Symbol('wsx.start');

/** What the server passes when it attaches an accepted connection. */
export interface AcceptedConnection<Data> {
  readonly socket: Socket;
  readonly connection: Connection;
  readonly protocol: string;
  readonly data: Data;
  readonly settings: ConnectionSettings<Data>;
  /** Bytes read past the request head: the first frames, if any. */
  readonly head: Buffer;
  /** permessage-deflate codecs, when agreed. */
  readonly compression: ConnectionCompression | null;
}

export class WebSocket<Data = unknown> extends Driver<Data> {
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
    this.startClient(address, opts);
  }

  /** CONNECTING, OPEN, CLOSING or CLOSED. */
  get readyState(): ReadyState {
    if (this.isClosed) return ReadyState.CLOSED;
    const conn = this.connection;
    if (conn === null) return ReadyState.CONNECTING;
    return conn.state === State.OPEN ? ReadyState.OPEN : ReadyState.CLOSING;
  }

  /** The subprotocol the server selected, or ''. */
  get protocol(): string {
    return this.protocolName;
  }

  /** The extensions agreed, as in `Sec-WebSocket-Extensions` (e.g. permessage-deflate), or ''. */
  get extensions(): string {
    return this.compression?.extensions ?? '';
  }

  /** The URL this client connected to ('' on the server side). */
  get url(): string {
    return this.urlText;
  }

  /** The peer's IP address. */
  get remoteAddress(): string | undefined {
    return this.socket?.remoteAddress;
  }

  /** Topic messages not sent to this connection because it was over `maxBackpressure`. */
  get droppedMessages(): number {
    return this.droppedCount;
  }

  /** The topics this connection is subscribed to. */
  get topics(): string[] {
    return this.topicSet === null ? [] : [...this.topicSet];
  }

  get binaryType(): BinaryType {
    return this.binaryKind;
  }

  set binaryType(type: BinaryType) {
    if (type !== 'nodebuffer' && type !== 'arraybuffer') {
      throw new UsageError(`binaryType is 'nodebuffer' or 'arraybuffer', not '${String(type)}'`);
    }
    this.binaryKind = type;
  }

  /** Whether reading is paused (`pause()`, or an async handler in progress). */
  get isPaused(): boolean {
    return this.socket?.isPaused() ?? false;
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
    const cb = typeof options === 'function' ? options : callback;
    const opts = typeof options === 'function' ? undefined : options;
    const conn = this.openConnection('send');
    if (conn === null) {
      if (cb !== undefined) process.nextTick(cb, this.notOpen('send'));
      return SendStatus.DROPPED;
    }
    const payload = toPayload(data);
    const fin = opts?.fin ?? true;
    const binary = opts?.binary ?? typeof payload !== 'string';
    const compression =
      opts?.compress === false || !fin || this.fragmenting ? null : this.compression;
    if (this.fragmenting) conn.sendContinuation(binary ? bytesOf(payload) : payload, fin);
    else if (compression !== null && worthCompressing(payload, compression.threshold)) {
      // Fragmented messages go uncompressed: each message decides (RFC 7692 §6).
      conn.sendCompressed(binary, compression.deflater.compress(bytesOf(payload)));
    } else if (binary) conn.sendBinary(bytesOf(payload), fin);
    else conn.sendText(payload, fin);
    this.fragmenting = !fin;
    if (cb !== undefined) this.addSendCallback(cb);
    this.touch();
    return this.queued();
  }

  /**
   * Sends, and waits until the connection's buffer is back under the high-water mark: the
   * awaitable form for producers. Rejects when the connection is not open or closes first.
   */
  async sendAsync(data: SendData, options?: SendOptions): Promise<void> {
    const status = this.send(data, options);
    if (status === SendStatus.DROPPED) throw this.notOpen('send');
    if (status === SendStatus.BACKPRESSURE) await this.drained();
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
    if (this.isClosed) return;
    const conn = this.connection;
    if (conn === null) {
      this.abortHandshake?.(
        new InvalidStateError('WebSocket was closed before the connection was established'),
      );
      return;
    }
    if (conn.state !== State.OPEN) return;
    conn.sendClose(code, reason ?? '');
    this.requestFlush();
  }

  /** Drops the connection at once, without a closing handshake (the peer sees 1006). */
  terminate(): void {
    if (this.isClosed) return;
    if (this.connection === null) {
      this.abortHandshake?.(
        new InvalidStateError('WebSocket was terminated before the connection was established'),
      );
      return;
    }
    this.socket?.destroy();
  }

  /** Subscribes to a topic of the server (see `server.publish`). False if already subscribed. */
  subscribe(topic: string): boolean {
    const registry = this.registry('subscribe');
    if (this.isClosed || !registry.subscribe(this, topic)) return false;
    if (this.topicSet === null) this.topicSet = new Set([topic]);
    else this.topicSet.add(topic);
    return true;
  }

  /** Unsubscribes from a topic. False if it was not subscribed. */
  unsubscribe(topic: string): boolean {
    const registry = this.registry('unsubscribe');
    this.topicSet?.delete(topic);
    return registry.unsubscribe(this, topic);
  }

  /** Whether this connection is subscribed to `topic`. */
  isSubscribed(topic: string): boolean {
    return this.topicSet?.has(topic) ?? false;
  }

  /** Publishes to every subscriber of `topic` but this connection (uWebSockets' `ws.publish`). */
  publish(
    topic: string,
    data: SendData,
    options: Omit<PublishOptions<unknown>, 'except'> = {},
  ): number {
    return this.registry('publish').publish(topic, data, { ...options, except: this });
  }

  override on(event: string | symbol, listener: Listener): this {
    super.on(event, listener);
    if (event === 'message') this.deliverEarly();
    return this;
  }

  override addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  override once(event: string | symbol, listener: Listener): this {
    super.once(event, listener);
    if (event === 'message') this.deliverEarly();
    return this;
  }

  /**
   * Iterates over incoming messages: text as strings, binary as Buffers. The loop ends on a
   * normal closure (1000, 1001 or 1005 both ways) and throws a `ConnectionClosedError`, which
   * carries both close frames, on any other. Start it before the event loop turns, or messages
   * that arrive first go only to `message` listeners.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    if (this.messages === null) {
      this.messages = new MessageQueue({ pause: () => this.pause(), resume: () => this.resume() });
      this.deliverEarly();
      if (this.isClosed) this.messages.end(this.closedError());
    }
    return this.messages;
  }

  /** Internal: binds an accepted server-side socket. */
  [kAttach](accepted: AcceptedConnection<Data>): void {
    this.data = accepted.data;
    this.settings = accepted.settings;
    this.protocolName = accepted.protocol;
    this.bindSocket(accepted.socket, accepted.connection, accepted.head, accepted.compression);
  }

  /** Internal: starts reading, once the server has emitted `connection`. */
  [kStart](): void {
    this.startReading();
  }

  // `private` methods, not `#` ones: in V8 a class with `#` methods gives each instance a hidden
  // brand field (8 bytes on every connection).

  private sendControl(
    kind: 'ping' | 'pong',
    data: SendData | undefined,
    callback?: Callback,
  ): void {
    const conn = this.openConnection(kind);
    if (conn === null) {
      if (callback !== undefined) process.nextTick(callback, this.notOpen(kind));
      return;
    }
    const payload = data === undefined ? EMPTY : bytesOf(toPayload(data));
    if (kind === 'ping') conn.sendPing(payload);
    else conn.sendPong(payload);
    if (callback !== undefined) this.addSendCallback(callback);
    this.requestFlush();
  }

  // ---- Client ------------------------------------------------------------------------------

  private startClient(address: string | URL, options: ClientOptions): void {
    const resolved = resolveClientOptions(address, options);
    this.urlText = resolved.request.url.href;
    if (resolved.binaryType !== undefined) this.binaryType = resolved.binaryType;
    this.settings = resolveSettings<Data>(resolved.connection, {
      visit: WebSocket.#visit as (ws: never, now: number) => void,
    });
    this.abortHandshake = openHandshake(resolved.request, (error, result) => {
      this.abortHandshake = null;
      // Always after the caller's turn: close() during CONNECTING must not emit synchronously.
      if (error !== null) process.nextTick(WebSocket.#failHandshake, this, error);
      else this.handshakeDone(result!, resolved.connection, resolved.compression);
    });
  }

  static #visit(ws: WebSocket<unknown>, now: number): void {
    ws[kSweep](now);
  }

  static #failHandshake<D>(ws: WebSocket<D>, error: Error): void {
    ws.handshakeFailed(error);
  }

  private handshakeDone(
    result: HandshakeResult,
    limits: WebSocketOptions,
    compression: ClientCompression | null,
  ): void {
    const codecs =
      result.deflate === null || compression === null
        ? null
        : compression.connection(result.deflate, result.extensions);
    const connection = new Connection({
      role: 'client',
      random,
      isUtf8,
      alloc,
      allocUnsafe,
      compression: codecs !== null,
      ...(limits.maxMessageSize === undefined ? {} : { maxMessageSize: limits.maxMessageSize }),
      ...(limits.maxFrameSize === undefined ? {} : { maxFrameSize: limits.maxFrameSize }),
    });
    this.protocolName = result.protocol;
    this.urlText = result.url.href;
    this.bindSocket(result.socket, connection, result.head, codecs);
    // Frames that came with the 101 are read on the next turn, after `await connect()` resumes
    // (or earlier, if the socket ends first).
    setImmediate(WebSocket.#beginReading, this);
    this.emitSafely('upgrade', result.response, result.request);
    this.emitSafely('open');
  }

  static #beginReading<D>(ws: WebSocket<D>): void {
    ws.startReading();
  }
}

const EMPTY = new Uint8Array(0);

type Listener = Parameters<EventEmitter['on']>[1];

/** Below the threshold, compressing costs a zlib call for a few bytes saved. */
function worthCompressing(payload: string | Uint8Array, threshold: number): boolean {
  if (typeof payload !== 'string') return payload.length >= threshold;
  return payload.length * 3 >= threshold && Buffer.byteLength(payload) >= threshold;
}

function bytesOf(payload: string | Uint8Array): Uint8Array {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

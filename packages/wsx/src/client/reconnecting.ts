/**
 * `ReconnectingWebSocket`: a client connection that comes back by itself. When the connection
 * drops (or a server restarts), it waits, with exponential backoff and jitter, and opens a new
 * one to the same URL with the same options; `reconnected` hands the application the new
 * connection so it can resubscribe. Messages of every connection reach the same `message`
 * listeners and the same `for await` loop.
 */

import { EventEmitter } from 'node:events';
import { CloseCode } from '../core/constants.js';
import { HandshakeError, InvalidStateError, UsageError, WebSocketError } from '../core/errors.js';
import type { HttpResponseHead } from '../core/http-head.js';
import { type Clock, systemClock, type TimerHandle } from '../node/clock.js';
import type { ClientOptions } from '../websocket/client-options.js';
import type { Callback } from '../websocket/driver-state.js';
import { type Message, MessageQueue } from '../websocket/message-queue.js';
import type { SendData } from '../websocket/send-data.js';
import { ReadyState, type SendOptions, SendStatus } from '../websocket/types.js';
import { type RawData, WebSocket } from '../websocket/websocket.js';
// Installs the client opening that `new WebSocket(url)` uses.
import './opening.js';

/** When and how often to reconnect. */
export interface ReconnectOptions {
  /** The delay before the first retry, before jitter. Default 500 ms. */
  initialDelay?: number;
  /** The largest delay between retries, before jitter. Default 30 s. */
  maxDelay?: number;
  /** Each retry waits `factor` times longer than the one before, up to `maxDelay`. Default 2. */
  factor?: number;
  /** The share of each delay that is random: 0 none, 1 "full jitter". Default 0.5. */
  jitter?: number;
  /** Retries in a row before giving up (a final `close`). Default Infinity. */
  maxRetries?: number;
  /** A connection open this long resets the backoff; one closed sooner does not. Default 5 s. */
  minUptime?: number;
  /** Whether to reconnect after this disconnection. Default {@link defaultShouldReconnect}. */
  shouldReconnect?: (info: DisconnectInfo) => boolean;
  /** A number in [0, 1) for the jitter. Default `Math.random` (inject one for tests). */
  random?: () => number;
}

/** Options of {@link reconnecting}: the client's options, and `reconnect`. */
export interface ReconnectingOptions extends ClientOptions {
  reconnect?: true | ReconnectOptions;
}

/** Why a connection ended: `code` when it had opened, `error` when it never did. */
export interface DisconnectInfo {
  /** The retry this would be: 1 for the first after a disconnection. */
  readonly attempt: number;
  /** The close code of a connection that had opened (1006 when no close frame came). */
  readonly code?: number;
  readonly reason?: string;
  /** Why a connection attempt failed: a `HandshakeError`, a network error, ... */
  readonly error?: Error;
}

/** The `reconnecting` event: a retry is scheduled in `delay` ms. */
export interface ReconnectingInfo extends DisconnectInfo {
  readonly delay: number;
}

// Defaults, each with its reason.
/** A blip (a restart, a load balancer move) is usually over in well under a second. */
const INITIAL_DELAY = 500;
/** The longest a recovered server waits to see its clients back; one retry per 30 s is cheap. */
const MAX_DELAY = 30_000;
/** Doubling reaches the 30 s cap in 7 retries (about a minute of outage). */
const FACTOR = 2;
/**
 * Equal jitter: each delay is between half and all of its exponential value. Clients dropped
 * together (a server restart) spread over that half, and each still backs off for real, which
 * full jitter does not guarantee (it may draw ~0 again and again against a server still down).
 */
const JITTER = 0.5;
/** A client is usually meant to stay connected: it gives up only when told to. */
const MAX_RETRIES = Number.POSITIVE_INFINITY;
/** A server that accepts and drops at once should still see growing delays. */
const MIN_UPTIME = 5_000;

/** Close codes that say "come back later": going away, abnormal, server error, restart, try again, bad gateway. */
const RETRY_CODES: ReadonlySet<number> = new Set([
  CloseCode.GOING_AWAY,
  CloseCode.ABNORMAL_CLOSURE,
  CloseCode.INTERNAL_ERROR,
  CloseCode.SERVICE_RESTART,
  CloseCode.TRY_AGAIN_LATER,
  CloseCode.BAD_GATEWAY,
]);

/**
 * The default policy: reconnect after a close with 1001, 1006, 1011, 1012, 1013 or 1014, after
 * a network error or timeout, and after a handshake answered with 5xx, 408 or 429 (or a proxy
 * answering so). Not after a normal close (1000, 1005), a policy violation (1008) or any other
 * code, nor after another status (401, 403, 404 would fail forever), nor after a `UsageError`.
 */
export function defaultShouldReconnect(info: DisconnectInfo): boolean {
  const { error } = info;
  if (error === undefined) return RETRY_CODES.has(info.code ?? CloseCode.ABNORMAL_CLOSURE);
  if (error instanceof HandshakeError) {
    return (
      error.status === 0 || error.status >= 500 || error.status === 408 || error.status === 429
    );
  }
  return !(error instanceof WebSocketError);
}

interface Policy {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
  readonly jitter: number;
  readonly maxRetries: number;
  readonly minUptime: number;
  readonly shouldReconnect: (info: DisconnectInfo) => boolean;
  readonly random: () => number;
}

/**
 * A client that reconnects. Events: `open` (ws) once, for the first connection; `reconnected`
 * (ws) for each later one (resubscribe there); `reconnecting` ({@link ReconnectingInfo}) when a
 * retry is scheduled; `message` (data, isBinary) from every connection; `error` (error) for each
 * error of a connection or an attempt (emitted only when listened to); `drain`; and `close`
 * (code, reason, error?) once, at the end: after `close()`, a close that is not retried, or the
 * last retry failing (`error` is then that failure).
 */
/** The events of a {@link ReconnectingWebSocket} and their arguments. */
export interface ReconnectingWebSocketEvents {
  /** The first connection opened. */
  open: [ws: WebSocket];
  /** A later connection opened: resubscribe or resend here. */
  reconnected: [ws: WebSocket];
  /** A retry is scheduled. */
  reconnecting: [info: ReconnectingInfo];
  message: [data: RawData, isBinary: boolean];
  /** An error of a connection or of an attempt (emitted only when listened to). */
  error: [error: Error];
  drain: [];
  /** Each connection's handshake response (and the request as written), before its `open`. */
  upgrade: [response: HttpResponseHead, request: Uint8Array, ws: WebSocket];
  /** The end: after `close()`, a close that is not retried, or the last retry failing. */
  close: [code: number, reason: string, error?: Error];
}

type Emitter = new () => EventEmitter<ReconnectingWebSocketEvents>;

export class ReconnectingWebSocket extends (EventEmitter as unknown as Emitter) {
  readonly #url: string | URL;
  readonly #options: ClientOptions;
  readonly #policy: Policy;
  #ws: WebSocket | null = null;
  /** Whether #ws has opened. */
  #connected = false;
  #openedAt = 0;
  #everOpened = false;
  /** Retries since the last connection that stayed up `minUptime`. */
  #attempt = 0;
  readonly #clock: Clock;
  #timer: TimerHandle | null = null;
  #lastError: Error | null = null;
  /** `close()` was called. */
  #closeCalled = false;
  #ended: { error: unknown } | null = null;
  #messages: MessageQueue | null = null;
  #paused = false;

  /** @throws {UsageError} for an invalid URL or option, as `new WebSocket` does. */
  constructor(url: string | URL, options: ReconnectingOptions = {}) {
    super();
    const { reconnect, ...client } = options;
    this.#policy = resolvePolicy(reconnect === true || reconnect === undefined ? {} : reconnect);
    this.#url = url;
    this.#options = client;
    this.#clock = client.clock ?? systemClock;
    this.#connect();
  }

  /** The current connection (open or opening), or null while waiting to retry. */
  get ws(): WebSocket | null {
    return this.#ws;
  }

  /** OPEN while connected, CONNECTING while (re)connecting, CLOSING after `close()`, CLOSED at the end. */
  get readyState(): ReadyState {
    if (this.#ended !== null) return ReadyState.CLOSED;
    if (this.#closeCalled) return ReadyState.CLOSING;
    // Connected: the current connection's own state (one derivation for every facade).
    return this.#connected && this.#ws !== null ? this.#ws.readyState : ReadyState.CONNECTING;
  }

  /** The URL as given. */
  get url(): string {
    return String(this.#url);
  }

  /**
   * Sends on the current connection. While disconnected, nothing is queued: DROPPED is returned
   * (and `callback` gets an InvalidStateError), so an outage cannot grow memory without bound.
   * Resend what matters from a `reconnected` listener.
   */
  send(data: SendData, options?: SendOptions | Callback, callback?: Callback): SendStatus {
    const ws = this.#ws;
    if (ws !== null && this.#connected && ws.readyState === ReadyState.OPEN) {
      return ws.send(data, options as SendOptions, callback);
    }
    const cb = typeof options === 'function' ? options : callback;
    if (cb !== undefined) {
      process.nextTick(cb, new InvalidStateError('cannot send: not connected (reconnecting)'));
    }
    return SendStatus.DROPPED;
  }

  /** Stops reconnecting and closes the current connection (if any); then `close` is emitted. */
  close(code?: number, reason?: string): void {
    if (this.#closeCalled || this.#ended !== null) return;
    const ws = this.#ws;
    if (ws !== null) ws.close(code, reason); // may throw for an invalid code: nothing changed yet
    this.#closeCalled = true;
    if (ws !== null) return; // its `close` ends this object
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    const final = code ?? CloseCode.NO_STATUS_RECEIVED;
    process.nextTick(() => this.#end(final, reason ?? '', null));
  }

  /**
   * Messages from every connection, text as strings and binary as Buffers, until the final
   * close: the loop ends after `close()` or a normal closure, and throws why it gave up
   * otherwise (the last attempt's error, or the `ConnectionClosedError` of the last connection).
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    if (this.#messages === null) {
      this.#messages = new MessageQueue({
        pause: () => {
          this.#paused = true;
          this.#ws?.pause();
        },
        resume: () => {
          this.#paused = false;
          this.#ws?.resume();
        },
      });
      if (this.#ended !== null) this.#messages.end(this.#ended.error);
    }
    return this.#messages;
  }

  #connect(): void {
    this.#timer = null;
    this.#lastError = null;
    const ws = new WebSocket(this.#url, this.#options);
    this.#ws = ws;
    ws.on('open', () => this.#onOpen(ws));
    ws.on('message', (data, isBinary) => {
      if (ws !== this.#ws) return;
      this.emit('message', data, isBinary);
      this.#messages?.push(
        isBinary ? Buffer.from(data as ArrayBuffer) : (data as Buffer).toString('utf8'),
      );
    });
    ws.on('error', (error) => {
      this.#lastError = error;
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
    ws.on('drain', () => this.emit('drain'));
    ws.on('upgrade', (response, request) => this.emit('upgrade', response, request, ws));
    ws.on('close', (code, reason) => this.#onClose(ws, code, reason));
  }

  #onOpen(ws: WebSocket): void {
    this.#connected = true;
    this.#openedAt = this.#clock.now();
    if (this.#paused) ws.pause();
    if (this.#everOpened) {
      this.emit('reconnected', ws);
      return;
    }
    this.#everOpened = true;
    this.emit('open', ws);
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.#ws) return;
    const connected = this.#connected;
    this.#connected = false;
    this.#ws = null;
    const error = connected ? null : (this.#lastError ?? new Error('connection failed'));
    if (this.#closeCalled) {
      this.#end(code, reason, null);
      return;
    }
    if (connected && this.#clock.now() - this.#openedAt >= this.#policy.minUptime)
      this.#attempt = 0;
    const attempt = this.#attempt + 1;
    const info: DisconnectInfo = error === null ? { attempt, code, reason } : { attempt, error };
    let retry: boolean;
    try {
      retry = attempt <= this.#policy.maxRetries && this.#policy.shouldReconnect(info);
    } catch (thrown) {
      this.#end(code, reason, thrown instanceof Error ? thrown : new Error(String(thrown)), ws);
      return;
    }
    if (!retry) {
      this.#end(code, reason, error, ws);
      return;
    }
    this.#attempt = attempt;
    const delay = this.#delay(attempt);
    this.#timer = this.#clock.setTimeout(() => this.#reconnect(), delay);
    // wsx's timers do not keep a process alive, but a retry to come should: a script whose only
    // handle is this client must not exit during the backoff.
    this.#timer.ref?.();
    this.emit('reconnecting', { ...info, delay } satisfies ReconnectingInfo);
  }

  #reconnect(): void {
    try {
      this.#connect();
    } catch (error) {
      // The options were valid for the first connection; the environment (a proxy) may not be.
      this.#end(CloseCode.ABNORMAL_CLOSURE, '', error as Error);
    }
  }

  /** The exponential value of `attempt`, capped, less a random share `jitter` of it. */
  #delay(attempt: number): number {
    const { initialDelay, maxDelay, factor, jitter, random } = this.#policy;
    const ceiling = Math.min(maxDelay, initialDelay * factor ** (attempt - 1));
    return Math.round(ceiling * (1 - jitter * random()));
  }

  /**
   * The final close. The `for await` loop ends cleanly after `close()` or a normal closure, else
   * throws `error`, or what the last connection's own loop would have thrown.
   */
  #end(code: number, reason: string, error: Error | null, last?: WebSocket): void {
    if (this.#ended !== null) return;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#ended = { error: error ?? undefined };
    if (error === null && last !== undefined && !this.#closeCalled) {
      last[Symbol.asyncIterator]()
        .next()
        .then(
          () => this.#messages?.end(),
          (closed: unknown) => {
            this.#ended = { error: closed };
            this.#messages?.end(closed);
          },
        );
    } else {
      this.#messages?.end(this.#ended.error);
    }
    this.emit('close', code, reason, error ?? undefined);
  }
}

/**
 * Opens a {@link ReconnectingWebSocket}: `reconnecting(url, { reconnect: { maxRetries: 10 } })`.
 * Returns at once; listen for `open`, or use `connect(url, { reconnect: true })` to wait for it.
 */
export function reconnecting(
  url: string | URL,
  options: ReconnectingOptions = {},
): ReconnectingWebSocket {
  return new ReconnectingWebSocket(url, options);
}

const POLICY_KEYS = new Set([
  'initialDelay',
  'maxDelay',
  'factor',
  'jitter',
  'maxRetries',
  'minUptime',
  'shouldReconnect',
  'random',
]);

function resolvePolicy(options: ReconnectOptions): Policy {
  if (typeof options !== 'object' || options === null) {
    throw new UsageError(`'reconnect' is true or an object (got ${String(options)})`);
  }
  for (const key of Object.keys(options)) {
    if (!POLICY_KEYS.has(key)) throw new UsageError(`unknown reconnect option '${key}'`);
  }
  const policy: Policy = {
    initialDelay: options.initialDelay ?? INITIAL_DELAY,
    maxDelay: options.maxDelay ?? MAX_DELAY,
    factor: options.factor ?? FACTOR,
    jitter: options.jitter ?? JITTER,
    maxRetries: options.maxRetries ?? MAX_RETRIES,
    minUptime: options.minUptime ?? MIN_UPTIME,
    shouldReconnect: options.shouldReconnect ?? defaultShouldReconnect,
    random: options.random ?? Math.random,
  };
  check('initialDelay', policy.initialDelay, 0, Number.MAX_SAFE_INTEGER);
  check('maxDelay', policy.maxDelay, 0, 2 ** 31 - 1);
  check('factor', policy.factor, 1, Number.MAX_SAFE_INTEGER);
  check('jitter', policy.jitter, 0, 1);
  check('maxRetries', policy.maxRetries, 0, Number.POSITIVE_INFINITY);
  check('minUptime', policy.minUptime, 0, Number.POSITIVE_INFINITY);
  for (const key of ['shouldReconnect', 'random'] as const) {
    if (typeof policy[key] !== 'function') throw new UsageError(`'${key}' must be a function`);
  }
  return policy;
}

function check(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    throw new UsageError(
      `reconnect option '${name}' must be a number in [${min}, ${max}] (got ${String(value)})`,
    );
  }
}

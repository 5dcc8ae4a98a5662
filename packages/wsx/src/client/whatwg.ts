/**
 * `WebSocket` as the WHATWG WebSockets Standard defines it (https://websockets.spec.whatwg.org/),
 * so code written for browsers runs unchanged in Node: an `EventTarget` with `open`, `message`
 * (`MessageEvent`), `error` and `close` (`CloseEvent`) events, `on*` handler attributes,
 * `binaryType` 'blob' by default, and the standard's exceptions (`DOMException` by name).
 *
 * It holds one Node `WebSocket` (the `ws`-compatible driver) and translates: events the driver
 * emits from inside I/O callbacks are dispatched later, each as its own task, as the standard's
 * "queue a task" requires. Comments quote the standard's steps where they are implemented.
 */

import { isToken } from '../core/header-values.js';
import type { ClientOptions } from '../websocket/client-options.js';
import { WebSocket as NodeWebSocket } from '../websocket/websocket.js';
// Installs the client opening that `new WebSocket(url)` uses.
import './opening.js';

/** How binary messages are exposed: the standard's two values, plus `ws`'s 'nodebuffer'. */
export type BinaryType = 'blob' | 'arraybuffer' | 'nodebuffer';

/**
 * Node-only options, the third constructor argument (a Node extension, as in `ws` and undici):
 * request `headers`, TLS settings for `wss:` (`ca`, `cert`, `key`, `rejectUnauthorized`,
 * `servername`, ...), `handshakeTimeout`, `closeTimeout`, `maxMessageSize`. No `Origin` header
 * is sent unless `origin` is given: Node code has no origin. Subprotocols are the second argument
 * and `binaryType` is the attribute, so neither belongs here.
 */
export type WebSocketNodeOptions = Omit<ClientOptions, 'protocols' | 'binaryType'>;

/** The `on*` attributes' type: a listener, or null. */
export type EventHandler<E extends Event> = ((this: WebSocket, event: E) => unknown) | null;

/** Initial values of a {@link CloseEvent} (WHATWG `CloseEventInit`). */
export interface CloseEventInit extends NonNullable<ConstructorParameters<typeof Event>[1]> {
  wasClean?: boolean;
  code?: number;
  reason?: string;
}

/** The event of a WebSocket's `close`: whether the closing handshake completed, code and reason. */
export class CloseEvent extends Event {
  readonly #wasClean: boolean;
  readonly #code: number;
  readonly #reason: string;

  constructor(type: string, init: CloseEventInit = {}) {
    super(type, init);
    this.#wasClean = Boolean(init.wasClean);
    this.#code = init.code === undefined ? 0 : toUnsignedShort(init.code, false);
    this.#reason = init.reason === undefined ? '' : domString(init.reason);
  }

  /** True when the connection closed cleanly: the closing handshake completed. */
  get wasClean(): boolean {
    return this.#wasClean;
  }

  /** The close code the server sent, 1005 when its close frame had none, 1006 when none came. */
  get code(): number {
    return this.#code;
  }

  /** The close reason the server sent, or ''. */
  get reason(): string {
    return this.#reason;
  }
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSING | typeof CLOSED;

/** Data waiting behind a Blob that is still being read; `data` null until the Blob is read. */
type Pending =
  | { kind: 'data'; data: string | Uint8Array | null; size: number }
  | { kind: 'close'; code: number | undefined; reason: string };

/**
 * A WebSocket client with the browser's API.
 *
 * ```js
 * import { WebSocket } from 'wsx/whatwg';
 * const ws = new WebSocket('wss://example.com/chat', ['chat.v1']);
 * ws.onmessage = (event) => console.log(event.data);
 * ws.onopen = () => ws.send('hello');
 * ```
 */
export class WebSocket extends EventTarget {
  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;
  /** Called for `open` events, in the order the attribute was first set among listeners. */
  declare onopen: EventHandler<Event>;
  /** Called for `message` events (`MessageEvent`). */
  declare onmessage: EventHandler<MessageEvent>;
  /** Called for `error` events: the connection failed (a `close` event follows). */
  declare onerror: EventHandler<Event>;
  /** Called for the `close` event (`CloseEvent`). */
  declare onclose: EventHandler<CloseEvent>;

  readonly #url: URL;
  readonly #inner: NodeWebSocket;
  readonly #offered: number;
  #readyState: ReadyState = CONNECTING;
  #established = false;
  #failed = false;
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryType = 'blob';
  #bufferedAmount = 0;
  /** Sends waiting for a Blob ahead of them to be read; null when no Blob is pending. */
  #sendQueue: Pending[] | null = null;
  #handlers: Map<string, { value: unknown; listener: (event: Event) => void }> | null = null;

  /**
   * Opens a connection to `url` (`ws:`, `wss:`, or `http:`/`https:`, which mean the same),
   * offering `protocols`. `options` is a Node extension: see {@link WebSocketNodeOptions}.
   *
   * @throws {DOMException} "SyntaxError" for a URL that does not parse (relative URLs do not:
   * Node has no base URL), another scheme, a fragment, or a subprotocol that is not a token or
   * is repeated. Connection failures are reported by `error` and `close` events, never thrown.
   */
  constructor(
    url: string | URL,
    protocols: string | Iterable<string> = [],
    options: WebSocketNodeOptions = {},
  ) {
    super();
    // biome-ignore lint/complexity/noArguments: Web IDL checks how many arguments were passed
    if (arguments.length === 0) throw new TypeError("WebSocket: the 'url' argument is required");
    this.#url = parseUrl(url);
    // "If protocols is a string, set protocols to a sequence consisting of just that string."
    const list = protocolList(protocols);
    this.#offered = list.length;
    // "Run this step in parallel: Establish a WebSocket connection given urlRecord, protocols".
    // Buffers in, converted per `binaryType` when each message event is dispatched.
    const inner = new NodeWebSocket(this.#url, {
      ...options,
      protocols: list,
      binaryType: 'nodebuffer',
    });
    inner.on('open', () => this.#onEstablished());
    // binaryType 'nodebuffer': every message arrives as a Buffer.
    inner.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    inner.on('error', () => {
      this.#failed = true;
    });
    inner.on('close', (code: number, reason: string) => this.#onClosed(code, reason));
    this.#inner = inner;
  }

  /** The URL, serialized (`http:` and `https:` became `ws:` and `wss:`). */
  get url(): string {
    return this.#url.href;
  }

  /** CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3). */
  get readyState(): ReadyState {
    return this.#readyState;
  }

  /**
   * Bytes of application data passed to `send()` and not yet written to the socket (framing
   * not included). It keeps growing with each `send()` once closing: such data is never sent.
   */
  get bufferedAmount(): number {
    return this.#bufferedAmount;
  }

  /** The subprotocol the server selected, '' until `open` or when none. */
  get protocol(): string {
    return this.#protocol;
  }

  /** The extensions the server selected ('': this version negotiates none). */
  get extensions(): string {
    return this.#extensions;
  }

  /** How binary messages arrive: 'blob' (default), 'arraybuffer', or 'nodebuffer' (Node). */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    // `attribute BinaryType binaryType`: Web IDL's setter for an enumeration "If S is not one of
    // the enumeration's values, then return" — an invalid value is ignored, nothing is thrown.
    const type = domString(value);
    if (type === 'blob' || type === 'arraybuffer' || type === 'nodebuffer') this.#binaryType = type;
  }

  get [Symbol.toStringTag](): string {
    return 'WebSocket';
  }

  /**
   * Sends a string as text; a Blob, ArrayBuffer or ArrayBufferView as binary. Other values are
   * converted to strings (Web IDL's `USVString`). Blobs are read first; messages keep their order.
   *
   * @throws {DOMException} "InvalidStateError" while CONNECTING. Once CLOSING or CLOSED nothing
   * is sent, and `bufferedAmount` grows by the data's size (the standard's rule).
   */
  send(data: string | Blob | ArrayBuffer | ArrayBufferView): void {
    // biome-ignore lint/complexity/noArguments: Web IDL checks how many arguments were passed
    if (arguments.length === 0) throw new TypeError("send: the 'data' argument is required");
    const value = toSendData(data);
    // "If this's ready state is CONNECTING, then throw an "InvalidStateError" DOMException."
    if (this.#readyState === CONNECTING) {
      throw new DOMException('send() before the connection is open', 'InvalidStateError');
    }
    const size = sizeOf(value);
    // "Any invocation of this method ... that does not throw an exception must increase the
    // bufferedAmount attribute by" the number of bytes of the data.
    this.#bufferedAmount += size;
    // "If the WebSocket connection is established and the WebSocket closing handshake has not
    // yet started, then the user agent must send a WebSocket Message".
    if (this.#readyState !== OPEN) return;
    if (value instanceof Blob) this.#sendBlob(value, size);
    else if (this.#sendQueue !== null) {
      // Behind a Blob: snapshot the bytes now, as they are when send() is called.
      const data = typeof value === 'string' ? value : value.slice();
      this.#sendQueue.push({ kind: 'data', data, size });
    } else this.#transmit(value, size);
  }

  /**
   * Starts the closing handshake (or abandons the connection attempt while CONNECTING). No-op
   * once CLOSING or CLOSED. A reason without a code is sent with code 1000.
   *
   * @throws {DOMException} "InvalidAccessError" for a code other than 1000 or 3000-4999;
   * "SyntaxError" for a reason longer than 123 bytes in UTF-8.
   */
  close(code?: number, reason?: string): void {
    // Web IDL: `optional [Clamp] unsigned short code, optional USVString reason`.
    const status = code === undefined ? undefined : toUnsignedShort(code, true);
    const text = reason === undefined ? undefined : domString(reason);
    // "1. If code is present, but is neither an integer equal to 1000 nor an integer in the range
    // 3000 to 4999, inclusive, throw an "InvalidAccessError" DOMException."
    if (status !== undefined && status !== 1000 && (status < 3000 || status > 4999)) {
      throw new DOMException(`close code ${status} is not 1000 or 3000-4999`, 'InvalidAccessError');
    }
    // "2. If reason is present ... If reasonBytes is longer than 123 bytes, then throw a
    // "SyntaxError" DOMException."
    if (text !== undefined && Buffer.byteLength(text, 'utf8') > 123) {
      throw new DOMException('close reason is longer than 123 bytes', 'SyntaxError');
    }
    // "If this's ready state is CLOSING (2) or CLOSED (3): Do nothing."
    if (this.#readyState === CLOSING || this.#readyState === CLOSED) return;
    this.#readyState = CLOSING;
    // "If the WebSocket connection is not yet established: Fail the WebSocket connection and set
    // this's ready state to CLOSING (2)." The driver reports the failure: error, then close 1006.
    if (!this.#established) {
      this.#inner.close();
      return;
    }
    // "If the WebSocket closing handshake has not yet been started: Start the WebSocket closing
    // handshake and set this's ready state to CLOSING (2)." A close frame cannot carry a reason
    // without a code: the standard's close steps set the code to 1000 then.
    const frameCode = status ?? (text ? 1000 : undefined);
    if (this.#sendQueue !== null) {
      this.#sendQueue.push({ kind: 'close', code: frameCode, reason: text ?? '' });
    } else this.#inner.close(frameCode, text ?? '');
    // "When the WebSocket closing handshake is started, the user agent must queue a task to change
    // the readyState attribute's value to CLOSING (2)" (it differs only if `open` was still queued).
    this.#queueTask(() => {
      if (this.#readyState === OPEN) this.#readyState = CLOSING;
    });
  }

  // ---- Feedback from the protocol --------------------------------------------------------------

  #onEstablished(): void {
    // Fetch's handshake steps: "If protocols is not the empty list and extracting header list
    // values given `Sec-WebSocket-Protocol` ... results in null, failure, or the empty byte
    // sequence, then fail the WebSocket connection."
    if (this.#offered > 0 && this.#inner.protocol === '') {
      this.#failed = true;
      this.#inner.terminate();
      return;
    }
    this.#established = true;
    // "When the WebSocket connection is established, the user agent must queue a task".
    this.#queueTask(() => {
      // "1. Change the ready state to OPEN (1)." 2-3: the extensions and subprotocol in use.
      this.#readyState = OPEN;
      this.#extensions = this.#inner.extensions;
      this.#protocol = this.#inner.protocol;
      // "4. Fire an event named open at the WebSocket object."
      this.dispatchEvent(new Event('open'));
    });
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const text = isBinary ? null : data.toString('utf8');
    // "When a WebSocket message has been received ... the user agent must queue a task".
    this.#queueTask(() => {
      // "1. If this's ready state is not OPEN (1), then return."
      if (this.#readyState !== OPEN) return;
      // "2. Let dataForEvent be determined by switching on type and binaryType" — binaryType as
      // it is now, when the task runs, not when the message arrived.
      const dataForEvent = text ?? this.#binaryData(data);
      // "3. Fire an event named message ... using MessageEvent, with the origin attribute
      // initialized to the serialization of the WebSocket object's url's origin".
      this.dispatchEvent(
        new MessageEvent('message', { data: dataForEvent, origin: this.#url.origin }),
      );
    });
  }

  #binaryData(data: Buffer): Blob | ArrayBuffer | Buffer {
    if (this.#binaryType === 'blob') return new Blob([data]);
    if (this.#binaryType === 'nodebuffer') return data;
    return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  }

  #onClosed(code: number, reason: string): void {
    // A failed connection reports 1006 (the standard forbids telling scripts why it failed).
    // RFC 6455 §7.1.4: closed "cleanly" if TCP closed after the closing handshake completed; the
    // driver reports 1006 exactly when no close frame was received (and it answers every one).
    const failed = this.#failed;
    const closeCode = failed ? 1006 : code;
    const init = { wasClean: closeCode !== 1006, code: closeCode, reason: failed ? '' : reason };
    // "When the WebSocket connection is closed, possibly cleanly, the user agent must queue a task
    // to run the following substeps:"
    this.#queueTask(() => {
      // "1. Change the ready state to CLOSED (3)."
      this.#readyState = CLOSED;
      // "2. If the user agent was required to fail the WebSocket connection ... fire an event
      // named error at the WebSocket object."
      if (failed) this.dispatchEvent(new Event('error'));
      // "3. Fire an event named close at the WebSocket object, using CloseEvent".
      this.dispatchEvent(new CloseEvent('close', init));
    });
  }

  /** Events are tasks: each one runs from the event loop, microtasks drained in between. */
  #queueTask(step: () => void): void {
    setImmediate(step);
  }

  // ---- Sending ---------------------------------------------------------------------------------

  #transmit(data: string | Uint8Array, size: number): void {
    this.#inner.send(data, (error) => {
      if (error === undefined) this.#bufferedAmount -= size;
    });
  }

  /** Reads `blob`; it and everything sent after it wait in the queue until it is read. */
  #sendBlob(blob: Blob, size: number): void {
    const item: Pending = { kind: 'data', data: null, size };
    if (this.#sendQueue === null) this.#sendQueue = [item];
    else this.#sendQueue.push(item);
    blob.arrayBuffer().then(
      (buffer) => {
        item.data = new Uint8Array(buffer);
        this.#flushSendQueue();
      },
      () => {
        // The Blob cannot be read (a file that changed): the message cannot be sent as promised.
        this.#sendQueue = null;
        this.#failed = true;
        this.#inner.terminate();
      },
    );
  }

  #flushSendQueue(): void {
    const queue = this.#sendQueue;
    if (queue === null) return;
    let sent = 0;
    for (const item of queue) {
      if (item.kind === 'close') this.#inner.close(item.code, item.reason);
      else if (item.data === null) break;
      else this.#transmit(item.data, item.size);
      sent++;
    }
    queue.splice(0, sent);
    if (queue.length === 0) this.#sendQueue = null;
  }

  // ---- Event handler IDL attributes -------------------------------------------------------------

  /**
   * HTML's event handler rules: setting a handler adds one listener the first time, so it runs
   * in the order it was first set among `addEventListener` listeners; replacing it keeps that
   * place; null removes it. Non-objects are null (`[LegacyTreatNonObjectAsNull]`).
   */
  #setHandler(type: string, value: unknown): void {
    if (this.#handlers === null) this.#handlers = new Map();
    const handlers = this.#handlers;
    const entry = handlers.get(type);
    if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) {
      if (entry !== undefined) this.removeEventListener(type, entry.listener);
      handlers.delete(type);
    } else if (entry !== undefined) {
      entry.value = value;
    } else {
      const created = {
        value,
        listener: (event: Event) => this.#callHandler(created.value, event),
      };
      handlers.set(type, created);
      this.addEventListener(type, created.listener);
    }
  }

  #callHandler(handler: unknown, event: Event): void {
    if (typeof handler !== 'function') throw new TypeError('event handler is not callable');
    // HTML: "If return value is false, then set event's canceled flag."
    if (handler.call(this, event) === false) event.preventDefault();
  }

  static {
    const constants = { CONNECTING, OPEN, CLOSING, CLOSED };
    for (const [name, value] of Object.entries(constants)) {
      // Web IDL constants: { [[Writable]]: false, [[Enumerable]]: true, [[Configurable]]: false }.
      const descriptor = { value, writable: false, enumerable: true, configurable: false };
      Object.defineProperty(WebSocket, name, descriptor);
      Object.defineProperty(WebSocket.prototype, name, descriptor);
    }
    for (const type of ['open', 'message', 'error', 'close']) {
      Object.defineProperty(WebSocket.prototype, `on${type}`, {
        get(this: WebSocket) {
          return this.#handlers?.get(type)?.value ?? null;
        },
        set(this: WebSocket, value: unknown) {
          this.#setHandler(type, value);
        },
        enumerable: true,
        configurable: true,
      });
    }
  }
}

// ---- Web IDL conversions ------------------------------------------------------------------------

/** `DOMString`/`USVString`: ToString, which throws for a Symbol. Lone surrogates become U+FFFD
 * when the string is UTF-8 encoded, which is all this class does with strings. */
function domString(value: unknown): string {
  return typeof value === 'string' ? value : `${value as string}`;
}

/** `unsigned short`, with `[Clamp]` (close codes) or with modulo wrapping (event init). */
function toUnsignedShort(value: unknown, clamp: boolean): number {
  const x = +(value as number);
  if (Number.isNaN(x) || !Number.isFinite(x)) return clamp && x === Infinity ? 65535 : 0;
  if (!clamp) return ((Math.trunc(x) % 65536) + 65536) % 65536;
  const clamped = Math.min(Math.max(x, 0), 65535);
  // "Round x to the nearest integer, choosing the even integer if it lies halfway between two".
  const floor = Math.floor(clamped);
  const fraction = clamped - floor;
  if (fraction !== 0.5) return Math.round(clamped);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The constructor's URL steps (with "get a URL record"). */
function parseUrl(url: unknown): URL {
  let record: URL;
  // "Let urlRecord be the result of applying the URL parser to url with baseURL." Node has no
  // API base URL, so a relative URL is a failure. "If urlRecord is failure, then throw a
  // "SyntaxError" DOMException."
  try {
    record = new URL(domString(url));
  } catch {
    throw new DOMException(`invalid URL: ${domString(url)}`, 'SyntaxError');
  }
  // "If urlRecord's scheme is "http", then set urlRecord's scheme to "ws". Otherwise, if
  // urlRecord's scheme is "https", set urlRecord's scheme to "wss"."
  if (record.protocol === 'http:') record.protocol = 'ws:';
  else if (record.protocol === 'https:') record.protocol = 'wss:';
  // "If urlRecord's scheme is not "ws" or "wss", then throw a "SyntaxError" DOMException."
  if (record.protocol !== 'ws:' && record.protocol !== 'wss:') {
    throw new DOMException(`a WebSocket URL is ws: or wss:, not ${record.protocol}`, 'SyntaxError');
  }
  // "If urlRecord's fragment is non-null, then throw a "SyntaxError" DOMException." An empty
  // fragment ("ws://host/#") is non-null; '#' appears in a serialized URL only before a fragment.
  if (record.href.includes('#')) {
    throw new DOMException(`a WebSocket URL has no fragment: ${record.href}`, 'SyntaxError');
  }
  return record;
}

/** `(DOMString or sequence<DOMString>)`, then the constructor's subprotocol checks. */
function protocolList(protocols: unknown): string[] {
  const iterable =
    typeof protocols === 'object' && protocols !== null && Symbol.iterator in protocols;
  const list = iterable
    ? Array.from(protocols as Iterable<unknown>, domString)
    : [domString(protocols)];
  // "If any of the values in protocols occur more than once or otherwise fail to match the
  // requirements for elements that comprise the value of `Sec-WebSocket-Protocol` fields ...
  // then throw a "SyntaxError" DOMException." Repeats are compared ignoring case, as browsers
  // and the web-platform tests do.
  const seen = new Set<string>();
  for (const protocol of list) {
    // RFC 6455 §4.1: each element is an RFC 7230 token.
    if (!isToken(protocol) || seen.has(protocol.toLowerCase())) {
      throw new DOMException(`invalid or repeated subprotocol: '${protocol}'`, 'SyntaxError');
    }
    seen.add(protocol.toLowerCase());
  }
  return list;
}

/** `(BufferSource or Blob or USVString)`: bytes are viewed, not copied; anything else is a string. */
function toSendData(data: unknown): string | Uint8Array | Blob {
  if (typeof data === 'string' || data instanceof Blob) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return domString(data);
}

/** The standard's increments of bufferedAmount: UTF-8 length, Blob size, or bytes viewed. */
function sizeOf(value: string | Uint8Array | Blob): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  return value instanceof Blob ? value.size : value.byteLength;
}

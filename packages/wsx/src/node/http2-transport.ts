/**
 * An HTTP/2 stream as a transport: the stream of an extended CONNECT (RFC 8441) carries one
 * WebSocket, as a TCP connection carries one under HTTP/1.1. "The HTTP/2 stream closure is also
 * analogous to the TCP connection closure of [RFC6455]. Orderly TCP-level closures are
 * represented as END_STREAM flags [...]. RST exceptions are represented with the RST_STREAM
 * frame [...] with the CANCEL error code" (RFC 8441 §5).
 *
 * A `node:http2` stream is nearly a {@link Transport} already (a Duplex); this adapter adds what
 * it lacks or does differently:
 * - the peer's address, which lives on the session's socket;
 * - no half-open streams: when the peer ends its side (END_STREAM), ours ends too, as wsx sets
 *   its sockets (`allowHalfOpen` false), so `close` always follows;
 * - `destroy()` resets the stream with CANCEL, the code RFC 8441 §5 gives an abnormal close
 *   (Node's own `destroy()` sends NO_ERROR);
 * - Node resets a server stream that is ended before anything was read from it (RST_STREAM
 *   right after END_STREAM, so the peer cannot answer a close frame): `end()` marks the stream
 *   paused first, which keeps it open for the peer's side.
 *
 * Flow control is HTTP/2's: a stream that is not read stops granting the peer window, so the
 * peer's writes stay in its own buffer; what we write waits for the peer's window and counts in
 * `writableLength` until sent, so `write()` returns false and `drain` follows exactly as on a
 * socket, and wsx's backpressure and slow-consumer policy apply unchanged.
 */

import { EventEmitter } from 'node:events';
import { constants, type Http2Stream } from 'node:http2';
import type { Transport } from './transport.js';

const kTransport = Symbol('wsx.transport');
type TaggedStream = Http2Stream & { [kTransport]: Http2StreamTransport };

export class Http2StreamTransport extends EventEmitter implements Transport {
  readonly #stream: TaggedStream;
  readonly #remoteAddress: string | undefined;
  readonly #remotePort: number | undefined;
  readonly #encrypted: boolean;
  /** The stream events forwarded on demand ('data', 'drain', 'finish'), as bits of LAZY. */
  #forwarded = 0;

  constructor(stream: Http2Stream) {
    super();
    const tagged = stream as TaggedStream;
    tagged[kTransport] = this;
    this.#stream = tagged;
    // The session's socket is a proxy that allows reading these; read once, while it exists.
    const socket = stream.session?.socket;
    this.#remoteAddress = socket?.remoteAddress;
    this.#remotePort = socket?.remotePort;
    this.#encrypted = stream.session?.encrypted === true;
    // Always: the half-close rule, the close, and errors (one nobody listens for would throw).
    tagged.on('end', onEnd);
    tagged.on('close', onClose);
    tagged.on('error', onError);
  }

  /** The HTTP/2 stream carried. */
  get stream(): Http2Stream {
    return this.#stream;
  }

  /** Whether the HTTP/2 connection is TLS (`wss:`), as `TLSSocket.encrypted`. */
  get encrypted(): boolean {
    return this.#encrypted;
  }

  get remoteAddress(): string | undefined {
    return this.#remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#remotePort;
  }

  get writableLength(): number {
    return this.#stream.writableLength;
  }

  get writableHighWaterMark(): number {
    return this.#stream.writableHighWaterMark;
  }

  get destroyed(): boolean {
    return this.#stream.destroyed;
  }

  get readableEnded(): boolean {
    return this.#stream.readableEnded;
  }

  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  write(chunk: string, encoding: 'latin1', callback?: (error?: Error | null) => void): boolean;
  write(
    chunk: Uint8Array | string,
    encoding?: 'latin1' | ((error?: Error | null) => void),
    callback?: (error?: Error | null) => void,
  ): boolean {
    if (typeof encoding === 'string') return this.#stream.write(chunk, encoding, callback);
    return this.#stream.write(chunk, encoding);
  }

  cork(): void {
    this.#stream.cork();
  }

  uncork(): void {
    this.#stream.uncork();
  }

  end(chunk?: Uint8Array): void {
    const stream = this.#stream;
    if (stream.writableEnded || stream.destroyed) return;
    // Never read: Node would answer our END_STREAM with an RST_STREAM (see the top of the file).
    if (stream.readableFlowing === null) stream.pause();
    if (chunk === undefined) stream.end();
    else stream.end(chunk);
  }

  /** Resets the stream with CANCEL (RFC 8441 §5: an abnormal close, 1006 on the other side). */
  destroy(): void {
    const stream = this.#stream;
    if (stream.destroyed) return;
    if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    else stream.destroy();
  }

  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    this.#stream.resume();
  }

  isPaused(): boolean {
    return this.#stream.isPaused();
  }

  // Other events are forwarded from the first listener on (most WebSockets never wait for a
  // 'drain'). Reading starts when someone listens for 'data' (as on a stream), and stops when
  // nobody does.
  override on(event: string | symbol, listener: (...args: never[]) => void): this {
    super.on(event, listener as (...args: unknown[]) => void);
    const lazy = LAZY[event as keyof typeof LAZY];
    if (lazy !== undefined && (this.#forwarded & lazy.bit) === 0) {
      this.#forwarded |= lazy.bit;
      this.#stream.on(event, lazy.forward);
    }
    return this;
  }

  override off(event: string | symbol, listener: (...args: never[]) => void): this {
    super.off(event, listener as (...args: unknown[]) => void);
    if (event === 'data' && (this.#forwarded & 1) !== 0 && this.listenerCount('data') === 0) {
      this.#forwarded &= ~1;
      this.#stream.off('data', onData);
    }
    return this;
  }
}

// Shared listeners, `this` being the stream: no closure per stream.

function onData(this: TaggedStream, chunk: Buffer): void {
  this[kTransport].emit('data', chunk);
}

/** The peer sent END_STREAM: ours follows (no half-open streams), as a socket's FIN does. */
function onEnd(this: TaggedStream): void {
  const transport = this[kTransport];
  transport.emit('end');
  transport.end();
}

function onClose(this: TaggedStream): void {
  this[kTransport].emit('close');
}

function onError(this: TaggedStream, error: Error): void {
  const transport = this[kTransport];
  // An error nobody listens for is not worth a crash: the stream closes, and 'close' says so.
  if (transport.listenerCount('error') > 0) transport.emit('error', error);
}

function onDrain(this: TaggedStream): void {
  this[kTransport].emit('drain');
}

function onFinish(this: TaggedStream): void {
  this[kTransport].emit('finish');
}

/** The events forwarded from the first listener on, and their bits. */
const LAZY = {
  data: { bit: 1, forward: onData },
  drain: { bit: 2, forward: onDrain },
  finish: { bit: 4, forward: onFinish },
} as const;

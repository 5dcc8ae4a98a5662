/**
 * The HTTP/2 side of a standalone WebSocketServer (`http2: true`). The server's own listener
 * accepts each connection and hands it here when it speaks HTTP/2: over TLS when ALPN chose
 * `h2`; in cleartext when it opens with the HTTP/2 preface (h2c with prior knowledge, RFC 9113
 * §3.3). Anything else goes to the HTTP/1.1 path as before (`allowHTTP1`, on by default: a
 * browser opens a WebSocket over HTTP/2 only on a connection it already has, so a WebSocket-only
 * server must speak HTTP/1.1 too).
 *
 * Sessions come from a `node:http2` server that never listens itself: it only turns sockets into
 * sessions, whose settings allow extended CONNECT (RFC 8441 §3). Every stream goes to the
 * WebSocketServer, which refuses what is not a WebSocket. A session without streams is closed
 * after `idleTimeout` (the handshake timeout: a connection must open a WebSocket); shutting down
 * sends GOAWAY to every session once the WebSockets have been told (1001).
 */

import {
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
  type Settings,
} from 'node:http2';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Clock, TimerHandle } from '../node/clock.js';

/** HTTP/2 settings of a standalone server (`http2: { ... }`); extended CONNECT is always on. */
export interface Http2ServerOptions {
  /** SETTINGS sent to clients (`maxConcurrentStreams`, `initialWindowSize`, ...). */
  settings?: Settings;
  /** Node's bound on what one session may hold, in MB (default 10). */
  maxSessionMemory?: number;
}

/**
 * RFC 9113 §7: "It is recommended that this value be no smaller than 100". Each stream is a
 * WebSocket here, so a client gets a few hundred on one connection, not Node's unlimited.
 */
const MAX_CONCURRENT_STREAMS = 256;

/**
 * The connection's receive window (Node's default: 64 KiB, shared by every stream). Data that
 * arrives is taken off the connection at once, so this bounds no memory (each stream's own
 * window, 64 KiB, does: what a paused WebSocket holds unread); a small one throttles all the
 * WebSockets of a session together. 16 MiB took 100 WebSockets echoing 16 KiB messages on one
 * session from 154 to 386 MB/s and halved the server's CPU per message (bench: h2-echo-16k).
 */
export const SESSION_WINDOW = 16 * 1024 * 1024;

/** The first line of the client's connection preface (RFC 9113 §3.4). */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n', 'latin1');

export type StreamHandler = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  rawHeaders: string[],
) => void;

/** A session's open streams and idle timer; each stream finds it through a symbol. */
interface SessionState {
  readonly owner: Http2Sessions;
  readonly session: ServerHttp2Session;
  streams: number;
  idle: TimerHandle | null;
}

const kState = Symbol('wsx.sessionState');
type TrackedStream = ServerHttp2Stream & { [kState]?: SessionState };

/** A stream closed (a shared listener: no closure per stream). */
function onStreamClosed(this: TrackedStream): void {
  const state = this[kState];
  if (state === undefined) return;
  state.streams--;
  state.owner.armIdle(state);
}

export class Http2Sessions {
  /** ALPN protocols a TLS listener offers, most preferred first. */
  readonly alpn: string[];
  readonly #allowHttp1: boolean;
  readonly #idleTimeout: number;
  readonly #clock: Clock;
  readonly #factory: Http2Server;
  readonly #sessions = new Map<ServerHttp2Session, SessionState>();

  constructor(options: {
    allowHttp1: boolean;
    idleTimeout: number;
    clock: Clock;
    http2: Http2ServerOptions;
    onStream: StreamHandler;
  }) {
    this.#allowHttp1 = options.allowHttp1;
    this.#idleTimeout = options.idleTimeout;
    this.#clock = options.clock;
    this.alpn = options.allowHttp1 ? ['h2', 'http/1.1'] : ['h2'];
    const { settings, maxSessionMemory } = options.http2;
    this.#factory = createServer({
      ...(maxSessionMemory === undefined ? {} : { maxSessionMemory }),
      settings: {
        maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
        ...settings,
        enableConnectProtocol: true,
      },
    });
    this.#factory.on('session', (session) => this.#opened(session));
    this.#factory.on(
      'stream',
      (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, raw: string[]) => {
        this.#streamOpened(stream.session as ServerHttp2Session, stream);
        options.onStream(stream, headers, raw);
      },
    );
  }

  /** Serves `socket` as HTTP/2 when it speaks it, else hands it to `http1` (or drops it). */
  route(socket: Socket, http1: (socket: Socket) => void): void {
    if (socket instanceof TLSSocket) {
      if (socket.alpnProtocol === 'h2') this.serve(socket);
      else if (this.#allowHttp1) http1(socket);
      else socket.destroy(); // no ALPN, or http/1.1 with allowHTTP1 off: nothing to speak
      return;
    }
    if (!this.#allowHttp1) this.serve(socket);
    else this.#sniff(socket, http1);
  }

  /** Opens an HTTP/2 session over `socket`. */
  serve(socket: Socket): void {
    this.#factory.emit('connection', socket);
  }

  /**
   * GOAWAY on every session: no new streams; open ones finish, then each session closes. On the
   * next turn, so that the close frames the server just queued (1001) go out first.
   */
  close(): void {
    setImmediate(() => {
      for (const session of this.#sessions.keys()) {
        if (!session.closed && !session.destroyed) session.close();
      }
    });
  }

  /**
   * Cleartext with HTTP/1.1 allowed: the first bytes tell. A request line never starts like the
   * preface, so its first 16 bytes (or the first that differs) decide. The bytes read go back to
   * the socket for whichever side reads next. A client that sends nothing is dropped after the
   * idle timeout, as a silent HTTP/1.1 client is.
   */
  #sniff(socket: Socket, http1: (socket: Socket) => void): void {
    const chunks: Buffer[] = [];
    let length = 0;
    const timer =
      this.#idleTimeout > 0
        ? this.#clock.setTimeout(() => socket.destroy(), this.#idleTimeout)
        : null;
    const done = (): void => {
      if (timer !== null) this.#clock.clearTimeout(timer);
      socket.off('data', onData).off('error', onError).off('close', done);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      const seen = chunks.length === 1 ? chunk : Buffer.concat(chunks, length);
      const compared = Math.min(seen.length, PREFACE.length);
      const isPreface = seen.subarray(0, compared).equals(PREFACE.subarray(0, compared));
      if (isPreface && compared < PREFACE.length) return; // not enough to tell yet
      done();
      socket.pause();
      socket.unshift(seen);
      if (isPreface) this.serve(socket);
      else http1(socket);
    };
    const onError = (): void => {
      socket.destroy();
    };
    socket.on('data', onData).on('error', onError).on('close', done);
  }

  #opened(session: ServerHttp2Session): void {
    session.setLocalWindowSize(SESSION_WINDOW);
    const state: SessionState = { owner: this, session, streams: 0, idle: null };
    this.#sessions.set(session, state);
    this.armIdle(state);
    session.once('close', () => {
      if (state.idle !== null) this.#clock.clearTimeout(state.idle);
      this.#sessions.delete(session);
    });
  }

  #streamOpened(session: ServerHttp2Session, stream: ServerHttp2Stream): void {
    const state = this.#sessions.get(session);
    if (state === undefined) return;
    state.streams++;
    if (state.idle !== null) this.#clock.clearTimeout(state.idle);
    state.idle = null;
    (stream as TrackedStream)[kState] = state;
    stream.on('close', onStreamClosed);
  }

  /** A session without streams is closed after the idle timeout (GOAWAY, then the socket). */
  armIdle(state: SessionState): void {
    const { session } = state;
    if (state.streams > 0 || this.#idleTimeout <= 0 || session.closed) return;
    state.idle = this.#clock.setTimeout(() => {
      state.idle = null;
      if (state.streams === 0 && !session.closed) session.close();
    }, this.#idleTimeout);
  }
}

/**
 * The client's opening handshake over a real socket: connect (TCP, TLS or a Unix socket, through
 * an HTTP(S) proxy's CONNECT tunnel when one applies), send the request, read the response head,
 * follow redirects when asked to, and hand the socket over with whatever bytes followed the head
 * (a server may send its first frames in the same packet as its 101).
 *
 * The HTTP work is the core's pure functions; this file only moves bytes and keeps time. One
 * timer covers everything: the proxy, TLS, every redirect.
 */

import { isUtf8 } from 'node:buffer';
import type { ClientHttp2Stream } from 'node:http2';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import {
  TLSSocket,
  type ConnectionOptions as TlsConnectionOptions,
  connect as tlsConnect,
} from 'node:tls';
import { buildRequest, generateKey, validateResponse } from '../core/client-handshake.js';
import { buildConnectRequest } from '../core/connect-handshake.js';
import { ErrorCode, HandshakeError, type RefusedResponse } from '../core/errors.js';
import { formatExtensionHeader } from '../core/extension-header.js';
import { quoteInput } from '../core/header-values.js';
import type { HeaderInit, HttpResponseHead } from '../core/http-head.js';
import { headerEntries, parseResponseHead } from '../core/http-head.js';
import {
  acceptDeflateResponse,
  type ClientDeflatePolicy,
  type DeflateParams,
  deflateOffer,
  findDeflateResponse,
} from '../extensions/permessage-deflate.js';
import type { Clock, TimerHandle } from '../node/clock.js';
import { readHead } from '../node/head-io.js';
import { Http2StreamTransport } from '../node/http2-transport.js';
import { random } from '../node/runtime.js';
import type { Transport } from '../node/transport.js';
import type { ClientTlsOptions } from '../websocket/client-options.js';
import { type ClientTarget, redirectUrl, targetOf } from './client-url.js';
import {
  agreeHttp2,
  alpnFor,
  type Http2Setting,
  noHttp2,
  type OpeningMode,
  openingMode,
  requestText,
  responseHead,
} from './http2-opening.js';
import {
  checkConnectResponse,
  connectRequest,
  type ProxyServer,
  type ProxySetting,
  selectProxy,
} from './proxy.js';
import { readRefusal } from './refused-response.js';
import { type PooledSession, poolKey, type SessionOutcome, sessionPool } from './session-pool.js';

export { parseWebSocketUrl } from './client-url.js';

/** Which redirects the handshake follows. */
export interface RedirectPolicy {
  readonly follow: boolean;
  readonly max: number;
  /** Whether a redirect from `wss:` to `ws:` is followed. */
  readonly allowInsecure: boolean;
}

/** What the handshake needs, resolved from the user's options. */
export interface HandshakeRequest {
  readonly url: URL;
  readonly protocols: readonly string[];
  readonly headers: HeaderInit | undefined;
  readonly origin: string | undefined;
  readonly timeout: number;
  readonly tls: ClientTlsOptions;
  readonly proxy: ProxySetting;
  readonly redirects: RedirectPolicy;
  /** permessage-deflate to offer (RFC 7692), or null. */
  readonly deflate: ClientDeflatePolicy | null;
  /** The time source of the handshake's timers. */
  readonly clock: Clock;
  /** Open over HTTP/2 (RFC 8441): never (false), only (true), or when the server allows it. */
  readonly http2: Http2Setting;
}

/** The outcome of a successful handshake. */
export interface HandshakeResult {
  /** A socket (HTTP/1.1), or the stream of the extended CONNECT (HTTP/2). */
  readonly socket: Transport;
  /** Bytes received after the response head: the first frames, if any. */
  readonly head: Buffer;
  readonly protocol: string;
  /** The permessage-deflate parameters agreed, or null when compression is off. */
  readonly deflate: DeflateParams | null;
  /** The `Sec-WebSocket-Extensions` the server answered ('' when none). */
  readonly extensions: string;
  /** The 101, or the 2xx of an extended CONNECT (`version` HTTP/2). */
  readonly response: HttpResponseHead;
  /** The request head as written (to the last URL, when redirects were followed). */
  readonly request: Uint8Array;
  /** The URL connected to: the last one when redirects were followed. */
  readonly url: URL;
  /** Whether the WebSocket runs over an HTTP/2 stream (RFC 8441). */
  readonly http2: boolean;
}

export type HandshakeCallback = (error: Error | null, result: HandshakeResult | null) => void;

/**
 * Opens the transport and performs the handshake. Returns a function that aborts it.
 *
 * @throws {UsageError} at once, before any connection is made, for an invalid header or
 * subprotocol, or an invalid proxy in the environment.
 */
export function openHandshake(
  request: HandshakeRequest,
  done: HandshakeCallback,
): (error: Error) => void {
  const handshake = new ClientHandshake(request, done);
  return (error) => handshake.finish(error, null);
}

/** One request to one URL; a redirect makes the next. */
interface Hop {
  readonly target: ClientTarget;
  readonly key: string;
  readonly request: Uint8Array;
  readonly proxy: ProxyServer | null;
  /** HTTP/1.1, HTTP/2, or HTTP/2 when the server allows it (then these two are set). */
  readonly mode: OpeningMode;
  /** The extended CONNECT's header fields (RFC 8441), built with the HTTP/1.1 request. */
  readonly fields: [string, string][] | null;
  /** Which pooled HTTP/2 sessions this hop may use. */
  readonly poolKey: string;
}

/** What the handshake tracks: sockets, and the stream of an extended CONNECT. */
type Tracked = Socket | Http2StreamTransport;

const EMPTY = Buffer.alloc(0);

/** Statuses whose `Location` is followed (RFC 9110 §15.4). */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that carry credentials: not sent to another origin than the first (curl, `ws`). */
const CREDENTIALS = new Set(['authorization', 'cookie']);

class ClientHandshake {
  readonly #request: HandshakeRequest;
  readonly #done: HandshakeCallback;
  readonly #timer: TimerHandle;
  /** The first URL's origin: credentials go to it only. */
  #origin: string | null = null;
  /** The sockets of the current hop: the connection, then TLS over a proxy tunnel. */
  #sockets: Tracked[] = [];
  /** The HTTP/2 session this handshake is opening for the pool, until it is settled. */
  #establishing: PooledSession | null = null;
  /** The head being read, for the size a close reports. */
  #reader: { readonly size: number } | null = null;
  /** Set while the body of a refusal is read: the server's close then ends the body. */
  #readingRefusal = false;
  /** What is under way, for the timeout's message. */
  #phase = 'connecting';
  /** Until the proxy's 2xx: a close is the proxy's doing. */
  #atProxy = false;
  #redirects = 0;
  #finished = false;

  constructor(request: HandshakeRequest, done: HandshakeCallback) {
    this.#request = request;
    this.#done = done;
    // Built first: an invalid header or protocol throws before any connection is made.
    const hop = this.#prepare(request.url);
    this.#origin = hop.target.origin;
    this.#connect(hop);
    this.#timer = request.clock.setTimeout(this.#onTimeout, request.timeout);
  }

  finish(error: Error | null, result: HandshakeResult | null): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#request.clock.clearTimeout(this.#timer);
    const sockets = this.#release();
    if (error !== null) this.#settle({ kind: 'failed', error });
    if (error === null) {
      this.#done(null, result); // the WebSocket takes over error handling when it attaches
      return;
    }
    for (const socket of sockets) socket.destroy();
    this.#done(error, null);
  }

  #prepare(url: URL): Hop {
    const target = targetOf(url);
    const key = generateKey(random);
    const { origin, protocols } = this.#request;
    let headers = headerEntries(this.#request.headers);
    if (this.#origin !== null && target.origin !== this.#origin) {
      headers = headers.filter(([name]) => !CREDENTIALS.has(name.toLowerCase()));
    }
    const deflate = this.#request.deflate;
    const request = buildRequest({
      host: target.hostHeader,
      path: target.path,
      key,
      protocols,
      headers,
      ...(origin === undefined ? {} : { origin }),
      ...(deflate === null ? {} : { extensions: formatExtensionHeader([deflateOffer(deflate)]) }),
    });
    const proxy = selectProxy(this.#request.proxy, target, process.env);
    const mode = openingMode(this.#request.http2, target);
    if (mode === 'h1') return { target, key, request, proxy, mode, fields: null, poolKey: '' };
    const fields = buildConnectRequest({
      scheme: target.secure ? 'https' : 'http',
      authority: target.hostHeader,
      path: target.path,
      protocols,
      headers,
      ...(origin === undefined ? {} : { origin }),
      ...(deflate === null ? {} : { extensions: formatExtensionHeader([deflateOffer(deflate)]) }),
    });
    const pool = poolKey(target, proxy, this.#request.tls);
    return { target, key, request, proxy, mode, fields, poolKey: pool };
  }

  #connect(hop: Hop): void {
    const { target, proxy } = hop;
    if (hop.mode !== 'h1' && this.#usePooled(hop)) return;
    if (proxy === null) {
      this.#phase = `connecting to ${target.socketPath ?? `${target.host}:${target.port}`}`;
      this.#opened(hop, this.#track(openDirect(target, this.#request.tls, hop.mode)));
      return;
    }
    this.#phase = `connecting to the proxy ${proxy.display}`;
    this.#atProxy = true;
    const socket = this.#track(openProxy(proxy, this.#request.tls));
    socket.write(connectRequest(target, proxy));
    this.#readHead(
      socket,
      `waiting for the proxy ${proxy.display} to answer CONNECT`,
      (head, rest) => {
        checkConnectResponse(head, proxy, target);
        this.#atProxy = false;
        // Tunnel bytes, if the proxy sent any with its answer, belong to what follows.
        if (rest.length > 0) socket.unshift(rest);
        if (!target.secure) return this.#opened(hop, socket);
        this.#phase = `TLS with ${target.host}:${target.port} through the proxy ${proxy.display}`;
        this.#opened(
          hop,
          this.#track(tlsConnect(tlsOptions(target, this.#request.tls, socket, hop.mode))),
        );
      },
    );
  }

  /** The connection to the server is open (or opening): HTTP/1.1 now, or HTTP/2 if agreed. */
  #opened(hop: Hop, socket: Socket): void {
    if (hop.mode === 'h1') {
      this.#handshake(hop, socket);
      return;
    }
    const secure = socket instanceof TLSSocket;
    const ready = (): void => {
      if (secure && socket.alpnProtocol !== 'h2') {
        const error = noHttp2(
          hop.target,
          `it does not speak HTTP/2 (ALPN: ${socket.alpnProtocol || 'none'})`,
        );
        this.#settle({ kind: 'no-http2', error });
        if (hop.mode === 'h2') {
          this.finish(error, null);
        } else {
          this.#phase = `waiting for the response of ${hop.target.url.href}`;
          this.#handshake({ ...hop, mode: 'h1' }, socket); // HTTP/1.1 on this connection
        }
        return;
      }
      this.#startSession(hop, socket);
    };
    if (secure || socket.connecting) socket.once(secure ? 'secureConnect' : 'connect', ready);
    else ready();
  }

  /** Opens the pool's HTTP/2 session over `socket`, then the WebSocket's stream on it. */
  #startSession(hop: Hop, socket: Socket): void {
    const entry = this.#establishing!;
    this.#phase = `waiting for the HTTP/2 settings of ${hop.target.url.origin}`;
    sessionPool.open(entry, socket, hop.target, (refused) => {
      if (this.#finished) return;
      if (refused === null) {
        this.#release(); // the session owns the connection now
        this.#openStream(hop, entry);
        this.#settle({ kind: 'ready' });
        return;
      }
      const error = noHttp2(
        hop.target,
        'its HTTP/2 SETTINGS do not allow extended CONNECT (RFC 8441 §3)',
      );
      this.#settle({ kind: 'no-http2', error });
      for (const tracked of this.#release()) tracked.destroy();
      if (hop.mode === 'h2') this.finish(error, null);
      else this.#connect({ ...hop, mode: 'h1' }); // HTTP/1.1 on a connection of its own
    });
  }

  /**
   * A session to this origin is open or being opened: the WebSocket takes a stream on it (true),
   * now or once it is settled. Otherwise this handshake opens one for the pool (false).
   */
  #usePooled(hop: Hop): boolean {
    const entry = sessionPool.find(hop.poolKey);
    if (entry === null) {
      this.#establishing = sessionPool.begin(hop.poolKey);
      return false;
    }
    if (!entry.pending) {
      this.#openStream(hop, entry);
      return true;
    }
    this.#phase = `waiting for the HTTP/2 connection to ${hop.target.url.origin}`;
    entry.wait((outcome: SessionOutcome) => {
      if (this.#finished) return;
      if (outcome.kind === 'ready')
        this.#connect(hop); // a stream there, unless it is full
      else if (outcome.kind === 'no-http2' && hop.mode === 'auto')
        this.#connect({ ...hop, mode: 'h1' });
      else this.finish(outcome.error, null);
    });
    return true;
  }

  /** Sends the extended CONNECT on a stream of `entry`'s session and reads the answer. */
  #openStream(hop: Hop, entry: PooledSession): void {
    let stream: ClientHttp2Stream;
    try {
      stream = entry.request(hop.fields!);
    } catch (error) {
      this.finish(error as Error, null); // the session began closing meanwhile
      return;
    }
    const transport = new Http2StreamTransport(stream);
    this.#sockets.push(transport);
    transport.on('error', this.#onError).on('close', this.#onClose);
    this.#phase = `waiting for the answer to the extended CONNECT to ${hop.target.url.href}`;
    stream.once('response', (headers, _flags, raw?: string[]) => {
      try {
        this.#answered(hop, transport, responseHead(headers, raw));
      } catch (error) {
        this.finish(error as Error, null);
      }
    });
  }

  /** The server answered the extended CONNECT: a 2xx opens the WebSocket. */
  #answered(hop: Hop, transport: Http2StreamTransport, head: HttpResponseHead): void {
    if (REDIRECTS.has(head.status) && this.#request.redirects.follow) {
      const location = head.headers.get('Location');
      if (location !== undefined) {
        this.#redirect(hop, head.status, location);
        return;
      }
    }
    const { protocols, deflate, clock } = this.#request;
    if (head.status < 200 || head.status > 299) {
      this.#phase = `reading the ${head.status} answer of ${hop.target.url.href}`;
      this.#readingRefusal = true;
      readRefusal(transport.stream, head, EMPTY, clock, (response) => {
        try {
          agreeHttp2(head, protocols, deflate);
        } catch (error) {
          this.finish(withResponse(redirectHint(error as HandshakeError, head), response), null);
        }
      });
      return;
    }
    const agreed = agreeHttp2(head, protocols, deflate);
    this.finish(null, {
      socket: transport,
      head: EMPTY,
      protocol: agreed.protocol ?? '',
      deflate: agreed.deflate,
      extensions: head.headers.get('Sec-WebSocket-Extensions') ?? '',
      response: head,
      request: requestText(hop.fields!),
      url: hop.target.url,
      http2: true,
    });
  }

  /** Tells handshakes waiting for the session this one opens how it turned out. */
  #settle(outcome: SessionOutcome): void {
    const entry = this.#establishing;
    this.#establishing = null;
    entry?.settle(outcome);
  }

  #handshake(hop: Hop, socket: Socket): void {
    socket.write(hop.request);
    this.#readHead(socket, `waiting for the response of ${hop.target.url.href}`, (head, rest) => {
      if (REDIRECTS.has(head.status) && this.#request.redirects.follow) {
        const location = head.headers.get('Location');
        if (location !== undefined) return this.#redirect(hop, head.status, location);
      }
      if (head.status !== 101) {
        // Refused: the body often says why. Read its start, then fail with both.
        this.#phase = `reading the ${head.status} answer of ${hop.target.url.href}`;
        this.#readingRefusal = true;
        readRefusal(socket, head, rest, this.#request.clock, (response) => {
          try {
            validate(head, hop, this.#request.protocols, this.#request.deflate);
          } catch (error) {
            this.finish(withResponse(error as HandshakeError, response), null);
          }
        });
        return;
      }
      const agreed = validate(head, hop, this.#request.protocols, this.#request.deflate);
      this.finish(null, {
        socket,
        head: rest,
        protocol: agreed.protocol ?? '',
        deflate: agreed.deflate,
        extensions: head.headers.get('Sec-WebSocket-Extensions') ?? '',
        response: head,
        request: hop.request,
        url: hop.target.url,
        http2: false,
      });
    });
  }

  #redirect(hop: Hop, status: number, location: string): void {
    const { max, allowInsecure } = this.#request.redirects;
    if (++this.#redirects > max) {
      const message = `more than ${max} redirects (maxRedirects); the last one was a ${status} to ${location}`;
      throw new HandshakeError(ErrorCode.TOO_MANY_REDIRECTS, status, message);
    }
    const url = redirectUrl(hop.target.url, location, status);
    if (hop.target.secure && !targetOf(url).secure && !allowInsecure) {
      const message = `refused the ${status} redirect from ${hop.target.url.href} to ${url.href}: it leaves TLS (set allowInsecureRedirects to follow it)`;
      throw new HandshakeError(ErrorCode.INSECURE_REDIRECT, status, message);
    }
    for (const socket of this.#release()) socket.destroy();
    this.#connect(this.#prepare(url));
  }

  /**
   * Reads one response head from `socket`, then pauses it and calls `onHead` with the head and
   * the bytes after it. Whatever `onHead` throws fails the handshake.
   */
  #readHead(
    socket: Socket,
    waitingFor: string,
    onHead: (head: HttpResponseHead, rest: Buffer) => void,
  ): void {
    // TLS sockets reach this fresh; a plain one may already be connected (a proxy tunnel).
    if (socket instanceof TLSSocket || socket.connecting) {
      socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => {
        this.#phase = waitingFor;
      });
    } else {
      this.#phase = waitingFor;
    }
    this.#reader = readHead(socket, 'response', {
      head: (bytes, rest) => {
        this.#reader = null;
        try {
          const parsed = parseResponseHead(bytes);
          if (!parsed.complete) throw new Error('a collected head is complete');
          onHead(parsed.head, rest);
        } catch (error) {
          this.finish(error as Error, null);
        }
      },
      invalid: (error) => this.finish(error, null),
    }).reader;
  }

  #track(socket: Socket): Socket {
    this.#sockets.push(socket);
    socket.setNoDelay(true);
    socket.on('error', this.#onError).on('close', this.#onClose);
    return socket;
  }

  /** Forgets the current sockets (their errors are ignored from now on) and returns them. */
  #release(): Tracked[] {
    const sockets = this.#sockets;
    this.#sockets = [];
    for (const socket of sockets) {
      socket.off('error', this.#onError).off('close', this.#onClose).on('error', ignore);
    }
    return sockets;
  }

  readonly #onError = (error: Error): void => this.finish(error, null);

  readonly #onClose = (): void => {
    if (this.#readingRefusal) return; // the close ends the refusal's body
    const size = this.#reader?.size ?? 0;
    const what = size === 0 ? 'no response' : `${size} bytes of a response`;
    if (this.#atProxy) {
      const message = `the proxy closed the connection before the tunnel was open (${what} received)`;
      this.finish(new HandshakeError(ErrorCode.PROXY_FAILED, 0, message), null);
      return;
    }
    const message = `connection closed before the handshake completed (${what} received)`;
    this.finish(new HandshakeError(ErrorCode.HANDSHAKE_CLOSED, 0, message), null);
  };

  readonly #onTimeout = (): void => {
    const message = `opening handshake timed out after ${this.#request.timeout} ms (${this.#phase})`;
    this.finish(new HandshakeError(ErrorCode.HANDSHAKE_TIMEOUT, 0, message), null);
  };
}

/**
 * Validates the 101; returns the subprotocol and the compression agreed. A redirect that is not
 * followed fails as any other status, its `Location` named in the message.
 */
function validate(
  head: HttpResponseHead,
  hop: Hop,
  protocols: readonly string[],
  deflate: ClientDeflatePolicy | null,
): { protocol: string | null; deflate: DeflateParams | null } {
  try {
    const offered = deflate === null ? [] : [deflateOffer(deflate)];
    const agreed = validateResponse(head, { key: hop.key, protocols, extensions: offered });
    const answer = deflate === null ? null : findDeflateResponse(agreed.extensions, head.status);
    return {
      protocol: agreed.protocol,
      deflate:
        answer === null || deflate === null
          ? null
          : acceptDeflateResponse(answer, deflate, head.status),
    };
  } catch (error) {
    throw redirectHint(error as HandshakeError, head);
  }
}

/** A redirect that is not followed fails as any other status, its `Location` named. */
function redirectHint(error: HandshakeError, head: HttpResponseHead): HandshakeError {
  const location = head.headers.get('Location');
  if (head.status < 300 || head.status >= 400 || location === undefined) return error;
  const { code, message } = error;
  const detail = `${message}, Location: ${location}${REDIRECTS.has(head.status) ? ' (set followRedirects to follow it)' : ''}`;
  return new HandshakeError(code, head.status, detail, { cause: error });
}

/** `error` (a refused status) with the server's answer attached, its body's first line quoted. */
function withResponse(error: HandshakeError, response: RefusedResponse): HandshakeError {
  const said = firstLine(response.body);
  const message = said === '' ? error.message : `${error.message}: ${quoteInput(said)}`;
  return new HandshakeError(error.code, error.status, message, { cause: error, response });
}

/** The body's first line, when it is short UTF-8 text. */
function firstLine(body: Uint8Array): string {
  const end = body.indexOf(0x0a);
  const line = body.subarray(0, end === -1 ? body.length : end);
  if (line.length === 0 || line.length > 200 || !isUtf8(line)) return '';
  return Buffer.from(line).toString('utf8').trimEnd();
}

function openDirect(target: ClientTarget, tls: ClientTlsOptions, mode: OpeningMode): Socket {
  if (target.secure) return tlsConnect(tlsOptions(target, tls, null, mode));
  return target.socketPath === null
    ? netConnect({ host: target.host, port: target.port })
    : netConnect({ path: target.socketPath });
}

/** TLS to the proxy itself (`https:` proxies) trusts what the target does (`ca`). */
function openProxy(proxy: ProxyServer, tls: ClientTlsOptions): Socket {
  if (!proxy.secure) return netConnect({ host: proxy.host, port: proxy.port });
  const options: TlsConnectionOptions = {
    host: proxy.host,
    port: proxy.port,
    servername: isIP(proxy.host) === 0 ? proxy.host : '',
    ALPNProtocols: ['http/1.1'],
  };
  if (tls.ca !== undefined) options.ca = tls.ca;
  if (tls.rejectUnauthorized !== undefined) options.rejectUnauthorized = tls.rejectUnauthorized;
  if (tls.minVersion !== undefined) options.minVersion = tls.minVersion;
  return tlsConnect(options);
}

/** `tls.connect` options for `target`: over `socket` (a proxy tunnel) or a new connection. */
function tlsOptions(
  target: ClientTarget,
  tls: ClientTlsOptions,
  socket: Socket | null,
  mode: OpeningMode,
): TlsConnectionOptions {
  const where =
    socket !== null
      ? { socket }
      : target.socketPath === null
        ? { port: target.port }
        : { path: target.socketPath };
  return {
    ...where,
    host: target.host,
    servername: isIP(target.host) === 0 ? target.host : '',
    ...tls,
    ALPNProtocols: alpnFor(mode),
  };
}

function ignore(): void {}

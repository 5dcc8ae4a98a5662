/**
 * The client's opening handshake over a real socket: connect (TCP, TLS or a Unix socket, through
 * an HTTP(S) proxy's CONNECT tunnel when one applies), send the request, read the response head,
 * follow redirects when asked to, and hand the socket over with whatever bytes followed the head
 * (a server may send its first frames in the same packet as its 101).
 *
 * The HTTP work is the core's pure functions; this file only moves bytes and keeps time. One
 * timer covers everything: the proxy, TLS, every redirect. With `http2`, the connection (the
 * same proxy and TLS code; ALPN decides) may carry an HTTP/2 session instead: those steps are
 * in http2-handshake.ts.
 */

import { isIP, connect as netConnect, type Socket } from 'node:net';
import {
  TLSSocket,
  type ConnectionOptions as TlsConnectionOptions,
  connect as tlsConnect,
} from 'node:tls';
import { buildRequest, generateKey, validateResponse } from '../core/client-handshake.js';
import { buildConnectRequest } from '../core/connect-handshake.js';
import { ErrorCode, HandshakeError } from '../core/errors.js';
import { formatExtensionHeader } from '../core/extension-header.js';
import type { HttpResponseHead } from '../core/http-head.js';
import { headerEntries, parseResponseHead } from '../core/http-head.js';
import {
  acceptDeflateResponse,
  type ClientDeflatePolicy,
  type DeflateParams,
  deflateOffer,
  findDeflateResponse,
} from '../extensions/permessage-deflate.js';
import type { TimerHandle } from '../node/clock.js';
import { readHead } from '../node/head-io.js';
import { random } from '../node/runtime.js';
import type { ClientTlsOptions } from '../websocket/client-options.js';
import { type ClientTarget, redirectUrl, targetOf } from './client-url.js';
import type {
  HandshakeCallback,
  HandshakeRequest,
  HandshakeResult,
  Hop,
  Tracked,
} from './handshake-types.js';
import { Http2Handshake } from './http2-handshake.js';
import { alpnFor, type OpeningMode, openingMode } from './http2-opening.js';
import { checkConnectResponse, connectRequest, type ProxyServer, selectProxy } from './proxy.js';
import { REDIRECTS, readRefusal, redirectHint, withResponse } from './refused-response.js';
import { poolKey } from './session-pool.js';

export { parseWebSocketUrl } from './client-url.js';
export type {
  HandshakeCallback,
  HandshakeRequest,
  HandshakeResult,
  RedirectPolicy,
} from './handshake-types.js';

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
  /** The HTTP/2 steps, for a URL that may be opened over HTTP/2 (created on first use). */
  #http2: Http2Handshake | null = null;
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
    if (error !== null) this.#http2?.settle({ kind: 'failed', error });
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
    if (hop.mode !== 'h1' && this.#http2Steps().usePooled(hop)) return;
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
    if (hop.mode === 'h1') this.#handshake(hop, socket);
    else this.#http2!.opened(hop, socket);
  }

  /** The HTTP/2 steps, and what they use of this handshake. */
  #http2Steps(): Http2Handshake {
    this.#http2 ??= new Http2Handshake({
      request: this.#request,
      isFinished: () => this.#finished,
      setPhase: (phase) => {
        this.#phase = phase;
      },
      finish: (error, result) => this.finish(error, result),
      trackStream: (transport) => {
        this.#sockets.push(transport);
        transport.on('error', this.#onError).on('close', this.#onClose);
      },
      release: () => this.#release(),
      handshakeHttp1: (hop, socket) => this.#handshake(hop, socket),
      connect: (hop) => this.#connect(hop),
      redirect: (hop, status, location) => this.#redirect(hop, status, location),
      readingRefusal: () => {
        this.#readingRefusal = true;
      },
    });
    return this.#http2;
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

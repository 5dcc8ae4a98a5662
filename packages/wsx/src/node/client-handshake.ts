/**
 * The client's opening handshake over a real socket: connect (TCP or TLS), send the request,
 * read the response head, and hand the socket over with whatever bytes followed the head (a
 * server may send its first frames in the same packet as its 101).
 *
 * The HTTP work is the core's pure functions; this file only moves bytes and keeps time.
 */

import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions as TlsConnectionOptions, connect as tlsConnect } from 'node:tls';
import { buildRequest, generateKey, validateResponse } from '../core/client-handshake.js';
import { ErrorCode, HandshakeError, UsageError } from '../core/errors.js';
import type { HeaderInit, HttpResponseHead } from '../core/http-head.js';
import { findHeadEnd, parseResponseHead } from '../core/http-head.js';
import { random } from './runtime.js';

/** TLS settings for `wss://`, passed to `tls.connect`. */
export type ClientTlsOptions = Pick<
  TlsConnectionOptions,
  | 'ca'
  | 'cert'
  | 'key'
  | 'passphrase'
  | 'pfx'
  | 'rejectUnauthorized'
  | 'servername'
  | 'checkServerIdentity'
  | 'minVersion'
  | 'ciphers'
>;

/** What the handshake needs, resolved from the user's options. */
export interface HandshakeRequest {
  readonly url: URL;
  readonly protocols: readonly string[];
  readonly headers: HeaderInit | undefined;
  readonly origin: string | undefined;
  readonly timeout: number;
  readonly tls: ClientTlsOptions;
}

/** The outcome of a successful handshake. */
export interface HandshakeResult {
  readonly socket: Socket;
  /** Bytes received after the response head: the first frames, if any. */
  readonly head: Buffer;
  readonly protocol: string;
  readonly response: HttpResponseHead;
}

export type HandshakeCallback = (error: Error | null, result: HandshakeResult | null) => void;

/**
 * Parses a WebSocket URL. `http:` and `https:` are accepted as `ws:` and `wss:` (the WHATWG spec
 * does the same); a fragment is not allowed (WHATWG: "SyntaxError").
 */
export function parseWebSocketUrl(address: string | URL): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new UsageError(`invalid WebSocket URL: ${String(address)}`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new UsageError(`a WebSocket URL starts with ws: or wss:, not ${url.protocol}`);
  }
  if (url.hash !== '') throw new UsageError(`a WebSocket URL has no fragment: ${url.href}`);
  if (url.hostname === '') throw new UsageError(`a WebSocket URL needs a host: ${url.href}`);
  return url;
}

/** Opens the transport and performs the handshake. Returns a function that aborts it. */
export function openHandshake(
  request: HandshakeRequest,
  done: HandshakeCallback,
): (error: Error) => void {
  const { url } = request;
  const key = generateKey(random);
  // Built first: an invalid header or protocol throws before any connection is made.
  const requestBytes = buildRequest({
    host: url.host,
    path: `${url.pathname}${url.search}`,
    key,
    protocols: request.protocols,
    ...(request.origin === undefined ? {} : { origin: request.origin }),
    ...(request.headers === undefined ? {} : { headers: request.headers }),
  });
  const secure = url.protocol === 'wss:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = Number(url.port) || (secure ? 443 : 80);
  const socket = secure
    ? tlsConnect({
        host,
        port,
        servername: isIp(host) ? '' : host,
        ...request.tls,
        ALPNProtocols: ['http/1.1'],
      })
    : netConnect({ host, port });
  socket.setNoDelay(true);

  let finished = false;
  let received: Buffer = Buffer.alloc(0);
  const finish = (error: Error | null, result: HandshakeResult | null): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off('data', onData).off('error', onError).off('close', onClose);
    if (error !== null) {
      socket.on('error', ignore).destroy();
      done(error, null);
    } else {
      socket.on('error', ignore); // the WebSocket takes over error handling when it attaches
      done(null, result);
    }
  };
  const onError = (error: Error): void => finish(error, null);
  const onClose = (): void => {
    const what = received.length === 0 ? 'no response' : `${received.length} bytes of a response`;
    const message = `connection closed before the handshake completed (${what} received)`;
    finish(new HandshakeError(ErrorCode.HANDSHAKE_CLOSED, 0, message), null);
  };
  const onData = (chunk: Buffer): void => {
    const from = Math.max(0, received.length - 3);
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    if (findHeadEnd(received, from) < 0 && received.length <= 16384) return;
    try {
      const parsed = parseResponseHead(received);
      if (!parsed.complete) return;
      socket.pause();
      const agreed = validateResponse(parsed.head, { key, protocols: request.protocols });
      finish(null, {
        socket,
        head: received.subarray(parsed.bodyOffset),
        protocol: agreed.protocol ?? '',
        response: parsed.head,
      });
    } catch (error) {
      finish(error as Error, null);
    }
  };
  const timer = setTimeout(() => {
    const message = `opening handshake timed out after ${request.timeout} ms`;
    finish(new HandshakeError(ErrorCode.HANDSHAKE_TIMEOUT, 0, message), null);
  }, request.timeout);

  socket.on('data', onData).on('error', onError).on('close', onClose);
  socket.write(requestBytes);
  return (error) => finish(error, null);
}

function ignore(): void {}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

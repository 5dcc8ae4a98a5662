/**
 * The pieces of a client's opening over HTTP/2 (RFC 8441) that the handshake (client-handshake.ts)
 * uses: which protocol a URL is opened with, what ALPN offers, the answer as a response head,
 * and what it agreed.
 */

import type { IncomingHttpHeaders } from 'node:http2';
import { validateConnectResponse } from '../core/connect-handshake.js';
import { ErrorCode, HandshakeError } from '../core/errors.js';
import { HttpHeaders, type HttpResponseHead } from '../core/http-head.js';
import {
  acceptDeflateResponse,
  type ClientDeflatePolicy,
  type DeflateParams,
  deflateOffer,
  findDeflateResponse,
} from '../extensions/permessage-deflate.js';
import type { ClientTarget } from './client-url.js';

/** The `http2` client option: HTTP/1.1 only (default), HTTP/2 only, or HTTP/2 when offered. */
export type Http2Setting = boolean | 'auto';

/**
 * How one URL is opened: `h1` (an HTTP/1.1 Upgrade), `h2` (an extended CONNECT, failing when the
 * server cannot take one) or `auto` (HTTP/2 when the server negotiates it and allows extended
 * CONNECT, else HTTP/1.1). `auto` over cleartext is HTTP/1.1: without TLS there is no ALPN to ask
 * with, and trying h2c first would cost a failed connection to every HTTP/1.1 server.
 */
export type OpeningMode = 'h1' | 'h2' | 'auto';

export function openingMode(setting: Http2Setting, target: ClientTarget): OpeningMode {
  if (setting === false) return 'h1';
  if (setting === true) return 'h2';
  return target.secure ? 'auto' : 'h1';
}

/** The ALPN protocols a TLS connection offers (RFC 7301), most preferred first. */
export function alpnFor(mode: OpeningMode): string[] {
  if (mode === 'h2') return ['h2'];
  return mode === 'auto' ? ['h2', 'http/1.1'] : ['http/1.1'];
}

/** The answer to an extended CONNECT, as the response head the `upgrade` event shows. */
export function responseHead(
  headers: IncomingHttpHeaders,
  rawHeaders: readonly string[] | undefined,
): HttpResponseHead {
  const raw =
    rawHeaders ??
    Object.entries(headers).flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value]).flatMap((v) => [name, String(v)]),
    );
  const fields: string[] = []; // without the pseudo-header field (`:status`)
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!raw[i]!.startsWith(':')) fields.push(raw[i]!, raw[i + 1]!);
  }
  return {
    version: 'HTTP/2',
    status: Number(headers[':status']),
    reason: '',
    headers: new HttpHeaders(fields),
  };
}

/**
 * Checks a 2xx answer (RFC 8441 §5 with RFC 6455 §4.1's checks of the subprotocol and
 * extensions); returns the subprotocol and the compression agreed.
 *
 * @throws {HandshakeError} for another status or what was not offered.
 */
export function agreeHttp2(
  head: HttpResponseHead,
  protocols: readonly string[],
  deflate: ClientDeflatePolicy | null,
): { protocol: string | null; deflate: DeflateParams | null } {
  const offered = deflate === null ? [] : [deflateOffer(deflate)];
  const agreed = validateConnectResponse(head, { protocols, extensions: offered });
  const answer = deflate === null ? null : findDeflateResponse(agreed.extensions, head.status);
  return {
    protocol: agreed.protocol,
    deflate:
      answer === null || deflate === null
        ? null
        : acceptDeflateResponse(answer, deflate, head.status),
  };
}

/**
 * The extended CONNECT as the `upgrade` event shows a request head: a `CONNECT <path> HTTP/2`
 * line, then every field (pseudo-header fields too) as `name: value`, then a blank line, as
 * latin1 bytes (curl's view of an HTTP/2 request).
 */
export function requestText(fields: readonly [string, string][]): Uint8Array {
  const path = fields.find(([name]) => name === ':path')?.[1] ?? '/';
  const lines = fields.filter(([name]) => name !== ':method' && name !== ':path');
  const text = `CONNECT ${path} HTTP/2\r\n${lines.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.from(text, 'latin1');
}

/** The server cannot take a WebSocket over HTTP/2: `why` says what it answered. */
export function noHttp2(target: ClientTarget, why: string): HandshakeError {
  const message = `${target.url.origin} cannot open a WebSocket over HTTP/2: ${why} (http2: 'auto' falls back to HTTP/1.1)`;
  return new HandshakeError(ErrorCode.NO_EXTENDED_CONNECT, 0, message);
}

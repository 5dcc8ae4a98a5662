/**
 * The opening handshake of a WebSocket over HTTP/2 (RFC 8441), as pure functions: the server
 * validates the extended CONNECT request and builds its answer's header fields; the client
 * builds the request's header fields and validates the answer.
 *
 * HTTP/2 carries the handshake as header fields, not bytes, so these functions work on name/value
 * lists (names lower-case, pseudo-header fields first), which the Node layer hands to
 * `node:http2` as they are. There is no key and no accept hash (RFC 8441 §5: "The
 * |Sec-WebSocket-Key| and |Sec-WebSocket-Accept| header fields are not used"); version,
 * subprotocols and extensions work as in RFC 6455.
 *
 * @see RFC 8441 §4 (the extended CONNECT), §5 (WebSocket over it); RFC 9113 §8.2.2, §8.3, §8.5
 */

import {
  checkExtensions,
  checkPath,
  checkProtocols,
  readExtensions as readAcceptedExtensions,
  readProtocol,
  type ServerHandshake,
} from './client-handshake.js';
import { WEBSOCKET_VERSION } from './constants.js';
import { ErrorCode, HandshakeError, UsageError } from './errors.js';
import type { ExtensionOffer } from './extension-header.js';
import { isToken, quoteInput } from './header-values.js';
import {
  assertHeaderField,
  extraHeaderFields,
  type HeaderInit,
  type HttpHeaders,
  type HttpResponseHead,
} from './http-head.js';
import {
  checkVersion,
  type HandshakeOffer,
  type RejectOptions,
  readExtensions,
  readProtocols,
  reasonPhrase,
} from './server-handshake.js';

/** What a valid extended CONNECT asked for. */
export interface ConnectHandshake extends HandshakeOffer {
  /** `:scheme`: `https` for a `wss:` URL, `http` for `ws:` (RFC 8441 §5). */
  readonly scheme: 'http' | 'https';
  /** `:path`: the path and query of the WebSocket URL. */
  readonly path: string;
}

const PSEUDO = [':method', ':protocol', ':scheme', ':path', ':authority'] as const;

/**
 * Validates an extended CONNECT request (RFC 8441 §4-5) given its header fields, pseudo-header
 * fields included (`:method`, `:protocol`, `:scheme`, `:path`, `:authority`).
 *
 * Checks run in this order, so the most specific status wins: a pseudo-header field repeated
 * (400), `:protocol` on another method than CONNECT (400), the method (405, `Allow: CONNECT`),
 * `:protocol` missing (400: a plain CONNECT asks for a tunnel, which this is not) or other than
 * `websocket` (501, as RFC 9220 §3 recommends for HTTP/3), `:scheme` (400), `:path` (400),
 * `:authority` (400), `sec-websocket-version` (426, or 400 when absent or repeated, with
 * `sec-websocket-version: 13`), `sec-websocket-protocol` (400), `sec-websocket-extensions` (400).
 *
 * @throws {HandshakeError} with the status and headers to answer with.
 * @see RFC 8441 §4, §5; RFC 9113 §8.3.1
 */
export function validateConnectRequest(headers: HttpHeaders): ConnectHandshake {
  for (const name of PSEUDO) {
    if (headers.count(name) > 1) throw malformed(`the ${name} pseudo-header field is repeated`);
  }
  checkMethod(headers);
  checkProtocol(headers);
  const scheme = checkScheme(headers);
  const path = checkTarget(headers);
  const host = checkAuthority(headers);
  checkVersion(headers);
  return {
    scheme,
    path,
    host,
    origin: headers.get('origin'),
    protocols: readProtocols(headers),
    extensions: readExtensions(headers),
  };
}

/**
 * RFC 8441 §4: "The :protocol pseudo-header field MUST NOT be included unless [...] the
 * :method is CONNECT"; a request that does is malformed (RFC 9113 §8.1.1). Any other method is
 * not an opening handshake: 405, naming the one method that is.
 */
function checkMethod(headers: HttpHeaders): void {
  const method = headers.get(':method') ?? '';
  if (method === 'CONNECT') return;
  if (headers.has(':protocol')) {
    throw malformed(`a :protocol pseudo-header field on a ${quoteInput(method)} request`);
  }
  const message = `a WebSocket over HTTP/2 opens with an extended CONNECT (RFC 8441), not ${quoteInput(method)}`;
  throw new HandshakeError(ErrorCode.INVALID_METHOD, 405, message, {
    headers: { Allow: 'CONNECT' },
  });
}

/** RFC 8441 §5: the :protocol pseudo-header field "MUST have a value of "websocket"". */
function checkProtocol(headers: HttpHeaders): void {
  const protocol = headers.get(':protocol');
  if (protocol === undefined) {
    throw malformed(
      'a CONNECT without :protocol asks for a tunnel; a WebSocket needs :protocol websocket',
    );
  }
  // Upgrade tokens are case-insensitive (RFC 9110 §7.8), as `Upgrade: websocket` is in RFC 6455.
  if (protocol.toLowerCase() === 'websocket') return;
  const message = `:protocol ${quoteInput(protocol)} is not supported; this endpoint speaks websocket`;
  throw new HandshakeError(ErrorCode.UNSUPPORTED_CONNECT_PROTOCOL, 501, message);
}

/**
 * RFC 8441 §4: "On requests that contain the :protocol pseudo-header field, the :scheme and
 * :path pseudo-header fields of the target URI [...] MUST also be included." §5: the scheme is
 * `https` for `wss` and `http` for `ws`.
 */
function checkScheme(headers: HttpHeaders): 'http' | 'https' {
  const scheme = headers.get(':scheme');
  if (scheme === 'https' || scheme === 'http') return scheme;
  if (scheme === undefined) throw malformed('the :scheme pseudo-header field is missing');
  throw malformed(`:scheme must be https or http (got ${quoteInput(scheme)})`);
}

/** The path and query, in origin form (RFC 9113 §8.3.1: ":path [...] MUST NOT be empty"). */
function checkTarget(headers: HttpHeaders): string {
  const path = headers.get(':path');
  if (path === undefined) throw malformed('the :path pseudo-header field is missing');
  if (!path.startsWith('/')) {
    throw malformed(`:path must be a path starting with '/' (got ${quoteInput(path)})`);
  }
  return path;
}

/**
 * The WebSocket URL's authority. RFC 8441 §4 reads `:authority` as on any request (RFC 9113
 * §8.3.1), and an opening handshake names its host (RFC 6455 §4.1), so it is required here, as
 * `Host` is in HTTP/1.1.
 */
function checkAuthority(headers: HttpHeaders): string {
  const authority = headers.get(':authority');
  if (authority !== undefined && authority !== '') return authority;
  const problem = authority === undefined ? 'is missing' : 'is empty';
  throw new HandshakeError(
    ErrorCode.MISSING_HOST,
    400,
    `the :authority pseudo-header field ${problem}`,
  );
}

function malformed(message: string): HandshakeError {
  return new HandshakeError(ErrorCode.INVALID_PSEUDO_HEADER, 400, message);
}

// ---- Answers --------------------------------------------------------------------------------

/**
 * Header fields that HTTP/2 forbids (RFC 9113 §8.2.2: "An endpoint MUST NOT generate an HTTP/2
 * message containing connection-specific header fields"), lower-case. `te` is allowed only as
 * `trailers`, which no handshake needs.
 */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
]);

/** What an accepted extended CONNECT answers with, beside `:status` 200. */
export interface ConnectAcceptOptions {
  /** The selected subprotocol; omitted when `null` or absent. */
  readonly protocol?: string | null;
  /** The accepted extensions, already formatted (`formatExtensionHeader`). */
  readonly extensions?: string | null;
  /** Extra header fields (`set-cookie`, ...). They may not replace a handshake field. */
  readonly headers?: HeaderInit;
}

const ACCEPT_RESERVED = new Set([
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
]);

/**
 * The header fields of the 200 that accepts an extended CONNECT (RFC 8441 §5), `:status` first,
 * names lower-case (RFC 9113 §8.2.1). Connection-specific fields among `headers` are left out,
 * as RFC 9113 §8.2.2 asks of anything turning an HTTP/1.1 message into HTTP/2.
 *
 * @throws {UsageError} when the protocol is not a token, or an extra header is invalid or would
 * replace a handshake field.
 */
export function connectAcceptFields(options: ConnectAcceptOptions = {}): [string, string][] {
  const fields: [string, string][] = [[':status', '200']];
  const { protocol, extensions } = options;
  if (protocol !== undefined && protocol !== null) {
    if (!isToken(protocol))
      throw new UsageError(`subprotocol ${quoteInput(protocol)} is not a token`);
    fields.push(['sec-websocket-protocol', protocol]);
  }
  if (extensions !== undefined && extensions !== null && extensions !== '') {
    assertHeaderField('sec-websocket-extensions', extensions);
    fields.push(['sec-websocket-extensions', extensions]);
  }
  fields.push(...http2Fields(extraHeaderFields(options.headers, ACCEPT_RESERVED)));
  return fields;
}

/** A refusal of an extended CONNECT: its header fields (`:status` first) and its body. */
export interface ConnectRefusal {
  readonly fields: [string, string][];
  readonly body: Uint8Array;
}

/**
 * The answer refusing an extended CONNECT with `status` (300-599: any 2xx would open the
 * tunnel). A string body is sent as UTF-8 `text/plain`; the default body is the status and
 * reason. Connection-specific header fields (a `Connection: close` written for HTTP/1.1) are left
 * out (RFC 9113 §8.2.2); the stream's end says the rest.
 *
 * @throws {UsageError} for a status outside 300-599 or an invalid header.
 */
export function connectRefusal(status: number, options: RejectOptions = {}): ConnectRefusal {
  if (!Number.isInteger(status) || status < 300 || status > 599) {
    throw new UsageError(
      `an extended CONNECT is refused with a status from 300 to 599 (got ${status})`,
    );
  }
  const rawBody = options.body ?? `${status} ${options.reason ?? reasonPhrase(status)}\n`;
  const body = typeof rawBody === 'string' ? new TextEncoder().encode(rawBody) : rawBody;
  const extra = http2Fields(extraHeaderFields(options.headers, REFUSAL_RESERVED));
  const fields: [string, string][] = [[':status', String(status)]];
  if (typeof rawBody === 'string' && !extra.some(([name]) => name === 'content-type')) {
    fields.push(['content-type', 'text/plain; charset=utf-8']);
  }
  fields.push(['content-length', String(body.length)], ...extra);
  return { fields, body };
}

const REFUSAL_RESERVED = new Set(['content-length']);

/** Lower-cases names, checks fields, and drops the connection-specific ones. */
function http2Fields(fields: readonly [string, string][]): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of fields) {
    assertHeaderField(name, value);
    const lower = name.toLowerCase();
    if (!CONNECTION_SPECIFIC.has(lower)) out.push([lower, value]);
  }
  return out;
}

// ---- The client's side ----------------------------------------------------------------------

/** What goes into the client's extended CONNECT. */
export interface ConnectRequestOptions {
  /** `https` for `wss:`, `http` for `ws:`. */
  readonly scheme: 'http' | 'https';
  /** `host[:port]`, the port omitted when it is the scheme's default. */
  readonly authority: string;
  /** The path and query, starting with `/`. */
  readonly path: string;
  /** Subprotocols, most preferred first; distinct tokens. */
  readonly protocols?: readonly string[];
  /** Extension offers, already formatted (`formatExtensionHeader`). */
  readonly extensions?: string;
  /** The `origin` header field; browsers always send one. */
  readonly origin?: string;
  /** Extra header fields (`authorization`, `cookie`, ...). */
  readonly headers?: HeaderInit;
}

/** Fields the request sets itself, or that HTTP/2 or RFC 8441 §5 leave out, lower-case. */
const REQUEST_RESERVED = new Set([
  ...CONNECTION_SPECIFIC,
  'host',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
]);

/**
 * The header fields of the extended CONNECT that opens a WebSocket over HTTP/2 (RFC 8441 §5),
 * pseudo-header fields first, names lower-case.
 *
 * @throws {UsageError} for a path that is not origin-form, an empty authority, a protocol that
 * is not a token or is repeated, invalid extensions, or an extra header that is invalid, would
 * replace a handshake field, or is connection-specific (RFC 9113 §8.2.2).
 * @see RFC 8441 §5.1 (an example)
 */
export function buildConnectRequest(options: ConnectRequestOptions): [string, string][] {
  checkPath(options.path);
  if (options.authority === '') throw new UsageError('the :authority cannot be empty');
  const protocols = options.protocols ?? [];
  checkProtocols(protocols);
  const fields: [string, string][] = [
    [':method', 'CONNECT'],
    [':protocol', 'websocket'],
    [':scheme', options.scheme],
    [':path', options.path],
    [':authority', options.authority],
  ];
  const reserved = new Set(REQUEST_RESERVED);
  if (options.origin !== undefined) {
    assertHeaderField('origin', options.origin);
    fields.push(['origin', options.origin]);
    reserved.add('origin');
  }
  if (protocols.length > 0) fields.push(['sec-websocket-protocol', protocols.join(', ')]);
  fields.push(['sec-websocket-version', WEBSOCKET_VERSION]);
  if (options.extensions !== undefined && options.extensions !== '') {
    checkExtensions(options.extensions);
    fields.push(['sec-websocket-extensions', options.extensions]);
  }
  for (const [name, value] of extraHeaderFields(options.headers, reserved)) {
    assertHeaderField(name, value);
    fields.push([name.toLowerCase(), value]);
  }
  return fields;
}

/** What the client offered, to check the answer against. */
export interface OfferedConnect {
  readonly protocols: readonly string[];
  readonly extensions?: readonly ExtensionOffer[];
}

/**
 * Validates the answer to an extended CONNECT: a 2xx opens the WebSocket (RFC 9110 §9.3.6: "Any
 * 2xx (Successful) response indicates that the sender [...] will switch to tunnel mode"); the
 * subprotocol and the extensions are checked as RFC 6455 §4.1 asks. `head.version` is
 * `HTTP/2` and its reason is empty.
 *
 * @throws {HandshakeError} `UNEXPECTED_STATUS` (carrying the status), `UNEXPECTED_PROTOCOL`,
 * `INVALID_EXTENSIONS_HEADER`, `UNEXPECTED_EXTENSION`.
 */
export function validateConnectResponse(
  head: HttpResponseHead,
  offered: OfferedConnect,
): ServerHandshake {
  if (head.status < 200 || head.status > 299) {
    const message = `expected a 2xx answer to the extended CONNECT, got ${head.status}`;
    throw new HandshakeError(ErrorCode.UNEXPECTED_STATUS, head.status, message);
  }
  return {
    protocol: readProtocol(head, offered.protocols),
    extensions: readAcceptedExtensions(head, offered.extensions ?? []),
  };
}

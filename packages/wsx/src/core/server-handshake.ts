/**
 * The server side of the opening handshake, as pure functions: validate the client's request,
 * then build either the 101 response or a rejection.
 *
 * @see RFC 6455 §4.2
 */

import { base64ByteLength, encodeBase64 } from './base64.js';
import { WEBSOCKET_GUID, WEBSOCKET_VERSION } from './constants.js';
import { ErrorCode, HandshakeError, UsageError } from './errors.js';
import { type ExtensionOffer, parseExtensionHeader } from './extension-header.js';
import {
  includesIgnoreCase,
  isToken,
  parseTokenList,
  parseUpgradeList,
  quoteInput,
} from './header-values.js';
import {
  assertHeaderField,
  encodeHead,
  encodeLatin1,
  extraHeaderFields,
  formatFields,
  type HeaderInit,
  type HttpHeaders,
} from './http-head.js';
import { sha1OfText } from './sha1.js';

/**
 * What a valid opening handshake asks for, whatever carries it (an HTTP/1.1 Upgrade, or an
 * HTTP/2 extended CONNECT: see connect-handshake.ts).
 */
export interface HandshakeOffer {
  /** `Host` (HTTP/1.1) or `:authority` (HTTP/2), raw. */
  readonly host: string;
  /** `Origin`, raw; browsers always send it, other clients may not. */
  readonly origin: string | undefined;
  /** `Sec-WebSocket-Protocol`, in the client's order of preference. */
  readonly protocols: string[];
  /** `Sec-WebSocket-Extensions`, in the client's order of preference. */
  readonly extensions: ExtensionOffer[];
}

/** What a valid HTTP/1.1 client handshake asked for. */
export interface ClientHandshake extends HandshakeOffer {
  /** `Sec-WebSocket-Key`, to compute `Sec-WebSocket-Accept` from. */
  readonly key: string;
}

/** The request fields {@link validateRequest} looks at (an `HttpRequestHead` fits). */
export interface RequestHeadLike {
  readonly method: string;
  readonly version: string;
  readonly headers: HttpHeaders;
}

const VERSION_HEADERS = { 'Sec-WebSocket-Version': WEBSOCKET_VERSION } as const;

/**
 * Validates a client's opening handshake.
 *
 * Checks run in this order, so the most specific status wins: method (405), HTTP version (400),
 * `Host` (400), `Upgrade` (426 when absent: a plain HTTP request; 400 when wrong), `Connection`
 * (400), `Sec-WebSocket-Version` (426, or 400 when absent or repeated), `Sec-WebSocket-Key`
 * (400), `Sec-WebSocket-Protocol` (400), `Sec-WebSocket-Extensions` (400). The version comes
 * before the key so a client speaking another draft, whose key may differ, learns which version
 * to retry with.
 *
 * @throws {HandshakeError} with the status and headers to answer with (see {@link rejectionFor}).
 * @see RFC 6455 §4.2.1
 */
export function validateRequest(head: RequestHeadLike): ClientHandshake {
  checkRequestLine(head);
  const { headers } = head;
  const host = checkHost(headers);
  checkUpgrade(headers);
  checkConnection(headers);
  checkVersion(headers);
  const key = checkKey(headers);
  return {
    key,
    host,
    origin: headers.get('Origin'),
    protocols: readProtocols(headers),
    extensions: readExtensions(headers),
  };
}

function checkRequestLine(head: RequestHeadLike): void {
  // RFC 6455 §4.2.1: "An HTTP/1.1 or higher GET request". 405 must name the allowed method:
  // RFC 7231 §6.5.5 "The origin server MUST generate an Allow header field in a 405 response".
  if (head.method !== 'GET') {
    const message = `WebSocket handshake requires GET, not ${quoteInput(head.method)}`;
    throw new HandshakeError(ErrorCode.INVALID_METHOD, 405, message, { headers: { Allow: 'GET' } });
  }
  // Exactly HTTP/1.1: HTTP/1.0 has no Upgrade, and HTTP/2 uses RFC 8441 instead of this.
  if (head.version !== 'HTTP/1.1') {
    const message = `WebSocket handshake requires HTTP/1.1, not ${quoteInput(head.version)}`;
    throw new HandshakeError(ErrorCode.INVALID_HTTP_VERSION, 400, message);
  }
}

/**
 * RFC 7230 §5.4: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
 * request message that lacks a Host header field and to any request message that contains more
 * than one Host header field". An empty Host names no authority (RFC 6455 §4.2.1: "A |Host|
 * header field containing the server's authority"), so it is rejected too.
 */
function checkHost(headers: HttpHeaders): string {
  const count = headers.count('Host');
  const host = headers.get('Host');
  if (count === 1 && host !== '') return host!;
  const problem = count === 0 ? 'is missing' : count > 1 ? 'is repeated' : 'is empty';
  throw new HandshakeError(ErrorCode.MISSING_HOST, 400, `Host header ${problem}`);
}

/** RFC 6455 §4.2.1: "An |Upgrade| header field containing the value "websocket", treated as an ASCII case-insensitive value." */
function checkUpgrade(headers: HttpHeaders): void {
  const upgrade = headers.get('Upgrade');
  if (upgrade === undefined) {
    // A plain HTTP request reached a WebSocket endpoint: tell it what this resource speaks.
    // RFC 7231 §6.5.15: "The server MUST send an Upgrade header field in a 426 response".
    throw new HandshakeError(
      ErrorCode.UPGRADE_REQUIRED,
      426,
      'this resource only speaks WebSocket',
      {
        headers: { Upgrade: 'websocket', Connection: 'Upgrade' },
      },
    );
  }
  const protocols = parseUpgradeList(upgrade);
  if (protocols === null || !includesIgnoreCase(protocols, 'websocket')) {
    const message = `Upgrade header must contain 'websocket' (got ${quoteInput(upgrade)})`;
    throw new HandshakeError(ErrorCode.INVALID_UPGRADE_HEADER, 400, message);
  }
}

/** RFC 6455 §4.2.1: "A |Connection| header field that includes the token "Upgrade", treated as an ASCII case-insensitive value." */
function checkConnection(headers: HttpHeaders): void {
  const connection = headers.get('Connection') ?? '';
  const options = parseTokenList(connection);
  if (options === null || !includesIgnoreCase(options, 'upgrade')) {
    const message = `Connection header must contain 'Upgrade' (got ${quoteInput(connection)})`;
    throw new HandshakeError(ErrorCode.INVALID_CONNECTION_HEADER, 400, message);
  }
}

/**
 * RFC 6455 §4.2.1: "A |Sec-WebSocket-Version| header field, with a value of 13." Two cases:
 * - a single value other than 13 is a version this server does not speak; §4.2.2: "the server
 *   MUST abort the WebSocket handshake [...] and instead send an appropriate HTTP error code
 *   (such as 426 Upgrade Required) and a |Sec-WebSocket-Version| header field indicating the
 *   version(s) the server is capable of understanding." -> 426;
 * - no header, or several (§11.3.5: it "MUST NOT appear more than once in an HTTP request"), is
 *   a malformed request, not a version mismatch -> 400. The version header is still sent so the
 *   client can tell what to retry with (§4.4).
 */
export function checkVersion(headers: HttpHeaders): void {
  const count = headers.count('Sec-WebSocket-Version');
  const version = headers.get('Sec-WebSocket-Version');
  if (count === 1 && version === WEBSOCKET_VERSION) return;
  const options = { headers: VERSION_HEADERS };
  if (count === 1) {
    const message = `unsupported Sec-WebSocket-Version ${quoteInput(version!)}; this server speaks 13`;
    throw new HandshakeError(ErrorCode.UNSUPPORTED_VERSION, 426, message, options);
  }
  const problem = count === 0 ? 'is missing' : 'is repeated';
  const message = `Sec-WebSocket-Version header ${problem}; it must be 13`;
  throw new HandshakeError(ErrorCode.UNSUPPORTED_VERSION, 400, message, options);
}

/**
 * RFC 6455 §4.2.1: "A |Sec-WebSocket-Key| header field with a base64-encoded (see Section 4 of
 * [RFC4648]) value that, when decoded, is 16 bytes in length." §11.3.1: it "MUST NOT appear more
 * than once in an HTTP request."
 */
function checkKey(headers: HttpHeaders): string {
  const count = headers.count('Sec-WebSocket-Key');
  if (count !== 1) {
    const message = `Sec-WebSocket-Key header ${count === 0 ? 'is missing' : 'is repeated'}`;
    throw new HandshakeError(ErrorCode.INVALID_KEY, 400, message);
  }
  const key = headers.get('Sec-WebSocket-Key')!;
  if (base64ByteLength(key) !== 16) {
    const message = `Sec-WebSocket-Key must be 16 bytes, base64-encoded (got ${quoteInput(key)})`;
    throw new HandshakeError(ErrorCode.INVALID_KEY, 400, message);
  }
  return key;
}

/**
 * RFC 6455 §4.2.1: "Optionally, a |Sec-WebSocket-Protocol| header field, with a list of values
 * indicating which protocols the client would like to speak, ordered by preference." §4.1: the
 * elements "MUST all be unique strings", each a token; an empty list is malformed too (`1#token`).
 */
export function readProtocols(headers: HttpHeaders): string[] {
  const value = headers.get('Sec-WebSocket-Protocol');
  if (value === undefined) return [];
  const protocols = parseTokenList(value);
  if (
    protocols === null ||
    protocols.length === 0 ||
    new Set(protocols).size !== protocols.length
  ) {
    const message = `Sec-WebSocket-Protocol must be a list of distinct tokens (got ${quoteInput(value)})`;
    throw new HandshakeError(ErrorCode.INVALID_PROTOCOL_HEADER, 400, message);
  }
  return protocols;
}

/** RFC 6455 §4.2.1: "Optionally, a |Sec-WebSocket-Extensions| header field, with a list of values indicating which extensions the client would like to speak." */
export function readExtensions(headers: HttpHeaders): ExtensionOffer[] {
  const value = headers.get('Sec-WebSocket-Extensions');
  return value === undefined ? [] : parseExtensionHeader(value);
}

/**
 * `Sec-WebSocket-Accept` for `key`: base64(SHA-1(key + GUID)).
 *
 * @example computeAccept('dGhlIHNhbXBsZSBub25jZQ==') === 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
 * @see RFC 6455 §4.2.2 item 5.4, §1.3
 */
export function computeAccept(key: string): string {
  return encodeBase64(sha1OfText(key + WEBSOCKET_GUID));
}

/**
 * Picks the subprotocol to accept: the first of the client's `offered` list that the server
 * `supported`, or `null` when there is none.
 *
 * The client's order wins because RFC 6455 §4.2.1 says the client lists its protocols "ordered
 * by preference", and §4.2.2 says the server selects "one of the values from the
 * |Sec-WebSocket-Protocol| field that the server is willing to use". `ws` does the same (its
 * default takes the client's first); Python `websockets` prefers the server's order instead. An
 * application that wants its own order picks the protocol itself and passes it to
 * {@link buildAcceptResponse}.
 *
 * @see RFC 6455 §4.2.2 /subprotocol/
 */
export function selectSubprotocol(
  offered: readonly string[],
  supported: readonly string[],
): string | null {
  return offered.find((protocol) => supported.includes(protocol)) ?? null;
}

/** What the 101 response carries besides the accept key. */
export interface AcceptOptions {
  /** The client's `Sec-WebSocket-Key`. */
  readonly key: string;
  /** The selected subprotocol; omitted when `null` or absent. */
  readonly protocol?: string | null;
  /** The accepted extensions, already formatted (`formatExtensionHeader`). */
  readonly extensions?: string | null;
  /** Extra headers (`Set-Cookie`, ...). They may not replace a handshake header. */
  readonly headers?: HeaderInit;
}

/** Headers the 101 response sets itself, lower-cased. */
const ACCEPT_RESERVED = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
  'transfer-encoding',
]);

/**
 * Builds the `101 Switching Protocols` response that completes the handshake.
 *
 * @throws {UsageError} when the protocol is not a token, or an extra header is invalid (no CR/LF
 * injection) or would replace a handshake header.
 * @see RFC 6455 §4.2.2 item 5
 */
export function buildAcceptResponse(options: AcceptOptions): Uint8Array {
  return encodeLatin1(formatAcceptResponse(options));
}

/**
 * {@link buildAcceptResponse} as text, one char per byte (latin1): Node writes a short string
 * without allocating a buffer per handshake.
 *
 * @throws {UsageError} as {@link buildAcceptResponse}.
 */
export function formatAcceptResponse(options: AcceptOptions): string {
  // Written directly (one string, no field list): this runs once per accepted connection.
  let text =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${computeAccept(options.key)}\r\n`;
  const { protocol, extensions, headers } = options;
  if (protocol !== undefined && protocol !== null) {
    if (!isToken(protocol))
      throw new UsageError(`subprotocol ${quoteInput(protocol)} is not a token`);
    text += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  }
  if (extensions !== undefined && extensions !== null && extensions !== '') {
    assertHeaderField('Sec-WebSocket-Extensions', extensions);
    text += `Sec-WebSocket-Extensions: ${extensions}\r\n`;
  }
  if (headers !== undefined) text += formatFields(extraHeaderFields(headers, ACCEPT_RESERVED));
  return `${text}\r\n`;
}

/** Reason phrases for the statuses a handshake is commonly refused with (RFC 7231 §6, RFC 6585). */
const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** RFC 7230 §3.1.2: `reason-phrase = *( HTAB / SP / VCHAR / obs-text )`. */
function isReasonPhrase(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code > 0xff || (code < 0x20 && code !== 0x09) || code === 0x7f) return false;
  }
  return true;
}

/** Headers a rejection sets itself (it frames its own body), lower-cased. */
const REJECT_RESERVED = new Set(['content-length', 'transfer-encoding']);

/** How a handshake is refused. */
export interface RejectOptions {
  /** Extra headers (`WWW-Authenticate`, `Retry-After`, `Content-Type`, ...). */
  readonly headers?: HeaderInit;
  /** A string is sent as UTF-8 `text/plain`; default: the status and reason, e.g. `403 Forbidden`. */
  readonly body?: string | Uint8Array;
  /** The reason phrase; default: the standard one for `status`. */
  readonly reason?: string;
}

/**
 * Builds a complete HTTP/1.1 response refusing the handshake, with `Connection: close` and a
 * `Content-Length`; the I/O layer writes it and closes the socket. A `Connection` header in
 * `headers` is merged (`Connection: Upgrade, close` for a 426).
 *
 * @throws {UsageError} for a status outside 200-599, a reason phrase with control characters, or
 * an invalid header (or one that would replace `Content-Length`/`Transfer-Encoding`).
 * @see RFC 6455 §4.2.2 "the server MUST stop processing the client's handshake and return an
 * HTTP response with an appropriate error code (such as 400 Bad Request)"
 */
export function buildRejectResponse(status: number, options: RejectOptions = {}): Uint8Array {
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new UsageError(`a handshake rejection needs a status from 200 to 599 (got ${status})`);
  }
  const reason = options.reason ?? REASONS[status] ?? defaultReason(status);
  if (!isReasonPhrase(reason)) {
    throw new UsageError(`invalid reason phrase ${quoteInput(reason)}`);
  }
  const rawBody = options.body ?? `${status} ${reason}\n`;
  const body = typeof rawBody === 'string' ? new TextEncoder().encode(rawBody) : rawBody;
  const extra = extraHeaderFields(options.headers, REJECT_RESERVED);
  const connection = extra.filter(([name]) => name.toLowerCase() === 'connection');
  const others = extra.filter(([name]) => name.toLowerCase() !== 'connection');
  const fields: [string, string][] = [['Connection', connectionValue(connection)]];
  if (
    typeof rawBody === 'string' &&
    !others.some(([name]) => name.toLowerCase() === 'content-type')
  ) {
    fields.push(['Content-Type', 'text/plain; charset=utf-8']);
  }
  fields.push(['Content-Length', String(body.length)], ...others);
  const head = encodeHead(`HTTP/1.1 ${status} ${reason}`, fields);
  const response = new Uint8Array(head.length + body.length);
  response.set(head);
  response.set(body, head.length);
  return response;
}

/**
 * The caller's connection options plus `close`. RFC 7230 §6.6: "A server that sends a "close"
 * connection option MUST initiate a close of the connection [...] after it sends the response".
 * `keep-alive` is dropped, since the connection closes; RFC 7230 §6.7: a sender of `Upgrade`
 * "MUST also send a Connection header field that contains an "upgrade" connection option", so
 * a 426 keeps `Upgrade`.
 */
function connectionValue(fields: ReadonlyArray<readonly [string, string]>): string {
  const value = fields.map(([, v]) => v).join(', ');
  const options = parseTokenList(value);
  if (options === null) throw new UsageError(`invalid Connection header ${quoteInput(value)}`);
  const kept = options.filter((o) => !['close', 'keep-alive'].includes(o.toLowerCase()));
  return [...kept, 'close'].join(', ');
}

/** The standard reason phrase of `status` (`Forbidden` for 403), or its class's. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? defaultReason(status);
}

function defaultReason(status: number): string {
  if (status >= 500) return 'Server Error';
  if (status >= 400) return 'Client Error';
  return status >= 300 ? 'Redirection' : 'Success';
}

/**
 * The response refusing a handshake that failed with `error`: its status, its headers (`Allow`,
 * `Sec-WebSocket-Version`, ...) and its message as the body. Messages never quote more than a
 * bounded, escaped part of the request, so they are safe to send back.
 *
 * @throws {UsageError} when `error` has no HTTP status (a client-side error has status 0 or the
 * peer's own status).
 * @see RFC 6455 §4.2.2, §4.4
 */
export function rejectionFor(error: HandshakeError): Uint8Array {
  return buildRejectResponse(error.status, { headers: error.headers, body: `${error.message}\n` });
}

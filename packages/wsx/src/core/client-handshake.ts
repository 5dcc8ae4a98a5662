/**
 * The client side of the opening handshake, as pure functions: generate a key, build the
 * request, validate the server's response.
 *
 * @see RFC 6455 §4.1
 */

import { decodeBase64, encodeBase64 } from './base64.js';
import { WEBSOCKET_VERSION } from './constants.js';
import { ErrorCode, HandshakeError, UsageError } from './errors.js';
import { type ExtensionOffer, parseExtensionHeader } from './extension-header.js';
import {
  includesIgnoreCase,
  isToken,
  isVisibleAscii,
  parseTokenList,
  parseUpgradeList,
  quoteInput,
} from './header-values.js';
import {
  encodeHead,
  extraHeaderFields,
  type HeaderInit,
  type HttpResponseHead,
} from './http-head.js';
import { computeAccept } from './server-handshake.js';

/**
 * A fresh `Sec-WebSocket-Key`: 16 bytes from `random`, base64-encoded.
 *
 * @param random fills its argument with cryptographically secure random bytes (the Node layer
 * passes `crypto.getRandomValues`).
 * @see RFC 6455 §4.1 item 7: "The nonce MUST be selected randomly for each connection."
 */
export function generateKey(random: (buf: Uint8Array) => void): string {
  const nonce = new Uint8Array(16);
  random(nonce);
  return encodeBase64(nonce);
}

/** What goes into the client's opening handshake. */
export interface RequestOptions {
  /** The `Host` header: `host[:port]`, the port omitted when it is the scheme's default. */
  readonly host: string;
  /** The resource name: path and query, starting with `/`. */
  readonly path: string;
  /** From {@link generateKey}. */
  readonly key: string;
  /** Subprotocols, most preferred first; distinct tokens. */
  readonly protocols?: readonly string[];
  /** Extension offers, already formatted (`formatExtensionHeader`). */
  readonly extensions?: string;
  /** The `Origin` header; browsers always send one. */
  readonly origin?: string;
  /** Extra headers (`Authorization`, `Cookie`, ...). They may not replace a handshake header. */
  readonly headers?: HeaderInit;
}

/** Headers the request sets itself, lower-cased. */
const REQUEST_RESERVED = new Set([
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
  'transfer-encoding',
]);

/**
 * Builds the opening handshake request.
 *
 * @throws {UsageError} for a path that is not origin-form, an invalid key, a protocol that is not
 * a token or is repeated, an invalid extensions value, or an extra header that is invalid (no
 * CR/LF injection) or would replace a handshake header.
 * @see RFC 6455 §4.1 (the client requirements), §1.2 (an example)
 */
export function buildRequest(options: RequestOptions): Uint8Array {
  checkPath(options.path);
  if (decodeBase64(options.key)?.length !== 16) {
    throw new UsageError(
      `Sec-WebSocket-Key must be 16 bytes, base64-encoded (got ${quoteInput(options.key)})`,
    );
  }
  if (options.host === '') throw new UsageError('the Host header cannot be empty');
  const protocols = options.protocols ?? [];
  checkProtocols(protocols);
  const reserved = new Set(REQUEST_RESERVED);
  // The order of the RFC 6455 §1.2 example; any order is valid.
  const fields: [string, string][] = [
    ['Host', options.host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', options.key],
  ];
  if (options.origin !== undefined) {
    fields.push(['Origin', options.origin]);
    reserved.add('origin');
  }
  if (protocols.length > 0) fields.push(['Sec-WebSocket-Protocol', protocols.join(', ')]);
  fields.push(['Sec-WebSocket-Version', WEBSOCKET_VERSION]);
  if (options.extensions !== undefined && options.extensions !== '') {
    checkExtensions(options.extensions);
    fields.push(['Sec-WebSocket-Extensions', options.extensions]);
  }
  fields.push(...extraHeaderFields(options.headers, reserved));
  return encodeHead(`GET ${options.path} HTTP/1.1`, fields);
}

/** RFC 6455 §3: the resource name is "/" path [ "?" query ], sent in origin-form. */
export function checkPath(path: string): void {
  if (!path.startsWith('/') || !isVisibleAscii(path)) {
    throw new UsageError(
      `the request path must start with '/' and contain only visible ASCII (got ${quoteInput(path)})`,
    );
  }
}

/** RFC 6455 §4.1: the elements "MUST all be unique strings", each a token. */
export function checkProtocols(protocols: readonly string[]): void {
  const seen = new Set<string>();
  for (const protocol of protocols) {
    if (!isToken(protocol))
      throw new UsageError(`subprotocol ${quoteInput(protocol)} is not a token`);
    if (seen.has(protocol)) throw new UsageError(`subprotocol ${quoteInput(protocol)} is repeated`);
    seen.add(protocol);
  }
}

export function checkExtensions(value: string): void {
  try {
    parseExtensionHeader(value);
  } catch (error) {
    throw new UsageError(`invalid extensions ${quoteInput(value)}: ${(error as Error).message}`);
  }
}

/** What the client offered, to check the response against. */
export interface OfferedHandshake {
  /** The `Sec-WebSocket-Key` sent. */
  readonly key: string;
  /** The subprotocols offered; empty when none. */
  readonly protocols: readonly string[];
  /** The extensions offered; absent or empty when none. */
  readonly extensions?: readonly ExtensionOffer[];
}

/** What the server agreed to. */
export interface ServerHandshake {
  /** The subprotocol selected by the server, or `null`. */
  readonly protocol: string | null;
  /** The extensions accepted, as sent; their parameters are for the negotiator to check. */
  readonly extensions: ExtensionOffer[];
}

/**
 * Validates the server's response to the opening handshake.
 *
 * Every failure is a HandshakeError whose `status` is the status received: RFC 6455 §4.1 says
 * that in each of these cases "the client MUST _Fail the WebSocket Connection_".
 *
 * @throws {HandshakeError} `UNEXPECTED_STATUS`, `INVALID_UPGRADE_HEADER`,
 * `INVALID_CONNECTION_HEADER`, `INVALID_ACCEPT`, `UNEXPECTED_PROTOCOL`,
 * `INVALID_EXTENSIONS_HEADER`, `UNEXPECTED_EXTENSION`.
 * @see RFC 6455 §4.1 (the client's checks of the server's handshake), §4.2.2
 */
export function validateResponse(
  head: HttpResponseHead,
  offered: OfferedHandshake,
): ServerHandshake {
  checkStatus(head);
  checkUpgrade(head);
  checkConnection(head);
  checkAccept(head, offered.key);
  return {
    protocol: readProtocol(head, offered.protocols),
    extensions: readExtensions(head, offered.extensions ?? []),
  };
}

/**
 * RFC 6455 §4.1: "If the status code received from the server is not 101, the client handles the
 * response per HTTP [RFC2616] procedures." Redirects and authentication are up to the caller;
 * here it is a failure carrying the status.
 */
function checkStatus(head: HttpResponseHead): void {
  if (head.status === 101) return;
  const line = `${head.version} ${head.status} ${head.reason}`;
  const message = `expected 'HTTP/1.1 101 Switching Protocols', got ${quoteInput(line)}`;
  throw new HandshakeError(ErrorCode.UNEXPECTED_STATUS, head.status, message);
}

/**
 * RFC 6455 §4.1: "If the response lacks an |Upgrade| header field or the |Upgrade| header field
 * contains a value that is not an ASCII case-insensitive match for the value "websocket", the
 * client MUST _Fail the WebSocket Connection_." A match, not a list containing it: a 101 switches
 * to exactly one protocol.
 */
function checkUpgrade(head: HttpResponseHead): void {
  const upgrade = head.headers.get('Upgrade') ?? '';
  const protocols = parseUpgradeList(upgrade);
  if (protocols?.length !== 1 || !includesIgnoreCase(protocols, 'websocket')) {
    const message = `Upgrade header must be 'websocket' (got ${quoteInput(upgrade)})`;
    throw new HandshakeError(ErrorCode.INVALID_UPGRADE_HEADER, head.status, message);
  }
}

/**
 * RFC 6455 §4.1: "If the response lacks a |Connection| header field or the |Connection| header
 * field doesn't contain a token that is an ASCII case-insensitive match for the value "Upgrade",
 * the client MUST _Fail the WebSocket Connection_."
 */
function checkConnection(head: HttpResponseHead): void {
  const connection = head.headers.get('Connection') ?? '';
  const options = parseTokenList(connection);
  if (options === null || !includesIgnoreCase(options, 'upgrade')) {
    const message = `Connection header must contain 'Upgrade' (got ${quoteInput(connection)})`;
    throw new HandshakeError(ErrorCode.INVALID_CONNECTION_HEADER, head.status, message);
  }
}

/**
 * RFC 6455 §4.1: "If the response lacks a |Sec-WebSocket-Accept| header field or the
 * |Sec-WebSocket-Accept| contains a value other than the base64-encoded SHA-1 of the
 * concatenation of the |Sec-WebSocket-Key| (as a string, not base64-decoded) with the string
 * "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" [...] the client MUST _Fail the WebSocket Connection_."
 */
function checkAccept(head: HttpResponseHead, key: string): void {
  const accept = head.headers.get('Sec-WebSocket-Accept');
  if (accept === computeAccept(key)) return;
  const message =
    accept === undefined
      ? 'Sec-WebSocket-Accept header is missing'
      : `Sec-WebSocket-Accept ${quoteInput(accept)} does not match the key sent`;
  throw new HandshakeError(ErrorCode.INVALID_ACCEPT, head.status, message);
}

/**
 * RFC 6455 §4.1: "If the response includes a |Sec-WebSocket-Protocol| header field and this
 * header field indicates the use of a subprotocol that was not present in the client's handshake
 * (the server has indicated a subprotocol not requested by the client), the client MUST _Fail
 * the WebSocket Connection_." §4.2.2: the server answers with "a single value".
 */
export function readProtocol(head: HttpResponseHead, offered: readonly string[]): string | null {
  const value = head.headers.get('Sec-WebSocket-Protocol');
  if (value === undefined) return null;
  let problem: string | undefined;
  if (offered.length === 0) problem = 'none was offered';
  else if (parseTokenList(value)?.length !== 1) problem = 'it must be a single token';
  else if (!offered.includes(value)) problem = 'it was not offered';
  if (problem === undefined) return value;
  const message = `server selected subprotocol ${quoteInput(value)} but ${problem}`;
  throw new HandshakeError(ErrorCode.UNEXPECTED_PROTOCOL, head.status, message);
}

/**
 * RFC 6455 §4.1: "If the response includes a |Sec-WebSocket-Extensions| header field and this
 * header field indicates the use of an extension that was not present in the client's handshake
 * (the server has indicated an extension not requested by the client), the client MUST _Fail
 * the WebSocket Connection_."
 */
export function readExtensions(
  head: HttpResponseHead,
  offered: readonly ExtensionOffer[],
): ExtensionOffer[] {
  const value = head.headers.get('Sec-WebSocket-Extensions');
  if (value === undefined) return [];
  let accepted: ExtensionOffer[];
  try {
    accepted = parseExtensionHeader(value);
  } catch (error) {
    const { code, message } = error as HandshakeError;
    throw new HandshakeError(code, head.status, message, { cause: error });
  }
  for (const extension of accepted) {
    if (!offered.some((offer) => offer.name === extension.name)) {
      const message = `server accepted extension ${quoteInput(extension.name)}, which was not offered`;
      throw new HandshakeError(ErrorCode.UNEXPECTED_EXTENSION, head.status, message);
    }
  }
  return accepted;
}

/**
 * The HTTP/1.1 head of the opening handshake: parsing a request or response head from the bytes
 * received so far, case-insensitive header access, and serializing a head.
 *
 * Only what the handshake needs: no bodies, no chunked encoding, no keep-alive. Whatever follows
 * the blank line belongs to the WebSocket connection and is handed over untouched.
 *
 * @see RFC 7230 §3 (message format), RFC 6455 §4.1 / §4.2.1
 */

import { ErrorCode, HandshakeError, UsageError } from './errors.js';
import {
  hasControlChar,
  isDigits,
  isOws,
  isToken,
  isVisibleAscii,
  quoteInput,
  sliceTrimmed,
} from './header-values.js';

/** Same as Node's default `--max-http-header-size`, so wsx and `node:http` agree. */
export const DEFAULT_MAX_HEAD_SIZE = 16384;
/** Same as Node's default `server.maxHeadersCount`; a handshake needs about ten. */
export const DEFAULT_MAX_HEADER_COUNT = 100;

/** Bounds on a head, checked before and while parsing it. */
export interface HeadLimits {
  /** Bytes, from the start line through the blank line. Default {@link DEFAULT_MAX_HEAD_SIZE}. */
  readonly maxHeadSize?: number;
  /** Header fields. Default {@link DEFAULT_MAX_HEADER_COUNT}. */
  readonly maxHeaderCount?: number;
}

/** `complete: false` until the blank line ending the head has arrived. */
export type HeadParseResult<T> =
  | { readonly complete: false }
  | {
      readonly complete: true;
      readonly head: T;
      /** The index right after the blank line: the first byte of the WebSocket stream. */
      readonly bodyOffset: number;
    };

/** @see RFC 7230 §3.1.1 */
export interface HttpRequestHead {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly headers: HttpHeaders;
}

/** @see RFC 7230 §3.1.2 */
export interface HttpResponseHead {
  readonly version: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: HttpHeaders;
}

/** Headers to send: a record, or name/value pairs when order or repetition matters. */
export type HeaderInit =
  | Readonly<Record<string, string>>
  | ReadonlyArray<readonly [string, string]>;

const CR = 0x0d;
const LF = 0x0a;

/**
 * Header fields, looked up case-insensitively.
 *
 * Built from a flat `[name0, value0, name1, value1, ...]` list, the shape of Node's
 * `IncomingMessage.rawHeaders`, so the Node layer passes `req.rawHeaders` as is.
 *
 * @see RFC 7230 §3.2 "Each header field consists of a case-insensitive field name"
 */
export class HttpHeaders {
  readonly #raw: readonly string[];

  constructor(raw: readonly string[]) {
    if (raw.length % 2 !== 0) {
      throw new UsageError(`raw headers must alternate names and values (got ${raw.length} items)`);
    }
    this.#raw = adopting ? raw : raw.slice();
  }

  /** Builds headers from a record or from name/value pairs. */
  static from(init: HeaderInit): HttpHeaders {
    return new HttpHeaders(headerEntries(init).flat());
  }

  /** The flat `[name, value, ...]` list, as received. */
  get raw(): readonly string[] {
    return this.#raw;
  }

  /**
   * All values of `name` joined with `", "`, or `undefined` when absent. RFC 7230 §3.2.2: "A
   * recipient MAY combine multiple header fields with the same field name into one "field-name:
   * field-value" pair [...] by appending each subsequent field value to the combined field value
   * in order, separated by a comma."
   */
  get(name: string): string | undefined {
    let joined: string | undefined;
    for (let i = this.#next(name, 0); i !== -1; i = this.#next(name, i + 2)) {
      const value = this.#raw[i + 1]!;
      joined = joined === undefined ? value : `${joined}, ${value}`;
    }
    return joined;
  }

  /** Each value of `name`, one per header line, in order. */
  getAll(name: string): string[] {
    const values: string[] = [];
    for (let i = this.#next(name, 0); i !== -1; i = this.#next(name, i + 2)) {
      values.push(this.#raw[i + 1]!);
    }
    return values;
  }

  /** How many header lines are named `name`. */
  count(name: string): number {
    let count = 0;
    for (let i = this.#next(name, 0); i !== -1; i = this.#next(name, i + 2)) count++;
    return count;
  }

  has(name: string): boolean {
    return this.#next(name, 0) !== -1;
  }

  /**
   * The index in the raw list of the first field named `name` at or after `from`, or -1. A
   * handshake has about ten fields: a scan comparing names in place beats building an index
   * (or lower-cased copies) per request.
   */
  #next(name: string, from: number): number {
    const raw = this.#raw;
    for (let i = from; i < raw.length; i += 2) {
      if (sameFieldName(raw[i]!, name)) return i;
    }
    return -1;
  }
}

/** Set while the parser hands over a list it built, which needs no defensive copy. */
let adopting = false;

/** Headers over `raw`, which the caller gives up (no copy). */
function adoptHeaders(raw: string[]): HttpHeaders {
  adopting = true;
  try {
    return new HttpHeaders(raw);
  } finally {
    adopting = false;
  }
}

/**
 * Whether two field names are equal ignoring ASCII case. RFC 7230 §3.2: "Each header field
 * consists of a case-insensitive field name". Only A-Z fold; names are tokens, hence ASCII.
 */
function sameFieldName(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0x41 && x <= 0x5a) x += 0x20;
    if (y >= 0x41 && y <= 0x5a) y += 0x20;
    if (x !== y) return false;
  }
  return true;
}

/**
 * The index right after the first `\r\n\r\n` at or after `from`, or -1. An I/O layer feeding a
 * growing buffer can call this with `from = previousLength - 3` to avoid rescanning, and parse
 * once it returns an index (or the buffer outgrows the head limit).
 */
export function findHeadEnd(bytes: Uint8Array, from = 0): number {
  for (let i = Math.max(from, 0) + 3; i < bytes.length; i++) {
    if (bytes[i] === LF && bytes[i - 1] === CR && bytes[i - 2] === LF && bytes[i - 3] === CR) {
      return i + 1;
    }
  }
  return -1;
}

/**
 * Parses a request head from everything received so far.
 *
 * @throws {HandshakeError} 400 `MALFORMED_HTTP`; 431 `HEAD_TOO_LARGE` (as soon as more than
 * `maxHeadSize` bytes arrived without a complete head) or `TOO_MANY_HEADERS`.
 * @see RFC 7230 §3
 */
export function parseRequestHead(
  bytes: Uint8Array,
  limits?: HeadLimits,
): HeadParseResult<HttpRequestHead> {
  const found = readHead(bytes, limits, 'request');
  if (found === null) return { complete: false };
  const [method, target, version] = parseRequestLine(found.lines[0]!);
  const headers = parseFields(found.lines, 'request');
  return { complete: true, head: { method, target, version, headers }, bodyOffset: found.end };
}

/**
 * Parses a response head from everything received so far. Errors carry status 0: there is no
 * response to send back.
 *
 * @throws {HandshakeError} `MALFORMED_HTTP`, `HEAD_TOO_LARGE`, `TOO_MANY_HEADERS`
 * @see RFC 7230 §3
 */
export function parseResponseHead(
  bytes: Uint8Array,
  limits?: HeadLimits,
): HeadParseResult<HttpResponseHead> {
  const found = readHead(bytes, limits, 'response');
  if (found === null) return { complete: false };
  const [version, status, reason] = parseStatusLine(found.lines[0]!);
  const headers = parseFields(found.lines, 'response');
  return { complete: true, head: { version, status, reason, headers }, bodyOffset: found.end };
}

type Side = 'request' | 'response';

/** A HandshakeError for a bad head; on the response side the status is 0 (nothing to answer). */
function headError(side: Side, code: ErrorCode, status: number, message: string): HandshakeError {
  return new HandshakeError(code, side === 'request' ? status : 0, message);
}

function malformed(side: Side, message: string): HandshakeError {
  return headError(side, ErrorCode.MALFORMED_HTTP, 400, message);
}

/** Finds and splits the head, or returns null while it is incomplete. */
function readHead(
  bytes: Uint8Array,
  limits: HeadLimits | undefined,
  side: Side,
): { lines: string[]; end: number } | null {
  const maxSize = limits?.maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE;
  const end = scanHead(bytes, Math.min(bytes.length, maxSize), side);
  if (end === -1) {
    if (bytes.length > maxSize) {
      const message = `HTTP head exceeds ${maxSize} bytes without ending`;
      throw headError(side, ErrorCode.HEAD_TOO_LARGE, 431, message);
    }
    return null;
  }
  const lines = decodeLatin1(bytes.subarray(0, end - 4)).split('\r\n');
  const maxCount = limits?.maxHeaderCount ?? DEFAULT_MAX_HEADER_COUNT;
  if (lines.length - 1 > maxCount) {
    const message = `HTTP head has ${lines.length - 1} header fields; the limit is ${maxCount}`;
    throw headError(side, ErrorCode.TOO_MANY_HEADERS, 431, message);
  }
  return { lines, end };
}

/**
 * Returns the index after the blank line within `bytes[0, limit)`, or -1; rejects a bare CR or
 * LF at once, so a head using bare LF line endings fails now rather than at the size limit.
 * RFC 7230 §3: "HTTP-message = start-line *( header-field CRLF ) CRLF [ message-body ]".
 */
function scanHead(bytes: Uint8Array, limit: number, side: Side): number {
  for (let i = 0; i < limit; i++) {
    const byte = bytes[i];
    if (byte === LF) {
      if (i === 0 || bytes[i - 1] !== CR)
        throw malformed(side, `bare LF at byte ${i} of HTTP head`);
      if (i >= 3 && bytes[i - 2] === LF && bytes[i - 3] === CR) return i + 1;
    } else if (i > 0 && bytes[i - 1] === CR) {
      throw malformed(side, `bare CR at byte ${i - 1} of HTTP head`);
    }
  }
  return -1;
}

/** RFC 7230 §3.1.1: `request-line = method SP request-target SP HTTP-version CRLF`. */
function parseRequestLine(line: string): [method: string, target: string, version: string] {
  const parts = line.split(' ');
  const [method = '', target = '', version = ''] = parts;
  const valid =
    parts.length === 3 &&
    isToken(method) &&
    target !== '' &&
    isVisibleAscii(target) &&
    isHttpVersion(version);
  if (!valid) throw malformed('request', `malformed request line ${quoteInput(line)}`);
  return [method, target, version];
}

/**
 * RFC 7230 §3.1.2: `status-line = HTTP-version SP status-code SP reason-phrase CRLF`. A missing
 * SP before an empty reason phrase is tolerated: some servers send `HTTP/1.1 101`.
 */
function parseStatusLine(line: string): [version: string, status: number, reason: string] {
  const version = line.slice(0, 8);
  const code = line.slice(9, 12);
  const rest = line.slice(12);
  const valid =
    isHttpVersion(version) &&
    line[8] === ' ' &&
    code.length === 3 &&
    isDigits(code) &&
    (rest === '' || rest[0] === ' ') &&
    !hasControlChar(rest);
  if (!valid) throw malformed('response', `malformed status line ${quoteInput(line)}`);
  return [version, Number(code), rest.slice(1)];
}

/** Parses the header field lines (all of `lines` after the start line) into {@link HttpHeaders}. */
function parseFields(lines: readonly string[], side: Side): HttpHeaders {
  const raw: string[] = [];
  for (let i = 1; i < lines.length; i++) parseField(lines[i]!, side, raw);
  return adoptHeaders(raw);
}

/** RFC 7230 §3.2: `header-field = field-name ":" OWS field-value OWS`; pushes name and value. */
function parseField(line: string, side: Side, raw: string[]): void {
  // RFC 7230 §3.2.4: "A server that receives an obs-fold in a request message [...] MUST either
  // reject the message by sending a 400 (Bad Request) [...] or replace each received obs-fold".
  if (isOws(line.charCodeAt(0))) {
    throw malformed(side, `obsolete line folding before ${quoteInput(line)}`);
  }
  const colon = line.indexOf(':');
  if (colon === -1) throw malformed(side, `header line without a colon: ${quoteInput(line)}`);
  const name = line.slice(0, colon);
  // RFC 7230 §3.2.4: "A server MUST reject any received request message that contains whitespace
  // between a header field-name and colon with a response code of 400 (Bad Request)."
  if (isOws(name.charCodeAt(name.length - 1))) {
    throw malformed(side, `whitespace between header name and colon in ${quoteInput(name)}`);
  }
  if (!isToken(name)) throw malformed(side, `invalid header name ${quoteInput(name)}`);
  const value = sliceTrimmed(line, colon + 1, line.length);
  if (hasControlChar(value)) {
    throw malformed(side, `control character in the value of header ${quoteInput(name)}`);
  }
  raw.push(name, value);
}

/**
 * RFC 7230 §3.2: `field-vchar = VCHAR / obs-text`, plus SP and HTAB inside a value: anything
 * else below 0x20, and DEL, is a control character.
 */
/** RFC 7230 §2.6: `HTTP-version = "HTTP/" DIGIT "." DIGIT`. */
function isHttpVersion(s: string): boolean {
  return (
    s.length === 8 &&
    s.startsWith('HTTP/') &&
    isDigits(s.slice(5, 6)) &&
    s[6] === '.' &&
    isDigits(s.slice(7))
  );
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** ASCII is UTF-8 too: for bytes below 0x80, the native UTF-8 decoder is the 1:1 mapping. */
const asciiDecoder = new TextDecoder('utf-8');

/** Bytes -> chars 1:1 (ISO-8859-1). `TextDecoder('latin1')` is windows-1252, which is not 1:1. */
export function decodeLatin1(bytes: Uint8Array): string {
  if (isAscii(bytes)) return asciiDecoder.decode(bytes);
  let out = '';
  for (let i = 0; i < bytes.length; i += 0x2000) {
    const chunk = bytes.subarray(i, i + 0x2000);
    out += String.fromCharCode.apply(null, chunk as unknown as number[]);
  }
  return out;
}

/** The name/value pairs of a {@link HeaderInit}; `[]` for `undefined`. */
export function headerEntries(init: HeaderInit | undefined): [string, string][] {
  if (init === undefined) return [];
  if (Array.isArray(init)) {
    return (init as ReadonlyArray<readonly [string, string]>).map(([n, v]) => [n, v]);
  }
  return Object.entries(init as Readonly<Record<string, string>>);
}

/**
 * Checks a header field about to be sent: the name must be a token and the value must hold no
 * CR, LF or other control character (header injection), nor a character above U+00FF.
 *
 * @throws {UsageError}
 * @see RFC 7230 §3.2
 */
export function assertHeaderField(name: string, value: string): void {
  if (!isToken(name)) throw new UsageError(`invalid header name ${quoteInput(name)}`);
  if (typeof value !== 'string' || !isSendableValue(value)) {
    throw new UsageError(`invalid value for header ${name}: ${quoteInput(String(value))}`);
  }
}

/** A value with no control character but HTAB and no character above U+00FF (not latin1). */
function isSendableValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0xff) return false;
  }
  return !hasControlChar(value);
}

/**
 * The extra headers of `init`, refusing any whose name is in `reserved` (lower-cased): the
 * headers a handshake message sets itself.
 *
 * @throws {UsageError}
 */
export function extraHeaderFields(
  init: HeaderInit | undefined,
  reserved: ReadonlySet<string>,
): [string, string][] {
  const fields = headerEntries(init);
  for (const [name] of fields) {
    if (reserved.has(name.toLowerCase())) {
      throw new UsageError(
        `header ${quoteInput(name)} is set by the handshake and cannot be overridden`,
      );
    }
  }
  return fields;
}

/**
 * Serializes a head: `startLine`, each field as `name: value`, and the blank line. Every field is
 * checked with {@link assertHeaderField}; the caller checks the start line.
 *
 * @throws {UsageError}
 */
export function encodeHead(
  startLine: string,
  fields: ReadonlyArray<readonly [string, string]>,
): Uint8Array {
  return encodeLatin1(formatHead(startLine, fields));
}

/**
 * {@link encodeHead} as text, one char per byte (latin1): for an I/O layer that can write a string
 * without allocating a buffer for it.
 *
 * @throws {UsageError}
 */
export function formatHead(
  startLine: string,
  fields: ReadonlyArray<readonly [string, string]>,
): string {
  return `${startLine}\r\n${formatFields(fields)}\r\n`;
}

/**
 * Header field lines, each `name: value` and CRLF, checked with {@link assertHeaderField}.
 *
 * @throws {UsageError}
 */
export function formatFields(fields: ReadonlyArray<readonly [string, string]>): string {
  let text = '';
  for (const [name, value] of fields) {
    assertHeaderField(name, value);
    text += `${name}: ${value}\r\n`;
  }
  return text;
}

/** Chars -> bytes 1:1; the caller guarantees every char is at most U+00FF. */
export function encodeLatin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

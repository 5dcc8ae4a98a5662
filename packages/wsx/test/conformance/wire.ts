/**
 * What goes over the wire in the conformance suite, built and checked independently of the code
 * under test: opening handshake requests, HTTP responses, client frame headers, close payloads,
 * and the exact-frame assertion.
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { concat } from '../helpers/frames.js';

/** Opcodes, spelled out here rather than imported from the code under test. */
export const Op = { CONT: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

/** The RFC 6455 §1.3 GUID, independent of the implementation's constant. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for `key`, computed with node:crypto (not wsx's own SHA-1). */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

export const DEFAULT_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

// ---- Requests and responses -------------------------------------------------------------------

export interface RequestSpec {
  readonly method?: string;
  readonly path?: string;
  readonly version?: string;
  /** Header values to set (replacing the default one of that name). */
  readonly set?: Readonly<Record<string, string>>;
  /** Default headers to leave out. */
  readonly drop?: readonly string[];
}

/** An opening handshake request (RFC 6455 §4.1), valid unless `spec` changes it. */
export function upgradeRequest(spec: RequestSpec = {}): string {
  const headers = new Map<string, [string, string]>();
  const put = (name: string, value: string): void => {
    headers.set(name.toLowerCase(), [name, value]);
  };
  put('Host', '127.0.0.1');
  put('Upgrade', 'websocket');
  put('Connection', 'Upgrade');
  put('Sec-WebSocket-Key', DEFAULT_KEY);
  put('Sec-WebSocket-Version', '13');
  for (const name of spec.drop ?? []) headers.delete(name.toLowerCase());
  for (const [name, value] of Object.entries(spec.set ?? {})) put(name, value);
  const lines = [...headers.values()].map(([name, value]) => `${name}: ${value}\r\n`);
  const line = `${spec.method ?? 'GET'} ${spec.path ?? '/'} ${spec.version ?? 'HTTP/1.1'}\r\n`;
  return `${line}${lines.join('')}\r\n`;
}

export interface HttpResponse {
  readonly statusLine: string;
  readonly status: number;
  /** Lower-cased names; repeated fields joined with ', '. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

export function parseHead(head: string): Omit<HttpResponse, 'body'> {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
  assert.ok(match, `not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    assert.ok(colon > 0, `malformed header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  return { statusLine, status: Number(match[1]), headers };
}

// ---- Frames -------------------------------------------------------------------------------------

export interface ReceivedFrame {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  /** The length field's encoding: 7, 16 or 64 bits. */
  readonly lengthBits: 7 | 16 | 64;
  readonly payload: Buffer;
}

/** A frame header announcing `length` bytes of masked payload, with no payload (limits tests). */
export function clientHeader(opcode: number, length: number, fin = true): Uint8Array {
  const head: number[] = [(fin ? 0x80 : 0) | opcode];
  if (length < 126) head.push(0x80 | length);
  else if (length < 65536) head.push(0x80 | 126, length >>> 8, length & 0xff);
  else {
    const high = Math.floor(length / 2 ** 32);
    const low = length >>> 0;
    head.push(0x80 | 127, high >>> 24, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff);
    head.push(low >>> 24, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff);
  }
  return Uint8Array.from([...head, 1, 2, 3, 4]);
}

/** A close payload: the 2-byte code, then the reason bytes. */
export function closePayload(code: number, reason: Uint8Array | string = ''): Uint8Array {
  const r = typeof reason === 'string' ? Buffer.from(reason, 'utf8') : reason;
  return concat([Uint8Array.of(code >>> 8, code & 0xff), r]);
}

// ---- Checking what the server sent ------------------------------------------------------------

/** A frame expected from the server: its opcode and exact payload. */
export type ExpectedFrame = readonly [opcode: number, payload: Uint8Array | string];

/**
 * Asserts that `got` is exactly the unmasked, unfragmented frame `{ opcode, payload }` with the
 * minimal length encoding (RFC 6455 §5.2).
 */
export function assertFrame(got: ReceivedFrame, [opcode, payload]: ExpectedFrame): void {
  const expected = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const bits = expected.length < 126 ? 7 : expected.length < 65536 ? 16 : 64;
  assert.deepEqual(
    {
      fin: got.fin,
      rsv: got.rsv,
      opcode: got.opcode,
      masked: got.masked,
      length: got.payload.length,
      bits: got.lengthBits,
    },
    { fin: true, rsv: 0, opcode, masked: false, length: expected.length, bits },
    'frame header',
  );
  assert.ok(Buffer.from(expected).equals(got.payload), 'frame payload differs');
}

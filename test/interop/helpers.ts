/**
 * Shared pieces of the interop tests: the payloads of the matrix, a wsx server on loopback, an
 * inbox that turns a WebSocket's events into awaitable values (works for wsx and `ws` sockets,
 * which share the event surface), bounded waits, and the rule for tests needing a system package.
 *
 * The library is imported as a user would, from 'wsx' (the built package).
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ServerOptions, type WebSocket, WebSocketServer } from 'wsx';
import { requireSystemPackage } from '../../packages/wsx/test/helpers/system-package.js';
import { within } from '../../packages/wsx/test/helpers/within.js';

export { requireSystemPackage, within };

const fixtures = new URL('../../packages/wsx/test/fixtures/tls/', import.meta.url);

/** The test CA and the server certificate for localhost, 127.0.0.1 and ::1: paths and contents. */
export const tls = {
  caPath: fileURLToPath(new URL('ca.crt', fixtures)),
  certPath: fileURLToPath(new URL('server.crt', fixtures)),
  keyPath: fileURLToPath(new URL('server.key', fixtures)),
  ca: readFileSync(new URL('ca.crt', fixtures)),
  cert: readFileSync(new URL('server.crt', fixtures)),
  key: readFileSync(new URL('server.key', fixtures)),
};

/** Chinese, emoji (astral plane: surrogate pairs in JS, 4 bytes in UTF-8) and ASCII. */
export const TEXT = '你好，世界！WebSocket 测试 😀🎉👨‍👩‍👧 — 再见';

/** Every byte value, so no encoding can pass for binary by accident. */
export const BINARY = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7 + 3) & 0xff));

export const MIB = 1024 * 1024;

/** Exactly 1 MiB of deterministic, non-repeating-looking bytes. */
export function bigBinary(): Buffer {
  const bytes = Buffer.alloc(MIB);
  let x = 0x9e3779b9;
  for (let i = 0; i < MIB; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/**
 * Exactly 1 MiB of text made of 1-, 3- and 4-byte characters (16 bytes per repetition), so
 * multi-byte characters straddle frame, fragment and read boundaries on the way.
 */
export function bigText(): string {
  return 'a中😀b文🎉'.repeat(MIB / 16);
}

/** Raised limit for the 1 MiB cases (the default, 1 MiB, would be exactly at the edge). */
export const MAX_MESSAGE_SIZE = 4 * MIB;

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Waits for one `event` from `emitter`, at most `ms`. Resolves with the event's arguments. */
export function next(emitter: NodeJS.EventEmitter, event: string, ms = 5000): Promise<unknown[]> {
  return within(once(emitter, event), ms, `'${event}'`);
}

/** A standalone wsx server on 127.0.0.1, port 0, closed when the test ends. */
export async function startWsxServer(
  t: TestContext,
  options: Omit<ServerOptions, 'port' | 'server' | 'noServer' | 'host'> = {},
): Promise<{ server: WebSocketServer; url: string; port: number }> {
  const server = new WebSocketServer({ ...options, host: '127.0.0.1', port: 0 });
  t.after(() => within(server.close(), 8000, 'the wsx server to close'));
  await next(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const scheme = options.tls === undefined ? 'ws' : 'wss';
  return { server, url: `${scheme}://127.0.0.1:${address.port}`, port: address.port };
}

/** The next connection a wsx server accepts, with an inbox attached before any frame is read. */
export async function nextConnection(
  server: WebSocketServer,
  ms = 8000,
): Promise<{ ws: WebSocket; req: IncomingMessage; inbox: Inbox }> {
  return within(
    new Promise((resolve) => {
      server.once('connection', (ws: WebSocket, req: IncomingMessage) =>
        resolve({ ws, req, inbox: new Inbox(ws) }),
      );
    }),
    ms,
    'a connection to the wsx server',
  );
}

export interface Received {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** What the socket's 'close' event said (wsx gives the reason as a string, `ws` as a Buffer). */
export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/**
 * Collects a WebSocket's messages and its close: `message(data, isBinary)` and
 * `close(code, reason)`, as both wsx and `ws` emit them. Attach it before the first frame can
 * arrive.
 */
export class Inbox {
  readonly #messages: Received[] = [];
  readonly #waiters: ((message: Received) => void)[] = [];
  readonly closed: Promise<Closed>;

  constructor(socket: NodeJS.EventEmitter) {
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const message = { data: toBuffer(data), isBinary };
      const waiter = this.#waiters.shift();
      if (waiter === undefined) this.#messages.push(message);
      else waiter(message);
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', (code: number, reason: Buffer | string) =>
        resolve({ code, reason: typeof reason === 'string' ? reason : reason.toString('utf8') }),
      );
    });
  }

  /** The next message, at most `ms` away. */
  next(ms = 8000): Promise<Received> {
    const queued = this.#messages.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return within(new Promise<Received>((resolve) => this.#waiters.push(resolve)), ms, 'a message');
  }

  /** How the connection closed, at most `ms` away. */
  close(ms = 8000): Promise<Closed> {
    return within(this.closed, ms, "the socket's close event");
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}

/** Asserts a received message is exactly `expected`: same type, same bytes (no 1 MiB dumps). */
export function assertMessage(received: Received, expected: string | Uint8Array): void {
  const bytes = typeof expected === 'string' ? Buffer.from(expected, 'utf8') : expected;
  assert.equal(received.isBinary, typeof expected !== 'string', 'message type (isBinary)');
  assert.equal(received.data.length, bytes.length, 'message length in bytes');
  if (!received.data.equals(bytes)) {
    const at = received.data.findIndex((byte, i) => byte !== bytes[i]);
    assert.fail(`message differs from the one sent at byte ${at}`);
  }
}

/**
 * What a peer outside this process reports about a message it received (the Python peer and the
 * browser page report the same shape): type, length in bytes, SHA-256, and the data itself
 * (text, or base64 for binary) when it is at most 4 KiB.
 */
export type MessageReport = Readonly<Record<string, unknown>>;

/** Asserts a peer received exactly `expected`. */
export function assertReport(report: MessageReport, expected: string | Uint8Array): void {
  const isText = typeof expected === 'string';
  const bytes = isText ? Buffer.from(expected, 'utf8') : Buffer.from(expected);
  assert.equal(report.type, isText ? 'text' : 'binary', 'message type');
  assert.equal(report.length, bytes.length, 'message length in bytes');
  assert.equal(report.sha256, sha256(bytes), 'SHA-256 of the message');
  if (bytes.length <= 4096) assert.equal(report.data, isText ? expected : bytes.toString('base64'));
}

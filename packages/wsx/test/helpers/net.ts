/**
 * Helpers for tests over real loopback sockets: servers on port 0, raw TCP clients that write
 * exact bytes, TLS fixtures, bounded waits, and the rule for tests that need a system package.
 */

import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import type { ServerOptions } from '../../src/server/options.js';
import { WebSocketServer } from '../../src/server/websocket-server.js';
import { within } from './within.js';

const fixtures = new URL('../fixtures/tls/', import.meta.url);

/** The test CA and the server certificate for localhost, 127.0.0.1 and ::1. */
export const tlsFixtures = {
  ca: readFileSync(new URL('ca.crt', fixtures)),
  cert: readFileSync(new URL('server.crt', fixtures)),
  key: readFileSync(new URL('server.key', fixtures)),
};

export { within };

/**
 * Waits for one `event` from `emitter`, at most `ms`. Resolves with the event's arguments. Unlike
 * `events.once`, an 'error' emitted meanwhile does not reject: tests assert on errors themselves.
 */
export function next(emitter: NodeJS.EventEmitter, event: string, ms = 5000): Promise<unknown[]> {
  const fired = new Promise<unknown[]>((resolve) => {
    emitter.once(event, (...args: unknown[]) => resolve(args));
  });
  return within(fired, ms, `'${event}'`);
}

/**
 * Closes `server` when the test ends. Clients that never answer the close (raw test clients,
 * manual clocks) are dropped after 250 ms of real time rather than the close timeout.
 */
export function closeWhenDone<Data>(t: TestContext, server: WebSocketServer<Data>): void {
  t.after(async () => {
    const stragglers = setTimeout(() => {
      for (const ws of server.clients) ws.terminate();
    }, 250);
    await server.close();
    clearTimeout(stragglers);
  });
}

/**
 * Starts a standalone WebSocketServer on 127.0.0.1, port 0, and closes it when the test ends.
 * Returns the server and its ws:// (or wss://) base URL.
 */
export async function startServer<Data = unknown>(
  t: TestContext,
  options: Omit<ServerOptions<Data>, 'port' | 'server' | 'noServer'> = {},
): Promise<{ server: WebSocketServer<Data>; url: string; port: number }> {
  const server = new WebSocketServer<Data>({ host: '127.0.0.1', ...options, port: 0 });
  closeWhenDone(t, server);
  await next(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const scheme = options.tls === undefined ? 'ws' : 'wss';
  return { server, url: `${scheme}://127.0.0.1:${address.port}`, port: address.port };
}

/** A raw TCP (or TLS) client: write exact bytes, collect everything the server sends. */
export class RawClient {
  readonly socket: Socket;
  #received: Buffer[] = [];
  readonly closed: Promise<void>;
  /** Whether the server ended its side (a FIN). */
  ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.#received.push(chunk));
    socket.once('end', () => {
      this.ended = true;
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(port: number, options: { tls?: boolean } = {}): Promise<RawClient> {
    const socket = options.tls
      ? tlsConnect({ host: '127.0.0.1', port, ca: tlsFixtures.ca, servername: 'localhost' })
      : netConnect({ host: '127.0.0.1', port });
    await next(socket, options.tls ? 'secureConnect' : 'connect');
    return new RawClient(socket);
  }

  /** Everything received so far. */
  get received(): Buffer {
    return Buffer.concat(this.#received);
  }

  write(data: Uint8Array | string): void {
    this.socket.write(data);
  }

  /** Waits until the received bytes satisfy `test`, at most `ms`. */
  async waitFor(test: (received: Buffer) => boolean, ms = 5000, what = 'data'): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (!test(this.received)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; got ${JSON.stringify(this.received.toString('latin1'))}`,
        );
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.received;
  }

  /** Waits for the server to close the connection, at most `ms`. */
  async waitClosed(ms = 5000): Promise<Buffer> {
    await within(this.closed, ms, 'the server to close the connection');
    return this.received;
  }

  /** Sends a valid opening handshake and waits for the 101; returns the bytes after the head. */
  async handshake(path = '/', extraHeaders = ''): Promise<Buffer> {
    this.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`,
    );
    const data = await this.waitFor((r) => r.includes('\r\n\r\n'), 5000, 'the handshake response');
    const end = data.indexOf('\r\n\r\n') + 4;
    const head = data.subarray(0, end).toString('latin1');
    if (!head.startsWith('HTTP/1.1 101')) throw new Error(`handshake failed: ${head}`);
    this.#received = [data.subarray(end)];
    return data.subarray(end);
  }

  /** Forgets what was received so far. */
  clear(): void {
    this.#received = [];
  }

  destroy(): void {
    this.socket.destroy();
  }
}

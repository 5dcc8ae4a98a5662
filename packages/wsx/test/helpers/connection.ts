/** Helpers for driving sans-I/O connections in tests: no sockets, bytes in and out. */

import { Connection, type ConnectionOptions, SEND_EOF } from '../../src/core/connection.js';
import type { ConnectionEvent } from '../../src/core/events.js';
import { concat, counterRandom } from './frames.js';

export function server(options: Partial<ConnectionOptions> = {}): Connection {
  return new Connection({ role: 'server', ...options });
}

export function client(options: Partial<ConnectionOptions> = {}): Connection {
  return new Connection({ role: 'client', random: counterRandom(), ...options });
}

/** What a connection wants to send: its bytes joined, and whether it asked to half-close. */
export function output(conn: Connection): { bytes: Uint8Array; eof: boolean } {
  const chunks = conn.dataToSend();
  const eof = chunks.includes(SEND_EOF);
  return { bytes: concat(chunks.filter((c) => c !== SEND_EOF)), eof };
}

/** Events as plain comparable values (text decoded, binary as hex). */
export function summarize(events: readonly ConnectionEvent[]): unknown[] {
  const decoder = new TextDecoder();
  return events.map((e) => {
    switch (e.type) {
      case 'text':
        return ['text', decoder.decode(e.data)];
      case 'binary':
      case 'ping':
      case 'pong':
        return [e.type, Buffer.from(e.data).toString('hex')];
      case 'close':
        return ['close', e.code, e.reason];
      default:
        return ['error', e.error.code, e.error.closeCode];
    }
  });
}

/** Feeds chunks (each a fresh copy) and returns the summarized events. */
export function feed(conn: Connection, chunks: readonly Uint8Array[]): unknown[] {
  for (const c of chunks) conn.receiveData(c.slice());
  return summarize(conn.eventsReceived());
}

/**
 * A client and a server wired to each other in memory. `pump` moves bytes both ways until both
 * are quiet, optionally re-chunking the byte stream with `chunk`.
 */
export function connectionPair(
  options: { client?: Partial<ConnectionOptions>; server?: Partial<ConnectionOptions> } = {},
) {
  const c = client(options.client);
  const s = server(options.server);
  const received = { client: [] as ConnectionEvent[], server: [] as ConnectionEvent[] };
  /** Whether each side has received the other's end of stream. */
  const eof = { client: false, server: false };
  function move(
    from: Connection,
    to: Connection,
    side: 'client' | 'server',
    chunk?: (d: Uint8Array) => Uint8Array[],
  ): boolean {
    const chunks = from.dataToSend();
    if (chunks.length === 0) return false;
    for (const data of chunks) {
      if (data === SEND_EOF) {
        to.receiveEof();
        eof[side] = true;
        continue;
      }
      for (const piece of chunk ? chunk(data) : [data]) to.receiveData(piece.slice());
    }
    received[side].push(...to.eventsReceived());
    return true;
  }
  return {
    client: c,
    server: s,
    received,
    eof,
    pump(chunk?: (d: Uint8Array) => Uint8Array[]): void {
      for (let i = 0; i < 1000; i++) {
        const a = move(c, s, 'server', chunk);
        const b = move(s, c, 'client', chunk);
        if (!a && !b) return;
      }
      throw new Error('connections never went quiet');
    },
  };
}

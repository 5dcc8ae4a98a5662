/**
 * Seeing compression on the wire, for the permessage-deflate interop tests.
 *
 * A {@link WireTap} is a TCP relay on 127.0.0.1 (port 0) placed between a peer and the server:
 * the client connects to the tap, which forwards every byte unchanged and reads, in each
 * direction, the HTTP head and then the WebSocket frame headers (FIN, RSV1, opcode, payload
 * length; payloads are skipped, not copied). RSV1 on a message's first frame is the RFC 7692
 * "Per-Message Compressed" bit, and the payload lengths are the bytes that really crossed the
 * wire, so a test can tell, for every message and independently of both peers' own reports,
 * whether it was compressed and how small it got. Works the same for Chromium, Python and `ws`,
 * and for either side being wsx.
 *
 * The payloads: large JSON-like text (Chinese and emoji included) that deflate shrinks several
 * times over, random bytes it cannot shrink, and a small "probe" message sent twice in a row,
 * whose second copy shows whether context takeover is in force (with the LZ77 window kept, the
 * copy is a few back-references; without, it costs as much as the first).
 */

import assert from 'node:assert/strict';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import type { TestContext } from 'node:test';
import { next, within } from './helpers.js';

/** One frame header as seen on the wire. */
export interface WireFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly opcode: number;
  /** Payload bytes on the wire (compressed size when RSV1 is set). */
  readonly length: number;
}

/** One data message: its frames folded together. */
export interface WireMessage {
  readonly type: 'text' | 'binary';
  /** RSV1 on the first frame: the message was compressed (RFC 7692 §6). */
  readonly compressed: boolean;
  /** Payload bytes on the wire over all its frames. */
  readonly wireLength: number;
  readonly frames: number;
}

/** What one direction of a tapped connection carried. */
export class WireDirection {
  /** The HTTP request or response head, without the blank line. */
  head = '';
  readonly frames: WireFrame[] = [];
  #pending: Buffer = Buffer.alloc(0);
  #skip = 0;
  #inHead = true;

  push(chunk: Buffer): void {
    let data = chunk;
    while (data.length > 0) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, data.length);
        this.#skip -= n;
        data = data.subarray(n);
        continue;
      }
      const buffer = this.#pending.length > 0 ? Buffer.concat([this.#pending, data]) : data;
      this.#pending = Buffer.alloc(0);
      if (this.#inHead) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) {
          this.#pending = Buffer.from(buffer);
          return;
        }
        this.head = buffer.subarray(0, end).toString('latin1');
        this.#inHead = false;
        data = buffer.subarray(end + 4);
        continue;
      }
      const parsed = readFrameHeader(buffer);
      if (parsed === null) {
        this.#pending = Buffer.from(buffer);
        return;
      }
      this.frames.push(parsed.frame);
      this.#skip = parsed.frame.length;
      data = buffer.subarray(parsed.size);
    }
  }

  /** A header of the head (case-insensitive name), or null. */
  header(name: string): string | null {
    const wanted = name.toLowerCase();
    for (const line of this.head.split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === wanted) {
        return line.slice(colon + 1).trim();
      }
    }
    return null;
  }

  /** The data messages, in order (control frames left out). */
  messages(): WireMessage[] {
    const out: WireMessage[] = [];
    let current: {
      type: 'text' | 'binary';
      compressed: boolean;
      wire: number;
      frames: number;
    } | null = null;
    for (const frame of this.frames) {
      if (frame.opcode >= 8) continue;
      if (frame.opcode !== 0) {
        current = {
          type: frame.opcode === 1 ? 'text' : 'binary',
          compressed: frame.rsv1,
          wire: 0,
          frames: 0,
        };
      }
      if (current === null) throw new Error('continuation frame without a message on the wire');
      current.wire += frame.length;
      current.frames += 1;
      if (frame.fin) {
        out.push({
          type: current.type,
          compressed: current.compressed,
          wireLength: current.wire,
          frames: current.frames,
        });
        current = null;
      }
    }
    return out;
  }
}

function readFrameHeader(buffer: Buffer): { frame: WireFrame; size: number } | null {
  if (buffer.length < 2) return null;
  const b0 = buffer[0]!;
  const b1 = buffer[1]!;
  let length = b1 & 0x7f;
  let size = 2;
  if (length === 126) {
    if (buffer.length < 4) return null;
    length = buffer.readUInt16BE(2);
    size = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return null;
    length = Number(buffer.readBigUInt64BE(2));
    size = 10;
  }
  if ((b1 & 0x80) !== 0) size += 4; // masking key
  if (buffer.length < size) return null;
  return {
    frame: { fin: (b0 & 0x80) !== 0, rsv1: (b0 & 0x40) !== 0, opcode: b0 & 0x0f, length },
    size,
  };
}

/** One relayed TCP connection: what went towards the server and towards the client. */
export interface TappedConnection {
  readonly toServer: WireDirection;
  readonly toClient: WireDirection;
}

/** A relay on 127.0.0.1 to `127.0.0.1:targetPort` that reads the frames it forwards. */
export class WireTap {
  readonly connections: TappedConnection[] = [];
  readonly port: number;

  private constructor(port: number) {
    this.port = port;
  }

  /** Starts a tap in front of `targetPort`; it stops, and ends its connections, when `t` ends. */
  static async start(t: TestContext, targetPort: number): Promise<WireTap> {
    const sockets = new Set<Socket>();
    const track = (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    };
    let tap: WireTap | null = null;
    const relay = createServer((client) => {
      const upstream = tcpConnect(targetPort, '127.0.0.1');
      track(client);
      track(upstream);
      const connection = { toServer: new WireDirection(), toClient: new WireDirection() };
      tap!.connections.push(connection);
      forward(client, upstream, connection.toServer);
      forward(upstream, client, connection.toClient);
    });
    t.after(async () => {
      const closed = new Promise((resolve) => relay.close(resolve));
      for (const socket of sockets) socket.destroy();
      await within(closed, 5000, 'the wire tap to close');
    });
    await next(relay.listen(0, '127.0.0.1'), 'listening');
    const address = relay.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    tap = new WireTap(address.port);
    return tap;
  }

  /** The only connection relayed so far. */
  only(): TappedConnection {
    assert.equal(this.connections.length, 1, 'connections through the wire tap');
    return this.connections[0]!;
  }
}

/** Copies `from` into `to`, reading frames on the way, with backpressure and half-close. */
function forward(from: Socket, to: Socket, direction: WireDirection): void {
  from.on('data', (chunk: Buffer) => {
    direction.push(chunk);
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
  from.on('error', () => to.destroy());
  from.on('close', () => {
    if (!to.writableEnded) to.end();
  });
}

// ---- payloads ----------------------------------------------------------------------------------

/** A deterministic 32-bit xorshift generator. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const WORDS = [
  '你好',
  '世界',
  '消息',
  '压缩',
  '测试',
  '服务器',
  '客户端',
  '再见',
  '😀',
  '🎉',
  '👨‍👩‍👧',
  '🚀',
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'websocket',
  'deflate',
];

/**
 * JSON text of about `bytes` UTF-8 bytes: an array of records with ids, numbers, Chinese and
 * emoji words. Repetitive in structure, random in detail, as chat or API traffic is: deflate
 * shrinks it 3 to 5 times, and no long stretch repeats exactly inside a message.
 */
export function jsonText(bytes: number, seed: number): string {
  const random = xorshift(seed);
  const records: string[] = [];
  let size = 2;
  while (size < bytes) {
    const words = Array.from({ length: 3 + (random() % 6) }, () => WORDS[random() % WORDS.length]);
    const record = JSON.stringify({
      id: random(),
      user: `user-${random() % 5000}`,
      room: `房间-${random() % 64}`,
      text: words.join(' '),
      score: (random() % 100_000) / 100,
      tags: [WORDS[random() % WORDS.length], WORDS[random() % WORDS.length]],
      read: random() % 2 === 0,
    });
    records.push(record);
    size += Buffer.byteLength(record, 'utf8') + 1;
  }
  return `[${records.join(',')}]`;
}

/** `length` random-looking bytes, deterministic: deflate cannot shrink them. */
export function noise(length: number, seed: number): Buffer {
  const random = xorshift(seed);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i += 4) bytes.writeUInt32LE(random(), i);
  return bytes;
}

/**
 * What is sent each way, in this order (see {@link checkRun}): 200 KiB of JSON text, 100 KiB of
 * random bytes, a 3 KiB JSON probe twice (it fits a 4 KiB window, the smallest Python's server
 * asks for, not a 1 KiB one), 200 KiB of other JSON text.
 */
export const RUN: readonly (string | Buffer)[] = (() => {
  const probe = jsonText(3 * 1024, 2);
  return [jsonText(200 * 1024, 1), noise(100 * 1024, 7), probe, probe, jsonText(200 * 1024, 3)];
})();

/**
 * How the sender's LZ77 window is expected to carry over between messages: 'kept' (context
 * takeover with a window of 12 bits or more), 'reset' (no context takeover) or 'small' (context
 * takeover with a window of 10 bits or less: too small to reach back over the 3 KiB probe).
 */
export type Takeover = 'kept' | 'reset' | 'small';

/**
 * Checks {@link RUN} as it crossed the wire in one direction, starting at message `from`: every
 * text message was compressed and went over in well under half its size; the random bytes were
 * not inflated by more than deflate's stored-block overhead; and the repeated probe shows the
 * context takeover agreed: a few bytes when the window was kept, the same size as the first copy
 * when it was reset, most of it when the window is too small to reach back.
 */
export function checkRun(
  direction: WireDirection,
  takeover: Takeover,
  what: string,
  from = 0,
): WireMessage[] {
  const messages = direction.messages().slice(from, from + RUN.length);
  assert.equal(messages.length, RUN.length, `${what}: messages on the wire`);
  for (const [i, payload] of RUN.entries()) {
    const message = messages[i]!;
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    assert.equal(message.type, typeof payload === 'string' ? 'text' : 'binary', `${what} #${i}`);
    if (typeof payload === 'string') {
      assert.ok(message.compressed, `${what} #${i}: RSV1 set (compressed)`);
      if (i !== 3) {
        assert.ok(
          message.wireLength < size / 2,
          `${what} #${i}: ${message.wireLength} bytes on the wire for ${size}, expected < ${size / 2}`,
        );
      }
    } else {
      assert.ok(
        message.wireLength <= size * 1.05 + 64,
        `${what} #${i}: ${message.wireLength} bytes on the wire for ${size} random bytes`,
      );
    }
  }
  const first = messages[2]!.wireLength;
  const again = messages[3]!.wireLength;
  const note = `${what}: the repeated probe took ${again} bytes, the first ${first}`;
  if (takeover === 'kept') assert.ok(again < first / 8, `${note} (context takeover expected)`);
  else if (takeover === 'reset') assert.ok(again > first * 0.9, `${note} (no context takeover)`);
  else assert.ok(again > first / 2 && again < first * 1.1, `${note} (small window)`);
  return messages;
}

/** Checks that no data message in this direction was compressed (RSV1 clear on every one). */
export function checkUncompressed(direction: WireDirection, what: string): void {
  const messages = direction.messages();
  assert.ok(messages.length > 0, `${what}: messages on the wire`);
  for (const [i, message] of messages.entries()) {
    assert.equal(message.compressed, false, `${what} #${i}: RSV1 clear (not compressed)`);
  }
}

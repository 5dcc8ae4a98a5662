/**
 * The driver over the in-memory transport, with the manual clock: reading and dispatch, output
 * batching, the bounds on what a connection holds (ping floods, slow consumers, the memory
 * budget), inflation in slices, the close linger, and the one failure path for handlers.
 * No sockets; time moves only when a test moves it.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constants, deflateRawSync } from 'node:zlib';
import { ServerCompression } from '../../src/websocket/compression.js';
import { CLOSE_LINGER, INFLATE_SLICE } from '../../src/websocket/driver.js';
import { Flag } from '../../src/websocket/driver-state.js';
import { MemoryBudget } from '../../src/websocket/memory-budget.js';
import { settle } from '../helpers/clock.js';
import { clientFrame, concat } from '../helpers/frames.js';
import { type Bound, boundServer } from '../helpers/memory.js';

/** Frames the peer received, parsed (server frames: unmasked). */
function framesOf(bytes: Buffer): { opcode: number; payload: Buffer }[] {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const b1 = bytes[at + 1]! & 0x7f;
    let length = b1;
    let head = 2;
    if (b1 === 126) {
      length = bytes.readUInt16BE(at + 2);
      head = 4;
    } else if (b1 === 127) {
      length = Number(bytes.readBigUInt64BE(at + 2));
      head = 10;
    }
    if (at + head + length > bytes.length) break;
    frames.push({
      opcode: bytes[at]! & 0x0f,
      payload: bytes.subarray(at + head, at + head + length),
    });
    at += head + length;
  }
  return frames;
}

function closeCodeOf(b: Bound): number | undefined {
  const close = framesOf(b.received()).find((f) => f.opcode === 8);
  return close === undefined ? undefined : close.payload.readUInt16BE(0);
}

/** RFC 7692 §7.2.1: DEFLATE with a sync flush, the trailing 00 00 ff ff removed. */
function compress(data: Uint8Array): Uint8Array {
  return deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
}

describe('driver: reading and writing', () => {
  it('dispatches each read and answers with one write per read', async () => {
    const b = boundServer({
      handlers: { message: (ws, data) => void ws.send(`echo:${data}`) },
    });
    let writes = 0;
    b.peer.on('data', () => writes++);
    b.peer.write(
      concat([
        clientFrame({ opcode: 1, payload: 'a' }),
        clientFrame({ opcode: 1, payload: 'b' }),
        clientFrame({ opcode: 9, payload: 'p' }),
      ]),
    );
    await settle();
    const frames = framesOf(b.received()).map((f) => [f.opcode, String(f.payload)]);
    // The core answers the ping while parsing; the handler's echoes follow.
    assert.deepEqual(frames, [
      [10, 'p'],
      [1, 'echo:a'],
      [1, 'echo:b'],
    ]);
    assert.equal(writes, 1, 'three answers, one write');
  });

  it('sends made outside a read are batched per tick', async () => {
    const b = boundServer();
    let writes = 0;
    b.peer.on('data', () => writes++);
    for (let i = 0; i < 10; i++) b.ws.send(`m${i}`);
    await settle();
    assert.equal(framesOf(b.received()).length, 10);
    assert.equal(writes, 1);
  });
});

describe('driver: what a connection may hold', () => {
  // Regression, issue 11 #2 (ping flood): a client that sends pings and never reads made the
  // server queue pongs without limit (+1 GiB in 8 s). Pongs count like any output: past
  // maxBackpressure the server stops reading from that peer, and closes it with 1008 when it
  // stays there for backpressureTimeout.
  it('regression: a peer that sends pings and never reads stops being read; 1008 after the timeout', async () => {
    const maxBackpressure = 64 * 1024;
    const b = boundServer({ maxBackpressure, backpressureTimeout: 5_000, pingInterval: 0 });
    b.peer.pause(); // never reads
    const ping = clientFrame({ opcode: 9, payload: 'x'.repeat(125) });
    const burst = concat(Array.from({ length: 100 }, () => ping)); // 13,100 bytes of pings
    for (let i = 0; i < 200; i++) {
      b.peer.write(burst); // 20,000 pings in all: 2.7 MB of pongs if all were answered
      await settle(1);
    }
    await settle();
    assert.equal(b.transport.isPaused(), true, 'the server stopped reading');
    assert.ok(b.driver.has(Flag.OUTPUT_BLOCKED));
    const held = b.driver.bufferedAmount;
    assert.ok(held <= maxBackpressure + 16 * 1024, `holds ${held} bytes`);
    await b.clock.advance(6_000);
    assert.equal(b.driver.connection?.closeSent?.code, 1008);
    b.peer.resume(); // reading again: the pongs, then the close frame
    await settle();
    assert.equal(closeCodeOf(b), 1008);
  });

  it('reading resumes once the peer has read what was buffered', async () => {
    const b = boundServer({ maxBackpressure: 16 * 1024, pingInterval: 0 });
    const got: string[] = [];
    b.ws.on('message', (data) => got.push(String(data)));
    b.peer.pause();
    b.ws.send('x'.repeat(40 * 1024));
    b.peer.write(clientFrame({ opcode: 9, payload: 'p' }));
    await settle();
    assert.equal(b.transport.isPaused(), true);
    b.peer.write(clientFrame({ opcode: 1, payload: 'later' }));
    await settle();
    assert.deepEqual(got, [], 'not read while blocked');
    b.peer.resume();
    await settle();
    assert.equal(b.transport.isPaused(), false);
    assert.deepEqual(got, ['later']);
  });

  it('past backpressureLimit, the connection closes with 1008 at once', async () => {
    const b = boundServer({ backpressureLimit: 100_000, maxBackpressure: 10_000 });
    b.peer.pause();
    b.ws.send('x'.repeat(60_000));
    b.ws.send('x'.repeat(60_000));
    await settle();
    assert.equal(b.driver.connection?.closeSent?.code, 1008);
    assert.match(b.driver.connection?.closeSent?.reason ?? '', /slow consumer/);
  });

  // Regression, issue 11 #3 (no server-wide memory budget): eight non-reading clients took a
  // server from 52 to 656 MiB. The budget bounds their sum: the largest holders are shed.
  it('regression: the memory budget sheds the connections holding the most', async () => {
    const budget = new MemoryBudget(1024 * 1024);
    const peers = Array.from({ length: 6 }, () =>
      boundServer({ budget, maxBackpressure: 8 << 20, backpressureLimit: 64 << 20 }),
    );
    for (const b of peers) b.peer.pause();
    // The first is the largest: it is the one shed when the total passes the budget.
    for (const [i, b] of peers.entries()) b.ws.send(Buffer.alloc(250_000 - i * 10_000));
    await settle();
    assert.ok(budget.used <= budget.limit, `${budget.used} bytes held`);
    assert.ok(budget.shedCount >= 1);
    const shed = peers.filter((b) => b.transport.destroyed);
    assert.ok(shed.length >= 1);
    assert.equal(peers[0]!.transport.destroyed, true, 'the largest went first');
    assert.equal(peers[5]!.transport.destroyed, false);
    await settle();
    for (const b of shed) assert.equal(b.ws.readyState, 3);
  });
});

describe('driver: inflation in slices', () => {
  // Regression, issue 11 #4: one 16 KB message inflating to 16 MiB cost 110 ms of synchronous
  // zlib and held every other client. It is inflated at most INFLATE_SLICE per turn.
  it('regression: a message that inflates to 4 MiB is inflated over several turns, not one', async () => {
    const compression = new ServerCompression(true).connection(
      {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 15,
        clientMaxWindowBits: 15,
      },
      'permessage-deflate',
    );
    const sizes: number[] = [];
    const b = boundServer({
      compression,
      maxMessageSize: 8 << 20,
      handlers: { message: (_ws, data) => void sizes.push(data.length) },
    });
    const big = compress(new Uint8Array(4 << 20));
    b.peer.write(clientFrame({ opcode: 2, rsv: 4, payload: big }));
    let turns = 0;
    while (sizes.length === 0 && turns < 100) {
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    assert.deepEqual(sizes, [4 << 20]);
    assert.ok(turns >= (4 << 20) / INFLATE_SLICE / 2, `inflated in ${turns} turns`);
  });
});

describe('driver: closing', () => {
  // Regression, issue 11 #8: a client that answered the close frame but kept its TCP end open
  // held a graceful shutdown for the whole closeTimeout. Once the closing handshake is done and
  // the server's end is closed, the peer has CLOSE_LINGER to close its own.
  it('regression: after the closing handshake, a peer that keeps its end open is dropped after the linger', async () => {
    const b = boundServer({ closeTimeout: 60_000 });
    let closed = false;
    b.ws.on('close', () => {
      closed = true;
    });
    b.peer.allowHalfOpen = true; // a peer that keeps its end open after ours is closed
    b.ws.close(1001, 'bye');
    await settle();
    // The peer answers the close frame, but does not end its side.
    b.peer.write(clientFrame({ opcode: 8, payload: Uint8Array.of(0x03, 0xe9) }));
    await settle();
    assert.equal(closed, false);
    await b.clock.advance(CLOSE_LINGER - 1);
    assert.equal(closed, false, 'not before the linger');
    await b.clock.advance(1);
    assert.equal(closed, true, 'after the linger, not the close timeout');
  });

  it('without an answer, the close timeout applies', async () => {
    const b = boundServer({ closeTimeout: 5_000 });
    let closed = false;
    b.ws.on('close', () => {
      closed = true;
    });
    b.ws.close();
    await settle();
    await b.clock.advance(4_999);
    assert.equal(closed, false);
    await b.clock.advance(1);
    assert.equal(closed, true);
  });
});

describe('driver: one failure path for handlers', () => {
  for (const [what, handlers] of [
    [
      'a message handler that throws',
      {
        message: () => {
          throw new Error('boom');
        },
      },
    ],
    [
      'an async message handler that rejects',
      {
        message: async () => {
          throw new Error('boom');
        },
      },
    ],
    [
      'a ping handler that throws',
      {
        ping: () => {
          throw new Error('boom');
        },
      },
    ],
  ] as const) {
    it(`${what}: reported once, and 1011 at once`, async () => {
      const errors: Error[] = [];
      const b = boundServer({
        handlers: { ...handlers, error: (_ws, error) => void errors.push(error) },
      });
      b.peer.write(
        concat([
          clientFrame({ opcode: what.includes('ping') ? 9 : 1, payload: 'x' }),
          clientFrame({ opcode: 1, payload: 'not delivered' }),
        ]),
      );
      await settle();
      assert.deepEqual(
        errors.map((e) => e.message),
        ['boom'],
      );
      assert.equal(closeCodeOf(b), 1011);
    });
  }
});

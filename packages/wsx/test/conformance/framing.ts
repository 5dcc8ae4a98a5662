/** RFC 6455 §5.2-§5.4: base framing and fragmentation (Autobahn cases 1, 3, 4, 5). */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientFrame, concat, frame, hex } from '../helpers/frames.js';
import { startEcho, type Transport } from './harness.js';
import { Op } from './wire.js';

/** `n` bytes of printable ASCII (valid UTF-8 whatever the length), varying so offsets matter. */
function ascii(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = 0x21 + ((i * 7) % 94);
  return out;
}

/** `n` bytes of every value. */
function binary(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >>> 8)) & 0xff;
  return out;
}

const LENGTHS = [0, 125, 126, 127, 65535, 65536, 3 * 1024 * 1024 + 5];

/** A client frame whose length field is 16 or 64 bits whatever the payload (non-minimal). */
function nonMinimal(payload: string, lengthBits: 16 | 64): Uint8Array {
  return frame({ opcode: Op.TEXT, payload, lengthBits, mask: [0x37, 0xfa, 0x21, 0x3d] });
}

interface Violation {
  readonly name: string;
  readonly bytes: Uint8Array;
}

const VIOLATIONS: readonly Violation[] = [
  ...[1, 2, 4, 7].map((rsv) => ({
    name: `RSV=${rsv} on a text frame`,
    bytes: clientFrame({ opcode: Op.TEXT, rsv, payload: 'x' }),
  })),
  { name: 'RSV1 on a ping', bytes: clientFrame({ opcode: Op.PING, rsv: 4, payload: 'x' }) },
  ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((opcode) => ({
    name: `reserved opcode ${opcode}`,
    bytes: clientFrame({ opcode, payload: 'x' }),
  })),
  {
    name: 'an unmasked client frame',
    bytes: frame({ opcode: Op.TEXT, payload: 'unmasked', mask: null }),
  },
  {
    name: 'a continuation with no message to continue',
    bytes: clientFrame({ opcode: Op.CONT, payload: 'orphan' }),
  },
  {
    name: 'a text frame inside a fragmented message',
    bytes: concat([
      clientFrame({ opcode: Op.TEXT, fin: false, payload: 'one' }),
      clientFrame({ opcode: Op.TEXT, payload: 'two' }),
    ]),
  },
  {
    name: 'a binary frame inside a fragmented text message',
    bytes: concat([
      clientFrame({ opcode: Op.TEXT, fin: false, payload: 'one' }),
      clientFrame({ opcode: Op.BINARY, payload: 'two' }),
    ]),
  },
  { name: 'a 16-bit length below 126', bytes: nonMinimal('short', 16) },
  { name: 'a 64-bit length below 65536', bytes: nonMinimal('short', 64) },
  {
    name: 'a 64-bit length with the top bit set',
    bytes: hex('81 ff 80 00 00 00 00 00 00 05 37 fa 21 3d'),
  },
];

export function framingCases(transport: Transport): void {
  describe('§5.2-§5.4 framing', () => {
    for (const [opcode, kind, make] of [
      [Op.TEXT, 'text', ascii],
      [Op.BINARY, 'binary', binary],
    ] as const) {
      it(`echoes ${kind} messages of ${LENGTHS.join(', ')} bytes`, async (t) => {
        const h = await startEcho(t, transport, { maxMessageSize: 4 * 1024 * 1024 });
        const peer = await h.connect();
        for (const n of LENGTHS) {
          const payload = make(n);
          peer.send(clientFrame({ opcode, payload }));
          await peer.expectFrame(opcode, payload);
        }
      });
    }

    it('parses frames written one byte at a time', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      const small = clientFrame({ opcode: Op.TEXT, payload: 'Hello, wsx' });
      const medium = clientFrame({ opcode: Op.BINARY, payload: binary(300) });
      const ping = clientFrame({ opcode: Op.PING, payload: 'ping!' });
      await peer.sendSlowly(concat([small, medium, ping]), 1);
      await peer.expectFrame(Op.TEXT, 'Hello, wsx');
      await peer.expectFrame(Op.BINARY, binary(300));
      await peer.expectFrame(Op.PONG, 'ping!');
      // A 64-bit length: the 14-byte header one byte at a time, then the payload in pieces.
      const large = clientFrame({ opcode: Op.TEXT, payload: ascii(70_000) });
      await peer.sendSlowly(large.subarray(0, 20), 1);
      await peer.sendSlowly(large.subarray(20), 7001);
      await peer.expectFrame(Op.TEXT, ascii(70_000));
    });

    it('parses several frames written at once, answering each in order', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(
        clientFrame({ opcode: Op.TEXT, payload: 'first' }),
        clientFrame({ opcode: Op.PING, payload: 'between' }),
        clientFrame({ opcode: Op.BINARY, payload: binary(200) }),
        clientFrame({ opcode: Op.TEXT, payload: '' }),
        ...Array.from({ length: 10 }, (_, i) => clientFrame({ opcode: Op.PING, payload: `p${i}` })),
      );
      await peer.expectFramesPongsAnywhere([
        [Op.TEXT, 'first'],
        [Op.PONG, 'between'],
        [Op.BINARY, binary(200)],
        [Op.TEXT, ''],
        ...Array.from({ length: 10 }, (_, i) => [Op.PONG, `p${i}`] as const),
      ]);
    });

    it('reassembles fragmented text and binary messages (§5.4)', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(
        clientFrame({ opcode: Op.TEXT, fin: false, payload: 'frag' }),
        clientFrame({ opcode: Op.CONT, fin: false, payload: 'men' }),
        clientFrame({ opcode: Op.CONT, fin: true, payload: 'ted' }),
      );
      await peer.expectFrame(Op.TEXT, 'fragmented');
      // Many fragments, some empty (Autobahn 5.18-5.20 style), each in its own write.
      const pieces = [binary(0), binary(1), binary(0), binary(1000), binary(70_000), binary(0)];
      for (let i = 0; i < pieces.length; i++) {
        const last = i === pieces.length - 1;
        peer.send(
          clientFrame({ opcode: i === 0 ? Op.BINARY : Op.CONT, fin: last, payload: pieces[i]! }),
        );
      }
      await peer.expectFrame(Op.BINARY, concat(pieces));
      // A message of empty fragments only.
      peer.send(
        clientFrame({ opcode: Op.TEXT, fin: false }),
        clientFrame({ opcode: Op.CONT, fin: false }),
        clientFrame({ opcode: Op.CONT, fin: true }),
      );
      await peer.expectFrame(Op.TEXT, '');
    });

    it('answers a ping between fragments before the message completes (§5.4)', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(
        clientFrame({ opcode: Op.TEXT, fin: false, payload: 'before ' }),
        clientFrame({ opcode: Op.PING, payload: 'in between' }),
      );
      await peer.expectFrame(Op.PONG, 'in between');
      await peer.expectQuiet(); // the message is not complete: nothing else comes back
      peer.send(clientFrame({ opcode: Op.CONT, fin: false, payload: 'and ' }));
      peer.send(clientFrame({ opcode: Op.PONG, payload: 'unsolicited' }));
      peer.send(clientFrame({ opcode: Op.CONT, fin: true, payload: 'after' }));
      await peer.expectFrame(Op.TEXT, 'before and after');
    });

    it('reassembles text split inside multi-byte characters', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      const text = Buffer.from('a€b😀c你好', 'utf8'); // € is 3 bytes, 😀 4, 你 3
      // Cut after 'a' + 2 bytes of €, inside 😀 (after 1 and after 3 of its bytes), inside 你.
      const cuts = [0, 3, 6, 8, 12];
      const fragments = cuts.map((c, i) => text.subarray(c, cuts[i + 1] ?? text.length));
      peer.send(
        ...fragments.map((payload, i) =>
          clientFrame({
            opcode: i === 0 ? Op.TEXT : Op.CONT,
            fin: i === fragments.length - 1,
            payload,
          }),
        ),
      );
      await peer.expectFrame(Op.TEXT, 'a€b😀c你好');
      // The same split across writes rather than frames: one frame, written a byte at a time.
      await peer.sendSlowly(clientFrame({ opcode: Op.TEXT, payload: text }), 1);
      await peer.expectFrame(Op.TEXT, text);
      // Large pieces (validated natively up to the last whole character), cut mid-character.
      const long = Buffer.from('€😀'.repeat(10_000), 'utf8'); // 70 000 bytes
      peer.send(
        clientFrame({ opcode: Op.TEXT, fin: false, payload: long.subarray(0, 1001) }),
        clientFrame({ opcode: Op.CONT, fin: false, payload: long.subarray(1001, 40_002) }),
        clientFrame({ opcode: Op.CONT, fin: true, payload: long.subarray(40_002) }),
      );
      await peer.expectFrame(Op.TEXT, long);
      await peer.sendSlowly(clientFrame({ opcode: Op.TEXT, payload: long }), 7001);
      await peer.expectFrame(Op.TEXT, long);
    });

    for (const violation of VIOLATIONS) {
      it(`fails the connection with 1002 on ${violation.name}`, async (t) => {
        const h = await startEcho(t, transport);
        const peer = await h.connect();
        peer.send(clientFrame({ opcode: Op.TEXT, payload: 'ok' }));
        await peer.expectFrame(Op.TEXT, 'ok');
        // The violation, then a ping that must not be answered: input stops at the violation.
        peer.send(violation.bytes, clientFrame({ opcode: Op.PING, payload: 'ignored' }));
        await peer.expectClose(1002);
      });
    }

    // Autobahn 3.2-3.4, 4.1.3-4.2.5, 5.15 (strict): a message that arrived complete before a
    // violation is delivered, and its echo goes out before the close frame.
    for (const violation of VIOLATIONS.filter((v) => !v.name.includes('inside'))) {
      it(`echoes a valid message, then fails with 1002, on a message and ${violation.name} in one write`, async (t) => {
        const h = await startEcho(t, transport);
        const peer = await h.connect();
        peer.send(
          clientFrame({ opcode: Op.TEXT, payload: 'Hello, world!' }),
          violation.bytes,
          clientFrame({ opcode: Op.PING }),
        );
        await peer.expectFrame(Op.TEXT, 'Hello, world!');
        await peer.expectClose(1002);
      });
    }

    it('fails with 1002 on a violation that arrives one byte at a time', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      await peer.sendSlowly(nonMinimal('short', 64), 1);
      await peer.expectClose(1002);
    });

    it('sends nothing but the close frame after a violation in the same write', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(clientFrame({ opcode: 5 }), clientFrame({ opcode: Op.TEXT, payload: 'late' }));
      const reason = await peer.expectClose(1002);
      assert.ok(Buffer.byteLength(reason) <= 123);
    });
  });
}

/** RFC 6455 §5.5.1 and §7: the closing handshake (Autobahn case 7). */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../helpers/clock.js';
import { eventually } from '../helpers/eventually.js';
import { clientFrame } from '../helpers/frames.js';
import { startEcho, type Transport } from './harness.js';
import { closePayload, Op } from './wire.js';

const VALID_CODES = [
  1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
];
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

const INVALID_REASONS: readonly (readonly [string, number[]])[] = [
  ['a lone 0xFF', [0xff]],
  ['an overlong slash', [0xc0, 0xaf]],
  ['a surrogate', [0xed, 0xa0, 0x80]],
  ['a truncated character', [0x61, 0xe2, 0x82]],
];

export function closingCases(transport: Transport): void {
  describe('§5.5.1/§7 closing handshake', () => {
    // RFC 6455 §5.5.1: "the endpoint MAY delay sending a Close frame until its current message is
    // sent". Messages written just before the close get their answers, then the close's echo.
    it('answers messages that came with the close frame before echoing it', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      const big = 'x'.repeat(64 * 1024);
      peer.send(
        ...Array.from({ length: 5 }, () => clientFrame({ opcode: Op.TEXT, payload: big })),
        clientFrame({ opcode: Op.CLOSE, payload: closePayload(1000) }),
      );
      for (let i = 0; i < 5; i++) await peer.expectFrame(Op.TEXT, big);
      await peer.expectClose(1000);
    });

    for (const code of VALID_CODES) {
      it(`echoes close code ${code} and closes TCP (§5.5.1, §7.1.1)`, async (t) => {
        const closes: [number, string][] = [];
        const h = await startEcho(t, transport, {
          close(_ws, c, reason) {
            closes.push([c, reason]);
          },
        });
        const peer = await h.connect();
        peer.send(clientFrame({ opcode: Op.CLOSE, payload: closePayload(code, 'bye') }));
        await peer.expectClose(code);
        await eventually(() => closes.length === 1, 'the close to be reported');
        assert.deepEqual(closes, [[code, 'bye']]);
      });
    }

    it('answers an empty close frame with an empty close frame', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(clientFrame({ opcode: Op.CLOSE }));
      await peer.expectClose(null);
    });

    it('accepts a close frame of 125 bytes (a 123-byte reason)', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(clientFrame({ opcode: Op.CLOSE, payload: closePayload(1000, 'r'.repeat(123)) }));
      await peer.expectClose(1000);
    });

    it('fails with 1002 on a close frame of 126 bytes', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(clientFrame({ opcode: Op.CLOSE, payload: closePayload(1000, 'r'.repeat(124)) }));
      await peer.expectClose(1002);
    });

    for (const code of INVALID_CODES) {
      it(`fails with 1002 on close code ${code} (§7.4)`, async (t) => {
        const h = await startEcho(t, transport);
        const peer = await h.connect();
        peer.send(clientFrame({ opcode: Op.CLOSE, payload: closePayload(code) }));
        await peer.expectClose(1002);
      });
    }

    it('fails with 1002 on a 1-byte close payload', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.connect();
      peer.send(clientFrame({ opcode: Op.CLOSE, payload: Uint8Array.of(0x03) }));
      await peer.expectClose(1002);
    });

    for (const [name, reason] of INVALID_REASONS) {
      it(`fails with 1007 on a close reason with ${name} (§8.1)`, async (t) => {
        const h = await startEcho(t, transport);
        const peer = await h.connect();
        const payload = closePayload(1000, Uint8Array.from(reason));
        peer.send(clientFrame({ opcode: Op.CLOSE, payload }));
        await peer.expectClose(1007);
      });
    }

    it('ignores data after the close frame (§5.5.1)', async (t) => {
      const h = await startEcho(t, transport);
      const a = await h.connect();
      a.send(
        clientFrame({ opcode: Op.CLOSE, payload: closePayload(1000) }),
        clientFrame({ opcode: Op.TEXT, payload: 'too late' }),
        clientFrame({ opcode: Op.PING, payload: 'too late' }),
      );
      await a.expectClose(1000);
      // The same in separate writes: the close, then a message and a ping.
      const b = await h.connect();
      b.send(clientFrame({ opcode: Op.CLOSE, payload: closePayload(1001) }));
      b.send(clientFrame({ opcode: Op.TEXT, payload: 'too late' }));
      b.send(clientFrame({ opcode: Op.PING, payload: 'too late' }));
      await b.expectClose(1001);
    });

    it('closes from the server: waits for the client, then closes TCP (§7.1.2)', async (t) => {
      const closes: [number, string][] = [];
      const h = await startEcho(t, transport, {
        message(ws, data, isBinary) {
          if (data.toString() === 'close please') ws.close(4000, 'x');
          else ws.send(data, { binary: isBinary });
        },
        close(_ws, code, reason) {
          closes.push([code, reason]);
        },
      });
      const peer = await h.connect();
      peer.send(clientFrame({ opcode: Op.TEXT, payload: 'close please' }));
      const frame = await peer.readFrame();
      assert.deepEqual(
        { opcode: frame.opcode, fin: frame.fin, masked: frame.masked, payload: frame.payload },
        {
          opcode: Op.CLOSE,
          fin: true,
          masked: false,
          payload: Buffer.from(closePayload(4000, 'x')),
        },
      );
      // The server waits for the client's close: TCP stays open, messages get no answer, pings
      // are still answered (§5.5.2: "unless it already received a Close frame").
      peer.send(clientFrame({ opcode: Op.TEXT, payload: 'not echoed' }));
      peer.send(clientFrame({ opcode: Op.PING, payload: 'still answered' }));
      await peer.expectFrame(Op.PONG, 'still answered');
      await peer.expectQuiet();
      peer.send(clientFrame({ opcode: Op.CLOSE, payload: closePayload(4000) }));
      await peer.expectServerClosed();
      await eventually(() => closes.length === 1, 'the close to be reported');
      assert.deepEqual(closes, [[4000, '']]);
    });

    it('drops a client that never answers its close after closeTimeout (§7.1.1)', async (t) => {
      const clock = new ManualClock();
      const h = await startEcho(t, transport, {
        clock,
        closeTimeout: 200,
        message(ws) {
          ws.close(1000);
        },
      });
      const peer = await h.connect();
      peer.send(clientFrame({ opcode: Op.TEXT, payload: 'close please' }));
      const frame = await peer.readFrame();
      assert.equal(frame.opcode, Op.CLOSE);
      assert.equal(frame.payload.readUInt16BE(0), 1000);
      await clock.advance(199);
      await peer.expectQuiet(); // still there, still read
      await clock.advance(1);
      await peer.expectServerClosed();
    });
  });
}

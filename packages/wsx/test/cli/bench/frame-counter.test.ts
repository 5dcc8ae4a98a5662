import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameCounter, type FrameSink } from '../../../src/cli/bench/frame-counter.js';
import { type FrameSpec, frame } from '../../helpers/frames.js';

interface Seen {
  messages: [opcode: number, length: number, prefix: string][];
  controls: [opcode: number, payload: string][];
  errors: string[];
}

function counter(): { counter: FrameCounter; seen: Seen } {
  const seen: Seen = { messages: [], controls: [], errors: [] };
  const sink: FrameSink = {
    onMessage(opcode, length, bytes, at, available) {
      seen.messages.push([
        opcode,
        length,
        Buffer.from(bytes.subarray(at, at + available)).toString('latin1'),
      ]);
    },
    onControl(opcode, payload) {
      seen.controls.push([opcode, payload.toString('latin1')]);
    },
    onProtocolError(message) {
      seen.errors.push(message);
    },
  };
  return { counter: new FrameCounter(sink), seen };
}

/** Feeds `bytes` whole, one byte at a time, and in 7-byte pieces: the same events each time. */
function threeWays(bytes: Buffer): Seen {
  const results = [bytes.length, 1, 7].map((step) => {
    const { counter: c, seen } = counter();
    for (let at = 0; at < bytes.length; at += step) c.push(bytes.subarray(at, at + step));
    return seen;
  });
  assert.deepEqual(results[1], results[0], 'byte by byte');
  assert.deepEqual(results[2], results[0], 'in 7-byte pieces');
  return results[0]!;
}

const server = (spec: FrameSpec): Buffer => Buffer.from(frame(spec));

describe('FrameCounter', () => {
  it('counts messages of every length encoding, keeping their first 16 bytes', () => {
    const big = 'x'.repeat(70_000);
    const seen = threeWays(
      Buffer.concat([
        server({ opcode: 1, payload: '0000000a0000000b and more' }),
        server({ opcode: 2, payload: Buffer.alloc(300, 7) }),
        server({ opcode: 1, payload: big }),
        server({ opcode: 1, payload: '' }),
      ]),
    );
    assert.deepEqual(seen.messages, [
      [1, 25, '0000000a0000000b'],
      [2, 300, '\x07'.repeat(16)],
      [1, 70_000, 'x'.repeat(16)],
      [1, 0, ''],
    ]);
    assert.deepEqual(seen.errors, []);
  });

  it('joins fragments, with control frames between them', () => {
    const seen = threeWays(
      Buffer.concat([
        server({ opcode: 1, fin: false, payload: '01234567' }),
        server({ opcode: 9, payload: 'are you there' }),
        server({ opcode: 0, fin: false, payload: '89abcdef-' }),
        server({ opcode: 0, payload: 'end' }),
        server({ opcode: 8, payload: Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]) }),
      ]),
    );
    assert.deepEqual(seen.messages, [[1, 20, '0123456789abcdef']]);
    assert.deepEqual(seen.controls, [
      [9, 'are you there'],
      [8, '\x03\xe8bye'],
    ]);
  });

  it('reports what a server may not send, and stops reading', () => {
    const cases: [Buffer, RegExp][] = [
      [server({ opcode: 1, payload: 'masked', mask: [1, 2, 3, 4] }), /masked frame/],
      [server({ opcode: 1, rsv: 0b100, payload: 'x' }), /RSV/],
      [server({ opcode: 3, payload: 'x' }), /reserved opcode 3/],
      [server({ opcode: 0, payload: 'x' }), /continuation frame with no message/],
      [server({ opcode: 9, fin: false, payload: 'x' }), /invalid control frame/],
      [
        Buffer.concat([
          server({ opcode: 1, fin: false, payload: 'a' }),
          server({ opcode: 2, payload: 'b' }),
        ]),
        /inside another/,
      ],
    ];
    for (const [bytes, message] of cases) {
      const { counter: c, seen } = counter();
      c.push(Buffer.concat([bytes, server({ opcode: 1, payload: 'after' })]));
      assert.equal(seen.errors.length, 1, String(message));
      assert.match(seen.errors[0]!, message);
      assert.deepEqual(seen.messages, []);
    }
  });
});

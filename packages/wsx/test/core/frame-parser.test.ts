import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ErrorCode } from '../../src/core/errors.js';
import { FrameParser } from '../../src/core/frame-parser.js';
import { chunksOf, concat, FEEDS, frame, hex, splitAt, toHex } from '../helpers/frames.js';

type Report =
  | { header: [fin: boolean, rsv: number, opcode: number, masked: boolean, length: number] }
  | { error: ErrorCode };

/** A stub that records what the parser reports and joins each frame's payload pieces. */
class Recorder extends FrameParser {
  reports: Report[] = [];
  payloads: string[] = [];
  #current: Uint8Array[] = [];
  stopAfterHeaders = Number.POSITIVE_INFINITY;

  feed(data: Uint8Array, start = 0): number {
    return this.parseFrames(data, start);
  }

  protected override onFrameHeader(
    fin: boolean,
    rsv: number,
    opcode: number,
    masked: boolean,
    length: number,
  ): boolean {
    this.reports.push({ header: [fin, rsv, opcode, masked, length] });
    return this.reports.length < this.stopAfterHeaders;
  }

  protected override onFramePayload(
    data: Uint8Array,
    start: number,
    end: number,
    frameEnd: boolean,
  ): boolean {
    this.#current.push(data.slice(start, end));
    if (frameEnd) {
      this.payloads.push(toHex(concat(this.#current)));
      this.#current = [];
    }
    return true;
  }

  protected override onFrameError(code: ErrorCode): void {
    this.reports.push({ error: code });
  }
}

function parseAll(data: Uint8Array, feed: (typeof FEEDS)[number]): Recorder {
  const r = new Recorder();
  // Trailing data: the first byte of another frame header, which must stay buffered.
  for (const chunk of chunksOf(data, feed, hex('81'))) r.feed(chunk);
  return r;
}

describe('RFC 6455 §5.7 examples, each parsed whole, byte by byte and with trailing data', () => {
  const examples: Record<string, [string, Report[], string[]]> = {
    'single-frame unmasked text "Hello"': [
      '810548656c6c6f',
      [{ header: [true, 0, 1, false, 5] }],
      ['48656c6c6f'],
    ],
    'single-frame masked text "Hello"': [
      '818537fa213d7f9f4d5158',
      [{ header: [true, 0, 1, true, 5] }],
      ['48656c6c6f'],
    ],
    'fragmented unmasked text "Hel" + "lo"': [
      '010348656c80026c6f',
      [{ header: [false, 0, 1, false, 3] }, { header: [true, 0, 0, false, 2] }],
      ['48656c', '6c6f'],
    ],
    'unmasked ping "Hello"': [
      '890548656c6c6f',
      [{ header: [true, 0, 9, false, 5] }],
      ['48656c6c6f'],
    ],
    'masked pong "Hello"': [
      '8a8537fa213d7f9f4d5158',
      [{ header: [true, 0, 10, true, 5] }],
      ['48656c6c6f'],
    ],
  };
  for (const [name, [input, reports, payloads]] of Object.entries(examples)) {
    for (const feed of FEEDS) {
      it(`${name} (${feed})`, () => {
        const r = parseAll(hex(input), feed);
        assert.deepEqual(r.reports, reports);
        assert.deepEqual(r.payloads, payloads);
      });
    }
  }

  it('256 bytes binary in a single unmasked frame: 16-bit length (82 7E 0100)', () => {
    const payload = new Uint8Array(256).fill(7);
    for (const feed of FEEDS) {
      const r = parseAll(concat([hex('827e0100'), payload]), feed);
      assert.deepEqual(r.reports, [{ header: [true, 0, 2, false, 256] }]);
      assert.equal(r.payloads[0], toHex(payload));
    }
  });

  it('64 KiB binary in a single unmasked frame: 64-bit length (82 7F 0000000000010000)', () => {
    const payload = new Uint8Array(65536).fill(9);
    const r = parseAll(concat([hex('827f0000000000010000'), payload]), 'whole');
    assert.deepEqual(r.reports, [{ header: [true, 0, 2, false, 65536] }]);
    assert.equal(r.payloads[0], toHex(payload));
  });
});

describe('RFC 6455 §5.2 payload length', () => {
  for (const n of [0, 1, 125, 126, 127, 65535, 65536]) {
    it(`${n} bytes in the minimal encoding, masked, three ways`, () => {
      const payload = Uint8Array.from({ length: n }, (_, i) => i & 0xff);
      const data = frame({ opcode: 2, payload, mask: [1, 2, 3, 4] });
      for (const feed of n > 1000 ? (['whole', 'with-trailing-data'] as const) : FEEDS) {
        const r = parseAll(data, feed);
        assert.deepEqual(r.reports, [{ header: [true, 0, 2, true, n] }]);
        assert.equal(r.payloads[0], toHex(payload));
      }
    });
  }

  it('rejects a 64-bit length with the most significant bit set', () => {
    for (const feed of FEEDS) {
      const r = parseAll(hex('827f8000000000000001'), feed);
      assert.deepEqual(r.reports, [{ error: 'WSX_ERR_INVALID_LENGTH' }]);
    }
  });

  it('rejects a 16-bit length below 126 (not minimal)', () => {
    const r = parseAll(frame({ opcode: 2, payload: 'abc', lengthBits: 16 }), 'whole');
    assert.deepEqual(r.reports, [{ error: 'WSX_ERR_INVALID_LENGTH' }]);
  });

  it('rejects a 64-bit length below 65536 (not minimal)', () => {
    const r = parseAll(frame({ opcode: 2, payload: 'abc', lengthBits: 64 }), 'whole');
    assert.deepEqual(r.reports, [{ error: 'WSX_ERR_INVALID_LENGTH' }]);
  });

  it('reports a huge declared length from the header alone, before any payload', () => {
    const r = new Recorder();
    r.feed(hex('827f0000000100000000')); // 4 GiB
    assert.deepEqual(r.reports, [{ header: [true, 0, 2, false, 2 ** 32] }]);
    assert.deepEqual(r.payloads, []);
  });
});

describe('reports header fields as found (validation is the caller’s)', () => {
  it('reserved bits and opcodes, unmasked', () => {
    const r = parseAll(hex('f300'), 'whole');
    assert.deepEqual(r.reports, [{ header: [true, 7, 3, false, 0] }]);
    assert.deepEqual(r.payloads, ['']);
  });

  it('stops where a hook says so and returns the position', () => {
    const r = new Recorder();
    r.stopAfterHeaders = 1;
    const data = concat([frame({ opcode: 1, payload: 'a' }), frame({ opcode: 1, payload: 'b' })]);
    assert.equal(r.feed(data), 2); // after the first header, before its payload
  });

  it('any chunking of a stream of frames gives the same reports', () => {
    const frameArb = fc.record({
      fin: fc.boolean(),
      rsv: fc.nat({ max: 7 }),
      opcode: fc.nat({ max: 15 }),
      payload: fc.uint8Array({ maxLength: 300 }),
      masked: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (specs, cuts) => {
          const data = concat(
            specs.map((s) => frame({ ...s, mask: s.masked ? [5, 6, 7, 8] : null })),
          );
          const whole = parseAll(data, 'whole');
          const chunked = new Recorder();
          for (const chunk of splitAt(
            data,
            cuts.map((c) => c % (data.length + 1)),
          ))
            chunked.feed(chunk);
          assert.deepEqual(chunked.reports, whole.reports);
          assert.deepEqual(chunked.payloads, whole.payloads);
          assert.deepEqual(
            whole.payloads,
            specs.map((s) => toHex(s.payload)),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

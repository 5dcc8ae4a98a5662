/** The permessage-deflate codec over zlib: the tail rule, limits, and inflation in steps. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constants, deflateRawSync } from 'node:zlib';
import { Inflater } from '../../src/node/deflate.js';

/** RFC 7692 §7.2.1: DEFLATE with a sync flush, the trailing 00 00 ff ff removed. */
function compress(data: Uint8Array | string): Buffer {
  const input = typeof data === 'string' ? Buffer.from(data) : data;
  return deflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
}

for (const contextTakeover of [false, true]) {
  describe(`Inflater (${contextTakeover ? 'context takeover' : 'no context takeover'})`, () => {
    it('inflates a message', () => {
      const inflater = new Inflater(15, contextTakeover);
      assert.equal(String(inflater.inflate(compress('你好, wsx'), 1000)), '你好, wsx');
      assert.equal(String(inflater.inflate(compress('again'), 1000)), 'again');
    });

    // Regression, issue 11 #6: a message whose DEFLATE data ends inside a stored block was
    // accepted, and the 00 00 ff ff tail appended per RFC 7692 §7.2.2 came back as 4 bytes of
    // message data. Such a message is malformed.
    it('regression: data that ends inside a stored block is invalid (the tail would become data)', () => {
      // A stored block (BFINAL 0, BTYPE 00) announcing 4 bytes, and none of them.
      const storedHeaderOnly = Uint8Array.of(0x00, 0x04, 0x00, 0xfb, 0xff);
      assert.equal(new Inflater(15, contextTakeover).inflate(storedHeaderOnly, 1000), 'invalid');
      // The same with two of the four bytes.
      const partial = Uint8Array.of(0x00, 0x04, 0x00, 0xfb, 0xff, 0x61, 0x62);
      assert.equal(new Inflater(15, contextTakeover).inflate(partial, 1000), 'invalid');
    });

    it('a message that ends with a final block (BFINAL) is fine', () => {
      const final = deflateRawSync(Buffer.from('the end')); // Z_FINISH: a block with BFINAL
      const inflater = new Inflater(15, contextTakeover);
      assert.equal(String(inflater.inflate(final, 1000)), 'the end');
    });

    it('stops at the limit', () => {
      const inflater = new Inflater(15, contextTakeover);
      assert.equal(inflater.inflate(compress(new Uint8Array(10_000)), 9_999), 'too-big');
      assert.equal(String(inflater.inflate(compress('next'), 100)), 'next', 'usable afterwards');
    });

    it('inflates in steps of bounded output, with the same result', () => {
      const data = Buffer.alloc(1_000_000, 'wsx ');
      const inflater = new Inflater(15, contextTakeover);
      const job = inflater.start(compress(data), 2_000_000);
      let steps = 0;
      let before = 0;
      let result = job.step(100_000);
      while (result === 'more') {
        steps++;
        // At most the budget and one more output chunk of zlib's (64 KiB) per step.
        assert.ok(job.produced - before <= 100_000 + 64 * 1024, `step ${steps}`);
        before = job.produced;
        result = job.step(100_000);
      }
      assert.ok(steps >= 5, `${steps} steps`);
      assert.deepEqual(result, data);
    });
  });
}

describe('Inflater without context takeover, shared', () => {
  it('a job in steps keeps its zlib stream; other messages inflate meanwhile on another', () => {
    const shared = new Inflater(15, false);
    const big = Buffer.alloc(1_000_000, 'a');
    const job = shared.start(compress(big), 2_000_000);
    assert.equal(job.step(64 * 1024), 'more');
    // Another connection's message, while the first is half done.
    assert.equal(String(shared.inflate(compress('meanwhile'), 100)), 'meanwhile');
    let result = job.step(64 * 1024);
    while (result === 'more') result = job.step(64 * 1024);
    assert.deepEqual(result, big);
    assert.equal(String(shared.inflate(compress('after'), 100)), 'after');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyMask, maskByte, packMask } from '../../src/core/mask.js';
import { hex, toHex } from '../helpers/frames.js';

function naiveMask(data: Uint8Array, key: readonly number[], phase: number): Uint8Array {
  return data.map((b, i) => b ^ key[(i + phase) % 4]!);
}

describe('RFC 6455 §5.3 client-to-server masking', () => {
  it('unmasks the RFC 5.7 example "Hello"', () => {
    // 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58 contains "Hello"
    const payload = hex('7f9f4d5158');
    applyMask(payload, 0, payload.length, packMask(0x37, 0xfa, 0x21, 0x3d), 0);
    assert.equal(new TextDecoder().decode(payload), 'Hello');
  });

  it('packs key octets in wire order', () => {
    const m = packMask(1, 2, 3, 4);
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => maskByte(m, i)),
      [1, 2, 3, 4],
    );
  });

  it('matches the byte-wise definition at any offset, alignment, length and phase', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat({ max: 7 }),
        fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)),
        fc.nat({ max: 3 }),
        (data, offset, key, phase) => {
          // Place the data at an arbitrary offset so the word loop meets every alignment.
          const backing = new Uint8Array(data.length + 16);
          backing.set(data, offset);
          const view = backing.subarray(offset, offset + data.length);
          applyMask(view, 0, view.length, packMask(...key), phase);
          assert.equal(toHex(view), toHex(naiveMask(data, key, phase)));
          // Bytes around the view are untouched.
          assert.ok(backing.subarray(0, offset).every((b) => b === 0));
          assert.ok(backing.subarray(offset + data.length).every((b) => b === 0));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is its own inverse', () => {
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    const copy = data.slice();
    const m = packMask(9, 8, 7, 6);
    applyMask(copy, 3, 97, m, 1);
    applyMask(copy, 3, 97, m, 1);
    assert.deepEqual(copy, data);
  });
});

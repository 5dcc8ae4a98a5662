import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Histogram, highestOf, indexOf } from '../../../src/cli/bench/histogram.js';

/** The exact percentile of sorted values, by the same rank rule (nearest rank). */
function exact(sorted: readonly number[], percentile: number): number {
  return sorted[Math.max(1, Math.ceil((percentile / 100) * sorted.length)) - 1]!;
}

describe('Histogram', () => {
  it('is exact below 2048 ns', () => {
    const h = new Histogram();
    for (let v = 0; v < 2048; v++) h.record(v);
    assert.equal(h.percentile(50), 1023);
    assert.equal(h.percentile(100), 2047);
    assert.equal(h.min, 0);
    assert.equal(h.max, 2047);
    assert.equal(h.count, 2048);
  });

  it('puts every value in a bucket whose highest value is within 1/1024 above it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 42 - 1 }), (value) => {
        const i = indexOf(value);
        const high = highestOf(i);
        assert.ok(high >= value, `${value} -> bucket ${i} up to ${high}`);
        assert.ok(high - value <= value / 1024, `${value} -> ${high}`);
        if (i > 0) assert.ok(highestOf(i - 1) < value, 'the bucket before ends below the value');
      }),
    );
  });

  it('is continuous at the powers of two, where log2 may round', () => {
    for (let bits = 11; bits < 42; bits++) {
      for (const value of [2 ** bits - 1, 2 ** bits, 2 ** bits + 1]) {
        assert.equal(indexOf(value) - indexOf(value - 1) <= 1, true, String(value));
        assert.ok(highestOf(indexOf(value)) >= value);
      }
    }
  });

  it('reports percentiles within 0.1 % of the exact ones, never below', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10 ** 10 }), { minLength: 1, maxLength: 500 }),
        (values) => {
          const h = new Histogram();
          for (const v of values) h.record(v);
          const sorted = [...values].sort((a, b) => a - b);
          for (const p of [50, 90, 99, 99.9, 100]) {
            const want = exact(sorted, p);
            const got = h.percentile(p);
            assert.ok(got >= want && got <= want * (1 + 1 / 1024), `p${p}: ${got} vs ${want}`);
          }
          assert.equal(h.max, sorted.at(-1));
          assert.equal(h.min, sorted[0]);
        },
      ),
    );
  });

  it('merges: the histogram of two processes is that of all their values', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let i = 1; i <= 1000; i++) {
      const value = i * 997;
      (i % 3 === 0 ? a : b).record(value);
      all.record(value);
    }
    const merged = new Histogram();
    merged.add(JSON.parse(JSON.stringify(a.toData())));
    merged.add(b.toData());
    assert.deepEqual(merged.toData(), all.toData());
    assert.equal(merged.mean, all.mean);
  });

  it('counts huge values in its last bucket and keeps the exact maximum', () => {
    const h = new Histogram();
    h.record(2 ** 50);
    assert.equal(h.max, 2 ** 50);
    assert.equal(h.percentile(100), 2 ** 50);
    h.record(-5);
    assert.equal(h.min, 0);
  });
});

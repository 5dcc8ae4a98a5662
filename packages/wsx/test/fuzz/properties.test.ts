/**
 * The fuzzing properties with fixed seeds: the model-based violation catalogue for the core
 * connection, permessage-deflate agreement, and linear cost of every network-facing parser,
 * counted in executed blocks (never in time).
 */
// Coverage must start before the library's functions are first compiled: import it first.
import '../../fuzz/engine/coverage.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { countSteps } from '../../fuzz/engine/coverage.js';
import { PROPERTIES } from '../../fuzz/properties/index.js';
import { checkLinear, FAMILIES } from '../../fuzz/properties/linearity.js';

describe('fuzzing properties (fixed seeds)', () => {
  for (const { name, property, shortRuns } of PROPERTIES) {
    it(name, () => {
      fc.assert(property, { seed: 20261207, numRuns: shortRuns });
    });
  }
});

describe('network-facing parsers cost steps in proportion to their input (4 KiB vs 16 KiB)', () => {
  for (const family of FAMILIES) {
    it(family.name, () => {
      checkLinear(family);
    });
  }

  it('the step counter does see a quadratic algorithm (self-check)', () => {
    const quadratic = (n: number) => {
      let pairs = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if ((i ^ j) === 3) pairs++;
      return pairs;
    };
    const here = /\/test\/fuzz\/properties\.test\.ts/;
    const small = countSteps(() => quadratic(256), here);
    const large = countSteps(() => quadratic(1024), here);
    assert.ok(large > small * 6, `${small} steps, then ${large}: growth not detected`);
  });
});

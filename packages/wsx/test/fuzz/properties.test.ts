/**
 * The fuzzing properties with fixed seeds: the model-based violation catalogue for the core
 * connection, permessage-deflate agreement, and linear cost of every network-facing parser,
 * counted in executed blocks (never in time).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PROPERTIES } from '../../fuzz/properties/index.js';
import { CONTROL, checkGrowth, FAMILIES, measureInChild } from '../../fuzz/properties/linearity.js';

describe('fuzzing properties (fixed seeds)', () => {
  for (const { name, property, shortRuns } of PROPERTIES) {
    it(name, () => {
      fc.assert(property, { seed: 20261207, numRuns: shortRuns });
    });
  }
});

describe('network-facing parsers cost steps in proportion to their input (4 KiB vs 16 KiB)', () => {
  // Measured once for every family, in a child Node whose block counts are exact.
  let measured: ReturnType<typeof measureInChild> | null = null;
  for (const family of FAMILIES) {
    it(family.name, () => {
      measured ??= measureInChild();
      const steps = measured[family.name];
      assert.ok(steps !== undefined, `${family.name} was not measured`);
      checkGrowth(family.name, steps);
    });
  }

  it('the step counter does see a quadratic algorithm (self-check)', () => {
    measured ??= measureInChild();
    const control = measured[CONTROL];
    assert.ok(control !== undefined, 'the control was not measured');
    assert.ok(control.large > control.small * 12, `${control.small} steps, then ${control.large}`);
  });
});

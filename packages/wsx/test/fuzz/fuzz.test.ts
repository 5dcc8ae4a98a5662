/**
 * The short fuzz run of `npm test`: every committed input (seeds, corpus, regressions) replayed
 * through its target, then a coverage-guided run of fixed length from a fixed seed, the same
 * inputs every time. The long run is `npm run fuzz` (fuzz/README.md).
 */
// Coverage must start before the library's functions are first compiled: import it first.
import '../../fuzz/engine/coverage.js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CORPUS_ROOT, REGRESSIONS_ROOT, readCorpus } from '../../fuzz/engine/corpus.js';
import { fuzz, tryRun } from '../../fuzz/engine/loop.js';
import { TARGETS } from '../../fuzz/targets/index.js';

/** Executions per target: a few seconds in all on this project's 2-core machines. */
const SHORT_RUN: Record<string, number> = {
  'frame-parser': 8_000,
  'http-head': 1_500,
  extensions: 8_000,
  connection: 2_000,
  inflate: 1_500,
};

function describeFailure(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

for (const target of TARGETS) {
  describe(`fuzz target ${target.name}: ${target.description}`, () => {
    const committed = [
      ...readCorpus(join(CORPUS_ROOT, target.name)),
      ...readCorpus(join(REGRESSIONS_ROOT, target.name)),
    ];

    it(`passes its seeds and ${committed.length} committed inputs`, () => {
      for (const seed of target.seeds()) {
        const outcome = tryRun(target, seed);
        assert.equal(outcome, undefined, outcome && describeFailure(outcome.error));
      }
      for (const { file, data } of committed) {
        const outcome = tryRun(target, data);
        assert.equal(outcome, undefined, outcome && `${file}: ${describeFailure(outcome.error)}`);
      }
    });

    it('passes a coverage-guided run from a fixed seed', () => {
      const executions = SHORT_RUN[target.name] ?? 2_000;
      const report = fuzz(target, { seed: 0x5eed, executions });
      const failure = report.failure;
      if (failure !== null) {
        const input = Buffer.from(failure.input).toString('hex');
        assert.fail(`input ${input}: ${describeFailure(failure.error)}`);
      }
      assert.equal(report.executions, executions);
      assert.ok(report.blocks > 0, 'no coverage was collected');
    });
  });
}

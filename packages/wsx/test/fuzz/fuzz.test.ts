/**
 * The short fuzz run of `npm test`: every committed input (seeds, corpus, regressions) replayed
 * through its target, then a coverage-guided run of fixed length from a fixed seed
 * (fuzz/short-run.ts, in a child Node where coverage is exact, so it tries the same inputs every
 * time). The long run is `npm run fuzz` (fuzz/README.md).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CORPUS_ROOT, REGRESSIONS_ROOT, readCorpus } from '../../fuzz/engine/corpus.js';
import { tryRun } from '../../fuzz/engine/loop.js';
import { SHORT_RUN, type ShortRunResult } from '../../fuzz/short-run.js';
import { TARGETS } from '../../fuzz/targets/index.js';

const SHORT_RUN_SCRIPT = fileURLToPath(new URL('../../fuzz/short-run.ts', import.meta.url));

function describeFailure(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Runs fuzz/short-run.ts for one target, in a child Node without the optimizing compilers. */
function shortRun(name: string): ShortRunResult {
  const args = ['--max-opt=1', '--import', 'tsx', SHORT_RUN_SCRIPT, name];
  const child = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, NODE_TEST_CONTEXT: undefined },
  });
  if (child.status !== 0) throw new Error(`the short fuzz run failed to run: ${child.stderr}`);
  const [result] = JSON.parse(child.stdout) as ShortRunResult[];
  if (result === undefined) throw new Error(`no short run result for ${name}`);
  return result;
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
      const result = shortRun(target.name);
      if (result.failure !== null) {
        assert.fail(`input ${result.failure.input}: ${result.failure.error}`);
      }
      assert.equal(result.executions, SHORT_RUN[target.name]);
      assert.ok(result.blocks > 0, 'no coverage was collected');
    });
  });
}

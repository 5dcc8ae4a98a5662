/**
 * The short fuzz run of `npm test`, as a program: the targets named on the command line (every
 * target without one) for a fixed number of executions from a fixed seed, the report printed as
 * JSON. The test (test/fuzz/fuzz.test.ts) starts it with
 * `--max-opt=1`: without V8's optimizing compilers the block counters are exact and nothing
 * compiles in the background, so coverage, and therefore every input the run tries, is the same
 * on every run and every Node version.
 */
// Coverage must start before the library's functions are first compiled: import it first.
import './engine/coverage.js';
import { fileURLToPath } from 'node:url';
import { fuzz } from './engine/loop.js';
import { TARGETS } from './targets/index.js';

/** Executions per target: about ten seconds in all on a 2-core machine, interpreter only. */
export const SHORT_RUN: Readonly<Record<string, number>> = {
  'frame-parser': 2_000,
  'http-head': 500,
  extensions: 2_000,
  connection: 500,
  inflate: 500,
};

export const SHORT_RUN_SEED = 0x5eed;

export interface ShortRunResult {
  readonly target: string;
  readonly executions: number;
  readonly blocks: number;
  readonly newInputs: number;
  readonly failure: { readonly input: string; readonly error: string } | null;
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** The short run of the targets named (all when none is). */
function shortRun(names: readonly string[]): ShortRunResult[] {
  const targets = names.length === 0 ? TARGETS : TARGETS.filter((t) => names.includes(t.name));
  return targets.map((target) => {
    const report = fuzz(target, {
      seed: SHORT_RUN_SEED,
      executions: SHORT_RUN[target.name] ?? 500,
    });
    const { failure } = report;
    return {
      target: target.name,
      executions: report.executions,
      blocks: report.blocks,
      newInputs: report.newInputs,
      failure:
        failure === null
          ? null
          : {
              input: Buffer.from(failure.input).toString('hex'),
              error: describeError(failure.error),
            },
    };
  });
}

// Run only as a program: the test imports the budgets above.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(shortRun(process.argv.slice(2))));
}

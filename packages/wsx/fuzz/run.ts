/**
 * The long fuzz run: `npm run fuzz -- [options]`.
 *
 *   --seconds N      time per target (default 60; FUZZ_SECONDS also sets it)
 *   --target NAME    only this target (repeatable; default every target)
 *   --seed N         seed of the mutation sequence (default: random, printed)
 *   --no-save        do not add new coverage-reaching inputs to fuzz/corpus/<target>/
 *   --reproduce FILE run one input file against --target and print the outcome
 *
 * Then the fast-check properties (fuzz/properties/) run for the same time each, from the same seed.
 * New inputs that reach new code are written to the corpus folder (commit the useful ones); a
 * failing input is minimized and written to fuzz/crashes/<target>/. See fuzz/README.md for what
 * to do with it. Exits 1 when a target failed.
 */
// Coverage must start before the library's functions are first compiled: import it first.
import './engine/coverage.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import {
  CORPUS_ROOT,
  CRASHES_ROOT,
  REGRESSIONS_ROOT,
  readCorpus,
  writeInput,
} from './engine/corpus.js';
import { type FuzzReport, fuzz, minimize, tryRun } from './engine/loop.js';
import type { FuzzTarget } from './engine/target.js';
import { PROPERTIES } from './properties/index.js';
import { TARGETS } from './targets/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    target: { type: 'string', multiple: true },
    seed: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
    reproduce: { type: 'string' },
  },
});

function selectTargets(): readonly FuzzTarget[] {
  if (values.target === undefined) return TARGETS;
  return values.target.map((name) => {
    const target = TARGETS.find((t) => t.name === name);
    if (target === undefined) {
      const known = TARGETS.map((t) => t.name).join(', ');
      throw new Error(`unknown fuzz target ${JSON.stringify(name)}; known: ${known}`);
    }
    return target;
  });
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function reproduce(targets: readonly FuzzTarget[], file: string): number {
  const input = new Uint8Array(readFileSync(file));
  let failed = 0;
  for (const target of targets) {
    const outcome = tryRun(target, input);
    console.log(
      `${target.name}: ${outcome === undefined ? 'passes' : describeError(outcome.error)}`,
    );
    if (outcome !== undefined) failed++;
  }
  return failed === 0 ? 0 : 1;
}

function line(report: FuzzReport): string {
  const rate = Math.round(report.executions / Math.max(report.seconds, 1e-9));
  return (
    `${report.target.padEnd(13)} ${String(report.executions).padStart(9)} runs  ` +
    `${String(rate).padStart(6)}/s  ${report.seconds.toFixed(0).padStart(4)} s  ` +
    `corpus ${report.corpusSize} (+${report.newInputs})  blocks ${report.blocks}`
  );
}

/** Each property for `seconds`, from `seed`; returns how many failed. */
function runProperties(seed: number, seconds: number): number {
  let failed = 0;
  for (const { name, property } of PROPERTIES) {
    const started = performance.now();
    const result = fc.check(property, {
      seed,
      numRuns: Number.MAX_SAFE_INTEGER,
      interruptAfterTimeLimit: seconds * 1000,
      markInterruptAsFailure: false,
    });
    const elapsed = (performance.now() - started) / 1000;
    const rate = Math.round(result.numRuns / elapsed);
    console.log(`${name.padEnd(40)} ${result.numRuns} runs  ${rate}/s  ${elapsed.toFixed(0)} s`);
    if (result.failed) {
      failed++;
      console.log(fc.defaultReportMessage(result));
    }
  }
  return failed;
}

function main(): number {
  const targets = selectTargets();
  if (values.reproduce !== undefined) return reproduce(targets, values.reproduce);
  const seconds = Number(values.seconds ?? process.env.FUZZ_SECONDS ?? 60);
  if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got ${seconds}`);
  const seed = values.seed === undefined ? (Math.random() * 2 ** 32) >>> 0 : Number(values.seed);
  console.log(`fuzzing ${targets.length} target(s), ${seconds} s each, seed ${seed}`);
  let failures = 0;
  let total = 0;
  for (const target of targets) {
    const corpusDir = join(CORPUS_ROOT, target.name);
    const corpus = [
      ...readCorpus(corpusDir),
      ...readCorpus(join(REGRESSIONS_ROOT, target.name)),
    ].map((e) => e.data);
    const report = fuzz(target, {
      seed,
      seconds,
      corpus,
      ...(values['no-save'] ? {} : { onNewInput: (input) => writeInput(corpusDir, input) }),
    });
    total += report.executions;
    console.log(line(report));
    if (report.failure !== null) {
      failures++;
      const small = minimize(target, report.failure.input);
      const file = writeInput(join(CRASHES_ROOT, target.name), small, 'crash-');
      console.log(`  FAILED: ${describeError(report.failure.error)}`);
      console.log(`  input (minimized, ${small.length} bytes): ${file}`);
      console.log(`  reproduce: npm run fuzz -- --target ${target.name} --reproduce ${file}`);
    }
  }
  if (values.target === undefined) failures += runProperties(seed, seconds);
  console.log(`${total} executions; ${failures} target(s) or properties failed`);
  return failures === 0 ? 0 : 1;
}

process.exitCode = main();

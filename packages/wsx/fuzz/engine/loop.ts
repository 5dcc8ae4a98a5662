/**
 * The coverage-guided loop: start from the seeds and the corpus, mutate a corpus input, run it,
 * and keep it when it executed a block of the library that no earlier input did. Inputs run in
 * batches; V8's counters are read once per batch, and a batch that reached something new is run
 * again input by input to find which inputs did. The first failure stops the target; its input
 * is minimized and written out.
 */
import { CoverageMap } from './coverage.js';
import { mutate } from './mutate.js';
import { Rng } from './random.js';
import type { FuzzTarget } from './target.js';

export interface FuzzOptions {
  readonly seed: number;
  /** Stop after this many executions (deterministic: the short run in `npm test`). */
  readonly executions?: number;
  /** Stop after this many seconds (the long run). */
  readonly seconds?: number;
  /** Inputs to start from, besides the target's seeds. */
  readonly corpus?: readonly Uint8Array[];
  /** Called with each input that reached new code. */
  readonly onNewInput?: (input: Uint8Array) => void;
}

export interface Failure {
  readonly input: Uint8Array;
  readonly error: unknown;
}

export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly executions: number;
  readonly seconds: number;
  readonly corpusSize: number;
  readonly newInputs: number;
  readonly blocks: number;
  readonly failure: Failure | null;
}

const BATCH = 64;

/** Runs `target` on `input`; returns what it threw, or undefined. */
export function tryRun(target: FuzzTarget, input: Uint8Array): { error: unknown } | undefined {
  try {
    // The target may unmask in place: give it a copy, keep the original.
    target.run(input.slice());
    return undefined;
  } catch (error) {
    return { error };
  }
}

export function fuzz(target: FuzzTarget, options: FuzzOptions): FuzzReport {
  const rng = new Rng(options.seed);
  const coverage = new CoverageMap();
  const started = performance.now();
  const corpus: Uint8Array[] = [];
  let executions = 0;
  let newInputs = 0;
  const report = (failure: Failure | null): FuzzReport => ({
    target: target.name,
    seed: options.seed,
    executions,
    seconds: (performance.now() - started) / 1000,
    corpusSize: corpus.length,
    newInputs,
    blocks: coverage.blocks,
    failure,
  });

  for (const input of [...target.seeds(), ...(options.corpus ?? [])]) {
    executions++;
    const outcome = tryRun(target, input);
    if (outcome !== undefined) return report({ input, error: outcome.error });
    coverage.collect();
    corpus.push(input);
  }
  if (corpus.length === 0) corpus.push(new Uint8Array(0));

  const deadline = options.seconds === undefined ? Infinity : started + options.seconds * 1000;
  const budget = options.executions ?? Infinity;
  const context = { rng, corpus, dictionary: target.dictionary, maxLength: target.maxLength };
  while (executions < budget && performance.now() < deadline) {
    const batch: Uint8Array[] = [];
    const size = Math.min(BATCH, budget - executions);
    for (let i = 0; i < size; i++) {
      const child = mutate(rng.pick(corpus), context);
      executions++;
      const outcome = tryRun(target, child);
      if (outcome !== undefined) return report({ input: child, error: outcome.error });
      batch.push(child);
    }
    const fresh = coverage.collect(false);
    if (fresh.length === 0) continue;
    for (const child of batch) {
      tryRun(target, child);
      if (coverage.collect().length === 0) continue;
      corpus.push(child);
      newInputs++;
      options.onNewInput?.(child);
    }
    // What only the batch as a whole reached (state left by earlier inputs: a pool refilled, a
    // buffer grown) is not sought again in every later batch.
    coverage.keep(fresh);
  }
  return report(null);
}

/**
 * A smaller input that fails the same way (same error name and first message line): runs of
 * bytes are cut out while the failure stays, halving the run length each pass.
 */
export function minimize(target: FuzzTarget, input: Uint8Array, maxTries = 4000): Uint8Array {
  const signature = (error: unknown) =>
    error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
  const first = tryRun(target, input);
  if (first === undefined) return input;
  const wanted = signature(first.error);
  let best = input;
  let tries = 0;
  for (let run = Math.max(1, best.length >> 1); run >= 1 && tries < maxTries; run >>= 1) {
    for (let at = 0; at + run <= best.length && tries < maxTries; ) {
      const candidate = new Uint8Array(best.length - run);
      candidate.set(best.subarray(0, at), 0);
      candidate.set(best.subarray(at + run), at);
      tries++;
      const outcome = tryRun(target, candidate);
      if (outcome !== undefined && signature(outcome.error) === wanted) best = candidate;
      else at += run;
    }
  }
  return best;
}

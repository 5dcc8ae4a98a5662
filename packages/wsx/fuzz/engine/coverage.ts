/**
 * Coverage feedback from V8 itself: block coverage with execution counts, read through the
 * inspector protocol (`Profiler.takePreciseCoverage`) in this very process. No instrumentation
 * pass is needed, and the same counters give a deterministic measure of work: the number of
 * blocks the code under test executed ("steps"), which the linearity properties assert on
 * instead of wall-clock time.
 *
 * Taking the counters costs about a millisecond, so the fuzz loop reads them once per batch of
 * inputs and looks at inputs one by one only when a batch reached something new.
 *
 * V8 gives block counters only to functions compiled after coverage started, so it starts when
 * this module is loaded: import it before anything calls into the library.
 */
import { Session } from 'node:inspector';

interface Range {
  readonly startOffset: number;
  readonly endOffset: number;
  readonly count: number;
}

interface ScriptCoverage {
  readonly url: string;
  readonly functions: ReadonlyArray<{ readonly ranges: readonly Range[] }>;
}

/** Scripts of the library's own sources: what the fuzzers try to cover and whose steps count. */
const UNDER_TEST = /\/packages\/wsx\/src\//;

let session: Session | null = null;

function post<T>(method: string, params?: object): T {
  let result: T | undefined;
  let failure: Error | null = null;
  // An in-process session answers synchronously: the callback runs before post() returns.
  session!.post(method, params, (error, value) => {
    if (error !== null) failure = error;
    else result = value as T;
  });
  if (failure !== null) throw failure;
  return result!;
}

function start(): void {
  if (session !== null) return;
  session = new Session();
  session.connect();
  post('Profiler.enable');
  post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
}

start();

/** Counters since the previous call, for the scripts under test; reading resets them. */
function take(scripts: RegExp = UNDER_TEST): ScriptCoverage[] {
  start();
  const { result } = post<{ result: ScriptCoverage[] }>('Profiler.takePreciseCoverage');
  return result.filter((script) => scripts.test(script.url));
}

/** The set of blocks ever executed, and whether an execution reached a new one. */
export class CoverageMap {
  readonly #seen = new Set<string>();

  constructor() {
    take();
  }

  /**
   * The blocks executed since the last call that were never executed before. With `keep`, they
   * count as seen from now on; without it, a later `collect` can still find them new.
   */
  collect(keep = true): string[] {
    const fresh: string[] = [];
    for (const script of take()) {
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          if (range.count === 0) continue;
          const key = `${script.url}:${range.startOffset}:${range.endOffset}`;
          if (this.#seen.has(key)) continue;
          if (keep) this.#seen.add(key);
          fresh.push(key);
        }
      }
    }
    return fresh;
  }

  /** Counts `keys` as seen (blocks a batch reached that no single input reached again). */
  keep(keys: readonly string[]): void {
    for (const key of keys) this.#seen.add(key);
  }

  get blocks(): number {
    return this.#seen.size;
  }
}

/**
 * Blocks of the library's code (or of the scripts matching `scripts`) executed by `run`: a
 * deterministic count of work done, for asserting that a parser's cost grows linearly.
 */
export function countSteps(run: () => void, scripts: RegExp = UNDER_TEST): number {
  take(scripts);
  run();
  let steps = 0;
  for (const script of take(scripts)) {
    for (const fn of script.functions) for (const range of fn.ranges) steps += range.count;
  }
  return steps;
}

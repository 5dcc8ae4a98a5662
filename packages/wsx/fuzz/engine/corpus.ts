/**
 * Corpus files on disk: one input per file, named by its SHA-1 so that the same input is never
 * stored twice. `fuzz/corpus/<target>/` holds inputs that reached new code (committed seeds);
 * `fuzz/regressions/<target>/` holds every input that ever failed, replayed by `npm test`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FUZZ_ROOT = new URL('..', import.meta.url).pathname;
export const CORPUS_ROOT = join(FUZZ_ROOT, 'corpus');
export const REGRESSIONS_ROOT = join(FUZZ_ROOT, 'regressions');
/** Failing inputs of a long run, before someone turns them into regressions (not committed). */
export const CRASHES_ROOT = join(FUZZ_ROOT, 'crashes');

export interface CorpusEntry {
  readonly file: string;
  readonly data: Uint8Array;
}

export function readCorpus(dir: string): CorpusEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.bin'))
    .sort()
    .map((name) => ({
      file: join(dir, name),
      data: new Uint8Array(readFileSync(join(dir, name))),
    }));
}

export function inputName(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex');
}

/** Stores `data` in `dir` under its hash (with `prefix`); returns the path. */
export function writeInput(dir: string, data: Uint8Array, prefix = ''): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${prefix}${inputName(data)}.bin`);
  if (!existsSync(file)) writeFileSync(file, data);
  return file;
}

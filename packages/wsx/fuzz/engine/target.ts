/** What a fuzz target is: a named function of bytes that throws when a property breaks. */
export interface FuzzTarget {
  /** Also the folder name of its corpus (`fuzz/corpus/<name>/`) and regressions. */
  readonly name: string;
  /** What the target checks, one line, for reports. */
  readonly description: string;
  /** Largest input the mutator makes. */
  readonly maxLength: number;
  /** Keywords of the input language, inserted by the mutator. */
  readonly dictionary: readonly Uint8Array[];
  /** Inputs to start from besides the corpus files: a few well-formed examples. */
  seeds(): Uint8Array[];
  /**
   * Runs one input. Throws a {@link PropertyFailure} (or anything else: an exception escaping
   * the code under test is itself a finding) when a property does not hold.
   */
  run(input: Uint8Array): void;
}

/** A property of the code under test did not hold for an input. */
export class PropertyFailure extends Error {
  override readonly name = 'PropertyFailure';
}

/** Throws a {@link PropertyFailure} with `message` unless `condition` holds. */
export function check(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new PropertyFailure(typeof message === 'string' ? message : message());
}

const encoder = new TextEncoder();

/** Dictionary entries from strings (latin1 for `\xNN` escapes, UTF-8 otherwise). */
export function tokens(...items: Array<string | readonly number[]>): Uint8Array[] {
  return items.map((item) => {
    if (typeof item !== 'string') return Uint8Array.from(item);
    const latin1 = [...item].every((c) => c.charCodeAt(0) <= 0xff);
    return latin1 ? Uint8Array.from(item, (c) => c.charCodeAt(0)) : encoder.encode(item);
  });
}

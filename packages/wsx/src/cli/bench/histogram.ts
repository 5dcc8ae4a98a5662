/**
 * A log-linear latency histogram in the manner of HdrHistogram: values (nanoseconds) below 2048
 * are counted exactly; above, each power of two is split into 1024 equal buckets, so every value
 * is known within 1/1024 (~0.1 %) whatever its size, in a fixed 270 KB. Recording is a few
 * arithmetic operations and one array increment: cheap enough for every message of a load test.
 * Histograms of several processes merge by adding counts.
 */

/** Sub-buckets per power of two (2^SUB_BITS): the resolution. */
const SUB_BITS = 10;
const SUB = 1 << SUB_BITS;
/** Values up to 2^MAX_BITS ns (~73 minutes) are bucketed; larger ones count in the last bucket. */
const MAX_BITS = 42;
const BUCKETS = (MAX_BITS - SUB_BITS + 1) * SUB;

/** What crosses a process boundary: the non-empty buckets, and the exact extremes. */
export interface HistogramData {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  /** `[index, count]` pairs of the non-empty buckets. */
  readonly buckets: readonly (readonly [number, number])[];
}

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  /** Records `value` nanoseconds (rounded to an integer; negatives count as 0). */
  record(value: number): void {
    const v = value > 0 ? Math.round(value) : 0;
    this.#counts[indexOf(v)]!++;
    this.#count++;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  get count(): number {
    return this.#count;
  }

  get min(): number {
    return this.#count === 0 ? 0 : this.#min;
  }

  get max(): number {
    return this.#max;
  }

  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /**
   * The value at `percentile` (0-100): the highest value of the bucket holding that rank (at
   * most the largest value recorded), so percentiles err on the slow side by at most ~0.1 %.
   */
  percentile(percentile: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      // The last bucket also holds everything beyond the range: its top is the maximum.
      if (seen >= rank) return i === BUCKETS - 1 ? this.#max : Math.min(highestOf(i), this.#max);
    }
    return this.#max;
  }

  toData(): HistogramData {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) {
      const count = this.#counts[i]!;
      if (count > 0) buckets.push([i, count]);
    }
    return { count: this.#count, sum: this.#sum, min: this.min, max: this.#max, buckets };
  }

  /** Adds the counts of another histogram (from {@link toData}). */
  add(data: HistogramData): void {
    if (data.count === 0) return;
    for (const [index, count] of data.buckets) this.#counts[index]! += count;
    this.#count += data.count;
    this.#sum += data.sum;
    this.#min = Math.min(this.#min, data.min);
    this.#max = Math.max(this.#max, data.max);
  }
}

/** The bucket of a non-negative integer. */
export function indexOf(value: number): number {
  if (value < 2 * SUB) return value;
  if (value < 2 ** 31) {
    // The common case (up to ~2.1 s), in 32-bit integer operations: the hot path of a run.
    const shift = 31 - Math.clz32(value) - SUB_BITS;
    return shift * SUB + (value >>> shift); // value >>> shift is in [SUB, 2 * SUB)
  }
  if (value >= 2 ** MAX_BITS) return BUCKETS - 1;
  let shift = Math.floor(Math.log2(value)) - SUB_BITS;
  let sub = Math.floor(value / 2 ** shift);
  // log2 may round up just below a power of two: step back.
  while (sub < SUB) sub = Math.floor(value / 2 ** --shift);
  return shift * SUB + sub;
}

/** The largest value that falls in bucket `index`. */
export function highestOf(index: number): number {
  if (index < 2 * SUB) return index;
  const shift = Math.floor(index / SUB) - 1;
  const sub = index - shift * SUB;
  return (sub + 1) * 2 ** shift - 1;
}

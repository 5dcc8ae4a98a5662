/**
 * Limits sign-in and registration attempts per user name and per client address, so passwords
 * cannot be guessed at speed: each key has a token bucket; an attempt needs a token from every
 * key it concerns. Memory is bounded: the least recently used keys are forgotten first.
 */
import { type Now, TokenBucket } from './token-bucket.js';

export interface AttemptLimits {
  /** Attempts allowed in a burst, per key. */
  readonly burst: number;
  /** Attempts per minute allowed after the burst, per key. */
  readonly perMinute: number;
}

/** Ten tries at once, then one every six seconds: plenty for a person, slow for a guesser. */
export const DEFAULT_ATTEMPT_LIMITS: AttemptLimits = { burst: 10, perMinute: 10 };

/** Keys remembered at most (each costs ~100 bytes). */
const MAX_KEYS = 50_000;

export class AttemptLimiter {
  readonly #limits: AttemptLimits;
  readonly #now: Now;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(limits: AttemptLimits, now: Now) {
    this.#limits = limits;
    this.#now = now;
  }

  /**
   * Takes one attempt for every key. Returns 0 if allowed, else the milliseconds until the
   * attempt would be (for `Retry-After`).
   */
  attempt(keys: readonly string[]): number {
    const buckets = keys.map((key) => this.#bucket(key));
    const wait = Math.max(0, ...buckets.map((b) => b.waitMs()));
    if (wait > 0) return wait;
    for (const bucket of buckets) bucket.take();
    return 0;
  }

  #bucket(key: string): TokenBucket {
    let bucket = this.#buckets.get(key);
    if (bucket !== undefined) {
      this.#buckets.delete(key); // re-inserted below: the Map's order is the recency order
    } else {
      const { burst, perMinute } = this.#limits;
      bucket = new TokenBucket(burst, perMinute / 60, this.#now);
      if (this.#buckets.size >= MAX_KEYS) this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    this.#buckets.set(key, bucket);
    return bucket;
  }
}

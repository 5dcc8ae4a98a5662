/**
 * A token bucket: `capacity` tokens, refilled at `rate` per second, read from an injected clock
 * so tests move time instead of waiting.
 */
export type Now = () => number;

export class TokenBucket {
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #now: Now;
  #tokens: number;
  #updated: number;

  constructor(capacity: number, ratePerSecond: number, now: Now) {
    this.#capacity = capacity;
    this.#perMs = ratePerSecond / 1000;
    this.#now = now;
    this.#tokens = capacity;
    this.#updated = now();
  }

  /** Takes one token; false (and nothing taken) when the bucket is empty. */
  take(): boolean {
    const now = this.#now();
    const refill = (now - this.#updated) * this.#perMs;
    this.#updated = now;
    this.#tokens = Math.min(this.#capacity, this.#tokens + refill);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (0: now). */
  waitMs(): number {
    const missing = 1 - (this.#tokens + (this.#now() - this.#updated) * this.#perMs);
    return missing <= 0 ? 0 : Math.ceil(missing / this.#perMs);
  }
}

/**
 * One timer for many connections. Heartbeats, idle timeouts and the slow-consumer check run from
 * a periodic sweep over the connections that need them, instead of timers per connection: ten
 * thousand idle connections cost one timer, not ten thousand.
 */

import type { Clock, TimerHandle } from '../node/clock.js';

export class Sweeper<T> {
  readonly #members: Set<T>;
  readonly #clock: Clock;
  readonly #interval: number;
  readonly #visit: (member: T, now: number) => void;
  #timer: TimerHandle | null = null;

  /**
   * `members`: a set that already holds every connection to sweep (a server's connections), so
   * that no connection costs an entry in two sets; by default the sweeper keeps its own.
   */
  constructor(
    clock: Clock,
    interval: number,
    visit: (member: T, now: number) => void,
    members: Set<T> = new Set(),
  ) {
    this.#clock = clock;
    this.#interval = interval;
    this.#visit = visit;
    this.#members = members;
  }

  add(member: T): void {
    this.#members.add(member);
    if (this.#timer === null) this.#schedule();
  }

  delete(member: T): void {
    this.#members.delete(member);
    if (this.#members.size === 0 && this.#timer !== null) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#interval);
  }

  #tick(): void {
    this.#timer = null;
    const now = this.#clock.now();
    for (const member of this.#members) this.#visit(member, now);
    if (this.#members.size > 0 && this.#timer === null) this.#schedule();
  }
}

/** How often to sweep for timeouts of these lengths (0 = off): often enough to be accurate to ~10%. */
export function sweepInterval(...timeouts: number[]): number {
  const shortest = Math.min(...timeouts.filter((t) => t > 0));
  if (!Number.isFinite(shortest)) return 0;
  return Math.max(10, Math.min(1000, Math.floor(shortest / 10)));
}

/**
 * Notices a Redis that stopped answering while this node keeps publishing.
 *
 * wsx-redis counts Redis as away when its connection has been idle for the health timeout;
 * but Node counts writes as activity, and a chat node that publishes all the time keeps
 * writing into the kernel's buffers towards a frozen or unreachable Redis for as long as they
 * take (megabytes: minutes), so the connection never looks idle. This watch reads the
 * adapter's counters instead: publishes are waiting for a reply and none has come for
 * `limitMs`. The broker then holds its publishes (the store has the messages, and heads tell
 * the other nodes when Redis answers again); with nothing more written, the connection goes
 * quiet and wsx-redis's own timeout tears it down and reconnects.
 */

export interface PublishCounters {
  /** Publishes sent and not answered yet. */
  readonly pending: number;
  /** Publishes answered so far. */
  readonly envelopes: number;
}

export class StallWatch {
  readonly #read: () => PublishCounters;
  readonly #limitMs: number;
  readonly #now: () => number;
  #answered = -1;
  #since: number;
  #stalled = false;

  constructor(read: () => PublishCounters, limitMs: number, now = () => performance.now()) {
    this.#read = read;
    this.#limitMs = limitMs;
    this.#now = now;
    this.#since = now();
  }

  /** Whether Redis is taken as stalled (publishes are held). */
  get stalled(): boolean {
    return this.#stalled;
  }

  /** Looks at the counters: 'stalled' or 'resumed' when that changed, else null. */
  check(): 'stalled' | 'resumed' | null {
    const { pending, envelopes } = this.#read();
    const now = this.#now();
    if (pending === 0 || envelopes !== this.#answered) {
      // Nothing waits, or a reply came: Redis answers.
      this.#answered = envelopes;
      this.#since = now;
      if (!this.#stalled) return null;
      this.#stalled = false;
      return 'resumed';
    }
    if (this.#stalled || now - this.#since < this.#limitMs) return null;
    this.#stalled = true;
    return 'stalled';
  }
}

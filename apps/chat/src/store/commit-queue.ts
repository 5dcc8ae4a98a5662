/**
 * Grouped commits: appends made during one event-loop turn are written in one transaction, at
 * the end of the turn (setImmediate), and each caller's promise settles after that commit. A
 * burst of messages therefore pays one fsync, not one per message, and nothing is acknowledged
 * before it is durable.
 */

export interface Pending<T, R> {
  readonly item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class CommitQueue<T, R> {
  readonly #write: (items: readonly T[]) => (R | Error)[];
  readonly #observe: (seconds: number, count: number) => void;
  #pending: Pending<T, R>[] = [];
  #scheduled: NodeJS.Immediate | null = null;
  #idle: (() => void)[] = [];

  /**
   * @param write writes every item in one transaction and returns one result per item (an Error
   *   for an item refused on its own); throws if the transaction failed (then every caller of
   *   that batch gets the error).
   * @param observe told how long each commit took, and how many items it held.
   */
  constructor(
    write: (items: readonly T[]) => (R | Error)[],
    observe: (seconds: number, count: number) => void = () => {},
  ) {
    this.#write = write;
    this.#observe = observe;
  }

  /** Queues an item for the end of this turn's transaction. */
  push(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** How many items wait for the next commit. */
  get size(): number {
    return this.#pending.length;
  }

  /** Writes what is pending now (also called by close()). */
  flush(): void {
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    const batch = this.#pending;
    if (batch.length === 0) {
      this.#settleIdle();
      return;
    }
    this.#pending = [];
    const started = process.hrtime.bigint();
    let results: (R | Error)[];
    try {
      results = this.#write(batch.map((p) => p.item));
    } catch (error) {
      for (const p of batch) p.reject(error);
      this.#settleIdle();
      return;
    }
    this.#observe(Number(process.hrtime.bigint() - started) / 1e9, batch.length);
    for (let i = 0; i < batch.length; i++) {
      // One item's own failure (an Error in its place) fails that item only.
      const result = results[i]!;
      if (result instanceof Error) batch[i]!.reject(result);
      else batch[i]!.resolve(result);
    }
    this.#settleIdle();
  }

  /** Resolves once nothing is pending. */
  drained(): Promise<void> {
    if (this.#pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #settleIdle(): void {
    if (this.#pending.length > 0) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }
}

/**
 * Grouped commits for a networked database: appends made while a commit is on its way wait,
 * and all of them go in the next transaction, as soon as it returns (the first batch leaves at
 * the end of the event-loop turn). One batch is in flight at a time, so the batch grows with
 * the round trip, a burst costs a few commits rather than one per message, and results come
 * back in the order the appends were made (a connection's pipelined sends are answered in
 * order). Each caller's promise settles after its batch committed.
 *
 * A batch that fails for a transient reason (the server restarting, the connection lost) is
 * sent again, after a growing pause, until `retryForMs` has passed: the writes must be
 * idempotent (the chat's are, by client message id), since a commit whose reply was lost may
 * have happened. Callers meanwhile just wait: acknowledgements pause, then resume.
 */

export interface AsyncCommitOptions {
  /** Told how long each commit took, and how many items it held. */
  readonly observe?: (seconds: number, count: number) => void;
  /** Whether a failed batch may be sent again. */
  readonly transient: (error: unknown) => boolean;
  /** How long a batch is retried before its callers get the error (default 30 s). */
  readonly retryForMs?: number;
  /** Items per transaction at most (default 2000): the rest wait for the next one. */
  readonly maxBatch?: number;
  /** Told about each failed attempt that will be retried. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

interface Pending<T, R> {
  readonly item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/** The pause before the n-th retry: 50 ms, doubling, at most a second. */
const retryDelay = (attempt: number) => Math.min(50 * 2 ** (attempt - 1), 1000);

export class AsyncCommitQueue<T, R> {
  readonly #write: (items: readonly T[]) => Promise<(R | Error)[]>;
  readonly #options: AsyncCommitOptions;
  #pending: Pending<T, R>[] = [];
  #scheduled: NodeJS.Immediate | null = null;
  #writing = false;
  /** A batch is being retried: the database is away. */
  #failing = false;
  #idle: (() => void)[] = [];

  /**
   * @param write writes the items in one transaction and resolves with one result per item
   *   (an Error for an item refused on its own); rejects if the transaction failed.
   */
  constructor(write: (items: readonly T[]) => Promise<(R | Error)[]>, options: AsyncCommitOptions) {
    this.#write = write;
    this.#options = options;
  }

  push(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#writing) this.#scheduled ??= setImmediate(() => this.#next());
    });
  }

  /** Whether the last batch went through (false while one is being retried). */
  get healthy(): boolean {
    return !this.#failing;
  }

  /** Resolves once nothing is pending or being written. */
  drained(): Promise<void> {
    if (this.#pending.length === 0 && !this.#writing) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #next(): void {
    this.#scheduled = null;
    if (this.#writing) return;
    if (this.#pending.length === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    const batch = this.#pending.splice(0, this.#options.maxBatch ?? 2000);
    this.#writing = true;
    void this.#commit(batch).finally(() => {
      this.#writing = false;
      this.#next();
    });
  }

  async #commit(batch: Pending<T, R>[]): Promise<void> {
    const items = batch.map((p) => p.item);
    const deadline = performance.now() + (this.#options.retryForMs ?? 30_000);
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const results = await this.#write(items);
        this.#failing = false;
        this.#options.observe?.((performance.now() - started) / 1000, items.length);
        for (const [i, p] of batch.entries()) {
          const result = results[i]!;
          if (result instanceof Error) p.reject(result);
          else p.resolve(result);
        }
        return;
      } catch (error) {
        if (!this.#options.transient(error) || performance.now() > deadline) {
          for (const p of batch) p.reject(error);
          return;
        }
        this.#failing = true;
        this.#options.onRetry?.(error, attempt);
        await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt)));
      }
    }
  }
}

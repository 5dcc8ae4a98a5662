/**
 * A bound on the memory that a server's connections hold together: output buffered for peers
 * that do not read it, and messages inflated and not yet handed to the application.
 *
 * Each connection is capped on its own (`backpressureLimit`), but N peers that stop reading can
 * each hold that much; the budget bounds their sum. From 90 % of it, the server refuses new
 * upgrades with 503; past it, the connections holding the most are shed first (closed with 1008
 * when they do not read what they asked for, 1013 otherwise, their buffers released at once)
 * until the total is back under 80 %. Connections that hold nothing beyond their
 * transport's own high-water mark are not tracked: the budget costs nothing until something
 * piles up.
 */

import { UsageError } from '../core/errors.js';

/**
 * 256 MiB: a healthy connection buffers kilobytes, so this is thousands of backlogged peers'
 * worth, and still within what a small container can spare next to the process itself.
 */
export const DEFAULT_MEMORY_BUDGET = 256 * 1024 * 1024;

/** New upgrades are refused from this share of the budget: room for those already in. */
const REFUSE_AT = 0.9;
/** Shedding goes down to this share, below REFUSE_AT, so that new connections are let in again. */
const SHED_TO = 0.8;

/** What the budget asks of a connection it tracks. */
export interface BudgetHolder {
  /** Closes the connection and releases what it holds, now. */
  shed(): void;
}

export class MemoryBudget {
  /** Bytes the connections may hold in all. */
  readonly limit: number;
  readonly #held = new Map<BudgetHolder, number>();
  #total = 0;
  #shedding = false;
  /** Connections shed since the budget was created. */
  shedCount = 0;

  constructor(limit: number = DEFAULT_MEMORY_BUDGET) {
    if (!(typeof limit === 'number' && limit > 0)) {
      throw new UsageError(`a memory budget is a positive number of bytes (got ${String(limit)})`);
    }
    this.limit = limit;
  }

  /** Bytes held now by the tracked connections. */
  get used(): number {
    return this.#total;
  }

  /** Whether new connections should be refused: 90 % of the budget is spent. */
  get exhausted(): boolean {
    return this.#total >= this.limit * REFUSE_AT;
  }

  /** Records that `holder` now holds `bytes` (0: nothing, it is forgotten). May shed. */
  update(holder: BudgetHolder, bytes: number): void {
    const before = this.#held.get(holder) ?? 0;
    if (bytes === before) return;
    this.#total += bytes - before;
    if (bytes === 0) this.#held.delete(holder);
    else this.#held.set(holder, bytes);
    if (this.#total > this.limit && !this.#shedding) this.#shed();
  }

  /** Sheds the largest holders until the total is under 80 % of the limit. */
  #shed(): void {
    this.#shedding = true;
    try {
      const largestFirst = [...this.#held].sort((a, b) => b[1] - a[1]);
      const target = this.limit * SHED_TO;
      for (const [holder, bytes] of largestFirst) {
        if (this.#total <= target) break;
        this.#held.delete(holder);
        this.#total -= bytes;
        this.shedCount++;
        holder.shed();
      }
    } finally {
      this.#shedding = false;
    }
  }
}

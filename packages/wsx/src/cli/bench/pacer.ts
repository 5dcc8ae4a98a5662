/**
 * The open loop (`--rate`): message i is due at start + i / rate, on sender i mod n, whatever
 * the replies do. Each is timed from when it was due, so a server that stalls shows its stall in
 * every message that waited, not only in the one it held (no coordinated omission).
 *
 * Timers have a resolution of a millisecond; a message is sent within microseconds of when it
 * is due because the pacer polls (setImmediate, between I/O) when the next one is that close.
 * Above ~700 messages per second per process it therefore keeps its process busy.
 */

import type { LoadConnection } from './load-connection.js';
import type { RunContext } from './run-context.js';

/** Within this many microseconds of a message's due time, the pacer polls instead of sleeping. */
const SPIN_US = 1500;

export class Pacer {
  readonly #run: RunContext;
  readonly #senders: readonly LoadConnection[];
  /** Microseconds between two messages of this process. */
  readonly #interval: number;
  #start = 0;
  #issued = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #immediate: ReturnType<typeof setImmediate> | null = null;
  readonly #touched: LoadConnection[] = [];

  constructor(run: RunContext, senders: readonly LoadConnection[], rate: number) {
    this.#run = run;
    this.#senders = senders;
    this.#interval = 1e6 / rate;
  }

  start(): void {
    this.#start = this.#run.clock();
    this.#tick();
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    this.#timer = null;
    this.#immediate = null;
  }

  readonly #tick = (): void => {
    this.#timer = null;
    this.#immediate = null;
    const run = this.#run;
    if (!run.sending || this.#senders.length === 0) return;
    const now = run.clock();
    const due = Math.floor((now - this.#start) / this.#interval) + 1;
    const allowed = run.take(due - this.#issued);
    for (let i = 0; i < allowed; i++, this.#issued++) this.#assign(this.#issued);
    for (const connection of this.#touched) connection.writeBacklog();
    this.#touched.length = 0;
    if (!run.sending) return;
    // Timers fire at best every millisecond: when the next message is due sooner, check again
    // after the pending I/O (setImmediate) rather than send it up to a millisecond late.
    const wait = this.#start + this.#issued * this.#interval - run.clock();
    if (wait < SPIN_US) this.#immediate = setImmediate(this.#tick);
    else this.#timer = setTimeout(this.#tick, (wait - SPIN_US) / 1000);
  };

  #assign(index: number): void {
    const run = this.#run;
    const connection = this.#senders[index % this.#senders.length]!;
    if (connection.closed || connection.closing) {
      run.error('not sent: connection closed');
      return;
    }
    if (!run.mayBacklog()) return;
    if (connection.backlog.length === 0) this.#touched.push(connection);
    connection.backlog.push(this.#start + index * this.#interval);
    run.backlogged++;
  }
}

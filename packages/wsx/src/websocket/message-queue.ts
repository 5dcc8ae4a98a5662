/**
 * The queue behind `for await (const message of ws)`: messages wait here until the loop asks for
 * them. Reading from the socket pauses while more than `highWater` messages wait, and resumes
 * once the loop has caught up (as Python websockets' `max_queue`), so a slow loop cannot make
 * memory grow without bound.
 */

/** A message as the iterator yields it: text as a string, binary as a Buffer. */
export type Message = string | Buffer;

export interface FlowControl {
  pause(): void;
  resume(): void;
}

const HIGH_WATER = 16;
const LOW_WATER = 4;

export class MessageQueue implements AsyncIterableIterator<Message> {
  readonly #items: Message[] = [];
  readonly #waiting: {
    resolve: (r: IteratorResult<Message>) => void;
    reject: (e: unknown) => void;
  }[] = [];
  readonly #flow: FlowControl;
  #end: { error: unknown } | null = null;
  #paused = false;

  constructor(flow: FlowControl) {
    this.#flow = flow;
  }

  push(message: Message): void {
    if (this.#end !== null) return;
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: message, done: false });
      return;
    }
    this.#items.push(message);
    if (!this.#paused && this.#items.length >= HIGH_WATER) {
      this.#paused = true;
      this.#flow.pause();
    }
  }

  /** Ends the iteration: cleanly with no error, else by throwing `error` once the queue drains. */
  end(error?: unknown): void {
    if (this.#end !== null) return;
    this.#end = { error };
    for (const waiter of this.#waiting.splice(0)) this.#settle(waiter);
  }

  next(): Promise<IteratorResult<Message>> {
    const item = this.#items.shift();
    if (item !== undefined) {
      if (this.#paused && this.#items.length <= LOW_WATER) {
        this.#paused = false;
        this.#flow.resume();
      }
      return Promise.resolve({ value: item, done: false });
    }
    return new Promise((resolve, reject) => {
      if (this.#end !== null) this.#settle({ resolve, reject });
      else this.#waiting.push({ resolve, reject });
    });
  }

  /** Leaving the loop early (break, return, throw) stops queueing. */
  return(): Promise<IteratorResult<Message>> {
    this.end();
    this.#items.length = 0;
    if (this.#paused) this.#flow.resume();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #settle(waiter: {
    resolve: (r: IteratorResult<Message>) => void;
    reject: (e: unknown) => void;
  }): void {
    const error = this.#end?.error;
    if (error === undefined) waiter.resolve({ value: undefined, done: true });
    else waiter.reject(error);
  }
}

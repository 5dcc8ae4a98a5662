/**
 * A first-in first-out queue of times (numbers), on a ring buffer that doubles when full: the
 * send times of messages in flight on one connection, whose replies come back in order.
 */
export class TimeQueue {
  #items = new Float64Array(16);
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(time: number): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = time;
    this.#length++;
  }

  /** The oldest time, removed; NaN when empty. */
  shift(): number {
    if (this.#length === 0) return Number.NaN;
    const time = this.#items[this.#head]!;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#length--;
    return time;
  }

  clear(): void {
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const items = new Float64Array(this.#items.length * 2);
    for (let i = 0; i < this.#length; i++) {
      items[i] = this.#items[(this.#head + i) & (this.#items.length - 1)]!;
    }
    this.#items = items;
    this.#head = 0;
  }
}

/**
 * A message that spans frames or reads, being reassembled. Pieces are copied into one buffer
 * that grows by doubling (never past the message limit), so a message made of many tiny
 * fragments costs its size and no more; text is validated as it arrives (RFC 6455 §8.1).
 */

import type { Allocator } from './frame-writer.js';
import { UTF8_ACCEPT, type Utf8State } from './utf8.js';

/** Bytes set aside at first, before growing by doubling. */
const MIN_CAPACITY = 4096;

export class MessageBuffer {
  #buffer: Uint8Array | null = null;
  length = 0;
  /** The UTF-8 validator's state after the last piece (text messages). */
  utf8: Utf8State = UTF8_ACCEPT;

  /** Copies `data[start, end)` in; never reserves more than `limit` bytes in all. */
  append(data: Uint8Array, start: number, end: number, alloc: Allocator, limit: number): void {
    const n = end - start;
    if (n === 0) return;
    const needed = this.length + n;
    const current = this.#buffer;
    if (current === null || needed > current.length) {
      const doubled = Math.max(needed, (current?.length ?? 0) * 2, MIN_CAPACITY);
      const next = alloc(Math.min(doubled, Math.max(needed, limit)));
      if (current !== null) next.set(current.subarray(0, this.length));
      this.#buffer = next;
    }
    this.#buffer!.set(data.subarray(start, end), this.length);
    this.length = needed;
  }

  /** The message so far, as a view. */
  contents(empty: Uint8Array): Uint8Array {
    return this.#buffer === null ? empty : this.#buffer.subarray(0, this.length);
  }
}

/**
 * A message that spans frames or reads, being reassembled. Pieces are copied into one buffer
 * that grows by doubling (never past the message limit), so a message made of many tiny
 * fragments costs its size and no more; text is validated as it arrives (RFC 6455 §8.1).
 */

import type { Allocator } from './frame-writer.js';
import { UTF8_ACCEPT, type Utf8State } from './utf8.js';

/** Bytes set aside at first, before growing by doubling. */
const MIN_CAPACITY = 4096;

/**
 * A message known to be exactly this size or less (one frame, length declared) gets its buffer
 * at once, uninitialised: every byte is written before the message is handed out. Larger ones
 * grow with what arrives, so a peer that declares a large frame and sends little cannot make us
 * reserve it.
 */
const EXACT_MAX = 64 * 1024;

export class MessageBuffer {
  #buffer: Uint8Array | null = null;
  length = 0;
  /** The UTF-8 validator's state after the last piece (text messages). */
  utf8: Utf8State = UTF8_ACCEPT;

  /**
   * Copies `data[start, end)` in; never reserves more than `limit` bytes in all. `exact` is the
   * size of the whole message when it is known (a single frame), else 0.
   */
  append(
    data: Uint8Array,
    start: number,
    end: number,
    alloc: Allocator,
    limit: number,
    exact = 0,
    allocUnsafe: Allocator = alloc,
  ): void {
    const n = end - start;
    if (n === 0) return;
    const needed = this.length + n;
    const current = this.#buffer;
    if (current === null && exact >= needed && exact <= EXACT_MAX) {
      this.#buffer = allocUnsafe(exact);
    } else if (current === null || needed > current.length) {
      // Zero-filled: slack past the end may be reached through `.buffer` by the application.
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

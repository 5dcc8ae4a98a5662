/**
 * What the sans-I/O core needs from the platform, provided once by Node so that every connection
 * shares the same output slab and masking-key pool.
 */

import { isUtf8 as nodeIsUtf8 } from 'node:buffer';
import { randomFillSync } from 'node:crypto';
import type { Allocator, RandomFill } from '../core/frame-writer.js';
import type { Utf8Check } from '../core/utf8.js';

/** Masking keys from the operating system's CSPRNG (RFC 6455 §10.3). */
export const random: RandomFill = (buf) => {
  randomFillSync(buf);
};

/**
 * Zero-filled Buffers: reassembled messages may be larger than their content, and a user must
 * never find stale process memory behind `message.buffer`.
 */
export const alloc: Allocator = (size) => Buffer.alloc(size);

/**
 * Uninitialised Buffers, for memory written entirely before anyone can read it. Never from
 * Node's shared pool: the Buffer owns its whole ArrayBuffer, so `.buffer` shows nothing else.
 */
export const allocUnsafe: Allocator = (size) => Buffer.allocUnsafeSlow(size);

/** Node's native UTF-8 check (simdutf). */
export const isUtf8: Utf8Check = (data) => nodeIsUtf8(data);

/** A Buffer view of `data`, without copying. */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

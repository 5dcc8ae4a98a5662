/** How a connection's queued frames become transport writes. */

import { SEND_EOF } from '../core/connection.js';

/**
 * mergeSmall copies chunks of at most 4 KiB (the bound up to which the core's frame writer
 * copies payloads into its slab; larger payloads stay uncopied), up to 64 KiB in all.
 */
const MERGE_CHUNK_MAX = 4 * 1024;
const MERGE_TOTAL_MAX = 64 * 1024;

/**
 * Several small chunks of one write (topic messages: each subscriber's frames are shared bytes,
 * so they are not merged in the core's output slab) copied into one buffer: one `write` instead
 * of a corked batch, which costs the stream machinery a step per chunk and the kernel an iovec
 * each. Null when the chunks end the stream, or hold a large payload (not worth a copy).
 */
export function mergeSmall(chunks: readonly Uint8Array[]): Buffer | null {
  let total = 0;
  for (const chunk of chunks) {
    if (chunk === SEND_EOF || chunk.length > MERGE_CHUNK_MAX) return null;
    total += chunk.length;
  }
  return total <= MERGE_TOTAL_MAX ? Buffer.concat(chunks, total) : null;
}

/**
 * The harness's own answer to a connection's `InflateWork` (RFC 7692 §7.2.2): raw DEFLATE with
 * the `00 00 ff ff` tail appended, inflated by node:zlib with the work's output limit. This is
 * what an I/O layer does, written here in a few lines rather than taken from the library's Node
 * layer, so the fuzzers exercise the core's side of the handover on their own terms.
 */
import { constants, inflateRawSync } from 'node:zlib';
import type { Connection } from '../../src/core/connection.js';

const TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff);

export type InflateOutcome =
  | { readonly ok: true; readonly data: Uint8Array }
  | { readonly ok: false; readonly tooBig: boolean; readonly detail: string };

/**
 * Inflates one message. A message whose DEFLATE data stops inside a block is malformed: the tail
 * would then be read as more of that block (4 bytes of data from a stored block, for one),
 * so inflating with the tail must give exactly what inflating without it gives.
 */
export function inflateMessage(data: Uint8Array, limit: number): InflateOutcome {
  const options = { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, limit) };
  try {
    const withTail = inflateRawSync(Buffer.concat([data, TAIL]), options);
    if (withTail.length > limit) return { ok: false, tooBig: true, detail: 'over the limit' };
    const alone = inflateRawSync(data, options);
    if (alone.length !== withTail.length) {
      return { ok: false, tooBig: false, detail: 'the data ends inside a block' };
    }
    return { ok: true, data: new Uint8Array(withTail) };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') return { ok: false, tooBig: true, detail: 'over limit' };
    return { ok: false, tooBig: false, detail: (error as Error).message };
  }
}

/** Answers the connection's pending work, if any; returns whether there was some. */
export function answerInflateWork(conn: Connection): boolean {
  const work = conn.takeWork();
  if (work === null) return false;
  const outcome = inflateMessage(work.data, work.limit);
  if (outcome.ok) conn.completeWork(outcome.data);
  else conn.failWork(outcome.tooBig, outcome.detail);
  return true;
}

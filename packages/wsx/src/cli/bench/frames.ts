/**
 * The load generator's client frames, built once by the library's own frame writer (a core
 * `Connection` in the client role, which masks every frame with a fresh random key).
 *
 * Messages are not framed again for each send: a run cycles through a set of prebuilt frames,
 * each with its own masking key. RFC 6455 §5.3 wants a fresh key per frame so that a browser
 * script cannot choose the bytes on the wire (cache poisoning of proxies, §10.3); a load test
 * sends fixed bytes of its own choosing, and framing each message anew would cost more than
 * the server's work on it, which would make the generator the thing measured.
 */

import { randomFillSync } from 'node:crypto';
import { Connection } from '../../core/index.js';

/** The wire bytes of what `build` queues on a fresh client connection. */
function framesOf(build: (connection: Connection) => void): Buffer {
  const connection = new Connection({ role: 'client', random: randomFillSync });
  build(connection);
  // dataToSend may return views of a shared slab: copy them out.
  return Buffer.concat(connection.dataToSend().map((bytes) => Buffer.from(bytes)));
}

/** A deterministic payload: printable ASCII for text, a byte pattern for binary. */
export function payloadOf(size: number, binary: boolean): Buffer {
  const payload = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) payload[i] = binary ? (i * 31 + 7) & 0xff : 97 + (i % 26);
  return payload;
}

/** One frame per message: `count` frames of `payload`, each masked with its own key. */
export function messageFrames(payload: Buffer, binary: boolean, count: number): Buffer[] {
  return Array.from({ length: count }, () =>
    framesOf((c) => (binary ? c.sendBinary(payload) : c.sendText(payload))),
  );
}

export function pongFrame(payload: Uint8Array): Buffer {
  return framesOf((c) => c.sendPong(payload));
}

export function closeFrame(code: number): Buffer {
  return framesOf((c) => c.sendClose(code));
}

/** Where a client frame's masking key starts: after the 2-byte header and extended length. */
export function maskOffset(frame: Uint8Array): number {
  const length = frame[1]! & 0x7f;
  return length === 127 ? 10 : length === 126 ? 4 : 2;
}

/**
 * A batch of prebuilt frames laid end to end, twice over, so that any run of up to `count`
 * consecutive frames (wrapping around) is one contiguous view: k messages go out as one write
 * without copying anything.
 */
export class FrameRing {
  readonly bytes: Buffer;
  readonly frameLength: number;
  readonly count: number;

  constructor(frames: readonly Buffer[]) {
    this.count = frames.length;
    this.frameLength = frames[0]!.length;
    this.bytes = Buffer.concat([...frames, ...frames]);
  }

  /** `k` (<= count) consecutive frames from frame `start` (< count). */
  slice(start: number, k: number): Buffer {
    const from = start * this.frameLength;
    return this.bytes.subarray(from, from + k * this.frameLength);
  }
}

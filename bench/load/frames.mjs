// Client frames built once (masked with a fixed key: a server cannot tell, and every connection
// can share the same bytes), and a streaming reader that counts the server's frames without
// copying payloads, whatever the read boundaries.

export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** One masked client frame (FIN set). `rsv1` marks a compressed message (RFC 7692). */
export function clientFrame(opcode, payload, rsv1 = false) {
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + extended + 4 + length);
  frame[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  if (extended === 0) frame[1] = 0x80 | length;
  else if (extended === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const at = 2 + extended;
  MASK.copy(frame, at);
  for (let i = 0; i < length; i++) frame[at + 4 + i] = payload[i] ^ MASK[i & 3];
  return frame;
}

/** `count` copies of `frame` back to back: `subarray(0, k * frame.length)` sends k of them. */
export function repeated(frame, count) {
  const out = Buffer.allocUnsafe(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(out, i * frame.length);
  return out;
}

/** A close frame with code 1000 (masked). */
export const CLOSE_FRAME = clientFrame(OP_CLOSE, Buffer.from([0x03, 0xe8]));

/**
 * Counts the frames of a server's byte stream. For each complete frame it calls
 * `onFrame(opcode, rsv1, length, captured, fin)`, where `captured` holds the first `capture`
 * bytes of the payload (the whole payload for control frames; `null` when capture is 0). Server
 * frames are never masked (RFC 6455 §5.1). Callers count a message on a data frame with `fin`.
 */
export class FrameReader {
  constructor(onFrame, capture = 0) {
    this.onFrame = onFrame;
    this.capture = capture;
    this.header = Buffer.alloc(14);
    this.headerLength = 0; // bytes of a split header kept in `header`
    this.remaining = 0; // payload bytes of the current frame still to come
    this.opcode = 0;
    this.rsv1 = false;
    this.fin = true;
    this.length = 0;
    this.parts = null; // captured payload pieces of the current frame
    this.kept = 0;
    this.wirePayloadBytes = 0; // every data-frame payload byte seen (compression ratios)
  }

  push(chunk) {
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, end - at);
        if (this.parts !== null) this.#keep(chunk, at, take);
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) this.#complete();
        continue;
      }
      // Fast path: the whole header is in this chunk (always, for a stream of small frames).
      if (this.headerLength === 0 && end - at >= 10) {
        at = this.#header(chunk, at);
        continue;
      }
      // Slow path: gather a header split across reads.
      this.header[this.headerLength++] = chunk[at++];
      const need = headerSize(this.header, this.headerLength);
      if (this.headerLength === need) {
        this.headerLength = 0;
        this.#header(this.header, 0);
      }
    }
  }

  /** Parses a complete header at `at`; returns the offset just past it. */
  #header(buf, at) {
    const b0 = buf[at];
    const b1 = buf[at + 1] & 0x7f;
    let length = b1;
    let next = at + 2;
    if (b1 === 126) {
      length = buf.readUInt16BE(next);
      next += 2;
    } else if (b1 === 127) {
      length = buf.readUInt32BE(next) * 2 ** 32 + buf.readUInt32BE(next + 4);
      next += 8;
    }
    this.opcode = b0 & 0x0f;
    this.fin = (b0 & 0x80) !== 0;
    this.rsv1 = (b0 & 0x40) !== 0;
    this.length = length;
    this.remaining = length;
    const capture = this.opcode >= 8 ? length : this.capture;
    this.parts = capture > 0 ? [] : null;
    this.kept = 0;
    if (length === 0) this.#complete();
    return next;
  }

  #keep(chunk, at, take) {
    const capture = this.opcode >= 8 ? this.length : this.capture;
    const room = Math.min(take, capture - this.kept);
    if (room <= 0) return;
    this.parts.push(Buffer.from(chunk.subarray(at, at + room))); // reads reuse their buffer
    this.kept += room;
  }

  #complete() {
    let captured = null;
    if (this.parts !== null) {
      captured = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
      this.parts = null;
    }
    if (this.opcode < 8) this.wirePayloadBytes += this.length;
    this.onFrame(this.opcode, this.rsv1, this.length, captured, this.fin);
  }
}

/** Size of the header whose first `have` bytes are in `header` (2 until the length byte is in). */
function headerSize(header, have) {
  if (have < 2) return 2;
  const b1 = header[1] & 0x7f;
  return b1 === 126 ? 4 : b1 === 127 ? 10 : 2;
}

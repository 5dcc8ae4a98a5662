/**
 * The frame parser, RFC 6455 §5.2: bytes in, frame headers and payload pieces out.
 *
 * It only reports what it found. Deciding whether a frame is allowed (opcodes, reserved bits,
 * masking, limits, fragmentation) is the subclass's job, so the parser can be driven by a stub in
 * tests and fuzzing. The one thing it rejects itself is a length it cannot represent: a 64-bit
 * length with the most significant bit set, or a length not in its minimal encoding.
 *
 * It is an explicit state machine in a loop. A header is parsed only once all of it (2 to 14
 * bytes) has arrived; a header split across reads is carried in a 14-byte scratch buffer. Payload
 * is never buffered here: it is unmasked in place and handed on piece by piece as it arrives, so a
 * frame contained in one read reaches the subclass as one view of that read, without a copy.
 */

import { ErrorCode } from './errors.js';
import { applyMask, packMask } from './mask.js';

// #state: what comes next, plus the HALTED bit. One small integer instead of three fields.
const HEADER = 0;
const PAYLOAD = 1;
const MASKED_PAYLOAD = 2;
/** Set when a hook asked to stop; the loop returns at the current position. */
const HALTED = 4;

/** The longest frame header: 2 bytes, an 8-byte extended length, a 4-byte masking key. */
const MAX_HEADER_BYTES = 14;

export abstract class FrameParser {
  #state = HEADER;
  /** Payload bytes of the current frame still to come. */
  #remaining = 0;
  #mask = 0;
  /** Key index of the next payload byte (payload bytes seen so far, modulo 4). */
  #phase = 0;
  /** A header split across reads; allocated the first time that happens. */
  #partial: Uint8Array | null = null;
  #partialLength = 0;

  /**
   * A complete frame header. Return `false` to stop parsing (the connection failed or wants to
   * pause); the parser then returns the position after this header.
   */
  protected abstract onFrameHeader(
    fin: boolean,
    rsv: number,
    opcode: number,
    masked: boolean,
    length: number,
  ): boolean;

  /**
   * Payload bytes `data[start, end)` of the current frame, already unmasked; `frameEnd` when they
   * are the last ones. A frame with an empty payload reports one empty piece. Return `false` to
   * stop parsing after this piece.
   */
  protected abstract onFramePayload(
    data: Uint8Array,
    start: number,
    end: number,
    frameEnd: boolean,
  ): boolean;

  /** The frame's length field is invalid (RFC 6455 §5.2). Parsing has stopped. */
  protected abstract onFrameError(code: ErrorCode, message: string): void;

  /** Payload bytes of the current frame not reported yet. */
  protected get frameRemaining(): number {
    return this.#remaining;
  }

  /**
   * Parses `data` from `start`. Returns the index where parsing stopped: `data.length` when every
   * byte was consumed, less when a hook returned `false`. Unmasks payload in place.
   */
  protected parseFrames(data: Uint8Array, start: number): number {
    let pos = start;
    const end = data.length;
    while (pos < end) {
      if (this.#state === HEADER) {
        pos = this.#partialLength > 0 ? this.continueHeader(data, pos) : this.readHeader(data, pos);
        if (this.#state >= HALTED) {
          this.#state -= HALTED;
          return pos;
        }
        if (this.#state === HEADER) continue; // header still incomplete, or an empty payload
      }
      const n = Math.min(this.#remaining, end - pos);
      if (this.#state === MASKED_PAYLOAD) applyMask(data, pos, pos + n, this.#mask, this.#phase);
      this.#phase = (this.#phase + n) & 3;
      this.#remaining -= n;
      const frameEnd = this.#remaining === 0;
      if (frameEnd) this.#state = HEADER;
      const proceed = this.onFramePayload(data, pos, pos + n, frameEnd);
      pos += n;
      if (!proceed) return pos;
    }
    return pos;
  }

  // The helpers below are `private` methods, not `#` ones: in V8 a class with `#` methods gives
  // each instance a hidden brand field (8 bytes on every connection).

  /** Reads a header at `data[pos]`, or buffers it when incomplete. Returns where to continue. */
  private readHeader(data: Uint8Array, pos: number): number {
    const available = data.length - pos;
    if (available < 2 || available < headerLength(data[pos + 1]!)) {
      this.#partial ??= new Uint8Array(MAX_HEADER_BYTES);
      this.#partial.set(data.subarray(pos), 0);
      this.#partialLength = available;
      return data.length;
    }
    this.parseHeader(data, pos);
    return pos + headerLength(data[pos + 1]!);
  }

  /** Completes a header begun in an earlier read. Returns where to continue. */
  private continueHeader(data: Uint8Array, pos: number): number {
    const partial = this.#partial!;
    if (this.#partialLength < 2) {
      partial[this.#partialLength++] = data[pos++]!;
    }
    const needed = headerLength(partial[1]!) - this.#partialLength;
    const take = Math.min(needed, data.length - pos);
    partial.set(data.subarray(pos, pos + take), this.#partialLength);
    this.#partialLength += take;
    if (take === needed) {
      this.#partialLength = 0;
      this.parseHeader(partial, 0);
    }
    return pos + take;
  }

  /** Decodes the complete header at `buf[at]` and reports it. */
  private parseHeader(buf: Uint8Array, at: number): void {
    const b0 = buf[at]!;
    const b1 = buf[at + 1]!;
    let length = b1 & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      length = (buf[offset]! << 8) | buf[offset + 1]!;
      offset += 2;
      // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
      if (length < 126) {
        this.lengthError('a 16-bit length below 126');
        return;
      }
    } else if (length === 127) {
      const high = readUint32(buf, offset);
      length = high * 0x100000000 + readUint32(buf, offset + 4);
      offset += 8;
      // RFC 6455 §5.2: "the most significant bit MUST be 0".
      const problem =
        high >= 0x80000000
          ? 'a 64-bit length with the top bit set'
          : length < 0x10000
            ? 'a 64-bit length below 65536'
            : null;
      if (problem !== null) {
        this.lengthError(problem);
        return;
      }
    }
    const masked = (b1 & 0x80) !== 0;
    if (masked) {
      this.#mask = packMask(buf[offset]!, buf[offset + 1]!, buf[offset + 2]!, buf[offset + 3]!);
    }
    this.#phase = 0;
    this.#remaining = length;
    this.#state = masked ? MASKED_PAYLOAD : PAYLOAD;
    if (!this.onFrameHeader((b0 & 0x80) !== 0, (b0 >>> 4) & 7, b0 & 0x0f, masked, length)) {
      this.#state |= HALTED;
    } else if (length === 0) {
      this.#state = HEADER;
      if (!this.onFramePayload(EMPTY, 0, 0, true)) this.#state |= HALTED;
    }
  }

  private lengthError(what: string): void {
    this.#state |= HALTED;
    this.onFrameError(ErrorCode.INVALID_LENGTH, `invalid frame length: ${what}`);
  }
}

const EMPTY = new Uint8Array(0);

function readUint32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/** The header length announced by the second header byte (RFC 6455 §5.2). */
function headerLength(b1: number): number {
  const len = b1 & 0x7f;
  return 2 + (len === 126 ? 2 : len === 127 ? 8 : 0) + ((b1 & 0x80) !== 0 ? 4 : 0);
}

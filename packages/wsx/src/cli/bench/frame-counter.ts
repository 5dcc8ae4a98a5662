/**
 * Reads a server's frames for the load generator: it finds message boundaries and keeps only a
 * message's first bytes (publish mode's stamp) and control frames' payloads. No payload is
 * copied, unmasked or validated: the generator must cost far less per message than the server
 * it measures. A message that fits in one read goes to the sink straight from the read buffer.
 *
 * Server frames are never masked (RFC 6455 §5.1); no extension is negotiated, so RSV bits are 0.
 * Anything else is a protocol error for the sink to report.
 */

export interface FrameSink {
  /**
   * A data message is complete: `opcode` 1 (text) or 2 (binary), `length` payload bytes; its
   * first `available` (at most {@link PREFIX}) bytes are in `bytes` from `at`, during the call.
   */
  onMessage(opcode: number, length: number, bytes: Uint8Array, at: number, available: number): void;
  /** A ping, pong or close frame (payload copied). */
  onControl(opcode: number, payload: Buffer): void;
  onProtocolError(message: string): void;
}

/** Leading payload bytes kept for each message. */
export const PREFIX = 16;

export class FrameCounter {
  readonly #sink: FrameSink;
  /** A header split across reads. */
  readonly #header = Buffer.alloc(10);
  #headerHave = 0;
  /** Payload bytes of the current frame still to come. */
  #remaining = 0;
  #frameOpcode = 0;
  #frameFin = false;
  /** The opcode of the data message being received, 0 when none. */
  #messageOpcode = 0;
  #messageLength = 0;
  readonly #prefix = Buffer.alloc(PREFIX);
  #prefixHave = 0;
  readonly #control = Buffer.alloc(125);
  #controlHave = 0;
  #failed = false;

  constructor(sink: FrameSink) {
    this.#sink = sink;
  }

  /** Reads `chunk`, which the caller may reuse once this returns. */
  push(chunk: Uint8Array): void {
    const end = chunk.length;
    let at = 0;
    while (at < end && !this.#failed) {
      if (this.#remaining > 0) {
        at = this.#payload(chunk, at, end);
      } else if (
        this.#headerHave === 0 &&
        end - at >= 2 &&
        end - at >= headerSize(chunk[at + 1]!)
      ) {
        at = this.#headerFrom(chunk, at, end);
      } else {
        this.#header[this.#headerHave++] = chunk[at++]!;
        if (this.#headerHave >= 2 && this.#headerHave === headerSize(this.#header[1]!)) {
          this.#headerHave = 0;
          this.#headerFrom(this.#header, 0, 0);
        }
      }
    }
  }

  /**
   * A complete header at `at`; returns the offset after it, or after the whole message when it
   * is one frame contained in `bytes` up to `end` (the fast path: no state kept).
   */
  #headerFrom(bytes: Uint8Array, at: number, end: number): number {
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    if ((b1 & 0x80) !== 0 || (b0 & 0x70) !== 0) {
      this.#fail((b1 & 0x80) !== 0 ? 'a masked frame from the server' : 'RSV bits set');
      return at;
    }
    const code = b1 & 0x7f;
    let length = code;
    let next = at + 2;
    if (code === 126) {
      length = (bytes[next]! << 8) | bytes[next + 1]!;
      next += 2;
    } else if (code === 127) {
      length = readUint64(bytes, next);
      next += 8;
    }
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    if (
      fin &&
      (opcode === 1 || opcode === 2) &&
      this.#messageOpcode === 0 &&
      end - next >= length
    ) {
      this.#sink.onMessage(opcode, length, bytes, next, length < PREFIX ? length : PREFIX);
      return next + length;
    }
    this.#beginFrame(opcode, fin, length);
    return next;
  }

  #beginFrame(opcode: number, fin: boolean, length: number): void {
    const problem = frameProblem(opcode, fin, length, this.#messageOpcode);
    if (problem !== null) {
      this.#fail(problem);
      return;
    }
    if (opcode >= 8) {
      this.#controlHave = 0;
    } else if (opcode !== 0) {
      this.#messageOpcode = opcode;
      this.#messageLength = 0;
      this.#prefixHave = 0;
    }
    this.#frameOpcode = opcode;
    this.#frameFin = fin;
    this.#remaining = length;
    if (opcode < 8) this.#messageLength += length;
    if (length === 0) this.#frameEnd();
  }

  #payload(chunk: Uint8Array, at: number, end: number): number {
    const take = Math.min(this.#remaining, end - at);
    if (this.#frameOpcode >= 8) {
      this.#control.set(chunk.subarray(at, at + take), this.#controlHave);
      this.#controlHave += take;
    } else if (this.#prefixHave < PREFIX) {
      const keep = Math.min(take, PREFIX - this.#prefixHave);
      this.#prefix.set(chunk.subarray(at, at + keep), this.#prefixHave);
      this.#prefixHave += keep;
    }
    this.#remaining -= take;
    if (this.#remaining === 0) this.#frameEnd();
    return at + take;
  }

  #frameEnd(): void {
    if (this.#frameOpcode >= 8) {
      this.#sink.onControl(
        this.#frameOpcode,
        Buffer.from(this.#control.subarray(0, this.#controlHave)),
      );
    } else if (this.#frameFin) {
      const opcode = this.#messageOpcode;
      this.#messageOpcode = 0;
      this.#sink.onMessage(opcode, this.#messageLength, this.#prefix, 0, this.#prefixHave);
    }
  }

  #fail(message: string): void {
    this.#failed = true;
    this.#sink.onProtocolError(message);
  }
}

/** What is wrong with a frame given the message in progress (its opcode, 0 when none). */
function frameProblem(
  opcode: number,
  fin: boolean,
  length: number,
  message: number,
): string | null {
  if (opcode >= 8) return opcode > 10 || !fin || length > 125 ? 'an invalid control frame' : null;
  if (opcode === 0) return message === 0 ? 'a continuation frame with no message' : null;
  if (opcode > 2) return `reserved opcode ${opcode}`;
  return message !== 0 ? 'a new message inside another' : null;
}

/** The header's size from its second byte (2, 4 or 10 bytes; server frames carry no mask). */
function headerSize(b1: number): number {
  const code = b1 & 0x7f;
  return code < 126 ? 2 : code === 126 ? 4 : 10;
}

function readUint64(bytes: Uint8Array, at: number): number {
  let value = 0;
  for (let i = 0; i < 8; i++) value = value * 256 + bytes[at + i]!;
  return value;
}

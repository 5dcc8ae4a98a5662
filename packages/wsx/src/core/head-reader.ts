/**
 * Collects an HTTP/1.1 head from the chunks a transport reads, in one pass over the bytes.
 *
 * Each byte is looked at once, as it arrives: the end of the head (`CRLF CRLF`) is found without
 * rescanning or re-copying what came before, so a head sent one byte per packet costs what a head
 * in one packet does; a bare CR or LF fails at once instead of when the size limit is reached; a
 * head longer than `maxHeadSize` fails as soon as it passes the limit. The complete head is
 * copied once, for the parser.
 *
 * @see RFC 7230 §3: "HTTP-message = start-line *( header-field CRLF ) CRLF [ message-body ]"
 */

import { ErrorCode, HandshakeError } from './errors.js';
import { DEFAULT_MAX_HEAD_SIZE, type HeadLimits } from './http-head.js';

const CR = 0x0d;
const LF = 0x0a;

/** A complete head, and where what followed it begins in the last chunk. */
export interface CollectedHead {
  readonly head: Uint8Array;
  /** Index in the chunk just pushed of the first byte after the head (the WebSocket stream). */
  readonly restOffset: number;
}

export class HeadReader {
  readonly #maxHeadSize: number;
  /** Who answers a bad head: a server a request (with 400/431), a client a response (status 0). */
  readonly #side: 'request' | 'response';
  readonly #chunks: Uint8Array[] = [];
  #size = 0;
  /** How much of `CR LF CR LF` the last bytes matched (0-3). */
  #matched = 0;
  #previousCr = false;

  constructor(side: 'request' | 'response', limits?: HeadLimits) {
    this.#side = side;
    this.#maxHeadSize = limits?.maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE;
  }

  /** Bytes received so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Takes the next chunk. Returns the head once its blank line has arrived (null until then).
   *
   * @throws {HandshakeError} 400 `MALFORMED_HTTP` at a bare CR or LF; 431 `HEAD_TOO_LARGE` once
   * more than `maxHeadSize` bytes arrived without the end of the head. Status 0 for a response.
   */
  push(chunk: Uint8Array): CollectedHead | null {
    const end = this.#scan(chunk);
    if (end === -1) {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
      return null;
    }
    const last = chunk.subarray(0, end);
    const head = this.#chunks.length === 0 ? last : concat(this.#chunks, last, this.#size + end);
    this.#chunks.length = 0;
    this.#size += end;
    return { head, restOffset: end };
  }

  /** Index after the head's blank line in `chunk`, or -1; throws on a bare CR/LF or an overlong head. */
  #scan(chunk: Uint8Array): number {
    const room = this.#maxHeadSize - this.#size;
    const limit = Math.min(chunk.length, room);
    let matched = this.#matched;
    let previousCr = this.#previousCr;
    for (let i = 0; i < limit; i++) {
      const byte = chunk[i];
      if (byte === LF) {
        if (!previousCr) throw this.#malformed(`bare LF at byte ${this.#size + i} of HTTP head`);
        previousCr = false;
        if (matched === 3) return i + 1;
        matched = 2;
      } else if (previousCr) {
        throw this.#malformed(`bare CR at byte ${this.#size + i - 1} of HTTP head`);
      } else if (byte === CR) {
        previousCr = true;
        matched = matched === 2 ? 3 : 1;
      } else {
        matched = 0;
      }
    }
    if (chunk.length > room) {
      const message = `HTTP head exceeds ${this.#maxHeadSize} bytes without ending`;
      throw new HandshakeError(ErrorCode.HEAD_TOO_LARGE, this.#status(431), message);
    }
    this.#matched = matched;
    this.#previousCr = previousCr;
    return -1;
  }

  #malformed(message: string): HandshakeError {
    return new HandshakeError(ErrorCode.MALFORMED_HTTP, this.#status(400), message);
  }

  #status(status: number): number {
    return this.#side === 'request' ? status : 0;
  }
}

function concat(chunks: readonly Uint8Array[], last: Uint8Array, size: number): Uint8Array {
  const head = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    head.set(chunk, offset);
    offset += chunk.length;
  }
  head.set(last, offset);
  return head;
}

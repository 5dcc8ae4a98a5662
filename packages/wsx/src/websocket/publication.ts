/**
 * A published message, framed once: the same bytes are queued on every subscriber (server frames
 * are not masked), and compressed once per shared compressor setting.
 */

import { UsageError } from '../core/errors.js';
import { PreparedMessage, prepareMessage } from '../core/frame-writer.js';
import type { Deflater } from '../node/deflate.js';
import { alloc } from '../node/runtime.js';
import { type SendData, toPayload } from './send-data.js';

/**
 * One published message, framed lazily once per form: plain, and compressed once per shared
 * compressor setting (RFC 7692 with no context takeover gives the same bytes to everyone).
 */
export class Publication {
  readonly binary: boolean;
  readonly #payload: string | Uint8Array | null;
  #bytes: Uint8Array | null = null;
  #plain: PreparedMessage | null;
  #compressed: Map<string, PreparedMessage> | null = null;

  constructor(data: SendData | PreparedMessage, binary: boolean | undefined) {
    if (data instanceof PreparedMessage) {
      this.binary = data.binary;
      this.#payload = null;
      this.#plain = data;
      return;
    }
    const payload = toPayload(data);
    this.binary = binary ?? typeof payload !== 'string';
    this.#payload = payload;
    this.#plain = null;
  }

  /** Whether this message is worth compressing (a prepared frame is sent as it is). */
  compressible(threshold: number): boolean {
    const payload = this.#payload;
    if (payload === null) return false;
    // A string shorter than threshold / 3 code units cannot reach it in UTF-8: skip encoding it.
    if (typeof payload === 'string' && payload.length * 3 < threshold) return false;
    return this.bytes().length >= threshold;
  }

  /** The payload as bytes. */
  bytes(): Uint8Array {
    if (this.#bytes === null) {
      const payload = this.#payload!;
      this.#bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    }
    return this.#bytes;
  }

  /** The payload and its kind, for a pub/sub adapter (a compressed prepared frame has none). */
  forAdapter(): { readonly data: Uint8Array; readonly binary: boolean } {
    if (this.#payload === null) {
      const prepared = this.#plain!;
      if (prepared.compressed) {
        throw new UsageError(
          'a compressed prepared message cannot cross processes: publish its payload instead',
        );
      }
      return { data: prepared.payload(), binary: this.binary };
    }
    return { data: this.bytes(), binary: this.binary };
  }

  plain(): PreparedMessage {
    this.#plain ??= prepareMessage(this.#payload!, this.binary, alloc);
    return this.#plain;
  }

  /** Compressed by a shared (context-free) compressor, once per setting. */
  compressedWith(deflater: Deflater): PreparedMessage {
    this.#compressed ??= new Map();
    let message = this.#compressed.get(deflater.key);
    if (message === undefined) {
      message = prepareMessage(deflater.compress(this.bytes()), this.binary, alloc, true);
      this.#compressed.set(deflater.key, message);
    }
    return message;
  }
}

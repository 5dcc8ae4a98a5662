/**
 * An independent reading of RFC 6455 §5.2 for checking what the code under test wrote or parsed:
 * a plain decoder of whole frames, written without the parser's state machine.
 */

export interface DecodedFrame {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  /** Unmasked. */
  readonly payload: Uint8Array;
}

export interface Decoded {
  readonly frames: DecodedFrame[];
  /** Why decoding stopped before the end, if it did: an invalid length encoding. */
  readonly error: string | null;
  /** Bytes after the last whole frame. */
  readonly rest: number;
}

/** Decodes every whole frame of `bytes`; lengths must be minimally encoded, as §5.2 requires. */
export function decodeFrames(bytes: Uint8Array): Decoded {
  const frames: DecodedFrame[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    const masked = b1 >= 0x80;
    let length = b1 & 0x7f;
    const extra = length === 126 ? 2 : length === 127 ? 8 : 0;
    // Like a receiver, look at the header only once all of it (with the key) has arrived.
    if (at + 2 + extra + (masked ? 4 : 0) > bytes.length) break;
    let header = 2 + extra;
    if (length === 126) {
      length = bytes[at + 2]! * 256 + bytes[at + 3]!;
      if (length < 126) return { frames, error: 'non-minimal 16-bit length', rest: 0 };
    } else if (length === 127) {
      if (bytes[at + 2]! >= 0x80) return { frames, error: '64-bit length with top bit', rest: 0 };
      length = 0;
      for (let i = 2; i < 10; i++) length = length * 256 + bytes[at + i]!;
      if (length < 65536) return { frames, error: 'non-minimal 64-bit length', rest: 0 };
    }
    const keyAt = at + header;
    if (masked) header += 4;
    if (at + header + length > bytes.length) break;
    // A copy (Buffer#slice would be a view): unmasking must not touch the input.
    const payload = new Uint8Array(bytes.subarray(at + header, at + header + length));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= bytes[keyAt + (i & 3)]!;
    frames.push({ fin: b0 >= 0x80, rsv: (b0 >> 4) & 7, opcode: b0 & 15, masked, payload });
    at += header + length;
  }
  return { frames, error: null, rest: bytes.length - at };
}

export function hexOf(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function isUtf8Text(data: Uint8Array): boolean {
  try {
    strictUtf8.decode(data);
    return true;
  } catch {
    return false;
  }
}

/** Splits `data` into chunks whose sizes cycle through `sizes` (each at least 1). */
export function chunkBy(data: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = Math.max(1, sizes.length === 0 ? data.length : sizes[i % sizes.length]!);
    chunks.push(data.slice(at, at + n));
    at += n;
  }
  return chunks;
}

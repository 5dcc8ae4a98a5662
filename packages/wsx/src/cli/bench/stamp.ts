/**
 * Publish mode's message stamp: the first 16 payload bytes are 8 hex digits of the time it was
 * due (microseconds on the run's shared clock, modulo 2^32: ~71 minutes) and 8 of the sender's
 * number. Hex keeps a text message valid UTF-8; every process of a run reads the same
 * monotonic clock, so a receiver in one process times a message published by another.
 */

export const STAMP_BYTES = 16;

const DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** Byte -> hex digit value, -1 for anything else. */
const VALUES = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  VALUES[DIGITS[i]!] = i;
  VALUES[DIGITS[i]! - 32 * Number(i >= 10)] = i; // A-F too
}

/** Writes `value` (an unsigned 32-bit number) as 8 hex digits at `at`, masked with `mask`. */
export function writeHex8(
  frame: Buffer,
  at: number,
  value: number,
  maskAt: number,
  maskShift: number,
): void {
  for (let i = 7; i >= 0; i--) {
    const digit = DIGITS[value & 0xf]!;
    frame[at + i] = digit ^ frame[maskAt + ((maskShift + i) & 3)]!;
    value >>>= 4;
  }
}

/** The 8 hex digits at `at` as a number, or -1 when they are not hex. */
export function readHex8(bytes: Uint8Array, at: number): number {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const digit = VALUES[bytes[at + i]!]!;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

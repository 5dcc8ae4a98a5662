/**
 * SHA-1, written from FIPS 180-4, for `Sec-WebSocket-Accept` only.
 *
 * SHA-1 is broken for collision resistance; RFC 6455 uses it as a fingerprint that proves the
 * server read the handshake, not for security, so that is fine here. Never use this for anything
 * else. Kept in the core (rather than `node:crypto`) so the handshake stays sans-I/O.
 *
 * It runs once per handshake, so it allocates nothing but its result: the padded message and the
 * message schedule live in module-level scratch arrays (a handshake's 60-byte input is two
 * blocks), and the four round ranges are four loops rather than a branch per round.
 *
 * @see FIPS 180-4 §5.1.1 (padding), §6.1.2 (hash computation), RFC 6455 §4.2.2
 */

const BLOCK_BYTES = 64;

/** FIPS 180-4 §5.3.1: the initial hash value H(0). */
const H0 = 0x67452301;
const H1 = 0xefcdab89;
const H2 = 0x98badcfe;
const H3 = 0x10325476;
const H4 = 0xc3d2e1f0;

/** The message schedule W_0..W_79 (FIPS 180-4 §6.1.2 step 1), reused by every block. */
const schedule = new Int32Array(80);
/** The padded message, reused when it fits (two blocks cover a handshake key + GUID). */
const scratch = new Uint8Array(2 * BLOCK_BYTES);
/** The running hash value H(i), as five 32-bit words. */
const state = new Int32Array(5);

/**
 * The SHA-1 digest (20 bytes) of `data`.
 *
 * @see FIPS 180-4 §6.1.2
 */
export function sha1(data: Uint8Array): Uint8Array {
  const padded = pad(data.length);
  padded.set(data);
  return digestOf(padded, data.length);
}

/**
 * The SHA-1 digest of `text`'s UTF-8 bytes, without encoding it first when it is ASCII (as a
 * `Sec-WebSocket-Key` followed by the GUID always is).
 */
export function sha1OfText(text: string): Uint8Array {
  const length = text.length;
  const padded = pad(length);
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return sha1(new TextEncoder().encode(text));
    padded[i] = code;
  }
  return digestOf(padded, length);
}

/**
 * A zeroed array of exactly the padded length of a message of `length` bytes (FIPS 180-4
 * §5.1.1): a view of the scratch array when it fits.
 */
function pad(length: number): Uint8Array {
  const total = Math.ceil((length + 9) / BLOCK_BYTES) * BLOCK_BYTES;
  // A longer message gets an array of its own: the scratch array never grows past two blocks.
  if (total > scratch.length) return new Uint8Array(total);
  const padded = scratch.subarray(0, total);
  padded.fill(0);
  return padded;
}

/**
 * FIPS 180-4 §5.1.1 on `padded` (the message's `length` bytes, then zeros): "append the bit '1'
 * to the end of the message, followed by k zero bits [...] Then append the 64-bit block that is
 * equal to the number l expressed using a binary representation"; then §6.1.2 over every block.
 */
function digestOf(padded: Uint8Array, length: number): Uint8Array {
  const total = padded.length;
  padded[length] = 0x80;
  // The bit length may exceed 2^32: split it into two 32-bit words, big-endian.
  writeWord(padded, total - 8, Math.floor((length * 8) / 0x1_0000_0000));
  writeWord(padded, total - 4, (length * 8) >>> 0);
  state[0] = H0;
  state[1] = H1;
  state[2] = H2;
  state[3] = H3;
  state[4] = H4;
  for (let offset = 0; offset < total; offset += BLOCK_BYTES) compress(padded, offset);
  const digest = new Uint8Array(20);
  for (let i = 0; i < 5; i++) writeWord(digest, i * 4, state[i]!);
  return digest;
}

function writeWord(bytes: Uint8Array, at: number, word: number): void {
  bytes[at] = word >>> 24;
  bytes[at + 1] = word >>> 16;
  bytes[at + 2] = word >>> 8;
  bytes[at + 3] = word;
}

/**
 * FIPS 180-4 §6.1.2 steps 1-4 for the 512-bit block at `offset`. The functions and constants
 * of §4.1.1 and §4.2.1 by round range: Ch and 0x5a827999 for rounds 0-19, Parity and
 * 0x6ed9eba1 for 20-39, Maj and 0x8f1bbcdc for 40-59, Parity and 0xca62c1d6 for 60-79.
 * Words are kept as int32 (`| 0`); the sums wrap modulo 2^32 as the standard's addition does.
 */
function compress(block: Uint8Array, offset: number): void {
  const w = schedule;
  for (let t = 0; t < 16; t++) {
    const i = offset + t * 4;
    w[t] = (block[i]! << 24) | (block[i + 1]! << 16) | (block[i + 2]! << 8) | block[i + 3]!;
  }
  for (let t = 16; t < 80; t++) {
    // "W_t = ROTL^1(W_{t-3} xor W_{t-8} xor W_{t-14} xor W_{t-16})"
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31);
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let t = 0;
  for (; t < 20; t++) {
    const temp = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  for (; t < 40; t++) {
    const temp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  for (; t < 60; t++) {
    const temp =
      (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  for (; t < 80; t++) {
    const temp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
}

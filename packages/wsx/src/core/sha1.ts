/**
 * SHA-1, written from FIPS 180-4, for `Sec-WebSocket-Accept` only.
 *
 * SHA-1 is broken for collision resistance; RFC 6455 uses it as a fingerprint that proves the
 * server read the handshake, not for security, so that is fine here. Never use this for anything
 * else. Kept in the core (rather than `node:crypto`) so the handshake stays sans-I/O.
 *
 * @see FIPS 180-4 §5.1.1 (padding), §6.1.2 (hash computation), RFC 6455 §4.2.2
 */

const BLOCK_BYTES = 64;

/** FIPS 180-4 §5.3.1: the initial hash value H(0). */
const INITIAL_STATE = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0] as const;

/**
 * The SHA-1 digest (20 bytes) of `data`.
 *
 * @see FIPS 180-4 §6.1.2
 */
export function sha1(data: Uint8Array): Uint8Array {
  const padded = pad(data);
  const view = new DataView(padded.buffer, padded.byteOffset, padded.byteLength);
  const state = Uint32Array.from(INITIAL_STATE);
  const schedule = new Uint32Array(80);
  for (let offset = 0; offset < padded.length; offset += BLOCK_BYTES) {
    compress(state, schedule, view, offset);
  }
  const digest = new Uint8Array(20);
  const out = new DataView(digest.buffer);
  for (let i = 0; i < 5; i++) out.setUint32(i * 4, state[i]!);
  return digest;
}

/**
 * FIPS 180-4 §5.1.1: "append the bit '1' to the end of the message, followed by k zero bits
 * [...] Then append the 64-bit block that is equal to the number l expressed using a binary
 * representation."
 */
function pad(data: Uint8Array): Uint8Array {
  const length = data.length;
  const total = Math.ceil((length + 9) / BLOCK_BYTES) * BLOCK_BYTES;
  const padded = new Uint8Array(total);
  padded.set(data);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  // The bit length may exceed 2^32: split it into two 32-bit words.
  const bits = length * 8;
  view.setUint32(total - 8, Math.floor(bits / 0x1_0000_0000));
  view.setUint32(total - 4, bits >>> 0);
  return padded;
}

/** FIPS 180-4 §6.1.2 steps 1-4 for one 512-bit block. */
function compress(state: Uint32Array, w: Uint32Array, view: DataView, offset: number): void {
  for (let t = 0; t < 16; t++) w[t] = view.getUint32(offset + t * 4);
  for (let t = 16; t < 80; t++) {
    // "W_t = ROTL^1(W_{t-3} xor W_{t-8} xor W_{t-14} xor W_{t-16})"
    w[t] = rotl(w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!, 1);
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  for (let t = 0; t < 80; t++) {
    const temp = (rotl(a, 5) + f(t, b, c, d) + e + k(t) + w[t]!) >>> 0;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = temp;
  }
  state[0] = state[0]! + a;
  state[1] = state[1]! + b;
  state[2] = state[2]! + c;
  state[3] = state[3]! + d;
  state[4] = state[4]! + e;
}

function rotl(x: number, n: number): number {
  return ((x << n) | (x >>> (32 - n))) >>> 0;
}

/** FIPS 180-4 §4.1.1: Ch, Parity, Maj, Parity for rounds 0-19, 20-39, 40-59, 60-79. */
function f(t: number, x: number, y: number, z: number): number {
  if (t < 20) return (x & y) ^ (~x & z);
  if (t < 40 || t >= 60) return x ^ y ^ z;
  return (x & y) ^ (x & z) ^ (y & z);
}

/** FIPS 180-4 §4.2.1: the round constants. */
function k(t: number): number {
  if (t < 20) return 0x5a827999;
  if (t < 40) return 0x6ed9eba1;
  if (t < 60) return 0x8f1bbcdc;
  return 0xca62c1d6;
}

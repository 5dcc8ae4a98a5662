/**
 * Base64 with the standard alphabet and required padding, written from RFC 4648 §4.
 *
 * Kept in the core (rather than `Buffer`) so the handshake stays sans-I/O. The decoder is strict:
 * it accepts only canonical encodings, so `encodeBase64(decodeBase64(s)!) === s` whenever the
 * decode succeeds.
 *
 * @see RFC 4648 §4
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Char code -> 6-bit value, or -1 outside the alphabet. */
const DECODE_TABLE = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

const PAD = 0x3d; // '='

/** The alphabet's char codes. */
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));

/**
 * Encodes `bytes` as base64, with padding.
 *
 * @see RFC 4648 §4
 */
export function encodeBase64(bytes: Uint8Array): string {
  // Char codes gathered in one array, turned into one string: no intermediate strings.
  const codes = new Array<number>(Math.ceil(bytes.length / 3) * 4);
  const whole = bytes.length - (bytes.length % 3);
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    codes[o++] = CODES[n >>> 18]!;
    codes[o++] = CODES[(n >>> 12) & 63]!;
    codes[o++] = CODES[(n >>> 6) & 63]!;
    codes[o++] = CODES[n & 63]!;
  }
  const rest = bytes.length - whole;
  if (rest > 0) {
    const n = (bytes[whole]! << 16) | (rest === 2 ? bytes[whole + 1]! << 8 : 0);
    codes[o++] = CODES[n >>> 18]!;
    codes[o++] = CODES[(n >>> 12) & 63]!;
    codes[o++] = rest === 2 ? CODES[(n >>> 6) & 63]! : PAD;
    codes[o++] = PAD;
  }
  // fromCharCode takes its codes as arguments: a bounded number per call.
  if (codes.length <= CHUNK) return String.fromCharCode.apply(null, codes);
  let out = '';
  for (let i = 0; i < codes.length; i += CHUNK) {
    out += String.fromCharCode.apply(null, codes.slice(i, i + CHUNK));
  }
  return out;
}

/** Char codes per String.fromCharCode call. */
const CHUNK = 0x2000;

/**
 * Decodes standard, padded base64; `null` when `str` is not exactly that.
 *
 * Rejected: characters outside the alphabet (including whitespace and the URL-safe `-_`), a
 * length that is not a multiple of 4, missing or misplaced padding, and non-zero pad bits.
 *
 * @see RFC 4648 §4; §3.5 "decoders MAY chose to reject an encoding if the pad bits have not been
 * set to zero"
 */
export function decodeBase64(str: string): Uint8Array | null {
  if (str.length % 4 !== 0) return null;
  const out = new Uint8Array((str.length / 4) * 3 - padding(str));
  return decodeInto(str, out) ? out : null;
}

/**
 * How many bytes `str` decodes to, or -1 when it is not canonical, padded base64 (the rules of
 * {@link decodeBase64}); checks without allocating.
 */
export function base64ByteLength(str: string): number {
  if (str.length % 4 !== 0) return -1;
  const length = (str.length / 4) * 3 - padding(str);
  return decodeInto(str, null) ? length : -1;
}

function padding(str: string): number {
  return str.endsWith('==') ? 2 : str.endsWith('=') ? 1 : 0;
}

/** Checks `str` (length a multiple of 4) and, given `out` (its decoded length), writes its bytes there; false when it is not canonical. */
function decodeInto(str: string, out: Uint8Array | null): boolean {
  const pad = padding(str);
  let o = 0;
  for (let i = 0; i < str.length; i += 4) {
    const last = i + 4 === str.length;
    const a = sextet(str, i);
    const b = sextet(str, i + 1);
    const c = last && pad === 2 ? padSextet(str, i + 2) : sextet(str, i + 2);
    const d = last && pad >= 1 ? padSextet(str, i + 3) : sextet(str, i + 3);
    if ((a | b | c | d) < 0) return false;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    // RFC 4648 §3.5: the bits dropped by the padding must be zero, else the encoding is not
    // canonical.
    if (last && (n & ((1 << (pad * 8)) - 1)) !== 0) return false;
    if (out !== null) {
      out[o++] = n >>> 16;
      if (o < out.length) out[o++] = (n >>> 8) & 0xff;
      if (o < out.length) out[o++] = n & 0xff;
    }
  }
  return true;
}

function sextet(str: string, index: number): number {
  const code = str.charCodeAt(index);
  return code < 128 ? DECODE_TABLE[code]! : -1;
}

/** A padding position: '=' counts as zero bits; anything else is invalid here. */
function padSextet(str: string, index: number): number {
  return str.charCodeAt(index) === PAD ? 0 : -1;
}

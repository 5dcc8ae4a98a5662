/**
 * Incremental UTF-8 validation.
 *
 * RFC 6455 §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte
 * stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket
 * Connection_." A text message may arrive in many fragments and many reads, and a multi-byte
 * character may be split between them, so validation carries a small state from one piece to the
 * next and rejects at the first byte that cannot continue a valid sequence (RFC 3629 §4: no
 * overlong forms, no surrogates, nothing above U+10FFFF).
 */

/** The validator state between two pieces of a text message. */
export type Utf8State = number;

/** Complete: every byte so far forms whole, valid characters. */
export const UTF8_ACCEPT: Utf8State = 0;
/** Invalid: a byte could not continue any valid sequence. Terminal. */
export const UTF8_REJECT: Utf8State = 1;

// Mid-character states: how many continuation bytes are still due, and for the lead bytes whose
// second byte is restricted (RFC 3629 §4), which range that second byte must fall in.
const NEED_1 = 2; // 80..BF, then done
const NEED_2 = 3; // 80..BF, then NEED_1
const NEED_3 = 4; // 80..BF, then NEED_2
const AFTER_E0 = 5; // A0..BF (no overlong 3-byte form), then NEED_1
const AFTER_ED = 6; // 80..9F (no UTF-16 surrogates), then NEED_1
const AFTER_F0 = 7; // 90..BF (no overlong 4-byte form), then NEED_2
const AFTER_F4 = 8; // 80..8F (nothing above U+10FFFF), then NEED_2

function leadState(b: number): Utf8State {
  if (b < 0xc2) return UTF8_REJECT; // a continuation byte, or an overlong 2-byte lead (C0, C1)
  if (b < 0xe0) return NEED_1;
  if (b === 0xe0) return AFTER_E0;
  if (b === 0xed) return AFTER_ED;
  if (b < 0xf0) return NEED_2;
  if (b === 0xf0) return AFTER_F0;
  if (b < 0xf4) return NEED_3;
  if (b === 0xf4) return AFTER_F4;
  return UTF8_REJECT; // F5..FF never appear in UTF-8
}

function continuationState(state: Utf8State, b: number): Utf8State {
  switch (state) {
    case NEED_1:
      return (b & 0xc0) === 0x80 ? UTF8_ACCEPT : UTF8_REJECT;
    case NEED_2:
      return (b & 0xc0) === 0x80 ? NEED_1 : UTF8_REJECT;
    case NEED_3:
      return (b & 0xc0) === 0x80 ? NEED_2 : UTF8_REJECT;
    case AFTER_E0:
      return b >= 0xa0 && b <= 0xbf ? NEED_1 : UTF8_REJECT;
    case AFTER_ED:
      return b >= 0x80 && b <= 0x9f ? NEED_1 : UTF8_REJECT;
    case AFTER_F0:
      return b >= 0x90 && b <= 0xbf ? NEED_2 : UTF8_REJECT;
    case AFTER_F4:
      return b >= 0x80 && b <= 0x8f ? NEED_2 : UTF8_REJECT;
    default:
      return UTF8_REJECT;
  }
}

/**
 * Feeds `data[start, end)` to the validator in `state` and returns the new state:
 * {@link UTF8_ACCEPT} if the bytes so far end on a character boundary, {@link UTF8_REJECT} as soon
 * as a byte is invalid, or a mid-character state to pass with the next piece.
 */
export function utf8Validate(
  state: Utf8State,
  data: Uint8Array,
  start: number,
  end: number,
): Utf8State {
  let s = state;
  let i = start;
  while (i < end) {
    if (s === UTF8_ACCEPT) {
      // ASCII runs are the common case: skip them without a state transition.
      while (i < end && data[i]! < 0x80) i++;
      if (i === end) break;
      s = leadState(data[i]!);
    } else {
      s = continuationState(s, data[i]!);
    }
    if (s === UTF8_REJECT) return UTF8_REJECT;
    i++;
  }
  return s;
}

/** Whether `data` is entirely valid UTF-8. */
export function isValidUtf8(data: Uint8Array): boolean {
  return utf8Validate(UTF8_ACCEPT, data, 0, data.length) === UTF8_ACCEPT;
}

/** A whole-buffer validator, such as Node's native `buffer.isUtf8`. */
export type Utf8Check = (data: Uint8Array) => boolean;

/** Below this size the byte loop beats the cost of a native call on a sub-view. */
const NATIVE_MIN_BYTES = 256;

/**
 * Like {@link utf8Validate}, but lets a native whole-buffer check (`isUtf8`) cover the part of a
 * large piece that ends on a character boundary, leaving only the few trailing bytes of a split
 * character (at most 3) and any carried state to the byte loop.
 */
export function utf8ValidateWith(
  isUtf8: Utf8Check,
  state: Utf8State,
  data: Uint8Array,
  start: number,
  end: number,
): Utf8State {
  if (state !== UTF8_ACCEPT || end - start < NATIVE_MIN_BYTES) {
    return utf8Validate(state, data, start, end);
  }
  const boundary = lastCharBoundary(data, start, end);
  if (!isUtf8(data.subarray(start, boundary))) return UTF8_REJECT;
  return utf8Validate(UTF8_ACCEPT, data, boundary, end);
}

/**
 * The index where a trailing, possibly incomplete multi-byte character begins, or `end` when the
 * piece ends on a character boundary. Looks at the last 4 bytes only: anything further back is
 * left to the full check.
 */
function lastCharBoundary(data: Uint8Array, start: number, end: number): number {
  const floor = Math.max(start, end - 4);
  for (let i = end - 1; i >= floor; i--) {
    const b = data[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for its lead
    const needed = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    return end - i >= needed ? end : i;
  }
  return end;
}

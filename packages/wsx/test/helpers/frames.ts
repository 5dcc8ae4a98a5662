/**
 * Test helpers that build frames byte by byte from RFC 6455 §5.2, independently of the frame
 * writer under test, and feed bytes three ways (whole, one byte at a time, with trailing data).
 */

export interface FrameSpec {
  fin?: boolean;
  rsv?: number;
  opcode: number;
  payload?: Uint8Array | string;
  /** Four key bytes, or null for an unmasked frame. */
  mask?: readonly [number, number, number, number] | null;
  /** Force a length encoding (to build non-minimal encodings on purpose). */
  lengthBits?: 7 | 16 | 64;
}

const encoder = new TextEncoder();

export function bytes(input: Uint8Array | string | readonly number[]): Uint8Array {
  if (typeof input === 'string') return encoder.encode(input);
  return Uint8Array.from(input);
}

export function hex(input: string): Uint8Array {
  const clean = input.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(data: Uint8Array): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Builds one frame exactly as RFC 6455 §5.2 lays it out. */
export function frame(spec: FrameSpec): Uint8Array {
  const payload = bytes(spec.payload ?? new Uint8Array(0));
  const n = payload.length;
  const bits = spec.lengthBits ?? (n < 126 ? 7 : n < 65536 ? 16 : 64);
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | spec.opcode];
  const maskBit = spec.mask ? 0x80 : 0;
  if (bits === 7) {
    head.push(maskBit | n);
  } else if (bits === 16) {
    head.push(maskBit | 126, (n >>> 8) & 0xff, n & 0xff);
  } else {
    const high = Math.floor(n / 2 ** 32);
    head.push(maskBit | 127);
    for (const word of [high, n >>> 0]) {
      head.push((word >>> 24) & 0xff, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff);
    }
  }
  const body = Uint8Array.from(payload);
  if (spec.mask) {
    head.push(...spec.mask);
    for (let i = 0; i < n; i++) body[i] = body[i]! ^ spec.mask[i % 4]!;
  }
  return concat([Uint8Array.from(head), body]);
}

/** A masked client frame with a fixed key (servers require masked frames). */
export function clientFrame(spec: Omit<FrameSpec, 'mask'>): Uint8Array {
  return frame({ ...spec, mask: [0x37, 0xfa, 0x21, 0x3d] });
}

/** The three ways every parse case is fed: whole, one byte at a time, and with trailing data. */
export const FEEDS = ['whole', 'byte-by-byte', 'with-trailing-data'] as const;
export type Feed = (typeof FEEDS)[number];

/**
 * Splits `data` into the chunks of one feed. Every chunk is a fresh copy, as a transport would
 * deliver it (the parser unmasks in place). For 'with-trailing-data', `trailing` follows in the
 * same chunk as the end of `data`.
 */
export function chunksOf(data: Uint8Array, feed: Feed, trailing: Uint8Array): Uint8Array[] {
  if (feed === 'whole') return [data.slice()];
  if (feed === 'byte-by-byte') return Array.from(data, (b) => Uint8Array.of(b));
  return [concat([data, trailing])];
}

/** Splits `data` at the given cut points, each chunk a fresh copy. */
export function splitAt(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < data.length))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...points, data.length]) {
    out.push(data.slice(prev, c));
    prev = c;
  }
  return out;
}

/** A deterministic random source: a counter, so masks are predictable in tests. */
export function counterRandom(): (buf: Uint8Array) => void {
  let n = 1;
  return (buf) => {
    for (let i = 0; i < buf.length; i++) buf[i] = n++ & 0xff;
  };
}

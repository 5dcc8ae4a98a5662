/**
 * Byte-level mutations of a corpus input, in the manner of libFuzzer's mutation engine: bit
 * flips, interesting values, inserted and deleted runs, copies within the input, dictionary
 * tokens (the target's own keywords, such as `\r\n` or `permessage-deflate`) and crossover with
 * another corpus input. One to four of them are stacked per new input.
 */
import type { Rng } from './random.js';

/** Bytes that sit on the protocol's boundaries: lengths 125/126/127, CR, LF, 0x80 and so on. */
const INTERESTING_BYTES = [
  0x00, 0x01, 0x02, 0x08, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x3b, 0x3d, 0x7d, 0x7e, 0x7f, 0x80,
  0x81, 0x82, 0x88, 0x89, 0x8a, 0xc0, 0xc1, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xfe, 0xff,
];

/** 16-bit big-endian values around the frame length encodings and close codes. */
const INTERESTING_U16 = [
  0, 1, 125, 126, 127, 128, 255, 256, 999, 1000, 1001, 1004, 1005, 1006, 1007, 1011, 1012, 1014,
  1015, 1016, 2999, 3000, 4999, 5000, 0x7fff, 0x8000, 0xfffe, 0xffff,
];

export interface MutationContext {
  readonly rng: Rng;
  /** Other corpus inputs, for crossover. */
  readonly corpus: readonly Uint8Array[];
  readonly dictionary: readonly Uint8Array[];
  readonly maxLength: number;
}

type Mutation = (data: Uint8Array, ctx: MutationContext) => Uint8Array;

const flipBit: Mutation = (data, { rng }) => {
  if (data.length === 0) return rng.bytes(1);
  const out = data.slice();
  const at = rng.below(out.length);
  out[at] = out[at]! ^ (1 << rng.below(8));
  return out;
};

const randomByte: Mutation = (data, { rng }) => {
  if (data.length === 0) return rng.bytes(1);
  const out = data.slice();
  out[rng.below(out.length)] = rng.oneIn(2) ? rng.pick(INTERESTING_BYTES) : rng.next() & 0xff;
  return out;
};

const arithmetic: Mutation = (data, { rng }) => {
  if (data.length === 0) return rng.bytes(1);
  const out = data.slice();
  const at = rng.below(out.length);
  out[at] = (out[at]! + (rng.below(35) + 1) * (rng.oneIn(2) ? 1 : -1)) & 0xff;
  return out;
};

const interestingU16: Mutation = (data, { rng }) => {
  if (data.length < 2) return randomByte(data, { rng } as MutationContext);
  const out = data.slice();
  const at = rng.below(out.length - 1);
  const value = rng.pick(INTERESTING_U16);
  out[at] = value >>> 8;
  out[at + 1] = value & 0xff;
  return out;
};

const insertBytes: Mutation = (data, { rng }) => {
  const at = rng.below(data.length + 1);
  const n = 1 + rng.below(rng.oneIn(8) ? 128 : 8);
  const fill = rng.oneIn(2) ? rng.bytes(n) : new Uint8Array(n).fill(rng.pick(INTERESTING_BYTES));
  return join(data.subarray(0, at), fill, data.subarray(at));
};

const deleteRange: Mutation = (data, { rng }) => {
  if (data.length === 0) return data;
  const at = rng.below(data.length);
  const n = 1 + rng.below(Math.min(data.length - at, rng.oneIn(4) ? 256 : 8));
  return join(data.subarray(0, at), data.subarray(at + n));
};

const duplicateRange: Mutation = (data, { rng }) => {
  if (data.length === 0) return data;
  const from = rng.below(data.length);
  const n = 1 + rng.below(Math.min(data.length - from, 64));
  const to = rng.below(data.length + 1);
  const piece = data.subarray(from, from + n);
  const copies = rng.oneIn(4) ? 1 + rng.below(16) : 1;
  const pieces: Uint8Array[] = [data.subarray(0, to)];
  for (let i = 0; i < copies; i++) pieces.push(piece);
  pieces.push(data.subarray(to));
  return join(...pieces);
};

const insertToken: Mutation = (data, ctx) => {
  if (ctx.dictionary.length === 0) return insertBytes(data, ctx);
  const token = ctx.rng.pick(ctx.dictionary);
  const at = ctx.rng.below(data.length + 1);
  if (ctx.rng.oneIn(2)) return join(data.subarray(0, at), token, data.subarray(at));
  return join(data.subarray(0, at), token, data.subarray(at + token.length));
};

const crossover: Mutation = (data, ctx) => {
  if (ctx.corpus.length === 0) return duplicateRange(data, ctx);
  const other = ctx.rng.pick(ctx.corpus);
  const cut = ctx.rng.below(data.length + 1);
  const from = ctx.rng.below(other.length + 1);
  return join(data.subarray(0, cut), other.subarray(from));
};

const truncate: Mutation = (data, { rng }) => data.subarray(0, rng.below(data.length + 1));

const MUTATIONS: readonly Mutation[] = [
  flipBit,
  randomByte,
  arithmetic,
  interestingU16,
  insertBytes,
  deleteRange,
  duplicateRange,
  insertToken,
  insertToken,
  crossover,
  truncate,
];

/** A new input made from `data` by one to four stacked mutations, at most `maxLength` bytes. */
export function mutate(data: Uint8Array, ctx: MutationContext): Uint8Array {
  let out = data;
  const rounds = 1 + ctx.rng.below(4);
  for (let i = 0; i < rounds; i++) out = ctx.rng.pick(MUTATIONS)(out, ctx);
  return out.length > ctx.maxLength ? out.slice(0, ctx.maxLength) : out.slice();
}

function join(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

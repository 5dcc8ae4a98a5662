/**
 * Fuzz target: the frame parser (src/core/frame-parser.ts) through a stub subclass that records
 * what it reports. Checked: it never throws; whole, byte-by-byte and randomly chunked input, with
 * or without a hook pausing it, give the same reports; the reports agree with an independent
 * decoder (support/wire.ts); hook calls are bounded by the input (no work out of proportion).
 *
 * Input: byte 0 seeds the chunking and the pauses, the rest is the byte stream.
 */
import type { ErrorCode } from '../../src/core/errors.js';
import { FrameParser } from '../../src/core/frame-parser.js';
import { Rng, seedOf } from '../engine/random.js';
import { check, type FuzzTarget, tokens } from '../engine/target.js';
import { decodeFrames, hexOf } from '../support/wire.js';

/** Records headers, whole payloads and the error; pauses after some headers when asked. */
class Recorder extends FrameParser {
  readonly reports: string[] = [];
  readonly frames: string[] = [];
  hookCalls = 0;
  failed = false;
  #pieces: string[] = [];
  #header = '';
  #pauses: Rng | null;

  constructor(pauses: Rng | null) {
    super();
    this.#pauses = pauses;
  }

  /** Feeds one chunk to the end, resuming after every pause. */
  feed(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.failed) {
      const calls = this.hookCalls;
      const stopped = this.parseFrames(chunk, at);
      check(stopped >= at && stopped <= chunk.length, 'parseFrames returned a position outside');
      // A call that consumed nothing must have reported something (an empty payload's end).
      check(stopped > at || this.hookCalls > calls, 'parseFrames made no progress');
      at = stopped;
    }
  }

  protected override onFrameHeader(
    fin: boolean,
    rsv: number,
    opcode: number,
    masked: boolean,
    length: number,
  ): boolean {
    this.hookCalls++;
    check(!this.failed, 'a header reported after an error');
    this.#header = `${fin ? 1 : 0}${rsv}${opcode.toString(16)}${masked ? 'm' : ''}:${length}`;
    this.reports.push(`header ${this.#header}`);
    // Never paused here: the connection stops at a header only to fail for good, and a frame
    // with an empty payload paused at the end of the input would report its end only with the
    // next read.
    return true;
  }

  protected override onFramePayload(
    data: Uint8Array,
    start: number,
    end: number,
    frameEnd: boolean,
  ): boolean {
    this.hookCalls++;
    check(start <= end && end <= data.length, 'a payload piece outside its buffer');
    this.#pieces.push(hexOf(data.subarray(start, end)));
    if (frameEnd) {
      const payload = this.#pieces.join('');
      check(payload.length / 2 === Number(this.#header.split(':')[1]), 'payload length differs');
      this.frames.push(`${this.#header}=${payload}`);
      this.reports.push(`payload ${payload}`);
      this.#pieces = [];
    }
    return this.#pauses === null || !this.#pauses.oneIn(4);
  }

  protected override onFrameError(code: ErrorCode): void {
    this.hookCalls++;
    check(!this.failed, 'two errors reported');
    this.failed = true;
    this.reports.push(`error ${code}`);
  }
}

function parse(stream: Uint8Array, sizes: readonly number[], pauses: Rng | null): Recorder {
  const recorder = new Recorder(pauses);
  let at = 0;
  for (let i = 0; at < stream.length && !recorder.failed; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    recorder.feed(stream.slice(at, at + n));
    at += n;
  }
  return recorder;
}

function run(input: Uint8Array): void {
  const stream = input.subarray(1);
  const rng = new Rng(seedOf(input));
  const whole = parse(stream, [stream.length || 1], null);
  const byByte = parse(stream, [1], null);
  const sizes = Array.from({ length: 1 + rng.below(8) }, () => 1 + rng.below(1 + (input[0] ?? 0)));
  const chunked = parse(stream, sizes, new Rng(input[0] ?? 0));
  const expected = whole.reports.join('\n');
  check(byByte.reports.join('\n') === expected, 'byte-by-byte reports differ from whole');
  check(chunked.reports.join('\n') === expected, 'chunked and paused reports differ from whole');

  const reference = decodeFrames(stream);
  const referenceFrames = reference.frames.map((f) => {
    const head = `${f.fin ? 1 : 0}${f.rsv}${f.opcode.toString(16)}${f.masked ? 'm' : ''}`;
    return `${head}:${f.payload.length}=${hexOf(f.payload)}`;
  });
  check(whole.frames.join('\n') === referenceFrames.join('\n'), 'frames differ from reference');
  check(whole.failed === (reference.error !== null), 'length errors differ from the reference');
  // Work in proportion to the input: a header, a piece per chunk per frame, an error.
  const bound = 2 * (reference.frames.length + 1) + stream.length + 1;
  check(byByte.hookCalls <= bound, `${byByte.hookCalls} hook calls for ${stream.length} bytes`);
}

export const frameParserTarget: FuzzTarget = {
  name: 'frame-parser',
  description: 'frame parser: chunking-invariant, agrees with an independent decoder',
  maxLength: 4096,
  dictionary: tokens(
    [0x81, 0x05],
    [0x82, 0x7e, 0x00, 0x7e],
    [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0],
    [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0],
    [0x89, 0x80, 0x37, 0xfa, 0x21, 0x3d],
    [0x88, 0x82],
    [0x01, 0x03],
    [0x80, 0x02],
    [0xfe],
    [0xff],
  ),
  seeds: () => [
    Uint8Array.of(3, 0x81, 0x05, ...Buffer.from('Hello')),
    Uint8Array.of(1, 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
    Uint8Array.of(2, 0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f),
    Uint8Array.from([5, 0x82, 0x7e, 0x01, 0x00, ...new Uint8Array(256)]),
    Uint8Array.from([9, 0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0, ...new Uint8Array(64)]),
    Uint8Array.of(0, 0x82, 0x7e, 0x00, 0x10),
  ],
  run,
};

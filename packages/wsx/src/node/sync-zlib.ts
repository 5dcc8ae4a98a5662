/**
 * Synchronous raw DEFLATE on a long-lived zlib stream.
 *
 * Node offers synchronous zlib only as one-shot calls (`deflateRawSync`), which set up and tear
 * down a zlib stream per call: ~5 µs, and ~17 µs to inflate 16 KiB that takes 8 µs on a kept
 * stream. Per-message compression wants the kept stream, so this drives the stream's native
 * handle the way Node's own `zlib` module does (`handle.writeSync` with the stream's write
 * state), without the close that the one-shot path does after every call. If a future Node
 * changes those internals, {@link SyncZlib.create} falls back to the one-shot calls, carrying the
 * LZ77 window across messages as a preset dictionary: slower, identical on the wire.
 */

import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  deflateRawSync,
  inflateRawSync,
  type ZlibOptions,
} from 'node:zlib';

/** What went wrong: the output passed the limit, or the input is not valid DEFLATE data. */
export type ZlibFailure = 'too-big' | 'invalid';

const Z_SYNC = constants.Z_SYNC_FLUSH;

/** zlib's smallest output chunk (Z_MIN_CHUNK). */
const MIN_CHUNK = 64;

/** Where the kept streams write (synchronously, one at a time): 64 KiB per call. */
const scratch = Buffer.allocUnsafe(64 * 1024);

export interface SyncZlibOptions {
  readonly mode: 'deflate' | 'inflate';
  readonly windowBits: number;
  readonly level?: number;
  readonly memLevel?: number;
  /** Keep the LZ77 window from one call to the next (context takeover). */
  readonly contextTakeover: boolean;
  /** Output chunk size: small for per-connection streams (it lives as long as they do). */
  readonly chunkSize: number;
}

/** The native side of a Node zlib stream, as lib/zlib.js drives it. */
interface NativeHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  reset(): void;
  close(): void;
}

interface ZlibStream {
  _handle?: NativeHandle | null;
  _writeState?: Uint32Array;
  destroyed: boolean;
  on(event: 'error', listener: () => void): unknown;
  close(): void;
}

export interface SyncZlib {
  /** Runs `input` through with a sync flush; at most `limit` bytes of output. */
  process(input: Uint8Array, limit: number): Buffer | ZlibFailure;
  /**
   * Starts running `input`, then `tail`, through with sync flushes, in steps (see {@link ZlibRun}):
   * at most `limit` bytes of output, and `tail` must produce none (RFC 7692 §7.2.2: the
   * `00 00 ff ff` appended to a message completes an empty stored block; output from it means
   * the message's own data ended inside a block). Until the run is done, nothing else may use
   * this engine.
   */
  start(input: Uint8Array, tail: Uint8Array, limit: number): ZlibRun;
  close(): void;
}

/** A run in progress: each step does a bounded amount of work. */
export interface ZlibRun {
  /**
   * Works until the run is done, or until it has produced at least `budget` more bytes of output
   * ('more': call again, typically on a later turn of the event loop).
   */
  step(budget: number): Buffer | ZlibFailure | 'more';
  /** Bytes of output so far. */
  readonly produced: number;
}

export const SyncZlib = {
  create(options: SyncZlibOptions): SyncZlib {
    const engine = new HandleZlib(options);
    return engine.usable ? engine : new OneShotZlib(options);
  },
};

function zlibOptions(options: SyncZlibOptions): ZlibOptions {
  return {
    windowBits: options.windowBits,
    chunkSize: options.chunkSize,
    ...(options.level === undefined ? {} : { level: options.level }),
    ...(options.memLevel === undefined ? {} : { memLevel: options.memLevel }),
  };
}

class HandleZlib implements SyncZlib {
  readonly #options: SyncZlibOptions;
  #stream: ZlibStream | null = null;

  constructor(options: SyncZlibOptions) {
    this.#options = options;
  }

  /** Whether this Node exposes the internals used here. */
  get usable(): boolean {
    const stream = this.#open();
    return (
      typeof stream._handle?.writeSync === 'function' && stream._writeState instanceof Uint32Array
    );
  }

  process(input: Uint8Array, limit: number): Buffer | ZlibFailure {
    const result = new HandleRun(this, input, null, limit).step(Number.POSITIVE_INFINITY);
    return result === 'more' ? this.fail('invalid') : result;
  }

  start(input: Uint8Array, tail: Uint8Array, limit: number): ZlibRun {
    return new HandleRun(this, input, tail, limit);
  }

  /** The open stream's native handle and write state. */
  stream(): ZlibStream {
    return this.#open();
  }

  /** A run is done: without context takeover, the stream starts afresh for the next one. */
  done(): void {
    if (!this.#options.contextTakeover) this.#stream?._handle?.reset();
  }

  close(): void {
    this.#stream?.close();
    this.#stream = null;
  }

  #open(): ZlibStream {
    if (this.#stream === null) {
      // The stream's own output buffer is never used here: keep it at zlib's minimum.
      const options = { ...zlibOptions(this.#options), chunkSize: MIN_CHUNK };
      const stream = (this.#options.mode === 'deflate'
        ? createDeflateRaw(options)
        : createInflateRaw(options)) as unknown as ZlibStream;
      stream.on('error', () => {}); // the error was seen synchronously; this one comes late
      this.#stream = stream;
    }
    return this.#stream;
  }

  fail(failure: ZlibFailure): ZlibFailure {
    this.close(); // a failed or overflowing stream is not reused
    return failure;
  }
}

/** One run on a kept stream: input, then the tail, fed in steps of bounded output. */
class HandleRun implements ZlibRun {
  readonly #engine: HandleZlib;
  readonly #limit: number;
  #input: Uint8Array;
  #tail: Uint8Array | null;
  #inOff = 0;
  #inLen: number;
  readonly #chunks: Buffer[] = [];
  #total = 0;
  /** Output before the tail was fed: the tail must add none. */
  #beforeTail = -1;

  get produced(): number {
    return this.#total;
  }

  constructor(engine: HandleZlib, input: Uint8Array, tail: Uint8Array | null, limit: number) {
    this.#engine = engine;
    this.#input = input;
    this.#tail = tail;
    this.#inLen = input.length;
    this.#limit = limit;
  }

  step(budget: number): Buffer | ZlibFailure | 'more' {
    const stream = this.#engine.stream();
    const handle = stream._handle!;
    const state = stream._writeState!;
    const stop = this.#total + budget;
    for (;;) {
      // zlib writes into one scratch buffer shared by every stream; the output is copied out at
      // its exact size, so no stream keeps an output buffer and no result pins a larger one.
      const input = this.#input;
      handle.writeSync(Z_SYNC, input, this.#inOff, this.#inLen, scratch, 0, scratch.length);
      // zlib reports errors by destroying the stream (synchronously marked).
      if (stream.destroyed) return this.#engine.fail('invalid');
      const availOut = state[0]!;
      const availIn = state[1]!;
      const produced = scratch.length - availOut;
      this.#total += produced;
      if (this.#total > this.#limit) return this.#engine.fail('too-big');
      if (produced > 0) this.#chunks.push(Buffer.from(scratch.subarray(0, produced)));
      if (availOut === 0) {
        // The output buffer filled up: more is coming from this input.
        this.#inOff += this.#inLen - availIn;
        this.#inLen = availIn;
      } else if (this.#tail !== null) {
        // The input is consumed and flushed: now the tail.
        this.#beforeTail = this.#total;
        this.#input = this.#tail;
        this.#tail = null;
        this.#inOff = 0;
        this.#inLen = this.#input.length;
      } else {
        break;
      }
      if (this.#total >= stop) return 'more';
    }
    if (this.#beforeTail !== -1 && this.#total !== this.#beforeTail) {
      return this.#engine.fail('invalid');
    }
    this.#engine.done();
    const total = this.#beforeTail === -1 ? this.#total : this.#beforeTail;
    return this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, total);
  }
}

/** The fallback: one-shot calls, the window carried as a preset dictionary. */
class OneShotZlib implements SyncZlib {
  /**
   * In one step (one-shot calls cannot pause). The tail check inflates the input alone too: the
   * tail must not change the output's length. Twice the work, on a path used only if Node's zlib
   * internals change.
   */
  start(input: Uint8Array, tail: Uint8Array, limit: number): ZlibRun {
    return {
      produced: 0,
      step: () => {
        const window = this.#window;
        const alone = this.process(input, limit);
        if (typeof alone === 'string') return alone;
        this.#window = window;
        const whole = this.process(Buffer.concat([input, tail]), limit);
        if (typeof whole === 'string') return whole;
        if (whole.length !== alone.length) {
          this.#window = null;
          return 'invalid';
        }
        return whole;
      },
    };
  }

  readonly #options: SyncZlibOptions;
  /** The last 2^windowBits bytes of uncompressed data, for context takeover. */
  #window: Buffer | null = null;

  constructor(options: SyncZlibOptions) {
    this.#options = options;
  }

  process(input: Uint8Array, limit: number): Buffer | ZlibFailure {
    const options = {
      ...zlibOptions(this.#options),
      finishFlush: constants.Z_SYNC_FLUSH,
      ...(Number.isFinite(limit) ? { maxOutputLength: Math.max(1, limit) } : {}),
      ...(this.#window === null ? {} : { dictionary: this.#window }),
    };
    let output: Buffer;
    try {
      output =
        this.#options.mode === 'deflate'
          ? deflateRawSync(input, options)
          : inflateRawSync(input, options);
    } catch (error) {
      this.#window = null;
      return (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too-big' : 'invalid';
    }
    if (this.#options.contextTakeover) {
      const plain = this.#options.mode === 'deflate' ? Buffer.from(input) : output;
      this.#remember(plain);
    }
    return output;
  }

  close(): void {
    this.#window = null;
  }

  #remember(plain: Buffer): void {
    const size = 1 << this.#options.windowBits;
    const joined = this.#window === null ? plain : Buffer.concat([this.#window, plain]);
    this.#window = Buffer.from(joined.subarray(Math.max(0, joined.length - size)));
  }
}

/** Internal: the fallback, for tests. */
export function oneShotZlib(options: SyncZlibOptions): SyncZlib {
  return new OneShotZlib(options);
}

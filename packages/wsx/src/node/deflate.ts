/**
 * The permessage-deflate codec (RFC 7692 §7.2) over Node's zlib, synchronous.
 *
 * zlib runs synchronously on the event loop, on long-lived streams (see sync-zlib.ts): no
 * thread-pool hop per message, no per-message zlib setup, no unbounded concurrency (one message
 * is inflated at a time, so zlib memory cannot pile up the way concurrent asynchronous inflation
 * does). Output is bounded while
 * inflating: a message that inflates past the limit stops at the limit (zip bombs end with 1009,
 * not with memory exhaustion).
 *
 * Memory is the operator's choice, as in uWebSockets:
 * - a **shared** compressor (no context takeover: `server_no_context_takeover`) is one zlib stream
 *   per parameter set for the whole process, reset after each message; a shared decompressor
 *   (`client_no_context_takeover`) likewise;
 * - a **dedicated** one keeps the LZ77 window between messages (better ratio on similar messages)
 *   and costs zlib state per connection: inflate about 7 KiB plus 2^windowBits, deflate about
 *   2^(windowBits+2) + 2^(memLevel+9) bytes (300 KiB at the defaults 15/8).
 */

import { SyncZlib, type ZlibRun } from './sync-zlib.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

export interface DeflateSettings {
  /** LZ77 window of our compressor (9-15). */
  readonly windowBits: number;
  /** zlib compression level (0-9). */
  readonly level: number;
  /** zlib memLevel (1-9): memory for the compressor's hash tables. */
  readonly memLevel: number;
  /** Keep the window between messages (dedicated) or reset after each (shareable). */
  readonly contextTakeover: boolean;
}

/** Compresses messages: RFC 7692 §7.2.1. */
export class Deflater {
  readonly settings: DeflateSettings;
  /** A key for shared compressors: same key, same bytes for the same message. */
  readonly key: string;
  #engine: SyncZlib | null = null;

  constructor(settings: DeflateSettings) {
    this.settings = settings;
    this.key = `${settings.windowBits}/${settings.level}/${settings.memLevel}`;
  }

  /** DEFLATE with a sync flush, the trailing `00 00 ff ff` removed. */
  compress(payload: Uint8Array): Uint8Array {
    this.#engine ??= SyncZlib.create({
      mode: 'deflate',
      ...this.settings,
      chunkSize: 16 * 1024, // used by the one-shot fallback only
    });
    const out = this.#engine.process(payload, Number.POSITIVE_INFINITY);
    if (typeof out === 'string') {
      this.#engine = null;
      throw new Error(`zlib could not compress the message (${out})`);
    }
    // "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
    return out.subarray(0, out.length - 4);
  }

  close(): void {
    this.#engine?.close();
    this.#engine = null;
  }
}

/** Why inflating failed. */
export type InflateFailure = 'too-big' | 'invalid';

/** Decompresses messages: RFC 7692 §7.2.2. */
export class Inflater {
  readonly windowBits: number;
  readonly contextTakeover: boolean;
  #engine: SyncZlib | null = null;

  constructor(windowBits: number, contextTakeover: boolean) {
    this.windowBits = windowBits;
    this.contextTakeover = contextTakeover;
  }

  /**
   * Starts inflating one message: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the
   * payload of the message. Decompress the resulting data using DEFLATE." The job stops as soon
   * as the output passes `limit`, and fails a message whose data ends inside a block (the tail
   * would then come back as message data). Run it with {@link InflateJob.step}.
   */
  start(data: Uint8Array, limit: number): InflateJob {
    this.#engine ??= SyncZlib.create({
      mode: 'inflate',
      windowBits: this.windowBits,
      contextTakeover: this.contextTakeover,
      chunkSize: 16 * 1024, // used by the one-shot fallback only
    });
    return new InflateJob(this, this.#engine, data, limit);
  }

  /** Inflates a whole message at once. */
  inflate(data: Uint8Array, limit: number): Buffer | InflateFailure {
    return this.start(data, limit).step(Number.POSITIVE_INFINITY) as Buffer | InflateFailure;
  }

  /**
   * A job is done with `engine`: a failed engine closed itself, and one a job took away (see
   * {@link InflateJob}) is closed unless the inflater has none.
   */
  release(engine: SyncZlib, failed: boolean): void {
    if (this.#engine === engine) {
      if (failed) this.#engine = null; // the next message (maybe another connection's) gets a new one
    } else if (!failed) {
      if (this.#engine === null) this.#engine = engine;
      else engine.close();
    }
  }

  /** A job needs more than one step: without context takeover, it keeps this engine. */
  detach(engine: SyncZlib): void {
    if (!this.contextTakeover && this.#engine === engine) this.#engine = null;
  }

  close(): void {
    this.#engine?.close();
    this.#engine = null;
  }
}

/**
 * One message being inflated, in steps of bounded output, so that a large message cannot hold
 * the event loop (a 16 KB message can inflate to 16 MiB: ~100 ms of zlib at once). Most
 * messages finish in their first step. A job that needs more steps on a shared inflater (no
 * context takeover) takes its zlib stream along, and the inflater opens another for the other
 * connections meanwhile; with context takeover the stream is the connection's own, and the
 * connection reads nothing else until its message is inflated.
 */
export class InflateJob {
  readonly #inflater: Inflater;
  readonly #engine: SyncZlib;
  readonly #run: ZlibRun;
  #detached = false;
  /** Bytes of output so far. */
  produced = 0;

  constructor(inflater: Inflater, engine: SyncZlib, data: Uint8Array, limit: number) {
    this.#inflater = inflater;
    this.#engine = engine;
    this.#run = engine.start(data, TAIL, limit);
  }

  /** Inflates until done, or until about `budget` more bytes were produced ('more'). */
  step(budget: number): Buffer | InflateFailure | 'more' {
    const result = this.#run.step(budget);
    this.produced = this.#run.produced;
    if (result === 'more') {
      if (!this.#detached) {
        this.#detached = true;
        this.#inflater.detach(this.#engine);
      }
      return 'more';
    }
    this.#inflater.release(this.#engine, typeof result === 'string');
    return result;
  }
}

const sharedDeflaters = new Map<string, Deflater>();
const sharedInflaters = new Map<number, Inflater>();

/** The process-wide compressor without context takeover for these settings. */
export function sharedDeflater(windowBits: number, level: number, memLevel: number): Deflater {
  const key = `${windowBits}/${level}/${memLevel}`;
  let deflater = sharedDeflaters.get(key);
  if (deflater === undefined) {
    deflater = new Deflater({ windowBits, level, memLevel, contextTakeover: false });
    sharedDeflaters.set(key, deflater);
  }
  return deflater;
}

/** The process-wide decompressor without context takeover for this window. */
export function sharedInflater(windowBits: number): Inflater {
  let inflater = sharedInflaters.get(windowBits);
  if (inflater === undefined) {
    inflater = new Inflater(windowBits, false);
    sharedInflaters.set(windowBits, inflater);
  }
  return inflater;
}

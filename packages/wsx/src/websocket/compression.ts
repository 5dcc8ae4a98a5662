/**
 * permessage-deflate options, and the compression state of one connection: which compressor and
 * decompressor it uses (shared or its own), chosen from the options and the agreed parameters.
 */

import { UsageError } from '../core/errors.js';
import {
  type ClientDeflatePolicy,
  checkClientPolicy,
  checkServerPolicy,
  type DeflateParams,
  type ServerDeflatePolicy,
} from '../extensions/permessage-deflate.js';
import { Deflater, Inflater, sharedDeflater, sharedInflater } from '../node/deflate.js';

/** Compression settings common to both sides. */
interface CodecOptions {
  /** zlib level, 0 (none) to 9 (smallest). Default 6, zlib's own default. */
  level?: number;
  /** zlib memLevel, 1 to 9: memory for the compressor's hash tables. Default 8. */
  memLevel?: number;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
}

/** The server's `perMessageDeflate` option (off by default). */
export interface ServerCompressionOptions extends CodecOptions {
  /**
   * 'shared' (default): one compressor for every connection, reset after each message; the
   * server answers `server_no_context_takeover` and keeps no zlib state per connection.
   * 'dedicated': each connection keeps its own window (better ratio, ~300 KiB per connection at
   * the default window and memLevel).
   */
  compressor?: 'shared' | 'dedicated';
  /**
   * 'shared' (default): the server asks `client_no_context_takeover` and inflates every
   * connection's messages with one decompressor. 'dedicated': each connection keeps an inflater
   * with the client's window (~7 KiB + 2^clientMaxWindowBits bytes per connection).
   */
  decompressor?: 'shared' | 'dedicated';
  /** Largest window our compressor uses, 9-15. Default 15. */
  serverMaxWindowBits?: number;
  /** Largest window accepted for the client's compressor, 9-15 (a dedicated decompressor's memory). Default 15. */
  clientMaxWindowBits?: number;
}

/** The client's `perMessageDeflate` option (on by default, as in browsers). */
export interface ClientCompressionOptions extends CodecOptions {
  /** Ask the server not to use context takeover. */
  serverNoContextTakeover?: boolean;
  /** Announce that our compressor will not use context takeover. */
  clientNoContextTakeover?: boolean;
  /** Ask the server to compress with at most this window (9-15). */
  serverMaxWindowBits?: number;
  /** Offer `client_max_window_bits` (true: without a value, as browsers do; default) or a bound. */
  clientMaxWindowBits?: number | true;
}

const LEVEL = 6; // zlib's default: the usual balance of speed and size
const MEM_LEVEL = 8; // zlib's default
/** Below 1 KiB, compression saves a few bytes for the price of a zlib call. */
const THRESHOLD = 1024;
const WINDOW_BITS = 15;

interface Codec {
  readonly level: number;
  readonly memLevel: number;
  readonly threshold: number;
}

function codecOf(options: CodecOptions): Codec {
  const level = options.level ?? LEVEL;
  const memLevel = options.memLevel ?? MEM_LEVEL;
  const threshold = options.threshold ?? THRESHOLD;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new UsageError(`perMessageDeflate level is 0-9 (got ${level})`);
  }
  if (!Number.isInteger(memLevel) || memLevel < 1 || memLevel > 9) {
    throw new UsageError(`perMessageDeflate memLevel is 1-9 (got ${memLevel})`);
  }
  if (!(threshold >= 0))
    throw new UsageError(`perMessageDeflate threshold is >= 0 (got ${threshold})`);
  return { level, memLevel, threshold };
}

const SERVER_KEYS = new Set([
  'level',
  'memLevel',
  'threshold',
  'compressor',
  'decompressor',
  'serverMaxWindowBits',
  'clientMaxWindowBits',
]);
const CLIENT_KEYS = new Set([
  'level',
  'memLevel',
  'threshold',
  'serverNoContextTakeover',
  'clientNoContextTakeover',
  'serverMaxWindowBits',
  'clientMaxWindowBits',
]);

function checkKeys(options: object, known: Set<string>): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new UsageError(`unknown perMessageDeflate option '${key}'`);
  }
}

/** A server's resolved compression: the negotiation policy and how to build codecs. */
export class ServerCompression {
  readonly policy: ServerDeflatePolicy;
  readonly #codec: Codec;
  readonly #dedicatedDeflater: boolean;
  readonly #dedicatedInflater: boolean;

  constructor(options: true | ServerCompressionOptions) {
    const o = options === true ? {} : options;
    checkKeys(o, SERVER_KEYS);
    this.#codec = codecOf(o);
    for (const key of ['compressor', 'decompressor'] as const) {
      const mode = o[key];
      if (mode !== undefined && mode !== 'shared' && mode !== 'dedicated') {
        throw new UsageError(
          `perMessageDeflate ${key} is 'shared' or 'dedicated' (got '${String(mode)}')`,
        );
      }
    }
    this.#dedicatedDeflater = o.compressor === 'dedicated';
    this.#dedicatedInflater = o.decompressor === 'dedicated';
    this.policy = {
      serverNoContextTakeover: !this.#dedicatedDeflater,
      clientNoContextTakeover: !this.#dedicatedInflater,
      serverMaxWindowBits: o.serverMaxWindowBits ?? WINDOW_BITS,
      clientMaxWindowBits: o.clientMaxWindowBits ?? WINDOW_BITS,
    };
    checkServerPolicy(this.policy);
    checkServerPolicy(this.policy);
  }

  /** The compression state of a connection that agreed `params` (the server side). */
  connection(params: DeflateParams, extensions: string): ConnectionCompression {
    const { level, memLevel, threshold } = this.#codec;
    const windowBits = Math.max(9, params.serverMaxWindowBits);
    const deflater = params.serverNoContextTakeover
      ? sharedDeflater(windowBits, level, memLevel)
      : new Deflater({ windowBits, level, memLevel, contextTakeover: true });
    const inflater = params.clientNoContextTakeover
      ? sharedInflater(WINDOW_BITS)
      : new Inflater(Math.max(9, params.clientMaxWindowBits), true);
    return new ConnectionCompression(deflater, inflater, threshold, extensions);
  }
}

/** A client's resolved compression: the offer and how to build codecs. */
export class ClientCompression {
  readonly policy: ClientDeflatePolicy;
  readonly #codec: Codec;

  constructor(options: true | ClientCompressionOptions) {
    const o = options === true ? {} : options;
    checkKeys(o, CLIENT_KEYS);
    this.#codec = codecOf(o);
    this.policy = {
      clientMaxWindowBits: o.clientMaxWindowBits ?? true,
      ...(o.serverNoContextTakeover === undefined
        ? {}
        : { serverNoContextTakeover: o.serverNoContextTakeover }),
      ...(o.clientNoContextTakeover === undefined
        ? {}
        : { clientNoContextTakeover: o.clientNoContextTakeover }),
      ...(o.serverMaxWindowBits === undefined
        ? {}
        : { serverMaxWindowBits: o.serverMaxWindowBits }),
    };
    checkClientPolicy(this.policy);
  }

  /** The compression state of a connection that agreed `params` (the client side). */
  connection(params: DeflateParams, extensions: string): ConnectionCompression {
    const { level, memLevel, threshold } = this.#codec;
    const windowBits = Math.max(9, params.clientMaxWindowBits);
    const deflater = params.clientNoContextTakeover
      ? sharedDeflater(windowBits, level, memLevel)
      : new Deflater({ windowBits, level, memLevel, contextTakeover: true });
    const inflater = params.serverNoContextTakeover
      ? sharedInflater(WINDOW_BITS)
      : new Inflater(Math.max(9, params.serverMaxWindowBits), true);
    return new ConnectionCompression(deflater, inflater, threshold, extensions);
  }
}

/** One connection's codecs. Dedicated ones are closed with the connection. */
export class ConnectionCompression {
  readonly deflater: Deflater;
  readonly inflater: Inflater;
  readonly threshold: number;
  /** The negotiated `Sec-WebSocket-Extensions` value. */
  readonly extensions: string;

  constructor(deflater: Deflater, inflater: Inflater, threshold: number, extensions: string) {
    this.deflater = deflater;
    this.inflater = inflater;
    this.threshold = threshold;
    this.extensions = extensions;
  }

  /** Whether published messages can be compressed once for every connection with this key. */
  get sharedKey(): string | null {
    return this.deflater.settings.contextTakeover ? null : this.deflater.key;
  }

  close(): void {
    if (this.deflater.settings.contextTakeover) this.deflater.close();
    if (this.inflater.contextTakeover) this.inflater.close();
  }
}

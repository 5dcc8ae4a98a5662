/**
 * The options of a {@link Connection}, resolved once. A server resolves them once and hands the
 * same config to every connection it accepts, so a connection carries a pointer to its limits and
 * codecs rather than a copy of them: idle connections stay small.
 */

import type { Role } from './frame-rules.js';
import {
  type Allocator,
  type MaskSource,
  maskSourceFor,
  type RandomFill,
  type Slab,
  slabFor,
} from './frame-writer.js';
import { isValidUtf8, type Utf8Check } from './utf8.js';

/** Options of a Connection. */
export interface ConnectionOptions {
  /** Which end of the connection this is. Decides masking and who closes TCP first. */
  readonly role: Role;
  /**
   * Largest message accepted, in bytes, after reassembly of its fragments. Larger ones fail the
   * connection with 1009. Default 1 MiB: generous for chat-sized traffic, small enough that a
   * thousand connections cannot be made to hold a gigabyte.
   */
  readonly maxMessageSize?: number;
  /** Largest single frame accepted, in bytes. Default: `maxMessageSize`. */
  readonly maxFrameSize?: number;
  /** Random source for client masking keys. Required for clients (RFC 6455 §10.3). */
  readonly random?: RandomFill;
  /** A fast whole-buffer UTF-8 check, such as `buffer.isUtf8`. Default: the built-in validator. */
  readonly isUtf8?: Utf8Check;
  /** Allocates buffers for reassembled messages and outgoing frames. */
  readonly alloc?: Allocator;
  /** Allocates buffers that are filled entirely before anyone sees them. Default: `alloc`. */
  readonly allocUnsafe?: Allocator;
  /**
   * permessage-deflate was negotiated (RFC 7692): RSV1 marks a compressed message. Compressed
   * messages come out as `InflateWork` for the I/O layer, which owns the codec.
   */
  readonly compression?: boolean;
  /**
   * End our side of the transport as soon as the closing handshake is done (or the connection
   * failed). Default: true for a server, which closes TCP first (RFC 6455 §7.1.1), false for a
   * client, which waits for it. A client over an HTTP/2 stream sets it: ending a stream is a
   * half-close (RFC 8441 §5 maps an orderly close to END_STREAM, sent by both sides), there is
   * no TIME_WAIT to leave with the server, and some servers end theirs only after the client's.
   */
  readonly endAfterClosing?: boolean;
}

const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;

const allocUint8Array: Allocator = (size) => new Uint8Array(size);

/** Resolved, shareable connection options. */
export class ConnectionConfig {
  readonly role: Role;
  readonly maxMessageSize: number;
  readonly maxFrameSize: number;
  readonly compression: boolean;
  readonly endAfterClosing: boolean;
  readonly isUtf8: Utf8Check;
  readonly alloc: Allocator;
  readonly allocUnsafe: Allocator;
  /** Where small outgoing frames are written (shared by every connection using `alloc`). */
  readonly slab: Slab;
  /** Masking keys (clients only). */
  readonly masks: MaskSource | null;

  constructor(options: ConnectionOptions) {
    this.role = options.role;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.maxFrameSize = options.maxFrameSize ?? this.maxMessageSize;
    this.compression = options.compression ?? false;
    this.endAfterClosing = options.endAfterClosing ?? this.role === 'server';
    this.isUtf8 = options.isUtf8 ?? isValidUtf8;
    this.alloc = options.alloc ?? allocUint8Array;
    this.allocUnsafe = options.allocUnsafe ?? this.alloc;
    this.slab = slabFor(options.alloc);
    if (this.role === 'client') {
      if (options.random === undefined) {
        throw new TypeError('a client connection needs a random source for masking keys');
      }
      this.masks = maskSourceFor(options.random);
    } else {
      this.masks = null;
    }
  }
}

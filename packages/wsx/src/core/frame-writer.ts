/**
 * Building frames to send, RFC 6455 §5.2.
 *
 * Small frames are written, header and payload together, into a shared slab and handed out as
 * views; consecutive frames of one connection that land next to each other in the slab are merged
 * into one view, so a burst of small messages leaves as one write. A large payload is never
 * copied on the server side: its header goes in the slab and the payload follows as its own
 * buffer. Client frames are masked (RFC 6455 §5.3), which needs a copy anyway.
 */

import { applyMask, packMask } from './mask.js';

/** Allocates `size` bytes; the Node layer passes `Buffer.allocUnsafe` so outputs are Buffers. */
export type Allocator = (size: number) => Uint8Array;

/** Fills `buf` with random bytes from a strong source (RFC 6455 §5.3, §10.3). */
export type RandomFill = (buf: Uint8Array) => void;

const defaultAllocator: Allocator = (size) => new Uint8Array(size);

/** 64 KiB: a typical socket read or write; small enough that a retained slab wastes little. */
const SLAB_SIZE = 64 * 1024;

/** Payloads up to this size are copied beside their header: one buffer beats two for the write. */
const COPY_MAX = 4 * 1024;

/** 14 bytes: the longest header (2 + 8-byte length + 4-byte key). */
const MAX_HEADER = 14;

/** A bump allocator over shared buffers. Views it hands out are never written again. */
export class Slab {
  readonly alloc: Allocator;
  #buf: Uint8Array | null = null;
  #pos = 0;

  constructor(alloc: Allocator) {
    this.alloc = alloc;
  }

  /** Makes room for `size` contiguous bytes; returns the buffer and sets {@link offset}. */
  reserve(size: number): Uint8Array {
    if (this.#buf === null || this.#pos + size > this.#buf.length) {
      this.#buf = this.alloc(Math.max(SLAB_SIZE, size));
      this.#pos = 0;
    }
    return this.#buf;
  }

  /** Where the space from the last {@link reserve} begins. */
  get offset(): number {
    return this.#pos;
  }

  /**
   * Hands out the next `size` reserved bytes by appending them to `out`, extending the last
   * element instead when that element ends exactly where these bytes begin.
   */
  commit(out: Uint8Array[], size: number): void {
    const buf = this.#buf!;
    const start = this.#pos;
    this.#pos += size;
    const last = out.length > 0 ? out[out.length - 1]! : null;
    if (
      last !== null &&
      last.buffer === buf.buffer &&
      last.byteOffset + last.length === buf.byteOffset + start
    ) {
      out[out.length - 1] = buf.subarray(last.byteOffset - buf.byteOffset, this.#pos);
    } else {
      out.push(buf.subarray(start, this.#pos));
    }
  }
}

const slabs = new WeakMap<Allocator, Slab>();

/** The slab shared by every connection using `alloc` (default: plain Uint8Arrays). */
export function slabFor(alloc: Allocator = defaultAllocator): Slab {
  let slab = slabs.get(alloc);
  if (slab === undefined) {
    slab = new Slab(alloc);
    slabs.set(alloc, slab);
  }
  return slab;
}

/** Masking keys drawn from a pool, refilled 1 KiB at a time: one random call per 256 frames. */
export class MaskSource {
  readonly #fill: RandomFill;
  readonly #pool = new Uint8Array(1024);
  #pos = 1024;

  constructor(fill: RandomFill) {
    this.#fill = fill;
  }

  /** A fresh masking key (RFC 6455 §5.3: "a new masking key for each frame"). */
  next(): number {
    if (this.#pos === this.#pool.length) {
      this.#fill(this.#pool);
      this.#pos = 0;
    }
    const p = this.#pool;
    const i = this.#pos;
    this.#pos = i + 4;
    return packMask(p[i]!, p[i + 1]!, p[i + 2]!, p[i + 3]!);
  }
}

const maskSources = new WeakMap<RandomFill, MaskSource>();

/** The mask pool shared by every connection using `fill`. */
export function maskSourceFor(fill: RandomFill): MaskSource {
  let source = maskSources.get(fill);
  if (source === undefined) {
    source = new MaskSource(fill);
    maskSources.set(fill, source);
  }
  return source;
}

/** Header length for a payload of `length` bytes. */
export function headerLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes a header at `buf[at]` in the minimal length encoding (RFC 6455 §5.2: "the minimal number
 * of bytes MUST be used to encode the length"). `b0` is FIN, RSV and opcode. Returns its length.
 */
function writeHeader(
  buf: Uint8Array,
  at: number,
  b0: number,
  length: number,
  mask: number | null,
): number {
  const maskBit = mask === null ? 0 : 0x80;
  buf[at] = b0;
  let i = at + 2;
  if (length < 126) {
    buf[at + 1] = maskBit | length;
  } else if (length < 0x10000) {
    buf[at + 1] = maskBit | 126;
    buf[i++] = length >>> 8;
    buf[i++] = length & 0xff;
  } else {
    buf[at + 1] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    buf[i++] = high >>> 24;
    buf[i++] = (high >>> 16) & 0xff;
    buf[i++] = (high >>> 8) & 0xff;
    buf[i++] = high & 0xff;
    buf[i++] = length >>> 24;
    buf[i++] = (length >>> 16) & 0xff;
    buf[i++] = (length >>> 8) & 0xff;
    buf[i++] = length & 0xff;
  }
  if (mask !== null) {
    buf[i++] = mask & 0xff;
    buf[i++] = (mask >>> 8) & 0xff;
    buf[i++] = (mask >>> 16) & 0xff;
    buf[i++] = mask >>> 24;
  }
  return i - at;
}

/** The first header byte: FIN, RSV1-3 and the opcode. */
export function firstByte(fin: boolean, rsv: number, opcode: number): number {
  return (fin ? 0x80 : 0) | (rsv << 4) | opcode;
}

/**
 * Appends one frame carrying `payload` to `out`. `mask` is null for unmasked (server) frames.
 * Returns the number of bytes appended.
 */
export function writeFrame(
  slab: Slab,
  out: Uint8Array[],
  b0: number,
  payload: Uint8Array,
  mask: number | null,
): number {
  const length = payload.length;
  if (length <= COPY_MAX) {
    const buf = slab.reserve(length + MAX_HEADER);
    const at = slab.offset;
    const h = writeHeader(buf, at, b0, length, mask);
    buf.set(payload, at + h);
    if (mask !== null) applyMask(buf, at + h, at + h + length, mask, 0);
    slab.commit(out, h + length);
    return h + length;
  }
  const buf = slab.reserve(MAX_HEADER);
  const h = writeHeader(buf, slab.offset, b0, length, mask);
  slab.commit(out, h);
  if (mask === null) {
    out.push(payload);
  } else {
    const masked = slab.alloc(length);
    masked.set(payload);
    applyMask(masked, 0, length, mask, 0);
    out.push(masked);
  }
  return h + length;
}

const encoder = new TextEncoder();

/**
 * Appends one frame carrying `text` encoded as UTF-8. Short strings are encoded straight into the
 * slab after room for the longest header their length allows; the payload is moved down when the
 * real length needs a shorter header. Returns the number of bytes appended.
 */
export function writeTextFrame(
  slab: Slab,
  out: Uint8Array[],
  b0: number,
  text: string,
  mask: number | null,
): number {
  const maxBytes = text.length * 3; // UTF-16 code unit -> at most 3 UTF-8 bytes
  if (maxBytes > COPY_MAX) return writeFrame(slab, out, b0, encoder.encode(text), mask);
  const room = headerLength(maxBytes, mask !== null);
  const buf = slab.reserve(room + maxBytes);
  const at = slab.offset;
  const written = encoder.encodeInto(text, buf.subarray(at + room, at + room + maxBytes)).written;
  const h = headerLength(written, mask !== null);
  if (h < room) buf.copyWithin(at + h, at + room, at + room + written);
  writeHeader(buf, at, b0, written, mask);
  if (mask !== null) applyMask(buf, at + h, at + h + written, mask, 0);
  slab.commit(out, h + written);
  return h + written;
}

/**
 * A complete, unmasked message frame built once and sent as is to many connections (a server
 * publishing to a topic: RFC 6455 §5.1 server frames are unmasked, so the bytes are the same for
 * every recipient). Create with {@link prepareMessage}.
 */
export class PreparedMessage {
  /** The frame: header and payload in one buffer, or two when the payload is large. */
  readonly chunks: readonly Uint8Array[];
  /** Total bytes of the frame. */
  readonly size: number;
  readonly binary: boolean;
  /** Whether the payload is compressed (RSV1 set: RFC 7692 §6). */
  readonly compressed: boolean;

  constructor(chunks: readonly Uint8Array[], size: number, binary: boolean, compressed = false) {
    this.chunks = chunks;
    this.size = size;
    this.binary = binary;
    this.compressed = compressed;
  }

  /** The frame's payload (compressed, when `compressed`), as a view of the frame. */
  payload(): Uint8Array {
    if (this.chunks.length === 2) return this.chunks[1]!;
    const frame = this.chunks[0]!;
    const length = frame[1]! & 0x7f;
    return frame.subarray(2 + (length === 126 ? 2 : length === 127 ? 8 : 0));
  }
}

/**
 * Frames a whole text (`binary` false) or binary message for {@link PreparedMessage} use. With
 * `compressed`, `data` is a permessage-deflate payload and RSV1 is set.
 */
export function prepareMessage(
  data: string | Uint8Array,
  binary: boolean,
  alloc: Allocator = defaultAllocator,
  compressed = false,
): PreparedMessage {
  const chunks: Uint8Array[] = [];
  const b0 = firstByte(true, compressed ? 0b100 : 0, binary ? 0x2 : 0x1);
  const payload = typeof data === 'string' ? encoder.encode(data) : data;
  const size = writeFrame(slabFor(alloc), chunks, b0, payload, null);
  return new PreparedMessage(chunks, size, binary, compressed);
}

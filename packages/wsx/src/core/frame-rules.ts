/**
 * Every header-level rule of RFC 6455 §5.2-§5.5 in one table, checked in order, as a pure
 * function: whether a frame header may be accepted where it arrives.
 */

import { CloseCode, MAX_CONTROL_PAYLOAD, Opcode } from './constants.js';
import { ErrorCode as E, type ErrorCode } from './errors.js';

export type Role = 'client' | 'server';

/** What the rules need to know about the receiving connection. */
export interface FrameLimits {
  readonly role: Role;
  readonly maxFrameSize: number;
  readonly maxMessageSize: number;
  /** permessage-deflate negotiated: RSV1 marks the first frame of a compressed message. */
  readonly compression: boolean;
}

/** A broken rule: the error code, the close code to fail with, and a short description. */
export type Violation = readonly [code: ErrorCode, closeCode: number, message: string];

const PROTOCOL = CloseCode.PROTOCOL_ERROR;
const TOO_BIG = CloseCode.MESSAGE_TOO_BIG;

/** Marks a message opcode whose message is compressed (RSV1 on its first frame, RFC 7692 §6). */
export const COMPRESSED = 0x10;

/**
 * The most a message of `size` bytes can take once compressed: zlib's `deflateBound` for any
 * window and memory setting (`n + n/8 + n/64 + 5`, rounded up), stored blocks included. A limit
 * of `maxMessageSize` is on the message: its compressed frames may be this much larger, and the
 * message itself still stops at the limit while it is inflated (RFC 7692 §8.1, zip bombs).
 */
export function compressedBound(size: number): number {
  if (!Number.isFinite(size)) return size;
  return size + Math.ceil(size / 8) + Math.ceil(size / 64) + 5;
}

/**
 * Why a frame header is not acceptable, or null. `messageOpcode` is the opcode of the data
 * message being received (0 when none; | {@link COMPRESSED} for a compressed one) and
 * `messageLength` the bytes it holds so far.
 */
export function checkFrameHeader(
  limits: FrameLimits,
  fin: boolean,
  rsv: number,
  opcode: number,
  masked: boolean,
  length: number,
  messageOpcode: number,
  messageLength: number,
): Violation | null {
  // §5.2 RSV1-3: "MUST be 0 unless an extension is negotiated that defines meanings".
  if (rsv !== 0) {
    const problem = checkRsv(limits.compression, rsv, opcode);
    if (problem !== null) return problem;
  }
  // §5.3: "The server MUST close the connection upon receiving a frame that is not masked";
  // §5.1: "A client MUST close a connection if it detects a masked frame".
  if (limits.role === 'server' && !masked) {
    return [E.MASK_REQUIRED, PROTOCOL, 'client frames must be masked'];
  }
  if (limits.role === 'client' && masked) {
    return [E.UNEXPECTED_MASK, PROTOCOL, 'server frames must not be masked'];
  }
  if (opcode >= 0x8) return checkControlFrame(fin, opcode, length);
  // §5.2: "%x3-7 are reserved for further non-control frames".
  if (opcode > Opcode.BINARY) return [E.INVALID_OPCODE, PROTOCOL, `reserved opcode ${opcode}`];
  // §5.4: a fragmented message is one text or binary frame, then continuations up to a FIN.
  if (opcode === Opcode.CONTINUATION && messageOpcode === 0) {
    return [
      E.UNEXPECTED_CONTINUATION,
      PROTOCOL,
      'continuation frame without a message to continue',
    ];
  }
  if (opcode !== Opcode.CONTINUATION && messageOpcode !== 0) {
    return [E.EXPECTED_CONTINUATION, PROTOCOL, 'new data frame inside a fragmented message'];
  }
  // §10.4: limits on frame and message size, checked on the declared length before buffering.
  // Compressed data may be a little larger than the message it holds (see compressedBound).
  const compressed = opcode === Opcode.CONTINUATION ? messageOpcode >= COMPRESSED : rsv !== 0;
  const maxFrame = compressed ? compressedBound(limits.maxFrameSize) : limits.maxFrameSize;
  if (length > maxFrame) {
    return [E.FRAME_TOO_BIG, TOO_BIG, `frame of ${length} bytes exceeds ${maxFrame}`];
  }
  const maxMessage = compressed ? compressedBound(limits.maxMessageSize) : limits.maxMessageSize;
  const total = (opcode === Opcode.CONTINUATION ? messageLength : 0) + length;
  if (total > maxMessage) {
    return [E.MESSAGE_TOO_BIG, TOO_BIG, `message exceeds ${limits.maxMessageSize} bytes`];
  }
  return null;
}

function checkControlFrame(fin: boolean, opcode: number, length: number): Violation | null {
  // §5.2: "%xB-F are reserved for further control frames".
  if (opcode > Opcode.PONG) return [E.INVALID_OPCODE, PROTOCOL, `reserved opcode ${opcode}`];
  // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be
  // fragmented."
  if (!fin) return [E.FRAGMENTED_CONTROL_FRAME, PROTOCOL, 'fragmented control frame'];
  if (length > MAX_CONTROL_PAYLOAD) {
    return [E.CONTROL_FRAME_TOO_LONG, PROTOCOL, `control frame of ${length} bytes`];
  }
  return null;
}

/**
 * RSV1 is permessage-deflate's "Per-Message Compressed" bit. RFC 7692 §6: "An endpoint MUST NOT
 * set the "Per-Message Compressed" bit of control frames and non-first fragments of a data
 * message. An endpoint receiving such a frame MUST _Fail the WebSocket Connection_."
 */
function checkRsv(compression: boolean, rsv: number, opcode: number): Violation | null {
  if (rsv !== 0b100 || !compression) {
    return [E.UNEXPECTED_RSV, PROTOCOL, `reserved bits set (RSV=${rsv})`];
  }
  if (opcode >= 0x8) return [E.UNEXPECTED_RSV, PROTOCOL, 'RSV1 on a control frame'];
  if (opcode === Opcode.CONTINUATION) {
    return [E.UNEXPECTED_RSV, PROTOCOL, 'RSV1 on a continuation frame'];
  }
  return null;
}

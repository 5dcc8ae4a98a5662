/**
 * The envelope a published message travels in between processes: binary-safe, so any payload
 * (text in any script, arbitrary bytes) arrives exactly as it was published.
 *
 * ```
 * offset  size  field
 * 0       1     magic 0x57 ('W')
 * 1       1     version (1)
 * 2       1     flags: bit 0 set = binary message, clear = text
 * 3       16    origin: the publishing process's id (to skip its own echo)
 * 19      2     topic length in bytes, big-endian
 * 21      n     topic, UTF-8
 * 21 + n  rest  payload
 * ```
 *
 * The topic is carried although the channel names it too: a message is checked against the
 * channel it arrived on, so a stray publish to a wsx channel cannot land in the wrong topic.
 */

import { isUtf8 } from 'node:buffer';

const MAGIC = 0x57;
const VERSION = 1;
const FLAG_BINARY = 1;
const HEADER = 21;

/** Length of a process's origin id, in bytes. */
export const ORIGIN_LENGTH = 16;

/** The longest topic an envelope can carry, in UTF-8 bytes. */
export const MAX_TOPIC_BYTES = 0xffff;

/** A decoded envelope. `data` is a view into the received buffer, not a copy. */
export interface Envelope {
  readonly topic: string;
  readonly binary: boolean;
  readonly origin: Uint8Array;
  readonly data: Uint8Array;
}

/** Why an envelope was refused, for the `malformed` counter and the `error` event. */
export class MalformedEnvelopeError extends Error {
  override readonly name = 'MalformedEnvelopeError';
  readonly code = 'WSX_REDIS_ERR_MALFORMED_ENVELOPE';
}

/** The topic's UTF-8 bytes; throws a RangeError when they would not fit the length field. */
export function topicBytes(topic: string): Buffer {
  const bytes = Buffer.from(topic, 'utf8');
  if (bytes.length > MAX_TOPIC_BYTES) {
    throw new RangeError(`topic is ${bytes.length} bytes; at most ${MAX_TOPIC_BYTES} can cross`);
  }
  return bytes;
}

/** Frames one message: one allocation, the payload copied once. */
export function encodeEnvelope(
  topic: Buffer,
  origin: Uint8Array,
  binary: boolean,
  data: Uint8Array,
): Buffer {
  const out = Buffer.allocUnsafe(HEADER + topic.length + data.length);
  out[0] = MAGIC;
  out[1] = VERSION;
  out[2] = binary ? FLAG_BINARY : 0;
  out.set(origin, 3);
  out.writeUInt16BE(topic.length, 3 + ORIGIN_LENGTH);
  topic.copy(out, HEADER);
  out.set(data, HEADER + topic.length);
  return out;
}

/** Reads an envelope; throws {@link MalformedEnvelopeError} for anything that is not one. */
export function decodeEnvelope(bytes: Buffer): Envelope {
  if (bytes.length < HEADER) throw new MalformedEnvelopeError(`${bytes.length} bytes: too short`);
  if (bytes[0] !== MAGIC) throw new MalformedEnvelopeError('not a wsx envelope (bad magic byte)');
  if (bytes[1] !== VERSION) throw new MalformedEnvelopeError(`unknown version ${bytes[1]}`);
  const flags = bytes[2]!;
  if ((flags & ~FLAG_BINARY) !== 0) throw new MalformedEnvelopeError(`unknown flags ${flags}`);
  const topicLength = bytes.readUInt16BE(3 + ORIGIN_LENGTH);
  const dataStart = HEADER + topicLength;
  if (dataStart > bytes.length) {
    throw new MalformedEnvelopeError(`topic of ${topicLength} bytes overruns the envelope`);
  }
  const binary = (flags & FLAG_BINARY) !== 0;
  const data = bytes.subarray(dataStart);
  // A text frame must carry UTF-8 (RFC 6455 §5.6): a forged one would make every browser in the
  // topic fail its connection with 1007, so it stops here.
  if (!binary && !isUtf8(data)) throw new MalformedEnvelopeError('text payload is not UTF-8');
  return {
    topic: bytes.toString('utf8', HEADER, dataStart),
    binary,
    origin: bytes.subarray(3, 3 + ORIGIN_LENGTH),
    data,
  };
}

/** Whether the envelope was published by the process whose id is `origin`. */
export function isFrom(bytes: Buffer, origin: Buffer): boolean {
  return bytes.length >= HEADER && origin.compare(bytes, 3, 3 + ORIGIN_LENGTH) === 0;
}

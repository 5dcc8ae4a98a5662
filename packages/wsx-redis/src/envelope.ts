/**
 * The envelope that carries a topic's messages between processes: binary-safe, so any payload
 * (text in any script, arbitrary bytes) arrives exactly as it was published. One envelope
 * holds the messages a process published to one topic during one tick, in order (one Redis
 * command for a burst instead of one per message).
 *
 * ```
 * offset  size  field
 * 0       1     magic 0x57 ('W')
 * 1       1     version (1)
 * 2       16    origin: the publishing process's id (to skip its own echo)
 * 18      2     topic length n in bytes, big-endian
 * 20      n     topic, UTF-8
 * then, once per message, at least one:
 *         1     flags: bit 0 set = binary message, clear = text; other bits 0
 *         4     payload length m, big-endian
 *         m     payload
 * ```
 *
 * The topic is carried although the channel names it too: a message is checked against the
 * channel it arrived on, so a stray publish to a wsx channel cannot land in another topic.
 */

import { isUtf8 } from 'node:buffer';

const MAGIC = 0x57;
const VERSION = 1;
const FLAG_BINARY = 1;
const ORIGIN_AT = 2;
const TOPIC_LENGTH_AT = 18;
const HEADER = 20;
const RECORD_HEADER = 5;

/** Length of a process's origin id, in bytes. */
export const ORIGIN_LENGTH = 16;

/** The longest topic an envelope can carry, in UTF-8 bytes. */
export const MAX_TOPIC_BYTES = 0xffff;

/** One message of an envelope. `data` is a view into the received bytes, not a copy. */
export interface EnvelopeMessage {
  readonly binary: boolean;
  readonly data: Uint8Array;
}

/** A decoded envelope. */
export interface Envelope {
  readonly topic: string;
  readonly origin: Uint8Array;
  readonly messages: EnvelopeMessage[];
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

/**
 * Builds one envelope, a message at a time: each payload is copied once, when added (so the
 * caller may reuse its buffer at once), into a buffer that grows by doubling.
 */
export class EnvelopeWriter {
  #bytes: Buffer;
  #length: number;
  /** Messages added. */
  count = 0;

  constructor(topic: Buffer, origin: Uint8Array, firstPayloadLength = 0) {
    this.#bytes = Buffer.allocUnsafe(HEADER + topic.length + RECORD_HEADER + firstPayloadLength);
    this.#bytes[0] = MAGIC;
    this.#bytes[1] = VERSION;
    this.#bytes.set(origin, ORIGIN_AT);
    this.#bytes.writeUInt16BE(topic.length, TOPIC_LENGTH_AT);
    topic.copy(this.#bytes, HEADER);
    this.#length = HEADER + topic.length;
  }

  /** Bytes so far. */
  get length(): number {
    return this.#length;
  }

  add(binary: boolean, data: Uint8Array): void {
    const needed = this.#length + RECORD_HEADER + data.length;
    if (needed > this.#bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#bytes.length * 2));
      this.#bytes.copy(grown, 0, 0, this.#length);
      this.#bytes = grown;
    }
    const bytes = this.#bytes;
    bytes[this.#length] = binary ? FLAG_BINARY : 0;
    bytes.writeUInt32BE(data.length, this.#length + 1);
    bytes.set(data, this.#length + RECORD_HEADER);
    this.#length = needed;
    this.count++;
  }

  /** The envelope (a view of the buffer: add nothing after this). */
  finish(): Buffer {
    return this.#bytes.subarray(0, this.#length);
  }
}

/** One message in an envelope of its own. */
export function encodeEnvelope(
  topic: Buffer,
  origin: Uint8Array,
  binary: boolean,
  data: Uint8Array,
): Buffer {
  const writer = new EnvelopeWriter(topic, origin, data.length);
  writer.add(binary, data);
  return writer.finish();
}

/**
 * Reads an envelope, every message checked before any is returned; throws
 * {@link MalformedEnvelopeError} for anything that is not one.
 */
export function decodeEnvelope(bytes: Buffer): Envelope {
  if (bytes.length < HEADER) throw new MalformedEnvelopeError(`${bytes.length} bytes: too short`);
  if (bytes[0] !== MAGIC) throw new MalformedEnvelopeError('not a wsx envelope (bad magic byte)');
  if (bytes[1] !== VERSION) throw new MalformedEnvelopeError(`unknown version ${bytes[1]}`);
  const topicEnd = HEADER + bytes.readUInt16BE(TOPIC_LENGTH_AT);
  if (topicEnd > bytes.length) throw new MalformedEnvelopeError('the topic overruns the envelope');
  const messages: EnvelopeMessage[] = [];
  for (let at = topicEnd; at < bytes.length; ) {
    if (at + RECORD_HEADER > bytes.length) throw new MalformedEnvelopeError('truncated message');
    const flags = bytes[at]!;
    if ((flags & ~FLAG_BINARY) !== 0) throw new MalformedEnvelopeError(`unknown flags ${flags}`);
    const end = at + RECORD_HEADER + bytes.readUInt32BE(at + 1);
    if (end > bytes.length) throw new MalformedEnvelopeError('a message overruns the envelope');
    const binary = flags === FLAG_BINARY;
    const data = bytes.subarray(at + RECORD_HEADER, end);
    // A text frame must carry UTF-8 (RFC 6455 §5.6): a forged one would make every browser in
    // the topic fail its connection with 1007, so it stops here.
    if (!binary && !isUtf8(data)) throw new MalformedEnvelopeError('text payload is not UTF-8');
    messages.push({ binary, data });
    at = end;
  }
  if (messages.length === 0) throw new MalformedEnvelopeError('no message in the envelope');
  return {
    topic: bytes.toString('utf8', HEADER, topicEnd),
    origin: bytes.subarray(ORIGIN_AT, ORIGIN_AT + ORIGIN_LENGTH),
    messages,
  };
}

/** Whether the envelope was published by the process whose id is `origin`. */
export function isFrom(bytes: Buffer, origin: Buffer): boolean {
  return (
    bytes.length >= HEADER && origin.compare(bytes, ORIGIN_AT, ORIGIN_AT + ORIGIN_LENGTH) === 0
  );
}

/** How many messages an envelope holds, by walking its lengths (for an own echo, not checked). */
export function countMessages(bytes: Buffer): number {
  if (bytes.length < HEADER) return 0;
  let count = 0;
  for (
    let at = HEADER + bytes.readUInt16BE(TOPIC_LENGTH_AT);
    at + RECORD_HEADER <= bytes.length;
    count++
  ) {
    at += RECORD_HEADER + bytes.readUInt32BE(at + 1);
  }
  return count;
}

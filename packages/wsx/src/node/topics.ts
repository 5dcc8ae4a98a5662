/**
 * Topics (publish/subscribe), as in uWebSockets and Bun: a message published to a topic is
 * framed once, and the same bytes are queued on every subscriber; writes leave batched at the end
 * of the tick. Publishing only queues bytes for sockets: it never calls a handler, so a publish
 * from inside a message handler cannot re-enter it.
 */

import { PreparedMessage, prepareMessage } from '../core/frame-writer.js';
import type { Deflater } from './deflate.js';
import { alloc } from './runtime.js';
import { type SendData, toPayload } from './send-data.js';
import { SendStatus } from './types.js';

/**
 * One published message, framed lazily once per form: plain, and compressed once per shared
 * compressor setting (RFC 7692 with no context takeover gives the same bytes to everyone).
 */
export class Publication {
  readonly binary: boolean;
  readonly #payload: string | Uint8Array | null;
  #bytes: Uint8Array | null = null;
  #plain: PreparedMessage | null;
  #compressed: Map<string, PreparedMessage> | null = null;

  constructor(data: SendData | PreparedMessage, binary: boolean | undefined) {
    if (data instanceof PreparedMessage) {
      this.binary = data.binary;
      this.#payload = null;
      this.#plain = data;
      return;
    }
    const payload = toPayload(data);
    this.binary = binary ?? typeof payload !== 'string';
    this.#payload = payload;
    this.#plain = null;
  }

  /** Whether this message is worth compressing (a prepared frame is sent as it is). */
  compressible(threshold: number): boolean {
    const payload = this.#payload;
    if (payload === null) return false;
    // A string shorter than threshold / 3 code units cannot reach it in UTF-8: skip encoding it.
    if (typeof payload === 'string' && payload.length * 3 < threshold) return false;
    return this.bytes().length >= threshold;
  }

  /** The payload as bytes. */
  bytes(): Uint8Array {
    if (this.#bytes === null) {
      const payload = this.#payload!;
      this.#bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    }
    return this.#bytes;
  }

  plain(): PreparedMessage {
    this.#plain ??= prepareMessage(this.#payload!, this.binary, alloc);
    return this.#plain;
  }

  /** Compressed by a shared (context-free) compressor, once per setting. */
  compressedWith(deflater: Deflater): PreparedMessage {
    this.#compressed ??= new Map();
    let message = this.#compressed.get(deflater.key);
    if (message === undefined) {
      message = prepareMessage(deflater.compress(this.bytes()), this.binary, alloc, true);
      this.#compressed.set(deflater.key, message);
    }
    return message;
  }
}

/** Options of `publish()`. */
export interface PublishOptions<Peer> {
  /** Send as binary (default: strings as text, everything else as binary). */
  binary?: boolean;
  /** A subscriber that does not get the message (typically the sender). */
  except?: Peer | null;
}

/** What the registry needs from a connection. */
export type Deliver<Peer> = (peer: Peer, message: Publication) => SendStatus;

export class TopicRegistry<Peer = unknown> {
  readonly #topics = new Map<string, Set<Peer>>();
  readonly #deliver: Deliver<Peer>;

  constructor(deliver: Deliver<Peer>) {
    this.#deliver = deliver;
  }

  /** Adds `peer` to `topic`; false when it was already subscribed. */
  subscribe(peer: Peer, topic: string): boolean {
    let set = this.#topics.get(topic);
    if (set === undefined) {
      set = new Set();
      this.#topics.set(topic, set);
    }
    const before = set.size;
    set.add(peer);
    return set.size !== before;
  }

  /** Removes `peer` from `topic`; false when it was not subscribed. */
  unsubscribe(peer: Peer, topic: string): boolean {
    const set = this.#topics.get(topic);
    if (set === undefined || !set.delete(peer)) return false;
    if (set.size === 0) this.#topics.delete(topic);
    return true;
  }

  /** How many connections are subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.#topics.get(topic)?.size ?? 0;
  }

  /** The topics with at least one subscriber. */
  topics(): string[] {
    return [...this.#topics.keys()];
  }

  /**
   * Frames `data` once and queues it on every subscriber of `topic` but `except`. Returns how
   * many subscribers it was queued for; a subscriber over its `maxBackpressure` does not get it
   * (its `droppedMessages` counts it).
   */
  publish(
    topic: string,
    data: SendData | PreparedMessage,
    options: PublishOptions<Peer> = {},
  ): number {
    const subscribers = this.#topics.get(topic);
    if (subscribers === undefined) return 0;
    const message = new Publication(data, options.binary);
    let queued = 0;
    for (const peer of subscribers) {
      if (peer === options.except) continue;
      if (this.#deliver(peer, message) !== SendStatus.DROPPED) queued++;
    }
    return queued;
  }
}

/**
 * Topics (publish/subscribe), as in uWebSockets and Bun: a message published to a topic is
 * framed once, and the same bytes are queued on every subscriber; writes leave batched at the end
 * of the tick. Publishing only queues bytes for sockets: it never calls a handler, so a publish
 * from inside a message handler cannot re-enter it.
 */

import { PreparedMessage, prepareMessage } from '../core/frame-writer.js';
import { alloc } from './runtime.js';
import { type SendData, toPayload } from './send-data.js';
import { SendStatus } from './types.js';

/** Options of `publish()`. */
export interface PublishOptions<Peer> {
  /** Send as binary (default: strings as text, everything else as binary). */
  binary?: boolean;
  /** A subscriber that does not get the message (typically the sender). */
  except?: Peer | null;
}

/** What the registry needs from a connection. */
export type Deliver<Peer> = (peer: Peer, message: PreparedMessage) => SendStatus;

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
    const message = data instanceof PreparedMessage ? data : prepare(data, options.binary);
    let queued = 0;
    for (const peer of subscribers) {
      if (peer === options.except) continue;
      if (this.#deliver(peer, message) !== SendStatus.DROPPED) queued++;
    }
    return queued;
  }
}

function prepare(data: SendData, binary: boolean | undefined): PreparedMessage {
  const payload = toPayload(data);
  return prepareMessage(payload, binary ?? typeof payload !== 'string', alloc);
}

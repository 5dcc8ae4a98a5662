/**
 * Topics (publish/subscribe), as in uWebSockets and Bun: a message published to a topic is
 * framed once, and the same bytes are queued on every subscriber; writes leave batched at the end
 * of the tick. Publishing only queues bytes for sockets: it never calls a handler, so a publish
 * from inside a message handler cannot re-enter it.
 *
 * Every publish goes through {@link Topics.publish}: `server.publish` and `ws.publish` alike.
 * A {@link PubSubAdapter} carries publishes to other processes (Redis, ...) and hands theirs in
 * through {@link Topics.deliverLocal}, which never goes back out: a message is not echoed to the
 * process it came from. One `Topics` can serve several servers (e.g. on one HTTP server, by path).
 */

import { UsageError } from '../core/errors.js';
import type { PreparedMessage } from '../core/frame-writer.js';
import { Publication } from '../websocket/publication.js';
import type { SendData } from '../websocket/send-data.js';
import type { PublishOptions, TopicHub } from '../websocket/topic-hub.js';
import { SendStatus } from '../websocket/types.js';
import { driverOf, type WebSocket } from '../websocket/websocket.js';

/** A published message as an adapter carries it: the payload, uncompressed, and its kind. */
export interface TopicMessage {
  readonly data: Uint8Array;
  readonly binary: boolean;
}

/**
 * Connects the topics of this process to those of others. wsx calls it; it calls
 * {@link Topics.deliverLocal} with what other processes publish.
 */
export interface PubSubAdapter {
  /** Called once, when a `Topics` takes the adapter. */
  attach?(topics: Topics): void;
  /** A message was published on this process (and delivered here): carry it to the others. */
  publish(topic: string, message: TopicMessage): void;
  /**
   * The number of this process's subscribers of `topic` went from `oldCount` to `newCount`
   * (uWebSockets.js's subscription handler): subscribe to the topic elsewhere at 0 -> 1, stop at
   * 1 -> 0.
   */
  subscriptionChanged?(topic: string, newCount: number, oldCount: number): void;
}

export interface TopicsOptions {
  /** Carries publishes between processes. Default: none (this process only). */
  adapter?: PubSubAdapter;
}

type Peer = WebSocket<unknown>;

export class Topics implements TopicHub<Peer> {
  readonly #topics = new Map<string, Set<Peer>>();
  readonly #adapter: PubSubAdapter | null;

  constructor(options: TopicsOptions = {}) {
    for (const key of Object.keys(options)) {
      if (key !== 'adapter') throw new UsageError(`unknown Topics option '${key}'`);
    }
    this.#adapter = options.adapter ?? null;
    this.#adapter?.attach?.(this);
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
    if (set.size === before) return false;
    this.#adapter?.subscriptionChanged?.(topic, set.size, before);
    return true;
  }

  /** Removes `peer` from `topic`; false when it was not subscribed. */
  unsubscribe(peer: Peer, topic: string): boolean {
    const set = this.#topics.get(topic);
    if (set === undefined || !set.delete(peer)) return false;
    if (set.size === 0) this.#topics.delete(topic);
    this.#adapter?.subscriptionChanged?.(topic, set.size, set.size + 1);
    return true;
  }

  /** How many connections of this process are subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.#topics.get(topic)?.size ?? 0;
  }

  /** The topics with at least one subscriber in this process. */
  topics(): string[] {
    return [...this.#topics.keys()];
  }

  /**
   * Frames `data` once and queues it on every subscriber of `topic` in this process but
   * `except`, then hands it to the adapter for the other processes. Returns how many local
   * subscribers it was queued for; a subscriber over its `maxBackpressure` does not get it (its
   * `droppedMessages` counts it).
   */
  publish(
    topic: string,
    data: SendData | PreparedMessage,
    options: PublishOptions<Peer> = {},
  ): number {
    const message = new Publication(data, options.binary);
    const queued = this.#deliver(topic, message, options.except ?? null);
    if (this.#adapter !== null) this.#adapter.publish(topic, message.forAdapter());
    return queued;
  }

  /**
   * Delivers a message that another process published, to this process's subscribers only (it
   * is never handed back to the adapter). For adapters.
   */
  deliverLocal(topic: string, message: TopicMessage): number {
    return this.#deliver(topic, new Publication(message.data, message.binary), null);
  }

  #deliver(topic: string, message: Publication, except: Peer | null): number {
    const subscribers = this.#topics.get(topic);
    if (subscribers === undefined) return 0;
    let queued = 0;
    for (const peer of subscribers) {
      if (peer === except) continue;
      if (driverOf(peer).deliver(message) !== SendStatus.DROPPED) queued++;
    }
    return queued;
  }
}

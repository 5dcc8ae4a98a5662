/**
 * Topics across processes over Redis pub/sub: the {@link PubSubAdapter} of wsx.
 *
 * A publish on one process reaches the topic's subscribers on every process. Each topic is a
 * Redis channel (`prefix + topic`) that a process subscribes to only while it has local
 * subscribers. A message is framed once per process on arrival (`topics.deliverLocal`), and a
 * process skips its own messages when Redis hands them back: it delivered them locally already.
 *
 * While Redis is away, local delivery goes on, publishes fail at once and are counted (nothing
 * is queued for later), and the adapter reconnects and resubscribes by itself. `down` and `up`
 * tell the application, which can then recover what it missed from its own store.
 */

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { PubSubAdapter, TopicMessage, Topics } from 'wsx';
import { ChannelSync } from './channel-sync.js';
import {
  countMessages,
  decodeEnvelope,
  isFrom,
  MalformedEnvelopeError,
  ORIGIN_LENGTH,
} from './envelope.js';
import {
  type HealthOptions,
  type RedisClusterConnectionOptions,
  type RedisConnectionOptions,
  RedisLink,
} from './link.js';
import { PublishBatch } from './publish-batch.js';

export interface RedisPubSubAdapterOptions {
  /** How to reach Redis: node-redis client options (`url`, `socket`, `username`, ...). */
  redis?: RedisConnectionOptions;
  /** Or a Redis Cluster: node-redis cluster options (`rootNodes`, `defaults`, ...). */
  cluster?: RedisClusterConnectionOptions;
  /** Put before every topic to make its channel name (default `'wsx:'`). */
  prefix?: string;
  /**
   * Sharded pub/sub (`SPUBLISH` / `SSUBSCRIBE`, Redis >= 7): on a Redis Cluster, a message
   * travels only within the shard that owns its channel instead of to every node.
   */
  sharded?: boolean;
  /**
   * Redis commands (envelopes) sent and not yet answered, at most (default 10,000). Past it, a
   * publish fails at once: a Redis that stalls costs bounded memory.
   */
  maxPendingPublishes?: number;
  /** Health checks and reconnection of the connection. */
  health?: HealthOptions;
}

/** Counters since the adapter was created (messages, unless said otherwise). */
export interface RedisPubSubStats {
  /** Messages handed to Redis and acknowledged. */
  published: number;
  /** Messages whose publish failed: Redis away, too many pending, or an error reply. */
  publishFailed: number;
  /** Envelopes (Redis commands) acknowledged: a tick's messages to a topic share one. */
  envelopes: number;
  /** Messages from other processes handed to local subscribers. */
  received: number;
  /** Own messages that Redis handed back, skipped (they were delivered locally already). */
  ownSkipped: number;
  /** Envelopes on wsx channels that were not valid, or for another topic: dropped whole. */
  malformed: number;
  /** Envelopes in flight now. */
  pending: number;
  /** Channels subscribed now. */
  channels: number;
}

export interface RedisPubSubEvents {
  /** Redis is unreachable: publishes fail and messages from other processes do not arrive. */
  down: [cause: Error];
  /**
   * Connected, and every topic with local subscribers is subscribed again (also the first
   * time). Messages other processes published since `down` were not received.
   */
  up: [];
  /**
   * After a `down`, just before `up`: these topics (those with local subscribers) are
   * subscribed again, and what other processes published to them meanwhile did not arrive
   * here. The moment to have their clients fetch the gap from a store.
   */
  resubscribed: [topics: string[]];
  /** A malformed message, or a failed (un)subscribe. Emitted only when listened to. */
  error: [error: Error];
}

export class RedisPubSubAdapter extends EventEmitter<RedisPubSubEvents> implements PubSubAdapter {
  /** This process's id in envelopes (16 random bytes, hex). */
  readonly originId: string;
  readonly #origin: Buffer;
  readonly #prefix: string;
  readonly #sharded: boolean;
  readonly #maxPending: number;
  readonly #link: RedisLink;
  readonly #channels: ChannelSync;
  #topics: Topics | null = null;
  #up = false;
  /** A `down` since the last `up`: the next `up` is a recovery. */
  #wasDown = false;
  readonly #batch: PublishBatch;
  readonly #stats = {
    published: 0,
    publishFailed: 0,
    envelopes: 0,
    received: 0,
    ownSkipped: 0,
    malformed: 0,
  };
  #pending = 0;

  constructor(options: RedisPubSubAdapterOptions = {}) {
    super();
    const known = ['redis', 'cluster', 'prefix', 'sharded', 'maxPendingPublishes', 'health'];
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) throw new TypeError(`unknown RedisPubSubAdapter option '${key}'`);
    }
    this.#origin = randomBytes(ORIGIN_LENGTH);
    this.originId = this.#origin.toString('hex');
    this.#prefix = options.prefix ?? 'wsx:';
    this.#sharded = options.sharded ?? false;
    this.#maxPending = options.maxPendingPublishes ?? 10_000;
    this.#link = new RedisLink(options, options.health);
    this.#batch = new PublishBatch(this.#origin, (topic, envelope, count) =>
      this.#send(topic, envelope, count),
    );
    const client = this.#link.client;
    this.#channels = new ChannelSync(
      {
        subscribe: (channel) =>
          this.#sharded
            ? client.sSubscribe(channel, this.#onMessage, true)
            : client.subscribe(channel, this.#onMessage, true),
        unsubscribe: (channel) =>
          this.#sharded
            ? client.sUnsubscribe(channel, this.#onMessage, true)
            : client.unsubscribe(channel, this.#onMessage, true),
        get ready() {
          return client.isReady;
        },
      },
      (error, channel) => this.#report(new Error(`(un)subscribing ${channel}: ${error.message}`)),
    );
    this.#link.on('down', (cause) => {
      this.#up = false;
      this.#wasDown = true;
      this.emit('down', cause);
    });
    this.#link.on('up', () => void this.#recover());
  }

  /** Connects to Redis; resolves once connected and subscribed (it retries until then). */
  async connect(): Promise<void> {
    if (this.#up) return;
    const up = new Promise<void>((resolve) => this.once('up', resolve));
    await this.#link.connect();
    await up;
  }

  /**
   * Resolves true once this process's subscription to `topic` has reached Redis (at once if it
   * had), false if the topic lost its last local subscriber first; waits through an outage.
   * From then on, what other processes publish to `topic` arrives here: a new subscriber that
   * awaits this before reading history from a store misses nothing in between.
   */
  subscribed(topic: string): Promise<boolean> {
    return this.#channels.subscribed(this.#prefix + topic);
  }

  /** Whether Redis is reachable and every wanted channel subscribed. */
  get isUp(): boolean {
    return this.#up;
  }

  /** Counters since the adapter was created. */
  stats(): RedisPubSubStats {
    return {
      ...this.#stats,
      pending: this.#pending,
      channels: this.#channels.subscribedCount,
    };
  }

  /** Closes the connection; publishes in flight fail (and are counted). */
  async close(): Promise<void> {
    this.#up = false;
    this.#channels.clear();
    this.#link.close();
  }

  // PubSubAdapter --------------------------------------------------------------------------

  attach(topics: Topics): void {
    if (this.#topics !== null && this.#topics !== topics) {
      throw new TypeError('a RedisPubSubAdapter serves one Topics: create one adapter per Topics');
    }
    this.#topics = topics;
  }

  publish(topic: string, message: TopicMessage): void {
    if (!this.#link.up) {
      this.#stats.publishFailed++;
      return;
    }
    try {
      this.#batch.add(topic, message.binary, message.data);
    } catch (error) {
      this.#stats.publishFailed++;
      this.#report(error as Error);
    }
  }

  subscriptionChanged(topic: string, newCount: number, oldCount: number): void {
    if (oldCount === 0 && newCount > 0) this.#channels.want(this.#prefix + topic, true);
    else if (newCount === 0 && oldCount > 0) this.#channels.want(this.#prefix + topic, false);
  }

  // ----------------------------------------------------------------------------------------

  #send(topic: string, envelope: Buffer, count: number): void {
    if (!this.#link.up || this.#pending >= this.#maxPending) {
      this.#stats.publishFailed += count;
      return;
    }
    const channel = this.#prefix + topic;
    const client = this.#link.client;
    this.#pending++;
    const sent = this.#sharded
      ? client.sPublish(channel, envelope)
      : client.publish(channel, envelope);
    sent.then(
      () => {
        this.#pending--;
        this.#stats.envelopes++;
        this.#stats.published += count;
      },
      () => {
        this.#pending--;
        this.#stats.publishFailed += count;
      },
    );
  }

  /** A message on one of our channels (a Buffer: node-redis's buffer mode). */
  readonly #onMessage = (bytes: Buffer, channel: Buffer): void => {
    if (isFrom(bytes, this.#origin)) {
      this.#stats.ownSkipped += countMessages(bytes);
      return;
    }
    try {
      const envelope = decodeEnvelope(bytes);
      const name = channel.toString();
      if (this.#prefix + envelope.topic !== name) {
        throw new MalformedEnvelopeError(`topic '${envelope.topic}' arrived on channel ${name}`);
      }
      this.#stats.received += envelope.messages.length;
      const topics = this.#topics;
      if (topics !== null) {
        for (const message of envelope.messages) topics.deliverLocal(envelope.topic, message);
      }
    } catch (error) {
      if (!(error instanceof MalformedEnvelopeError)) throw error;
      this.#stats.malformed++;
      this.#report(error);
    }
  };

  async #recover(): Promise<void> {
    await this.#channels.resync();
    // Down again meanwhile: the next 'up' recovers.
    if (!this.#link.up || this.#up) return;
    this.#up = true;
    if (this.#wasDown) {
      this.#wasDown = false;
      const prefix = this.#prefix.length;
      this.emit(
        'resubscribed',
        this.#channels.wanted().map((channel) => channel.slice(prefix)),
      );
    }
    this.emit('up');
  }

  #report(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

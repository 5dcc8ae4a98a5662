/**
 * The RoomBroker for several nodes, on wsx-redis: fan-out through Redis pub/sub (a wsx-redis
 * topic per room and per user, subscribed by a node only while it serves that room or user),
 * presence with per-node heartbeats (redis-room-presence.ts), typing as plain room events.
 *
 * Redis pub/sub delivers at most once: what is published while Redis, or the link to it, is
 * away never arrives. The chat loses nothing for it, because every message is in the store
 * first and carries its room's seq. When this node's link comes back (wsx-redis's
 * `resubscribed`), the broker
 * - tells the service (`gap`): each room stream on this node reads what it missed from the
 *   store;
 * - tells the other nodes the last seq it published in each room since its link was last known
 *   good (`head`): a node that did not receive them reads them from the store.
 * A publish that fails while the link is up (too many waiting) is followed by heads the same
 * way, within a second. A Redis that stops answering while this node publishes is noticed by
 * a {@link StallWatch}: publishes are held (and counted as failed) until it answers again.
 */
import { RedisPresence, RedisPubSubAdapter } from 'wsx-redis';
import {
  ALL,
  decodeEvent,
  encodeHead,
  encodeRoomEvent,
  encodeUserEvent,
  MalformedEventError,
  roomTopic,
  userTopic,
} from './broker-wire.js';
import { RedisRoomPresence } from './redis-room-presence.js';
import { RelayTopics } from './relay-topics.js';
import type { DeliverHandler, RoomBroker, RoomEvent, UserEvent } from './room-broker.js';
import { StallWatch } from './stall-watch.js';

/** What the broker tells the operator (pino's logger fits). */
export interface BrokerLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface RedisBrokerOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  readonly url: string;
  /** Before every Redis key and channel (default `'wsx-chat:'`). */
  readonly prefix?: string;
  /**
   * How long Redis may stay silent before this node counts it as away (default 3000 ms; a PING
   * every third of it keeps a healthy link busy).
   */
  readonly timeoutMs?: number;
  /** How long `connect` waits for Redis (default 15 s). */
  readonly connectTimeoutMs?: number;
  readonly log?: BrokerLog;
}

const silent: BrokerLog = { info() {}, warn() {}, error() {} };
/** How often publish failures are looked for (then heads follow), in stall checks. */
const FAILURE_CHECK_EVERY = 4;
/** How long `watchRoom` waits for Redis to confirm a subscription before going on anyway. */
const WATCH_TIMEOUT_MS = 5000;

export class RedisBroker implements RoomBroker {
  readonly #adapter: RedisPubSubAdapter;
  readonly #presence: RedisPresence;
  readonly #rooms: RedisRoomPresence;
  readonly #log: BrokerLog;
  #deliver: DeliverHandler = () => {};
  /** Topics this node watches, with how many watches each. */
  readonly #watching = new Map<string, number>();
  /** room -> the last seq this node published there, this check period and the one before. */
  #published = new Map<number, number>();
  #publishedBefore = new Map<number, number>();
  #failuresSeen = 0;
  /** Resolves at the next `down` (one promise shared by every watch waiting meanwhile). */
  #nextDown!: Promise<void>;
  #wasDown: () => void = () => {};
  #held = 0;
  #checks = 0;
  readonly #stalls: StallWatch;
  readonly #timer: NodeJS.Timeout;

  private constructor(options: RedisBrokerOptions) {
    const prefix = options.prefix ?? 'wsx-chat:';
    const timeout = options.timeoutMs ?? 3000;
    const health = { pingInterval: Math.max(50, Math.floor(timeout / 3)), timeout };
    this.#log = options.log ?? silent;
    this.#adapter = new RedisPubSubAdapter({ redis: { url: options.url }, prefix, health });
    this.#presence = new RedisPresence({ redis: { url: options.url }, prefix, health });
    this.#rooms = new RedisRoomPresence(this.#presence);
    new RelayTopics(this.#adapter, (topic, text) => this.#receive(topic, text));
    this.#armDown();
    this.#adapter.on('down', (cause) => {
      this.#log.warn({ err: cause }, 'Redis is away');
      this.#wasDown();
      this.#armDown();
    });
    this.#adapter.on('resubscribed', () => this.#recover());
    this.#adapter.on('up', () => this.#log.info({}, 'Redis is reachable'));
    this.#adapter.on('error', (err) => this.#log.error({ err }, 'Redis pub/sub'));
    this.#presence.on('error', (err) => this.#log.error({ err }, 'Redis presence'));
    // Publishes unanswered for half the timeout: see stall-watch.ts.
    this.#stalls = new StallWatch(() => this.#adapter.stats(), timeout / 2);
    this.#timer = setInterval(() => this.#check(), Math.max(25, timeout / 4));
    this.#timer.unref();
  }

  /** Connects to Redis; rejects if it does not answer within `connectTimeoutMs`. */
  static async connect(options: RedisBrokerOptions): Promise<RedisBroker> {
    const broker = new RedisBroker(options);
    const ms = options.connectTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
    });
    try {
      await Promise.race([
        Promise.all([broker.#adapter.connect(), broker.#presence.connect()]),
        timeout,
      ]);
    } catch (error) {
      await broker.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    broker.#adapter.subscriptionChanged(ALL, 1, 0);
    await broker.#adapter.subscribed(ALL);
    return broker;
  }

  onDeliver(handler: DeliverHandler): void {
    this.#deliver = handler;
  }

  publishRoom(event: RoomEvent): void {
    this.#deliver({ kind: 'room', event });
    this.#send(roomTopic(event.room), encodeRoomEvent(event.frame, event.seq));
    if (event.seq !== undefined && event.seq > (this.#published.get(event.room) ?? 0))
      this.#published.set(event.room, event.seq);
  }

  publishUser(event: UserEvent): void {
    this.#deliver({ kind: 'user', event });
    this.#send(userTopic(event.user), encodeUserEvent(event));
  }

  publishAll(frame: string): void {
    this.#deliver({ kind: 'all', frame });
    this.#send(ALL, frame);
  }

  enter(room: number, user: number, _connection: string): Promise<boolean> {
    return this.#rooms.enter(room, user);
  }

  exit(room: number, user: number, _connection: string): Promise<boolean> {
    return this.#rooms.exit(room, user);
  }

  online(room: number): Promise<number[]> {
    return this.#rooms.online(room);
  }

  watchRoom(room: number): Promise<void> {
    return this.#watch(roomTopic(room));
  }

  unwatchRoom(room: number): void {
    this.#unwatch(roomTopic(room));
  }

  watchUser(user: number): Promise<void> {
    return this.#watch(userTopic(user));
  }

  unwatchUser(user: number): void {
    this.#unwatch(userTopic(user));
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#presence.close();
    await this.#adapter.close();
  }

  /** Publishes held because Redis does not answer (see stall-watch.ts). */
  get held(): number {
    return this.#held;
  }

  #send(topic: string, text: string): void {
    if (this.#stalls.stalled) this.#held++;
    else this.#adapter.publish(topic, { data: Buffer.from(text), binary: false });
  }

  #receive(topic: string, text: string): void {
    try {
      this.#deliver(decodeEvent(topic, text));
    } catch (error) {
      if (!(error instanceof MalformedEventError)) throw error;
      this.#log.error({ err: error, topic }, 'a malformed event from another node: dropped');
    }
  }

  /**
   * Resolves once Redis confirmed the subscription (what is published from then on arrives),
   * or at once while Redis is away: `resubscribed` then reports a gap to fill.
   */
  async #watch(topic: string): Promise<void> {
    const count = this.#watching.get(topic) ?? 0;
    this.#watching.set(topic, count + 1);
    if (count === 0) this.#adapter.subscriptionChanged(topic, 1, 0);
    if (!this.#adapter.isUp) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#adapter.subscribed(topic),
      this.#nextDown,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, WATCH_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  /** A new promise for the next `down`, the last one having resolved (or at the start). */
  #armDown(): void {
    this.#nextDown = new Promise((resolve) => {
      this.#wasDown = resolve;
    });
  }

  #unwatch(topic: string): void {
    const count = this.#watching.get(topic);
    if (count === undefined) return;
    if (count > 1) {
      this.#watching.set(topic, count - 1);
      return;
    }
    this.#watching.delete(topic);
    this.#adapter.subscriptionChanged(topic, 0, 1);
  }

  /** Back after an outage: fill this node's gaps, and announce what the others may lack. */
  #recover(): void {
    this.#log.info({}, 'Redis is back: filling gaps from the store');
    this.#announceHeads();
    this.#deliver({ kind: 'gap' });
  }

  #check(): void {
    const change = this.#stalls.check();
    if (change === 'stalled')
      this.#log.warn({}, 'Redis does not answer: publishes are held until it does');
    if (change === 'resumed') {
      this.#log.info({ held: this.#held }, 'Redis answers again');
      this.#announceHeads();
    }
    if (++this.#checks % FAILURE_CHECK_EVERY === 0) this.#checkFailures();
  }

  /** Publishes that failed while the link was up are followed by the rooms' heads. */
  #checkFailures(): void {
    if (!this.#adapter.isUp || this.#stalls.stalled) return; // heads follow the outage
    const failed = this.#adapter.stats().publishFailed;
    if (failed > this.#failuresSeen) this.#announceHeads();
    this.#failuresSeen = failed;
    this.#publishedBefore = this.#published;
    this.#published = new Map();
  }

  #announceHeads(): void {
    const heads = new Map(this.#publishedBefore);
    for (const [room, seq] of this.#published) heads.set(room, Math.max(seq, heads.get(room) ?? 0));
    for (const [room, seq] of heads) this.#send(roomTopic(room), encodeHead(seq));
  }
}

/**
 * Delivery on this node: topics (framed once by wsx, the same bytes to every subscriber), the
 * connections of each user, and each room's stream of messages (room-streams.ts: in order,
 * once, gaps fetched from the store, catch-ups without gap or duplicate). It also tells the
 * broker which rooms and users this node serves, so that a broker shared by several nodes
 * sends each node only what its connections need.
 */
import type { RoomBroker, RoomEvent } from '../broker/room-broker.js';
import type { ChatMessage } from '../store/types.js';
import type { Link } from './link.js';
import { type PageReader, RoomStreams } from './room-streams.js';
import { ALL_TOPIC, roomTopic } from './topics.js';

/** Publishes `frame` to every subscriber of `topic` on this node; returns how many got it. */
export type Publish = (topic: string, frame: string) => number;

export interface FanoutOptions {
  readonly publish: Publish;
  readonly broker: RoomBroker;
  /** Reads stored messages of a room after a seq (to fill gaps). */
  readonly readAfter: (room: number, after: number, limit: number) => Promise<ChatMessage[]>;
  /** How long a gap in a room's seqs may wait for the missing message (default 100 ms). */
  readonly gapGraceMs?: number;
  /** Told when reading a gap from the store failed (it is tried again). */
  readonly onError?: (error: unknown) => void;
}

/**
 * Out-of-order messages come from different nodes a broker hop apart (well under a
 * millisecond); 100 ms covers a busy node's event loop before the store is asked.
 */
const GAP_GRACE_MS = 100;

export class Fanout {
  readonly #publish: Publish;
  readonly #broker: RoomBroker;
  /** user -> this node's connections of the user (most users have one: no Set for them). */
  readonly #links = new Map<number, Link | Set<Link>>();
  readonly streams: RoomStreams;
  /** Deliveries made (frames queued to connections), for the metrics. */
  deliveries = 0;

  constructor(options: FanoutOptions) {
    this.#publish = options.publish;
    this.#broker = options.broker;
    const broker = options.broker;
    this.streams = new RoomStreams({
      publish: (topic, frame) => {
        this.deliveries += this.#publish(topic, frame);
      },
      readAfter: options.readAfter,
      watch: (room) => broker.watchRoom(room),
      unwatch: (room) => broker.unwatchRoom(room),
      graceMs: options.gapGraceMs ?? GAP_GRACE_MS,
      onError: options.onError ?? (() => {}),
    });
  }

  /** A connection signed in: it receives its user's events, and those for everyone. */
  register(link: Link): Promise<void> {
    const user = link.user.id;
    const links = this.#links.get(user);
    link.subscribe(ALL_TOPIC);
    if (links instanceof Set) links.add(link);
    else if (links !== undefined) this.#links.set(user, new Set([links, link]));
    else {
      this.#links.set(user, link);
      return Promise.resolve(this.#broker.watchUser(user));
    }
    return Promise.resolve();
  }

  unregister(link: Link): void {
    const user = link.user.id;
    const links = this.#links.get(user);
    if (links === link) {
      this.#links.delete(user);
      this.#broker.unwatchUser(user);
    } else if (links instanceof Set) {
      links.delete(link);
      if (links.size === 1) this.#links.set(user, links.values().next().value!);
    }
  }

  /** This node's connections of `user`. */
  linksOf(user: number): Iterable<Link> {
    const links = this.#links.get(user);
    if (links === undefined) return [];
    return links instanceof Set ? [...links] : [links];
  }

  /** To every signed-in connection on this node. */
  deliverAll(frame: string): void {
    this.deliveries += this.#publish(ALL_TOPIC, frame);
  }

  /** A room event: a stored message goes through the room's stream, others straight out. */
  deliverRoom(event: RoomEvent): void {
    if (event.seq !== undefined) this.streams.offer(event.room, event.seq, event.frame);
    else this.deliveries += this.#publish(roomTopic(event.room), event.frame);
  }

  /** A user's events go to their connections directly: a topic per user would cost more. */
  deliverUser(user: number, frame: string): void {
    for (const link of this.linksOf(user)) {
      link.send(frame);
      this.deliveries++;
    }
  }

  /** `link` starts receiving `room`: resolves once the room's events reach this node. */
  join(link: Link, room: number): Promise<void> {
    return this.streams.join(link, room);
  }

  /** `link` stops receiving `room`. */
  leave(link: Link, room: number): void {
    this.streams.leave(link, room);
  }

  /**
   * Brings `link` up to date in `room` from `after` (null: the latest page), then subscribes it
   * (after {@link join}). `send` gets each page of history.
   */
  catchUp(
    link: Link,
    room: number,
    after: number | null,
    read: PageReader,
    send: (page: ChatMessage[]) => void,
  ): Promise<void> {
    return this.streams.catchUp(link, room, after, read, send);
  }
}

/**
 * Delivery on this node: topics (framed once by wsx, the same bytes to every subscriber), the
 * connections of each user, and catch-ups. A catch-up reads a room's history while live
 * messages keep arriving; it holds those live messages aside, sends the history, then the held
 * messages it did not send yet, then subscribes — all in one synchronous step after the last
 * read, so the client gets every message once, in order, with no gap.
 */
import type { RoomEvent } from '../broker/room-broker.js';
import type { ChatMessage } from '../store/types.js';
import type { Link } from './link.js';
import { ALL_TOPIC, roomTopic } from './topics.js';

/** Publishes `frame` to every subscriber of `topic` on this node; returns how many got it. */
export type Publish = (topic: string, frame: string) => number;

/** Reads a page: messages after `after` (oldest first), or the latest page when `after` is null. */
export type PageReader = (after: number | null, limit: number) => Promise<ChatMessage[]>;

interface Held {
  readonly seq: number;
  readonly frame: string;
}

/** A page size for catch-ups: big enough to be few round trips, small enough for one frame. */
export const CATCH_UP_PAGE = 500;

export class Fanout {
  readonly #publish: Publish;
  /** user -> this node's connections of the user (most users have one: no Set for them). */
  readonly #links = new Map<number, Link | Set<Link>>();
  readonly #catchUps = new Map<number, Set<Held[]>>();
  /** Deliveries made (frames queued to connections), for the metrics. */
  deliveries = 0;

  constructor(publish: Publish) {
    this.#publish = publish;
  }

  register(link: Link): void {
    const user = link.user.id;
    const links = this.#links.get(user);
    if (links === undefined) this.#links.set(user, link);
    else if (links instanceof Set) links.add(link);
    else this.#links.set(user, new Set([links, link]));
    link.subscribe(ALL_TOPIC);
  }

  unregister(link: Link): void {
    const user = link.user.id;
    const links = this.#links.get(user);
    if (links === link) this.#links.delete(user);
    else if (links instanceof Set) {
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

  deliverRoom(event: RoomEvent): void {
    if (event.seq !== undefined) {
      const held = this.#catchUps.get(event.room);
      if (held !== undefined)
        for (const list of held) list.push({ seq: event.seq, frame: event.frame });
    }
    this.deliveries += this.#publish(roomTopic(event.room), event.frame);
  }

  /** A user's events go to their connections directly: a topic per user would cost more. */
  deliverUser(user: number, frame: string): void {
    for (const link of this.linksOf(user)) {
      link.send(frame);
      this.deliveries++;
    }
  }

  /**
   * Brings `link` up to date in `room` from `after` (null: the latest page), then subscribes it.
   * `send` gets each page of history; held live frames go out after the last page. Returns the
   * last seq the link now holds.
   */
  async catchUp(
    link: Link,
    room: number,
    after: number | null,
    read: PageReader,
    send: (page: ChatMessage[]) => void,
  ): Promise<number> {
    const held: Held[] = [];
    let holders = this.#catchUps.get(room);
    if (holders === undefined) {
      holders = new Set();
      this.#catchUps.set(room, holders);
    }
    holders.add(held);
    try {
      let last = after ?? 0;
      let page = await read(after, CATCH_UP_PAGE);
      for (;;) {
        if (page.length > 0) last = page[page.length - 1]!.seq;
        send(page);
        if (after === null || page.length < CATCH_UP_PAGE) break;
        page = await read(last, CATCH_UP_PAGE);
      }
      // From here to the subscription, nothing awaits: no live message can slip between.
      for (const { seq, frame } of held) {
        if (seq <= last) continue;
        link.send(frame);
        last = seq;
      }
      link.subscribe(roomTopic(room));
      return last;
    } finally {
      holders.delete(held);
      if (holders.size === 0) this.#catchUps.delete(room);
    }
  }
}

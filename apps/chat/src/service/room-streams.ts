/**
 * Each room's live messages on this node, in order, once, without gaps — whatever the broker
 * does. A stream exists while the node has connections in the room. It knows the last seq it
 * delivered to the room's topic (`delivered`) and delivers seq `delivered + 1` next:
 *
 * - a message at or below `delivered` is a repeat (from the broker, or a re-sent message
 *   published again) and is dropped;
 * - one further ahead waits in `pending` while the one before it is on its way (messages of
 *   different nodes can cross in the broker); if the gap lasts `graceMs`, or another node says
 *   the room has more (`head`), or the broker was away (`resync`), the missing ones are read
 *   from the store, where a message is before anyone hears of it. Seqs are gap-free, so a
 *   gap is always a message to fetch, never a hole.
 *
 * A connection joins a room with a catch-up: it reads history from its last seq while live
 * messages go on. Messages the stream delivers meanwhile are held aside for it; after the last
 * page the held ones it lacks are sent, and it subscribes to the topic in the same synchronous
 * step. Across nodes a page can also be *ahead* of the stream (the store has a message whose
 * live event has not reached this node yet): the stream then delivers those from the page to
 * the others and the connection subscribes once the stream has caught up with it.
 */
import * as frames from '../protocol/frames.js';
import type { ChatMessage } from '../store/types.js';
import type { Link } from './link.js';
import { roomTopic } from './topics.js';

type MaybePromise<T> = T | Promise<T>;

/** Reads a page: messages after `after` (oldest first), or the latest page when `after` is null. */
export type PageReader = (after: number | null, limit: number) => Promise<ChatMessage[]>;

export interface RoomStreamsOptions {
  /** Publishes `frame` to every subscriber of `topic` on this node. */
  readonly publish: (topic: string, frame: string) => void;
  /** Reads stored messages of a room after a seq, oldest first. */
  readonly readAfter: (room: number, after: number, limit: number) => MaybePromise<ChatMessage[]>;
  /** The node starts or stops serving a room (the broker's watch and unwatch). */
  readonly watch: (room: number) => MaybePromise<void>;
  readonly unwatch: (room: number) => void;
  /** How long a gap may wait for the missing message to arrive before it is fetched. */
  readonly graceMs: number;
  /** Told when fetching from the store failed (it is tried again). */
  readonly onError: (error: unknown) => void;
}

interface Held {
  readonly seq: number;
  readonly frame: string;
}

/** A page size for catch-ups: big enough to be few round trips, small enough for one frame. */
export const CATCH_UP_PAGE = 500;
/** Messages a stream keeps ahead of a gap at most; the store has the rest. */
const MAX_PENDING = 10_000;
/** The longest pause between two attempts to fetch a gap while the store fails. */
const MAX_RETRY_MS = 5000;

class RoomStream {
  readonly room: number;
  readonly topic: string;
  /** The last seq delivered to the topic; null until the first catch-up says where to start. */
  delivered: number | null = null;
  /** The highest seq known to exist in the room. */
  head = 0;
  /** The broker was away: read the store once whatever `head` says. */
  stale = false;
  /** Messages ahead of `delivered + 1`, by seq. */
  readonly pending = new Map<number, string>();
  readonly links = new Set<Link>();
  /** Lists of what was delivered during each catch-up in progress. */
  readonly catchUps = new Set<Held[]>();
  /** Connections that subscribe once `delivered` reaches their seq. */
  waiters: Map<Link, number> | null = null;
  timer: NodeJS.Timeout | null = null;
  filling = false;
  failures = 0;
  readonly watched: Promise<void>;

  constructor(room: number, watched: MaybePromise<void>) {
    this.room = room;
    this.topic = roomTopic(room);
    this.watched = Promise.resolve(watched);
  }
}

export class RoomStreams {
  readonly #options: RoomStreamsOptions;
  readonly #streams = new Map<number, RoomStream>();
  /**
   * Messages delivered after reading them from the store because they had not arrived (or not
   * yet) through the broker: each one is a live event lost or late. For the metrics.
   */
  fetched = 0;

  constructor(options: RoomStreamsOptions) {
    this.#options = options;
  }

  /** `link` is now served `room`: resolves once the node receives the room's events. */
  join(link: Link, room: number): Promise<void> {
    let stream = this.#streams.get(room);
    if (stream === undefined) {
      stream = new RoomStream(room, this.#options.watch(room));
      this.#streams.set(room, stream);
    }
    stream.links.add(link);
    return stream.watched;
  }

  /** `link` no longer receives `room` (the last connection's leaving ends the stream). */
  leave(link: Link, room: number): void {
    const stream = this.#streams.get(room);
    link.unsubscribe(roomTopic(room));
    if (stream === undefined || !stream.links.delete(link)) return;
    stream.waiters?.delete(link);
    if (stream.links.size > 0) return;
    this.#streams.delete(room);
    if (stream.timer !== null) clearTimeout(stream.timer);
    this.#options.unwatch(room);
  }

  /** A stored message's live event. */
  offer(room: number, seq: number, frame: string): void {
    const stream = this.#streams.get(room);
    if (stream !== undefined) this.#offerTo(stream, seq, frame);
  }

  /** Another node says `room` has messages up to `seq`. */
  head(room: number, seq: number): void {
    const stream = this.#streams.get(room);
    if (stream === undefined || seq <= stream.head) return;
    stream.head = seq;
    this.#checkGap(stream, true);
  }

  /** The broker was away: every room may have missed messages; read them from the store. */
  resync(): void {
    for (const stream of this.#streams.values()) {
      stream.stale = true;
      if (stream.delivered !== null) void this.#fill(stream);
    }
  }

  /** Rooms with a stream on this node. */
  get size(): number {
    return this.#streams.size;
  }

  /**
   * Brings `link` up to date in `room` from `after` (null: the latest page), then subscribes it
   * (see the file's comment). `send` gets each page of history. The link must have joined.
   */
  async catchUp(
    link: Link,
    room: number,
    after: number | null,
    read: PageReader,
    send: (page: ChatMessage[]) => void,
  ): Promise<void> {
    const stream = this.#streams.get(room);
    if (stream === undefined) return;
    const held: Held[] = [];
    stream.catchUps.add(held);
    try {
      let last = after ?? 0;
      let from = after;
      let page: ChatMessage[];
      // Set once a read came back empty although the stream had delivered further.
      let readAgain = false;
      for (;;) {
        page = await read(from, CATCH_UP_PAGE);
        if (page.length > 0) last = page[page.length - 1]!.seq;
        send(page);
        const more = from !== null && page.length === CATCH_UP_PAGE;
        from = last;
        if (more) continue;
        // From here to the subscription (or the wait for it), nothing awaits.
        last = sendHeld(link, held, last);
        // The stream is past what the pages and the held messages give: the first catch-up of
        // a new stream started it further on, from a page read after ours (a start delivers
        // nothing, so nothing was held). What it skipped is stored: read the rest. A second
        // empty read would mean a store behind what it already answered; stop, not spin.
        if (stream.delivered === null || last >= stream.delivered) break;
        if (page.length === 0 && readAgain) break;
        readAgain = page.length === 0;
      }
      this.#finish(stream, link, last, page);
    } finally {
      stream.catchUps.delete(held);
    }
  }

  #finish(stream: RoomStream, link: Link, last: number, page: readonly ChatMessage[]): void {
    if (this.#streams.get(stream.room) !== stream || !stream.links.has(link)) return;
    if (stream.delivered === null) {
      // The first catch-up of the stream: it starts where the pages end.
      stream.delivered = last;
      link.subscribe(stream.topic);
      for (const seq of stream.pending.keys()) if (seq <= last) stream.pending.delete(seq);
      this.#drain(stream);
      this.#checkGap(stream, stream.stale);
      return;
    }
    if (last <= stream.delivered) {
      link.subscribe(stream.topic);
      return;
    }
    // Ahead of the stream: the connection subscribes the moment the stream delivers its last
    // seq, so that it receives whatever comes after, even what the page's own messages let
    // the stream deliver from its pending ones. The page's messages go to the others.
    stream.waiters ??= new Map();
    stream.waiters.set(link, last);
    if (last > stream.head) stream.head = last;
    for (const m of page)
      if (m.seq > stream.delivered) this.#offerTo(stream, m.seq, frames.messageFrame(m));
    this.#checkGap(stream, true);
  }

  #offerTo(stream: RoomStream, seq: number, frame: string): void {
    if (seq > stream.head) stream.head = seq;
    const delivered = stream.delivered;
    if (delivered !== null && seq <= delivered) return; // a repeat
    if (delivered !== null && seq === delivered + 1) {
      this.#deliver(stream, seq, frame);
      if (stream.pending.size > 0) this.#drain(stream);
    } else if (stream.pending.size < MAX_PENDING) {
      stream.pending.set(seq, frame); // past the bound, the store has it
    }
    this.#checkGap(stream, false);
  }

  /** Delivers the pending messages that now follow on. */
  #drain(stream: RoomStream): void {
    for (;;) {
      const next = stream.delivered! + 1;
      const frame = stream.pending.get(next);
      if (frame === undefined) return;
      stream.pending.delete(next);
      this.#deliver(stream, next, frame);
    }
  }

  #deliver(stream: RoomStream, seq: number, frame: string): void {
    for (const held of stream.catchUps) held.push({ seq, frame });
    this.#options.publish(stream.topic, frame);
    stream.delivered = seq;
    if (stream.waiters === null) return;
    for (const [link, at] of stream.waiters) {
      if (at > seq) continue;
      stream.waiters.delete(link);
      link.subscribe(stream.topic);
    }
  }

  /** Fetches a gap now (`now`), after the grace period, or forgets a timer no longer needed. */
  #checkGap(stream: RoomStream, now: boolean): void {
    const behind = stream.delivered !== null && stream.head > stream.delivered;
    if (!behind && !(now && stream.stale)) {
      if (stream.timer !== null) clearTimeout(stream.timer);
      stream.timer = null;
      return;
    }
    if (stream.filling) return; // the fill looks again when it ends
    if (now) void this.#fill(stream);
    else stream.timer ??= setTimeout(() => void this.#fill(stream), this.#options.graceMs);
  }

  async #fill(stream: RoomStream): Promise<void> {
    if (stream.filling || stream.delivered === null) return;
    if (stream.timer !== null) clearTimeout(stream.timer);
    stream.timer = null;
    stream.filling = true;
    try {
      while (stream.stale || stream.head > stream.delivered!) {
        stream.stale = false;
        const from: number = stream.delivered!;
        const rows = await this.#options.readAfter(stream.room, from, CATCH_UP_PAGE);
        if (this.#streams.get(stream.room) !== stream) return;
        for (const m of rows) this.#offerTo(stream, m.seq, frames.messageFrame(m));
        this.fetched += stream.delivered! - from;
        // The store has nothing further: a head beyond it was not a stored message (the store
        // is the truth), and a pending message will pull the gap in again when it can.
        if (rows.length === 0 && stream.delivered === from) stream.head = from;
        if (rows.length < CATCH_UP_PAGE) break;
      }
      stream.failures = 0;
    } catch (error) {
      this.#options.onError(error);
      stream.failures++;
      const wait = Math.min(this.#options.graceMs * 2 ** stream.failures, MAX_RETRY_MS);
      stream.timer ??= setTimeout(() => void this.#fill(stream), wait);
      return;
    } finally {
      stream.filling = false;
    }
    this.#checkGap(stream, false);
  }
}

/**
 * Sends `link` the held messages that follow `last` without a gap; returns the last seq it
 * now holds. Held messages stay listed: a later call skips those it sent.
 */
function sendHeld(link: Link, held: readonly Held[], last: number): number {
  for (const { seq, frame } of held) {
    if (seq <= last) continue;
    if (seq !== last + 1) break;
    link.send(frame);
    last = seq;
  }
  return last;
}

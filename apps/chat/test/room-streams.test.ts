/**
 * A room's stream on one node (src/service/room-streams.ts), driven event by event: messages
 * from several nodes arrive out of order, twice, or not at all, and connections catch up while
 * they do. The store is a real SQLite store in memory; the connections record what they are
 * sent; the topic is a set of subscribers. No timer matters: the gap grace period is an hour,
 * so a gap is only read from the store when a head, a resync or a catch-up asks for it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messageFrame } from '../src/protocol/frames.js';
import type { Link } from '../src/service/link.js';
import { RoomStreams } from '../src/service/room-streams.js';
import { roomTopic } from '../src/service/topics.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { ChatMessage } from '../src/store/types.js';

/** A connection that keeps the seqs it is sent (a page's, and each live message's). */
class Recorder implements Link {
  readonly id: string;
  readonly user = { id: 1, name: 'ann' };
  readonly rooms = new Set<number>();
  readonly present = new Set<number>();
  readonly seqs: number[] = [];
  readonly #topics: Map<string, Set<Recorder>>;

  constructor(id: string, topics: Map<string, Set<Recorder>>) {
    this.id = id;
    this.#topics = topics;
  }

  send(text: string): void {
    const frame = JSON.parse(text) as { seq?: number; messages?: ChatMessage[] };
    if (frame.messages !== undefined) this.seqs.push(...frame.messages.map((m) => m.seq));
    else this.seqs.push(frame.seq!);
  }

  subscribe(topic: string): void {
    const set = this.#topics.get(topic) ?? new Set();
    this.#topics.set(topic, set);
    set.add(this);
  }

  unsubscribe(topic: string): void {
    this.#topics.get(topic)?.delete(this);
  }
}

async function setup(stored: number) {
  const store = new SqliteStore({ dataDir: ':memory:' });
  const ann = store.createUser('ann', 'ann', 'x')!;
  const room = store.createRoom('r', 'r', ann.id)!.id;
  const messages: ChatMessage[] = [];
  const add = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const text = `m${messages.length + 1}`;
      const m = { room, from: ann, text, ts: 1, clientMsgId: text };
      messages.push((await store.appendMessage(m)).message);
    }
  };
  await add(stored);
  const topics = new Map<string, Set<Recorder>>();
  const reads: number[] = [];
  const streams = new RoomStreams({
    publish: (topic, frame) => {
      for (const link of topics.get(topic) ?? []) link.send(frame);
    },
    readAfter: (r, after, limit) => {
      reads.push(after);
      return store.messagesAfter(r, after, limit);
    },
    watch: () => {},
    unwatch: () => {},
    graceMs: 3_600_000,
    onError: (error) => assert.fail(String(error)),
  });
  const live = (seq: number) => streams.offer(room, seq, messageFrame(messages[seq - 1]!));
  const link = (id: string) => new Recorder(id, topics);
  /** Joins and catches up from `after` (null: the latest page). */
  const attach = async (recorder: Recorder, after: number | null) => {
    await streams.join(recorder, room);
    await streams.catchUp(recorder, room, after, read, (page) =>
      page.length > 0 ? recorder.send(JSON.stringify({ messages: page })) : undefined,
    );
  };
  const read = async (from: number | null, limit: number) =>
    from === null
      ? store.messagesBefore(room, null, limit)
      : store.messagesAfter(room, from, limit);
  return { store, room, streams, add, live, link, attach, reads, topics };
}
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('messages from several nodes: in seq order, once each, whatever order and repeats they come in', async () => {
  const s = await setup(2);
  const ann = s.link('a');
  await s.attach(ann, 0);
  await s.add(6);
  for (const seq of [3, 5, 4, 4, 3, 8, 6, 7, 2, 8]) s.live(seq);
  assert.deepEqual(ann.seqs, range(1, 8));
  assert.deepEqual(s.reads, [], 'no gap read from the store: each closed by itself');
});

test('a gap is read from the store when another node says the room has more (head)', async () => {
  const s = await setup(0);
  const ann = s.link('a');
  await s.attach(ann, 0);
  await s.add(5);
  s.live(1);
  s.live(4); // 2 and 3 were published while this node was cut off
  assert.deepEqual(ann.seqs, [1]);
  s.streams.head(s.room, 5);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(ann.seqs, range(1, 5));
  s.live(5);
  assert.deepEqual(ann.seqs, range(1, 5), 'the live copy of 5 came late: dropped');
});

test('after a broker outage every room reads what it missed (resync)', async () => {
  const s = await setup(3);
  const ann = s.link('a');
  await s.attach(ann, 0);
  await s.add(4); // nothing of 4..7 came through the broker
  s.streams.resync();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(ann.seqs, range(1, 7));
});

test('a connection catching up while messages flow gets pages, then what arrived meanwhile, once', async () => {
  const s = await setup(3);
  const ann = s.link('a');
  await s.attach(ann, 0);
  const ben = s.link('b');
  await s.streams.join(ben, s.room);
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const catching = s.streams.catchUp(
    ben,
    s.room,
    0,
    async (from, limit) => {
      const page = s.store.messagesAfter(s.room, from ?? 0, limit); // read before 4 and 5
      await gate;
      return page;
    },
    (page) => (page.length > 0 ? ben.send(JSON.stringify({ messages: page })) : undefined),
  );
  await s.add(2);
  s.live(4);
  s.live(5);
  release();
  await catching;
  await s.add(1);
  s.live(6);
  assert.deepEqual(ann.seqs, range(1, 6));
  assert.deepEqual(ben.seqs, range(1, 6));
});

test('a catch-up ahead of the stream (the store has what the broker has not brought yet)', async () => {
  const s = await setup(2);
  const ann = s.link('a');
  await s.attach(ann, 0);
  await s.add(3); // 3..5 stored; their live events are on their way
  const ben = s.link('b');
  await s.attach(ben, 0);
  assert.deepEqual(ben.seqs, range(1, 5));
  assert.deepEqual(ann.seqs, range(1, 5), 'the page brought 3..5 to the others too');
  for (const seq of [3, 4, 5]) s.live(seq);
  await s.add(1);
  s.live(6);
  assert.deepEqual(ann.seqs, range(1, 6));
  assert.deepEqual(ben.seqs, range(1, 6));
});

test('the last connection leaving ends the stream; the next one starts from the store again', async () => {
  const s = await setup(2);
  const ann = s.link('a');
  await s.attach(ann, 0);
  s.streams.leave(ann, s.room);
  assert.equal(s.streams.size, 0);
  assert.equal(s.topics.get(roomTopic(s.room))?.size ?? 0, 0);
  await s.add(2);
  s.live(3); // not for this node any more
  const ben = s.link('b');
  await s.attach(ben, 2);
  assert.deepEqual(ben.seqs, [3, 4]);
});

/** A page reader that reads the store now but answers only when `release` is called. */
function gatedReader(s: Awaited<ReturnType<typeof setup>>) {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let gated = true;
  const read = async (from: number | null, limit: number) => {
    const page = s.store.messagesAfter(s.room, from ?? 0, limit);
    if (gated) {
      gated = false;
      await gate;
    }
    return page;
  };
  return { read, release: () => release() };
}

test('a catch-up ahead of the stream gets what the stream delivers after its page, once', async () => {
  const s = await setup(2);
  const ann = s.link('a');
  await s.attach(ann, 0);
  await s.add(2); // 3 and 4 stored; their live events will come late
  const ben = s.link('b');
  await s.streams.join(ben, s.room);
  const gated = gatedReader(s); // ben's page: 3 and 4
  const catching = s.streams.catchUp(ben, s.room, 2, gated.read, (page) =>
    page.length > 0 ? ben.send(JSON.stringify({ messages: page })) : undefined,
  );
  await s.add(1);
  s.live(5); // ahead of the stream (3 and 4 missing): held back
  gated.release();
  await catching; // the page's 3 and 4 let the stream deliver 5
  await s.add(1);
  s.live(6);
  assert.deepEqual(ann.seqs, range(1, 6));
  assert.deepEqual(ben.seqs, range(3, 6));
});

test('a catch-up whose page ends where a newer catch-up started the stream reads on', async () => {
  const s = await setup(2);
  const ben = s.link('b');
  await s.streams.join(ben, s.room);
  const gated = gatedReader(s); // ben's page after 2: empty
  const catching = s.streams.catchUp(ben, s.room, 2, gated.read, (page) =>
    page.length > 0 ? ben.send(JSON.stringify({ messages: page })) : undefined,
  );
  await s.add(2);
  const ann = s.link('a');
  await s.attach(ann, 0); // the stream's first catch-up: it starts after 4
  gated.release();
  await catching;
  await s.add(1);
  s.live(5);
  assert.deepEqual(ann.seqs, range(1, 5));
  assert.deepEqual(ben.seqs, range(3, 5));
});

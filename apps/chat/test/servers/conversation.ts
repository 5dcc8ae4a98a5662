/**
 * A conversation across chat nodes, for the scale-out tests: users spread over the nodes, rooms
 * with members on several nodes, everybody sending (a window of messages in flight each), and
 * the checks every test ends with:
 * - in the store, each room's seqs are 1..n, each message once (by clientMsgId);
 * - every acknowledged message is there, with the seq its ack gave (nothing acked is lost);
 * - every member received exactly the room's seqs 1..n, in order, each once (across
 *   reconnections: live events and resume pages together), and saw no gap or repeat.
 * Waits are barriers on what was received or acknowledged; time only bounds them.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import pg from 'pg';
import type { ChatNode } from './chat-node.js';
import { ChatUser } from './chat-user.js';

export interface RoomPlan {
  readonly name: string;
  /** Indexes of its members in the user list (the first creates it). */
  readonly members: readonly number[];
}

export class Conversation {
  readonly users: ChatUser[];
  /** room id -> its members. */
  readonly rooms = new Map<number, ChatUser[]>();

  private constructor(users: ChatUser[]) {
    this.users = users;
  }

  /**
   * Registers `count` users, user i connected to node i mod nodes.length, and makes the rooms
   * (their members joined, so each receives every message from the first).
   */
  static async start(
    t: TestContext,
    nodes: readonly ChatNode[],
    count: number,
    plans: readonly RoomPlan[],
  ): Promise<Conversation> {
    const users: ChatUser[] = [];
    for (let i = 0; i < count; i++) users.push(await ChatUser.register(nodes[0]!, `user${i}`));
    const conversation = new Conversation(users);
    t.after(() => {
      for (const user of users) user.close();
    });
    await Promise.all(users.map((user, i) => user.connect(nodes[i % nodes.length]!)));
    for (const plan of plans) {
      const [creator, ...others] = plan.members.map((i) => users[i]!);
      const created = await creator!.request('create', { name: plan.name });
      const room = (created.room as { id: number }).id;
      for (const user of others) {
        const joined = await user.request('join', { room });
        assert.equal(joined.type, 'joined', `${user.name} joins ${plan.name}`);
      }
      const members = [creator!, ...others];
      // The room's first page (empty) comes after the reply: from then on, a member gets
      // every message.
      await Promise.all(members.map((m) => m.until(() => m.received.has(room), 'its page')));
      conversation.rooms.set(room, members);
    }
    return conversation;
  }

  /** Every user keeps `window` messages in flight, to their rooms in turn. */
  talk(window = 4): void {
    for (const user of this.users) user.keepSending(this.roomsOf(user), window);
  }

  /** Messages acknowledged so far, over every user. */
  get acked(): number {
    return this.users.reduce((n, user) => n + user.acked.size, 0);
  }

  /** Resolves once `count` messages in all have been acknowledged. */
  async ackedAtLeast(count: number, what: string, ms = 60_000): Promise<void> {
    await Promise.race(this.users.map((user) => user.until(() => this.acked >= count, what, ms)));
  }

  /** Stops sending; resolves once every message is acknowledged and every member has them all. */
  async settle(ms = 60_000): Promise<void> {
    for (const user of this.users) user.stopSending();
    await Promise.all(this.users.map((u) => u.until(() => u.unacked === 0, 'every ack', ms)));
    for (const [room, members] of this.rooms) {
      const last = Math.max(
        0,
        ...this.#acks()
          .filter((a) => a.room === room)
          .map((a) => a.seq),
      );
      for (const member of members)
        await member.until(
          () => (member.held.get(room) ?? 0) >= last,
          `room ${room} up to seq ${last}`,
          ms,
        );
    }
  }

  /** The checks of the file's comment, against the store's own rows. */
  async verify(databaseUrl: string): Promise<void> {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      for (const user of this.users) assert.deepEqual(user.problems, [], `${user.name}'s problems`);
      for (const [room, members] of this.rooms) {
        const { rows } = await db.query<{ seq: string; client_msg_id: string }>(
          'SELECT seq, client_msg_id FROM messages WHERE room_id = $1 ORDER BY seq',
          [room],
        );
        const seqs = rows.map((r) => Number(r.seq));
        const all = seqs.map((_, i) => i + 1);
        assert.deepEqual(seqs, all, `room ${room}: seqs 1..n in the store`);
        const byId = new Map(rows.map((r) => [r.client_msg_id, Number(r.seq)]));
        assert.equal(byId.size, rows.length, `room ${room}: each message stored once`);
        for (const ack of this.#acks().filter((a) => a.room === room))
          assert.equal(byId.get(ack.id), ack.seq, `${ack.id}, acknowledged as ${ack.seq}, stored`);
        for (const member of members)
          assert.deepEqual(member.received.get(room), all, `${member.name} got room ${room}`);
      }
    } finally {
      await db.end();
    }
  }

  roomsOf(user: ChatUser): number[] {
    return [...this.rooms].filter(([, members]) => members.includes(user)).map(([room]) => room);
  }

  /** Every acknowledgement received, by anyone. */
  #acks(): { id: string; room: number; seq: number }[] {
    return this.users.flatMap((u) => [...u.acked].map(([id, at]) => ({ id, ...at })));
  }
}

/** Rooms, direct conversations, membership and read positions in SQLite. */
import type Database from 'better-sqlite3';
import { type Room, type RoomSummary, UNREAD_CAP, type User } from './types.js';

interface SummaryRow extends Room {
  members: number;
  joined: number;
  readSeq: number;
}

const SUMMARY = `SELECT r.id, r.kind, r.name, r.last_seq AS lastSeq,
  (SELECT COUNT(*) FROM members x WHERE x.room_id = r.id) AS members,
  me.user_id IS NOT NULL AS joined, COALESCE(me.read_seq, 0) AS readSeq
  FROM rooms r LEFT JOIN members me ON me.room_id = r.id AND me.user_id = ?`;

export class SqliteRooms {
  readonly #db: Database.Database;
  readonly #s;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = {
      insert: db.prepare(
        `INSERT INTO rooms (kind, name, name_key, dm_key, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
      ),
      byDmKey: db.prepare("SELECT id FROM rooms WHERE dm_key = ? AND kind = 'dm'").pluck(),
      get: db.prepare('SELECT id, kind, name, last_seq AS lastSeq FROM rooms WHERE id = ?'),
      list: db.prepare(`${SUMMARY} WHERE r.kind = 'public' OR me.user_id IS NOT NULL
        ORDER BY r.kind DESC, r.name`),
      joined: db.prepare(`${SUMMARY} WHERE me.user_id IS NOT NULL ORDER BY r.kind DESC, r.name`),
      summary: db.prepare(`${SUMMARY} WHERE r.id = ?`),
      unread: db
        .prepare(
          `SELECT COUNT(*) FROM (SELECT 1 FROM messages
         WHERE room_id = ? AND seq > ? AND user_id <> ? LIMIT ${UNREAD_CAP})`,
        )
        .pluck(),
      peer: db.prepare(
        `SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id
         WHERE m.room_id = ? AND m.user_id <> ?`,
      ),
      addMember: db.prepare(
        `INSERT INTO members (room_id, user_id, read_seq, joined_at) VALUES (?, ?, 0, ?)
         ON CONFLICT DO NOTHING`,
      ),
      removeMember: db.prepare('DELETE FROM members WHERE room_id = ? AND user_id = ?'),
      isMember: db.prepare('SELECT 1 FROM members WHERE room_id = ? AND user_id = ?').pluck(),
      memberRooms: db.prepare('SELECT room_id FROM members WHERE user_id = ?').pluck(),
      members: db.prepare(
        `SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id
         WHERE m.room_id = ? ORDER BY u.name`,
      ),
      markRead: db
        .prepare(
          `UPDATE members SET read_seq = MAX(read_seq, MIN(?, (SELECT last_seq FROM rooms WHERE id = ?)))
         WHERE room_id = ? AND user_id = ? RETURNING read_seq`,
        )
        .pluck(),
    };
  }

  create(name: string, nameKey: string, creator: number): Room | null {
    const id = this.#s.insert.pluck().get('public', name, nameKey, null, creator, Date.now()) as
      | number
      | undefined;
    if (id === undefined) return null;
    this.addMember(id, creator);
    return { id, kind: 'public', name, lastSeq: 0 };
  }

  direct(a: User, b: User): { room: Room; created: boolean } {
    const [low, high] = a.id < b.id ? [a, b] : [b, a];
    const dmKey = `${low.id}:${high.id}`;
    return this.#db
      .transaction(() => {
        const found = this.#s.byDmKey.get(dmKey) as number | undefined;
        if (found !== undefined) return { room: this.get(found)!, created: false };
        const name = `${low.name} · ${high.name}`;
        const id = this.#s.insert.pluck().get('dm', name, null, dmKey, a.id, Date.now()) as number;
        this.addMember(id, low.id);
        this.addMember(id, high.id);
        return { room: this.get(id)!, created: true };
      })
      .immediate();
  }

  get(roomId: number): Room | undefined {
    return this.#s.get.get(roomId) as Room | undefined;
  }

  list(userId: number, joinedOnly: boolean): RoomSummary[] {
    const query = joinedOnly ? this.#s.joined : this.#s.list;
    const rows = query.all(userId) as SummaryRow[];
    return rows.map((row) => this.#toSummary(row, userId));
  }

  summary(roomId: number, userId: number): RoomSummary | undefined {
    const row = this.#s.summary.get(userId, roomId) as SummaryRow | undefined;
    return row && this.#toSummary(row, userId);
  }

  addMember(roomId: number, userId: number): boolean {
    return this.#s.addMember.run(roomId, userId, Date.now()).changes === 1;
  }

  removeMember(roomId: number, userId: number): boolean {
    return this.#s.removeMember.run(roomId, userId).changes === 1;
  }

  isMember(roomId: number, userId: number): boolean {
    return this.#s.isMember.get(roomId, userId) !== undefined;
  }

  memberRooms(userId: number): number[] {
    return this.#s.memberRooms.all(userId) as number[];
  }

  members(roomId: number): User[] {
    return this.#s.members.all(roomId) as User[];
  }

  /** Moves the read position forward, never past the room's last message; 0 if not a member. */
  markRead(roomId: number, userId: number, seq: number): number {
    return (this.#s.markRead.get(seq, roomId, roomId, userId) as number | undefined) ?? 0;
  }

  #toSummary(row: SummaryRow, userId: number): RoomSummary {
    const joined = row.joined === 1;
    const unread = joined ? (this.#s.unread.get(row.id, row.readSeq, userId) as number) : 0;
    const base = { ...row, joined, unread };
    if (row.kind !== 'dm') return base;
    const peer = this.#s.peer.get(row.id, userId) as User | undefined;
    return peer === undefined ? base : { ...base, peer };
  }
}

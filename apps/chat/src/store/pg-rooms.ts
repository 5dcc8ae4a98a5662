/** Rooms, direct conversations, membership and read positions in PostgreSQL. */
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from './pg-connection.js';
import { type Room, type RoomSummary, UNREAD_CAP, type User } from './types.js';

interface SummaryRow extends Room {
  members: number;
  joined: boolean;
  readSeq: number;
  unread: number;
  peer: User | null;
}

/**
 * A room as one user sees it, in one query: member count, membership, read position, unread
 * count (capped: a badge says "999+", and counting further costs a longer range scan) and, for
 * a direct conversation, the other user.
 */
const SUMMARY = `SELECT r.id, r.kind, r.name, r.last_seq AS "lastSeq",
  (SELECT count(*) FROM members x WHERE x.room_id = r.id)::int AS members,
  me.user_id IS NOT NULL AS joined, COALESCE(me.read_seq, 0) AS "readSeq",
  CASE WHEN me.user_id IS NULL THEN 0 ELSE (SELECT count(*) FROM (SELECT 1 FROM messages m
    WHERE m.room_id = r.id AND m.seq > me.read_seq AND m.user_id <> $1 LIMIT ${UNREAD_CAP}) c)::int
  END AS unread,
  CASE WHEN r.kind = 'dm' THEN (SELECT json_build_object('id', u.id, 'name', u.name)
    FROM members p JOIN users u ON u.id = p.user_id
    WHERE p.room_id = r.id AND p.user_id <> $1 LIMIT 1) END AS peer
  FROM rooms r LEFT JOIN members me ON me.room_id = r.id AND me.user_id = $1`;

const SQL = {
  insert: `INSERT INTO rooms (kind, name, name_key, dm_key, created_by, created_at)
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id`,
  byDmKey: `SELECT id, kind, name, last_seq AS "lastSeq" FROM rooms WHERE dm_key = $1 AND kind = 'dm'`,
  get: {
    name: 'chat-room',
    text: 'SELECT id, kind, name, last_seq AS "lastSeq" FROM rooms WHERE id = $1',
  },
  list: `${SUMMARY} WHERE r.kind = 'public' OR me.user_id IS NOT NULL ORDER BY r.kind DESC, r.name`,
  joined: `${SUMMARY} WHERE me.user_id IS NOT NULL ORDER BY r.kind DESC, r.name`,
  summary: { name: 'chat-summary', text: `${SUMMARY} WHERE r.id = $2` },
  addMember: `INSERT INTO members (room_id, user_id, read_seq, joined_at) VALUES ($1, $2, 0, $3)
    ON CONFLICT DO NOTHING`,
  removeMember: 'DELETE FROM members WHERE room_id = $1 AND user_id = $2',
  isMember: {
    name: 'chat-is-member',
    text: 'SELECT 1 FROM members WHERE room_id = $1 AND user_id = $2',
  },
  memberRooms: 'SELECT room_id AS id FROM members WHERE user_id = $1',
  members: `SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id
    WHERE m.room_id = $1 ORDER BY u.name`,
  markRead: {
    name: 'chat-mark-read',
    text: `UPDATE members SET read_seq = GREATEST(read_seq,
      LEAST($3::bigint, (SELECT last_seq FROM rooms WHERE id = $1)))
      WHERE room_id = $1 AND user_id = $2 RETURNING read_seq AS "readSeq"`,
  },
} as const;

export class PgRooms {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async create(name: string, nameKey: string, creator: number): Promise<Room | null> {
    return this.#transaction(async (client) => {
      const values = ['public', name, nameKey, null, creator, Date.now()];
      const { rows } = await client.query<{ id: number }>(SQL.insert, values);
      if (rows[0] === undefined) return null;
      const id = rows[0].id;
      await client.query(SQL.addMember, [id, creator, Date.now()]);
      return { id, kind: 'public', name, lastSeq: 0 };
    });
  }

  /** The direct conversation of two users; nodes that create it at once get the same room. */
  async direct(a: User, b: User): Promise<{ room: Room; created: boolean }> {
    const [low, high] = a.id < b.id ? [a, b] : [b, a];
    const dmKey = `${low.id}:${high.id}`;
    const found = await this.#pool.query<Room>(SQL.byDmKey, [dmKey]);
    if (found.rows[0] !== undefined) return { room: found.rows[0], created: false };
    return this.#transaction(async (client) => {
      const name = `${low.name} · ${high.name}`;
      const values = ['dm', name, null, dmKey, a.id, Date.now()];
      const { rows } = await client.query<{ id: number }>(SQL.insert, values);
      if (rows[0] === undefined) {
        // Another node created it between our two statements.
        const { rows: existing } = await client.query<Room>(SQL.byDmKey, [dmKey]);
        return { room: existing[0]!, created: false };
      }
      const id = rows[0].id;
      for (const user of [low, high]) await client.query(SQL.addMember, [id, user.id, Date.now()]);
      return { room: { id, kind: 'dm' as const, name, lastSeq: 0 }, created: true };
    });
  }

  async get(roomId: number): Promise<Room | undefined> {
    const { rows } = await this.#pool.query<Room>({ ...SQL.get, values: [roomId] });
    return rows[0];
  }

  async list(userId: number, joinedOnly: boolean): Promise<RoomSummary[]> {
    const { rows } = await this.#pool.query<SummaryRow>(joinedOnly ? SQL.joined : SQL.list, [
      userId,
    ]);
    return rows.map(toSummary);
  }

  async summary(roomId: number, userId: number): Promise<RoomSummary | undefined> {
    const { rows } = await this.#pool.query<SummaryRow>({
      ...SQL.summary,
      values: [userId, roomId],
    });
    return rows[0] && toSummary(rows[0]);
  }

  async addMember(roomId: number, userId: number): Promise<boolean> {
    const result = await this.#pool.query(SQL.addMember, [roomId, userId, Date.now()]);
    return result.rowCount === 1;
  }

  async removeMember(roomId: number, userId: number): Promise<boolean> {
    const result = await this.#pool.query(SQL.removeMember, [roomId, userId]);
    return result.rowCount === 1;
  }

  async isMember(roomId: number, userId: number): Promise<boolean> {
    const { rows } = await this.#pool.query({ ...SQL.isMember, values: [roomId, userId] });
    return rows.length > 0;
  }

  async memberRooms(userId: number): Promise<number[]> {
    const { rows } = await this.#pool.query<{ id: number }>(SQL.memberRooms, [userId]);
    return rows.map((row) => row.id);
  }

  async members(roomId: number): Promise<User[]> {
    const { rows } = await this.#pool.query<User>(SQL.members, [roomId]);
    return rows;
  }

  /** Moves the read position forward, never past the room's last message; 0 if not a member. */
  async markRead(roomId: number, userId: number, seq: number): Promise<number> {
    const { rows } = await this.#pool.query<{ readSeq: number }>({
      ...SQL.markRead,
      values: [roomId, userId, seq],
    });
    return rows[0]?.readSeq ?? 0;
  }

  #transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.#pool, work);
  }
}

function toSummary(row: SummaryRow): RoomSummary {
  const { peer, ...base } = row;
  // json_build_object's numbers arrive as JSON numbers; the ids fit.
  return peer === null ? base : { ...base, peer: { id: Number(peer.id), name: peer.name } };
}

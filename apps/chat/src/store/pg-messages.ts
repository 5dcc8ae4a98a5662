/**
 * Message rows in PostgreSQL: the batched append (one call of `chat_append`, which numbers the
 * messages under each room's lock, see pg-migrations.ts) and the page queries.
 */
import type { Pool } from 'pg';
import { type MessageRow, rowToMessage } from './message-row.js';
import type { Appended, ChatMessage, NewMessage } from './types.js';

interface AppendRow {
  o_item: number;
  o_seq: number;
  o_ts: number;
  o_text: string;
  o_duplicate: boolean;
}

const COLUMNS = `m.room_id AS room, m.seq, m.user_id AS "userId", u.name AS "userName",
  m.client_msg_id AS "clientMsgId", m.text, m.ts`;

/** Named statements: each connection parses and plans them once. */
const SQL = {
  append: {
    name: 'chat-append',
    text: 'SELECT * FROM chat_append($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[])',
  },
  after: {
    name: 'chat-after',
    text: `SELECT ${COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id
      WHERE m.room_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`,
  },
  before: {
    name: 'chat-before',
    text: `SELECT * FROM (SELECT ${COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id
      WHERE m.room_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3) page ORDER BY seq`,
  },
  latest: {
    name: 'chat-latest',
    text: `SELECT * FROM (SELECT ${COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id
      WHERE m.room_id = $1 ORDER BY m.seq DESC LIMIT $2) page ORDER BY seq`,
  },
} as const;

export class PgMessages {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /** Appends in one statement (its own transaction); one result per item, in order. */
  async appendBatch(items: readonly NewMessage[]): Promise<(Appended | Error)[]> {
    const { rows } = await this.#pool.query<AppendRow>({
      ...SQL.append,
      values: [
        items.map((m) => m.room),
        items.map((m) => m.from.id),
        items.map((m) => m.clientMsgId),
        items.map((m) => m.text),
        items.map((m) => m.ts),
      ],
    });
    const answered = new Map<number, AppendRow>();
    for (const row of rows) answered.set(row.o_item - 1, row);
    const firsts = new Map<string, Appended>();
    return items.map((item, index) => {
      const key = `${item.room}:${item.from.id}:${item.clientMsgId}`;
      const first = firsts.get(key);
      // A repeat within the batch: the first occurrence's message, as a duplicate.
      if (first !== undefined) return { message: first.message, duplicate: true };
      const row = answered.get(index);
      if (row === undefined) return new Error(`no room ${item.room}`);
      const message: ChatMessage = {
        room: item.room,
        seq: row.o_seq,
        from: item.from,
        text: row.o_text,
        ts: row.o_ts,
        clientMsgId: item.clientMsgId,
      };
      const appended = { message, duplicate: row.o_duplicate };
      firsts.set(key, appended);
      return appended;
    });
  }

  async after(roomId: number, afterSeq: number, limit: number): Promise<ChatMessage[]> {
    const { rows } = await this.#pool.query<MessageRow>({
      ...SQL.after,
      values: [roomId, afterSeq, limit],
    });
    return rows.map(rowToMessage);
  }

  async before(roomId: number, beforeSeq: number | null, limit: number): Promise<ChatMessage[]> {
    const { rows } =
      beforeSeq === null
        ? await this.#pool.query<MessageRow>({ ...SQL.latest, values: [roomId, limit] })
        : await this.#pool.query<MessageRow>({ ...SQL.before, values: [roomId, beforeSeq, limit] });
    return rows.map(rowToMessage);
  }
}

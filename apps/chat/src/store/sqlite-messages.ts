/**
 * Message rows in SQLite: the batched append (sequence numbers assigned inside the transaction)
 * and the two page queries.
 */
import type Database from 'better-sqlite3';
import { type MessageRow, rowToMessage } from './message-row.js';
import type { Appended, ChatMessage, NewMessage } from './types.js';

const COLUMNS = `m.room_id AS room, m.seq, m.user_id AS userId, u.name AS userName,
  m.client_msg_id AS clientMsgId, m.text, m.ts`;

export class SqliteMessages {
  readonly #db: Database.Database;
  readonly #lastSeq: Database.Statement;
  readonly #setLastSeq: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #byClientId: Database.Statement;
  readonly #after: Database.Statement;
  readonly #before: Database.Statement;
  readonly #latest: Database.Statement;
  readonly #appendBatch: (items: readonly NewMessage[]) => (Appended | Error)[];

  constructor(db: Database.Database) {
    this.#db = db;
    this.#lastSeq = db.prepare('SELECT last_seq FROM rooms WHERE id = ?').pluck();
    this.#setLastSeq = db.prepare('UPDATE rooms SET last_seq = ? WHERE id = ?');
    this.#insert = db.prepare(
      `INSERT INTO messages (room_id, seq, user_id, client_msg_id, text, ts)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (room_id, user_id, client_msg_id) DO NOTHING`,
    );
    this.#byClientId = db.prepare(
      `SELECT ${COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id
       WHERE m.room_id = ? AND m.user_id = ? AND m.client_msg_id = ?`,
    );
    this.#after = db.prepare(
      `SELECT ${COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id
       WHERE m.room_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?`,
    );
    this.#before = db.prepare(
      `SELECT * FROM (SELECT ${COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id
       WHERE m.room_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?) ORDER BY seq`,
    );
    this.#latest = db.prepare(
      `SELECT * FROM (SELECT ${COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id
       WHERE m.room_id = ? ORDER BY m.seq DESC LIMIT ?) ORDER BY seq`,
    );
    // IMMEDIATE: take the write lock before reading last_seq, so two processes sharing the
    // file can never hand out the same number.
    const batch = db.transaction((items: readonly NewMessage[]) => this.#writeBatch(items));
    this.#appendBatch = (items) => batch.immediate(items);
  }

  /** Appends in one transaction; one result per item, in order. */
  appendBatch(items: readonly NewMessage[]): (Appended | Error)[] {
    return this.#appendBatch(items);
  }

  after(roomId: number, afterSeq: number, limit: number): MessageRow[] {
    return this.#after.all(roomId, afterSeq, limit) as MessageRow[];
  }

  before(roomId: number, beforeSeq: number | null, limit: number): MessageRow[] {
    if (beforeSeq === null) return this.#latest.all(roomId, limit) as MessageRow[];
    return this.#before.all(roomId, beforeSeq, limit) as MessageRow[];
  }

  #writeBatch(items: readonly NewMessage[]): (Appended | Error)[] {
    const lastSeqs = new Map<number, number>();
    const inBatch = new Map<string, Appended>();
    const results: (Appended | Error)[] = [];
    for (const item of items) {
      const key = `${item.room}:${item.from.id}:${item.clientMsgId}`;
      const earlier = inBatch.get(key);
      if (earlier !== undefined) {
        results.push({ message: earlier.message, duplicate: true });
        continue;
      }
      const result = this.#writeOne(item, lastSeqs);
      if (!(result instanceof Error)) inBatch.set(key, result);
      results.push(result);
    }
    for (const [room, seq] of lastSeqs) this.#setLastSeq.run(seq, room);
    return results;
  }

  #writeOne(item: NewMessage, lastSeqs: Map<number, number>): Appended | Error {
    let last = lastSeqs.get(item.room);
    if (last === undefined) {
      last = this.#lastSeq.get(item.room) as number | undefined;
      if (last === undefined) return new Error(`no room ${item.room}`);
    }
    const seq = last + 1;
    const { room, from, clientMsgId, text, ts } = item;
    if (this.#insert.run(room, seq, from.id, clientMsgId, text, ts).changes === 0) {
      const row = this.#byClientId.get(room, from.id, clientMsgId) as MessageRow;
      return { message: rowToMessage(row), duplicate: true };
    }
    lastSeqs.set(room, seq);
    const message: ChatMessage = { room, seq, from, text, ts, clientMsgId };
    return { message, duplicate: false };
  }

  get database(): Database.Database {
    return this.#db;
  }
}

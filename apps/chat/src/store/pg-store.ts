/**
 * The MessageStore on PostgreSQL (`pg`), for several nodes sharing one database. Message
 * appends go through an {@link AsyncCommitQueue}: what arrives while a commit is on its way is
 * appended by the next one, one statement (`chat_append`) that numbers each room's messages
 * under the room's row lock, so nodes never hand out the same seq. Acknowledgements wait for
 * the commit (with PostgreSQL's default `synchronous_commit = on`: for its WAL flush). While
 * the server restarts, appends are retried and simply wait; reads fail, and the request that
 * made them gets `internal` (the client tries again).
 */
import type { Pool, QueryConfig } from 'pg';
import { AsyncCommitQueue } from './async-commit-queue.js';
import type { MessageStore } from './message-store.js';
import { createPool, isTransient } from './pg-connection.js';
import { PgMessages } from './pg-messages.js';
import { migratePostgres } from './pg-migrations.js';
import { PgRooms } from './pg-rooms.js';
import type {
  Appended,
  ChatMessage,
  NewMessage,
  Room,
  RoomKind,
  RoomSummary,
  Session,
  User,
  UserRecord,
} from './types.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq's PG* variables fill what is missing). */
  readonly url: string;
  /** Connections at most (default 10). */
  readonly poolSize?: number;
  /** Told each commit's duration and size (for the store latency metric). */
  readonly observeCommit?: (seconds: number, count: number) => void;
  /** Told about failures in the background (idle connections lost, commits being retried). */
  readonly onError?: (error: Error) => void;
  /** How long a commit is retried while the server is away (default 30 s). */
  readonly retryForMs?: number;
}

const SQL = {
  insertUser: `INSERT INTO users (name, name_key, password_hash, created_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (name_key) DO NOTHING RETURNING id`,
  userByKey: {
    name: 'chat-user-by-key',
    text: 'SELECT id, name, password_hash AS "passwordHash" FROM users WHERE name_key = $1',
  },
  insertSession: 'INSERT INTO sessions (token_hash, user_id, expires) VALUES ($1, $2, $3)',
  purgeSessions: 'DELETE FROM sessions WHERE expires <= $1',
  session: {
    name: 'chat-session',
    text: `SELECT u.id, u.name, s.expires FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = $1 AND s.expires > $2`,
  },
  deleteSession: 'DELETE FROM sessions WHERE token_hash = $1',
} as const;

export class PostgresStore implements MessageStore {
  readonly #pool: Pool;
  readonly #rooms: PgRooms;
  readonly #messages: PgMessages;
  readonly #queue: AsyncCommitQueue<NewMessage, Appended>;
  #closed = false;

  private constructor(pool: Pool, options: PostgresStoreOptions) {
    const onError = options.onError ?? (() => {});
    this.#pool = pool;
    this.#rooms = new PgRooms(pool);
    this.#messages = new PgMessages(pool);
    this.#queue = new AsyncCommitQueue((items) => this.#messages.appendBatch(items), {
      transient: isTransient,
      ...(options.observeCommit && { observe: options.observeCommit }),
      retryForMs: options.retryForMs ?? 30_000,
      onRetry: (error, attempt) => {
        if (attempt === 1)
          onError(new Error('committing messages failed: retrying', { cause: error }));
      },
    });
  }

  /** Connects, brings the schema up to date, and resolves with the store. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const pool = createPool({
      url: options.url,
      ...(options.poolSize !== undefined && { max: options.poolSize }),
      onError: options.onError ?? (() => {}),
    });
    try {
      await migratePostgres(pool);
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
    return new PostgresStore(pool, options);
  }

  async createUser(name: string, nameKey: string, passwordHash: string): Promise<User | null> {
    const values = [name, nameKey, passwordHash, Date.now()];
    const { rows } = await this.#pool.query<{ id: number }>(SQL.insertUser, values);
    return rows[0] === undefined ? null : { id: rows[0].id, name };
  }

  async findUserByKey(nameKey: string): Promise<UserRecord | undefined> {
    const { rows } = await this.#pool.query<UserRecord>({ ...SQL.userByKey, values: [nameKey] });
    return rows[0];
  }

  async createSession(tokenHash: string, userId: number, expires: number): Promise<void> {
    await this.#pool.query(SQL.insertSession, [tokenHash, userId, expires]);
    await this.#pool.query(SQL.purgeSessions, [Date.now()]);
  }

  async findSession(tokenHash: string, now: number): Promise<Session | undefined> {
    const { rows } = await this.#pool.query<User & { expires: number }>({
      ...SQL.session,
      values: [tokenHash, now],
    });
    const row = rows[0];
    return row && { user: { id: row.id, name: row.name }, expires: row.expires };
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.#pool.query(SQL.deleteSession, [tokenHash]);
  }

  createRoom(name: string, nameKey: string, creator: number): Promise<Room | null> {
    return this.#rooms.create(name, nameKey, creator);
  }

  directRoom(a: User, b: User): Promise<{ room: Room; created: boolean }> {
    return this.#rooms.direct(a, b);
  }

  getRoom(roomId: number): Promise<Room | undefined> {
    return this.#rooms.get(roomId);
  }

  listRooms(userId: number, joinedOnly = false): Promise<RoomSummary[]> {
    return this.#rooms.list(userId, joinedOnly);
  }

  summary(roomId: number, userId: number): Promise<RoomSummary | undefined> {
    return this.#rooms.summary(roomId, userId);
  }

  addMember(roomId: number, userId: number): Promise<boolean> {
    return this.#rooms.addMember(roomId, userId);
  }

  removeMember(roomId: number, userId: number): Promise<boolean> {
    return this.#rooms.removeMember(roomId, userId);
  }

  isMember(roomId: number, userId: number): Promise<boolean> {
    return this.#rooms.isMember(roomId, userId);
  }

  memberRooms(userId: number): Promise<number[]> {
    return this.#rooms.memberRooms(userId);
  }

  members(roomId: number): Promise<User[]> {
    return this.#rooms.members(roomId);
  }

  async roomKind(roomId: number): Promise<RoomKind | undefined> {
    return (await this.#rooms.get(roomId))?.kind;
  }

  appendMessage(message: NewMessage): Promise<Appended> {
    if (this.#closed) return Promise.reject(new Error('the store is closed'));
    return this.#queue.push(message);
  }

  messagesAfter(roomId: number, afterSeq: number, limit: number): Promise<ChatMessage[]> {
    return this.#messages.after(roomId, afterSeq, limit);
  }

  messagesBefore(roomId: number, beforeSeq: number | null, limit: number): Promise<ChatMessage[]> {
    return this.#messages.before(roomId, beforeSeq, limit);
  }

  markRead(roomId: number, userId: number, seq: number): Promise<number> {
    return this.#rooms.markRead(roomId, userId, seq);
  }

  /**
   * Open, the last commit went through (not while commits are being retried), and the server
   * answers a query now (within 2 s).
   */
  async isReady(): Promise<boolean> {
    if (this.#closed || !this.#queue.healthy) return false;
    try {
      await this.#pool.query({ text: 'SELECT 1', query_timeout: 2000 } as QueryConfig);
      return true;
    } catch {
      return false;
    }
  }

  /** Commits what is pending (retrying as long as commits are), then closes the pool. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.drained();
    await this.#pool.end();
  }
}

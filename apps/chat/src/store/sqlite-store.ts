/**
 * The default MessageStore: SQLite through better-sqlite3, WAL mode, in one file under the data
 * directory. Message appends go through a {@link CommitQueue}: one transaction per event-loop
 * turn. Reads are synchronous (better-sqlite3 is), which the async-capable interface allows.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Checkpointer } from './checkpointer.js';
import { CommitQueue } from './commit-queue.js';
import { rowToMessage } from './message-row.js';
import type { MessageStore } from './message-store.js';
import { migrate } from './migrations.js';
import { SqliteMessages } from './sqlite-messages.js';
import { SqliteRooms } from './sqlite-rooms.js';
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

export interface SqliteStoreOptions {
  /** Directory of the database file (`chat.db`), created if missing; ':memory:' for none. */
  readonly dataDir: string;
  /**
   * 'full' (default): a commit is on disk (fsync) before it is acknowledged, and survives a
   * power cut. 'normal': it is in the OS's hands, and survives the process being killed.
   */
  readonly sync?: 'full' | 'normal';
  /** Told each commit's duration and size (for the store latency metric). */
  readonly observeCommit?: (seconds: number, count: number) => void;
  /** Told about failures in the background (the checkpoint thread). */
  readonly onError?: (error: Error) => void;
  /** How often the checkpoint thread runs (default: every second). */
  readonly checkpointIntervalMs?: number;
}

export class SqliteStore implements MessageStore {
  readonly #db: Database.Database;
  readonly #rooms: SqliteRooms;
  readonly #messages: SqliteMessages;
  readonly #queue: CommitQueue<NewMessage, Appended>;
  readonly #users;
  readonly #checkpointer: Checkpointer | null;
  #closed = false;

  constructor(options: SqliteStoreOptions) {
    this.#db = openDatabase(options);
    const onError = options.onError ?? (() => {});
    const interval = options.checkpointIntervalMs;
    this.#checkpointer = this.#db.memory
      ? null
      : new Checkpointer(this.#db.name, onError, interval);
    migrate(this.#db);
    this.#rooms = new SqliteRooms(this.#db);
    this.#messages = new SqliteMessages(this.#db);
    this.#queue = new CommitQueue(
      (items) => this.#messages.appendBatch(items),
      options.observeCommit,
    );
    this.#users = prepareUserStatements(this.#db);
  }

  createUser(name: string, nameKey: string, passwordHash: string): User | null {
    const row = this.#users.insert.get(name, nameKey, passwordHash, Date.now()) as
      | { id: number }
      | undefined;
    return row === undefined ? null : { id: row.id, name };
  }

  findUserByKey(nameKey: string): UserRecord | undefined {
    return this.#users.byKey.get(nameKey) as UserRecord | undefined;
  }

  createSession(tokenHash: string, userId: number, expires: number): void {
    this.#users.insertSession.run(tokenHash, userId, expires);
    this.#users.purgeSessions.run(Date.now());
  }

  findSession(tokenHash: string, now: number): Session | undefined {
    const row = this.#users.session.get(tokenHash, now) as
      | { id: number; name: string; expires: number }
      | undefined;
    return row && { user: { id: row.id, name: row.name }, expires: row.expires };
  }

  deleteSession(tokenHash: string): void {
    this.#users.deleteSession.run(tokenHash);
  }

  createRoom(name: string, nameKey: string, creator: number): Room | null {
    return this.#rooms.create(name, nameKey, creator);
  }

  directRoom(a: User, b: User): { room: Room; created: boolean } {
    return this.#rooms.direct(a, b);
  }

  getRoom(roomId: number): Room | undefined {
    return this.#rooms.get(roomId);
  }

  listRooms(userId: number, joinedOnly = false): RoomSummary[] {
    return this.#rooms.list(userId, joinedOnly);
  }

  summary(roomId: number, userId: number): RoomSummary | undefined {
    return this.#rooms.summary(roomId, userId);
  }

  addMember(roomId: number, userId: number): boolean {
    return this.#rooms.addMember(roomId, userId);
  }

  removeMember(roomId: number, userId: number): boolean {
    return this.#rooms.removeMember(roomId, userId);
  }

  isMember(roomId: number, userId: number): boolean {
    return this.#rooms.isMember(roomId, userId);
  }

  memberRooms(userId: number): number[] {
    return this.#rooms.memberRooms(userId);
  }

  members(roomId: number): User[] {
    return this.#rooms.members(roomId);
  }

  roomKind(roomId: number): RoomKind | undefined {
    return this.#rooms.get(roomId)?.kind;
  }

  appendMessage(message: NewMessage): Promise<Appended> {
    if (this.#closed) return Promise.reject(new Error('the store is closed'));
    return this.#queue.push(message);
  }

  messagesAfter(roomId: number, afterSeq: number, limit: number): ChatMessage[] {
    return this.#messages.after(roomId, afterSeq, limit).map(rowToMessage);
  }

  messagesBefore(roomId: number, beforeSeq: number | null, limit: number): ChatMessage[] {
    return this.#messages.before(roomId, beforeSeq, limit).map(rowToMessage);
  }

  markRead(roomId: number, userId: number, seq: number): number {
    return this.#rooms.markRead(roomId, userId, seq);
  }

  isReady(): boolean {
    return !this.#closed && this.#db.open;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.flush();
    await this.#checkpointer?.close();
    this.#db.close();
  }
}

function openDatabase(options: SqliteStoreOptions): Database.Database {
  let file = ':memory:';
  if (options.dataDir !== ':memory:') {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    file = join(options.dataDir, 'chat.db');
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.sync === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  // Another process holding the write lock (a second server, a backup) is waited for, not failed.
  db.pragma('busy_timeout = 5000');
  // Checkpoints run in a worker thread (checkpointer.ts), never inside a commit.
  if (!db.memory) db.pragma('wal_autocheckpoint = 0');
  return db;
}

function prepareUserStatements(db: Database.Database) {
  return {
    insert: db.prepare(
      `INSERT INTO users (name, name_key, password_hash, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name_key) DO NOTHING RETURNING id`,
    ),
    byKey: db.prepare(
      'SELECT id, name, password_hash AS passwordHash FROM users WHERE name_key = ?',
    ),
    insertSession: db.prepare(
      'INSERT INTO sessions (token_hash, user_id, expires) VALUES (?, ?, ?)',
    ),
    purgeSessions: db.prepare('DELETE FROM sessions WHERE expires <= ?'),
    session: db.prepare(
      `SELECT u.id, u.name, s.expires FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token_hash = ? AND s.expires > ?`,
    ),
    deleteSession: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
  };
}

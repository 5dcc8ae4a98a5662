/**
 * The SQLite schema, as an ordered list of migrations. `PRAGMA user_version` records how many
 * have run; each runs once, in its own transaction. Add a migration at the end; never edit one
 * that has shipped.
 */
import type Database from 'better-sqlite3';

export const MIGRATIONS: readonly string[] = [
  // 1: accounts, rooms, membership with read positions, messages.
  `
  CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX sessions_expires ON sessions(expires);
  CREATE TABLE rooms (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('public', 'dm')),
    name TEXT NOT NULL,
    -- public rooms: the name's key; direct conversations: NULL (SQLite allows many NULLs)
    name_key TEXT UNIQUE,
    -- direct conversations: 'lowId:highId'; public rooms: NULL
    dm_key TEXT UNIQUE,
    last_seq INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE members (
    room_id INTEGER NOT NULL REFERENCES rooms(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    read_seq INTEGER NOT NULL DEFAULT 0,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
  ) WITHOUT ROWID;
  CREATE INDEX members_user ON members(user_id);
  -- A rowid table: rows are appended in arrival order, so a grouped commit of messages to many
  -- rooms dirties a few table pages, not one per room (a third less CPU per message than a
  -- table clustered by (room_id, seq) in bench/chat).
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    client_msg_id TEXT NOT NULL,
    text TEXT NOT NULL,
    ts INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX messages_seq ON messages(room_id, seq);
  CREATE UNIQUE INDEX messages_client ON messages(room_id, user_id, client_msg_id);
  `,
];

/** Runs the migrations the database has not seen. Refuses a database newer than this code. */
export function migrate(db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length)
    throw new Error(
      `the database is at schema version ${current}, newer than this server (${MIGRATIONS.length})`,
    );
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
  return MIGRATIONS.length;
}

/**
 * The SQLite store on temporary files: grouped commits, gap-free seqs assigned in the
 * transaction (also with two stores sharing one file, as two processes would), idempotent
 * appends, pages, read positions and unread counts, migrations.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../src/store/migrations.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { tempDir } from './helpers.js';
import { assertGroupedAppends, message, setupPeople } from './store-contract.js';

function open(dataDir: string, commits: number[] = []) {
  return new SqliteStore({
    dataDir,
    sync: 'normal',
    observeCommit: (_, count) => commits.push(count),
  });
}

test('appends of one turn share one commit; seqs are 1..n in order; the same clientMsgId is stored once', async (t) => {
  const commits: number[] = [];
  const store = open(tempDir(t), commits);
  await assertGroupedAppends(store, commits);
  await store.close();
});

test('two stores on one file (two processes) never give a seq twice', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  const { alice, room } = await setupPeople(a);
  const b = open(dir);
  const seqs = (
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? a : b).appendMessage(message(room, alice, `x${i}`)),
      ),
    )
  ).map((r) => r.message.seq);
  assert.deepEqual(
    seqs.sort((x, y) => x - y),
    Array.from({ length: 200 }, (_, i) => i + 1),
  );
  await a.close();
  await b.close();
});

test('pages, read positions and unread counts', async (t) => {
  const store = open(tempDir(t));
  const { alice, bob, room } = await setupPeople(store);
  for (let i = 1; i <= 10; i++)
    await store.appendMessage(message(room, i <= 7 ? alice : bob, `p${i}`));
  assert.deepEqual(
    store.messagesBefore(room, null, 3).map((m) => m.seq),
    [8, 9, 10],
  );
  assert.deepEqual(
    store.messagesBefore(room, 8, 3).map((m) => m.seq),
    [5, 6, 7],
  );
  assert.deepEqual(
    store.messagesAfter(room, 8, 5).map((m) => m.seq),
    [9, 10],
  );
  assert.equal(store.summary(room, bob.id)!.unread, 7, "alice's 7; bob's own 3 are not unread");
  assert.equal(store.markRead(room, bob.id, 5), 5);
  assert.equal(store.markRead(room, bob.id, 3), 5, 'never back');
  assert.equal(store.markRead(room, bob.id, 99), 10, 'never past the last message');
  assert.equal(store.summary(room, bob.id)!.unread, 0);
  assert.equal(store.summary(room, alice.id)!.unread, 3);
  await store.close();
});

test('migrations: a new file gets the schema; a file from a newer server is refused', async (t) => {
  const dir = tempDir(t);
  await open(dir).close();
  const db = new Database(join(dir, 'chat.db'));
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  db.close();
  assert.throws(() => open(dir), /newer than this server/);
});

test('checkpoints run in their own thread: the database file takes the WAL while the writer goes on', async (t) => {
  const dir = tempDir(t);
  const store = new SqliteStore({ dataDir: dir, sync: 'normal', checkpointIntervalMs: 20 });
  const { alice, room } = await setupPeople(store);
  const before = statSync(join(dir, 'chat.db')).size;
  await Promise.all(
    Array.from({ length: 500 }, (_, i) => store.appendMessage(message(room, alice, `w${i}`))),
  );
  // The writer never checkpoints (wal_autocheckpoint = 0): only the thread can grow the file.
  for (const deadline = Date.now() + 10_000; statSync(join(dir, 'chat.db')).size <= before; ) {
    assert.ok(Date.now() < deadline, 'no checkpoint within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await store.close();
});

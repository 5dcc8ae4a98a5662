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
import type { User } from '../src/store/types.js';
import { tempDir } from './helpers.js';

function open(dataDir: string, commits: number[] = []) {
  return new SqliteStore({
    dataDir,
    sync: 'normal',
    observeCommit: (_, count) => commits.push(count),
  });
}

function setup(store: SqliteStore): { alice: User; bob: User; room: number } {
  const alice = store.createUser('alice', 'alice', 'x')!;
  const bob = store.createUser('bob', 'bob', 'x')!;
  const room = store.createRoom('general', 'general', alice.id)!.id;
  store.addMember(room, bob.id);
  return { alice, bob, room };
}

const msg = (room: number, from: User, clientMsgId: string) => ({
  room,
  from,
  text: clientMsgId,
  ts: 1,
  clientMsgId,
});

test('appends of one turn share one commit; seqs are 1..n in order; the same clientMsgId is stored once', async (t) => {
  const commits: number[] = [];
  const store = open(tempDir(t), commits);
  const { alice, bob, room } = setup(store);
  const results = await Promise.all([
    ...Array.from({ length: 100 }, (_, i) =>
      store.appendMessage(msg(room, i % 2 ? alice : bob, `m${i}`)),
    ),
    store.appendMessage(msg(room, alice, 'm1')), // alice's m1 again
  ]);
  assert.deepEqual(commits, [101], 'one transaction for the whole turn');
  assert.deepEqual(
    results.slice(0, 100).map((r) => r.message.seq),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  assert.deepEqual([results[100]!.duplicate, results[100]!.message.seq], [true, 2]);
  const again = await store.appendMessage(msg(room, alice, 'm1'));
  assert.deepEqual([again.duplicate, again.message.seq], [true, 2], 'and in a later commit');
  const bobsM1 = await store.appendMessage(msg(room, bob, 'm1'));
  assert.deepEqual([bobsM1.duplicate, bobsM1.message.seq], [false, 101], 'ids are per sender');
  await assert.rejects(store.appendMessage(msg(999, alice, 'x')), /no room 999/);
  await store.close();
});

test('two stores on one file (two processes) never give a seq twice', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  const { alice, room } = setup(a);
  const b = open(dir);
  const seqs = (
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? a : b).appendMessage(msg(room, alice, `x${i}`)),
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
  const { alice, bob, room } = setup(store);
  for (let i = 1; i <= 10; i++) await store.appendMessage(msg(room, i <= 7 ? alice : bob, `p${i}`));
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
  const { alice, room } = setup(store);
  const before = statSync(join(dir, 'chat.db')).size;
  await Promise.all(
    Array.from({ length: 500 }, (_, i) => store.appendMessage(msg(room, alice, `w${i}`))),
  );
  // The writer never checkpoints (wal_autocheckpoint = 0): only the thread can grow the file.
  for (const deadline = Date.now() + 10_000; statSync(join(dir, 'chat.db')).size <= before; ) {
    assert.ok(Date.now() < deadline, 'no checkpoint within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await store.close();
});

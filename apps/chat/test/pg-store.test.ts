/**
 * The PostgreSQL store on a real server started for this file: grouped commits, gap-free seqs
 * assigned in the transaction (also with three stores appending to one room at once, as three
 * nodes would), idempotent appends, pages, read positions and unread counts, migrations run by
 * several nodes at once, and a server restart while messages are being committed (the commits
 * wait and go through; nothing is lost or numbered twice).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { PG_MIGRATIONS } from '../src/store/pg-migrations.js';
import { PostgresStore } from '../src/store/pg-store.js';
import { within } from './helpers.js';
import { PostgresServer, requirePostgres } from './servers/postgres-server.js';
import { assertGroupedAppends, message, setupPeople } from './store-contract.js';

let server: PostgresServer | null = null;
const opened: PostgresStore[] = [];

before(async (t) => {
  // One server for the file; each test gets a database of its own.
  if (requirePostgres(t as never)) server = await PostgresServer.start(t as never);
});
after(async () => {
  for (const store of opened) await store.close().catch(() => {});
});

async function open(url: string, commits: number[] = []): Promise<PostgresStore> {
  const store = await PostgresStore.open({
    url,
    observeCommit: (_, count) => commits.push(count),
  });
  opened.push(store);
  return store;
}

test('appends of one turn share one commit; seqs are 1..n in order; the same clientMsgId is stored once', async (t) => {
  if (server === null) return t.skip('no PostgreSQL');
  const commits: number[] = [];
  const store = await open(await server.database(), commits);
  await assertGroupedAppends(store, commits);
});

test('three stores (three nodes) appending to one room at once never give a seq twice nor skip one', async (t) => {
  if (server === null) return t.skip('no PostgreSQL');
  const url = await server.database();
  const nodes = await Promise.all([open(url), open(url), open(url)]);
  const { alice, room } = await setupPeople(nodes[0]!);
  const other = (await nodes[0]!.createRoom('other', 'other', alice.id))!.id;
  const appended = await Promise.all(
    Array.from({ length: 600 }, (_, i) =>
      nodes[i % 3]!.appendMessage(message(i % 5 === 0 ? other : room, alice, `x${i}`)),
    ),
  );
  for (const [id, count] of [
    [room, 480],
    [other, 120],
  ] as const) {
    const seqs = appended
      .filter((a) => a.message.room === id)
      .map((a) => a.message.seq)
      .sort((x, y) => x - y);
    assert.deepEqual(
      seqs,
      Array.from({ length: count }, (_, i) => i + 1),
    );
  }
});

test('pages, read positions, unread counts, rooms and direct conversations', async (t) => {
  if (server === null) return t.skip('no PostgreSQL');
  const store = await open(await server.database());
  const { alice, bob, room } = await setupPeople(store);
  for (let i = 1; i <= 10; i++)
    await store.appendMessage(message(room, i <= 7 ? alice : bob, `p${i}`));
  const seqs = (list: { seq: number }[]) => list.map((m) => m.seq);
  assert.deepEqual(seqs(await store.messagesBefore(room, null, 3)), [8, 9, 10]);
  assert.deepEqual(seqs(await store.messagesBefore(room, 8, 3)), [5, 6, 7]);
  assert.deepEqual(seqs(await store.messagesAfter(room, 8, 5)), [9, 10]);
  const [first] = await store.messagesAfter(room, 0, 1);
  assert.deepEqual(first, {
    room,
    seq: 1,
    from: alice,
    text: 'p1 你好',
    ts: 1_700_000_000_000,
    clientMsgId: 'p1',
  });
  assert.equal((await store.summary(room, bob.id))!.unread, 7, "alice's 7; not bob's own 3");
  assert.equal(await store.markRead(room, bob.id, 5), 5);
  assert.equal(await store.markRead(room, bob.id, 3), 5, 'never back');
  assert.equal(await store.markRead(room, bob.id, 99), 10, 'never past the last message');
  assert.equal((await store.summary(room, bob.id))!.unread, 0);
  assert.equal((await store.summary(room, alice.id))!.unread, 3);
  assert.equal(await store.createRoom('general', 'general', bob.id), null, 'names are unique');
  const dm = await store.directRoom(bob, alice);
  assert.equal(dm.created, true);
  assert.deepEqual(await store.directRoom(alice, bob), { room: dm.room, created: false });
  const listed = await store.listRooms(alice.id);
  assert.deepEqual(
    listed.map((r) => [r.name, r.kind, r.members, r.joined, r.peer?.name]),
    [
      ['general', 'public', 2, true, undefined],
      ['alice · bob', 'dm', 2, true, 'bob'],
    ],
  );
  assert.deepEqual(
    (await store.memberRooms(bob.id)).sort((a, b) => a - b),
    [room, dm.room.id],
  );
  assert.equal(await store.removeMember(room, bob.id), true);
  assert.equal(await store.isMember(room, bob.id), false);
  assert.deepEqual(await store.members(room), [alice]);
});

test('accounts and sessions', async (t) => {
  if (server === null) return t.skip('no PostgreSQL');
  const store = await open(await server.database());
  const ann = (await store.createUser('Ann', 'ann', 'hash'))!;
  assert.equal(await store.createUser('ANN', 'ann', 'other'), null, 'name taken');
  assert.deepEqual(await store.findUserByKey('ann'), { ...ann, passwordHash: 'hash' });
  await store.createSession('t1', ann.id, Date.now() + 60_000);
  assert.deepEqual((await store.findSession('t1', Date.now()))?.user, ann);
  assert.equal(await store.findSession('t1', Date.now() + 120_000), undefined, 'expired');
  await store.deleteSession('t1');
  assert.equal(await store.findSession('t1', Date.now()), undefined);
});

test('migrations: nodes starting together apply them once; a newer schema is refused', async (t) => {
  if (server === null) return t.skip('no PostgreSQL');
  const url = await server.database();
  await Promise.all([open(url), open(url), open(url)]);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.after(() => client.end());
  const { rows } = await client.query('SELECT version FROM chat_schema ORDER BY version');
  assert.deepEqual(
    rows.map((r) => r.version),
    PG_MIGRATIONS.map((_, i) => i + 1),
  );
  await client.query('INSERT INTO chat_schema (version) VALUES ($1)', [PG_MIGRATIONS.length + 1]);
  await assert.rejects(PostgresStore.open({ url }), /newer than this server/);
});

test('the server crashes and restarts: commits made meanwhile wait and go through, none lost or doubled', async (t) => {
  if (server === null) return t.skip('no PostgreSQL');
  const retried: Error[] = [];
  const store = await PostgresStore.open({
    url: await server.database(),
    onError: (error) => retried.push(error),
  });
  opened.push(store);
  const { alice, room } = await setupPeople(store);
  const sent: Promise<{ message: { seq: number } }>[] = [];
  for (let i = 0; i < 50; i++) sent.push(store.appendMessage(message(room, alice, `before${i}`)));
  await Promise.all(sent);
  await server.stop('immediate');
  for (let i = 0; i < 50; i++) sent.push(store.appendMessage(message(room, alice, `during${i}`)));
  // Appends made while the server is down wait (the store says it is not ready)...
  await within(
    (async () => {
      while (!retried.some((e) => /retrying/.test(e.message)))
        await new Promise((resolve) => setTimeout(resolve, 10));
    })(),
    10_000,
    'a commit to be retried',
  );
  assert.equal(await store.isReady(), false);
  // ...and are committed once it is back.
  await server.start();
  const seqs = (await Promise.all(sent)).map((r) => r.message.seq).sort((a, b) => a - b);
  assert.deepEqual(
    seqs,
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  const stored = await store.messagesAfter(room, 0, 200);
  assert.equal(stored.length, 100);
  assert.equal(await store.isReady(), true);
});

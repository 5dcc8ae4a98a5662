/**
 * Resume and idempotency over real sockets: a dropped client gets exactly what it missed while
 * messages keep coming; a re-sent message is stored and delivered once; a restart on the same
 * data directory keeps accounts, sessions and history; a graceful shutdown loses nothing that
 * was acknowledged.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { createRoom, type Frame, say, signUp, startChat, TestClient, tempDir } from './helpers.js';

const fast = ['--rate', '10000', '--burst', '10000'];

/** The seqs a client received for `room`, from live messages and resume pages, in order. */
function seqsOf(client: TestClient, room: number): number[] {
  const seqs: number[] = [];
  for (const f of client.received) {
    if (f.type === 'message' && f.room === room) seqs.push(f.seq as number);
    if (f.type === 'messages' && f.room === room)
      for (const m of f.messages as Frame[]) seqs.push(m.seq as number);
  }
  return seqs;
}

test('resume after a dropped connection: exactly what was missed, while messages keep arriving', async (t) => {
  const chat = await startChat(t, { flags: fast });
  const alice = (await TestClient.signedIn(chat, await signUp(chat, 'alice'))).client;
  const bobCookie = await signUp(chat, 'bob');
  const room = await createRoom(alice, 'busy');
  const bob = (await TestClient.signedIn(chat, bobCookie)).client;
  await bob.request('join', { room });
  for (let i = 1; i <= 3; i++) await say(alice, room, `before ${i}`);
  await bob.event('message', (f) => f.seq === 3);
  bob.ws.terminate(); // no close frame: as a lost network
  await once(bob.ws, 'close');
  for (let i = 4; i <= 30; i++) await say(alice, room, `missed ${i}`);
  // Alice keeps sending while bob reconnects and catches up.
  const during = Array.from({ length: 100 }, (_, i) =>
    alice.fire('send', { room, text: `during ${i}`, clientMsgId: `d${i}` }),
  );
  const back = await TestClient.signedIn(chat, bobCookie, { [room]: 3 });
  const last = await alice.next((f) => f.id === during.at(-1));
  await back.client.until(() => seqsOf(back.client, room).includes(last.seq as number));
  assert.deepEqual(
    seqsOf(back.client, room),
    Array.from({ length: (last.seq as number) - 3 }, (_, i) => i + 4),
  );
  alice.close();
  back.client.close();
});

test('a message re-sent with the same clientMsgId is stored and delivered once', async (t) => {
  const chat = await startChat(t, { flags: fast });
  const aliceCookie = await signUp(chat, 'alice');
  const alice = (await TestClient.signedIn(chat, aliceCookie)).client;
  const bob = (await TestClient.signedIn(chat, await signUp(chat, 'bob'))).client;
  const room = await createRoom(alice, 'once');
  await bob.request('join', { room });
  const first = await say(alice, room, 'only once', 'uuid-1');
  assert.equal(first.duplicate, false);
  alice.ws.terminate(); // as if the ack was lost with the connection
  const again = (await TestClient.signedIn(chat, aliceCookie, { [room]: 0 })).client;
  const second = await say(again, room, 'only once', 'uuid-1');
  assert.deepEqual([second.seq, second.duplicate], [first.seq, true]);
  // Twice in the same commit: one copy.
  const a = again.fire('send', { room, text: 'twin', clientMsgId: 'uuid-2' });
  const b = again.fire('send', { room, text: 'twin', clientMsgId: 'uuid-2' });
  const [ackA, ackB] = await Promise.all([
    again.next((f) => f.id === a),
    again.next((f) => f.id === b),
  ]);
  assert.equal(ackA.seq, ackB.seq);
  assert.deepEqual([ackA.duplicate, ackB.duplicate], [false, true]);
  await say(again, room, 'after', 'uuid-3');
  await bob.event('message', (f) => f.text === 'after');
  assert.deepEqual(seqsOf(bob, room), [1, 2, 3]);
  const history = await bob.request('history', { room });
  assert.deepEqual(
    (history.messages as Frame[]).map((m) => m.text),
    ['only once', 'twin', 'after'],
  );
  again.close();
  bob.close();
});

test('restart with the same data directory: accounts, sessions, rooms, history and seqs continue', async (t) => {
  const dataDir = tempDir(t);
  const first = await startChat(t, { dataDir });
  const cookie = await signUp(first, 'alice');
  const alice = (await TestClient.signedIn(first, cookie)).client;
  const room = await createRoom(alice, '档案');
  await say(alice, room, '第一条');
  await say(alice, room, 'second');
  const closed = once(alice.ws, 'close');
  await first.server.close();
  assert.equal((await closed)[0], 1001, 'going away');

  const second = await startChat(t, { dataDir });
  const { client, welcome } = await TestClient.signedIn(second, cookie); // the session survived
  const summary = (welcome.rooms as Frame[]).find((r) => r.id === room)!;
  assert.deepEqual([summary.name, summary.lastSeq, summary.joined], ['档案', 2, true]);
  assert.equal((await say(client, room, 'third')).seq, 3);
  const history = await client.request('history', { room });
  assert.deepEqual(
    (history.messages as Frame[]).map((m) => m.text),
    ['第一条', 'second', 'third'],
  );
  client.close();
});

test('graceful shutdown: every message received is acknowledged before 1001, and all of them are kept', async (t) => {
  const dataDir = tempDir(t);
  const first = await startChat(t, { dataDir, flags: fast });
  const cookie = await signUp(first, 'alice');
  const alice = (await TestClient.signedIn(first, cookie)).client;
  const room = await createRoom(alice, 'shutdown');
  const ids = Array.from({ length: 200 }, (_, i) =>
    alice.fire('send', { room, text: `m${i}`, clientMsgId: `s${i}` }),
  );
  const closed = once(alice.ws, 'close');
  await alice.next((f) => f.id === ids[0]); // the server has started on them
  await first.server.close();
  assert.equal((await closed)[0], 1001);
  const answers = alice.received.filter((f) => typeof f.id === 'number' && ids.includes(f.id));
  const acked = answers.filter((f) => f.type === 'ack');
  for (const f of answers) if (f.type === 'error') assert.equal(f.code, 'shutting_down');
  assert.ok(acked.length >= 1);

  const second = await startChat(t, { dataDir, flags: fast });
  const client = (await TestClient.signedIn(second, cookie)).client;
  const history = await client.request('history', { room, limit: 200 });
  const stored = (history.messages as Frame[]).map((m) => m.clientMsgId);
  for (const ack of acked)
    assert.ok(stored.includes(ack.clientMsgId), `${ack.clientMsgId} was acknowledged`);
  assert.equal(new Set(stored).size, stored.length, 'no duplicates');
  assert.deepEqual(
    (history.messages as Frame[]).map((m) => m.seq),
    stored.map((_, i) => i + 1),
  );
  client.close();
});

test('a client too far behind gets the latest page with reset: true, then live messages', async (t) => {
  const chat = await startChat(t, { flags: fast, parts: { maxResume: 20 } });
  const alice = (await TestClient.signedIn(chat, await signUp(chat, 'alice'))).client;
  const bobCookie = await signUp(chat, 'bob');
  const room = await createRoom(alice, 'far');
  await (await TestClient.signedIn(chat, bobCookie)).client.request('join', { room });
  for (let i = 1; i <= 80; i++) alice.fire('send', { room, text: `m${i}`, clientMsgId: `f${i}` });
  await alice.next((f) => f.type === 'ack' && f.seq === 80);
  const near = (await TestClient.signedIn(chat, bobCookie, { [room]: 70 })).client;
  const caughtUp = await near.event('messages');
  assert.deepEqual(
    [caughtUp.reset, (caughtUp.messages as Frame[]).map((m) => m.seq)],
    [false, [71, 72, 73, 74, 75, 76, 77, 78, 79, 80]],
  );
  const far = (await TestClient.signedIn(chat, bobCookie, { [room]: 5 })).client;
  const page = await far.event('messages');
  assert.equal(page.reset, true);
  assert.deepEqual(
    (page.messages as Frame[]).map((m) => m.seq),
    Array.from({ length: 50 }, (_, i) => 31 + i),
  );
  await say(alice, room, 'live');
  assert.equal((await far.event('message')).seq, 81);
  for (const c of [alice, near, far]) c.close();
});

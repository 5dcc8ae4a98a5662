/**
 * The chat over real sockets with wsx's client: rooms, direct conversations, presence, typing,
 * read positions, history paging, and one user on two connections.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { createRoom, type Frame, say, signUp, startChat, TestClient } from './helpers.js';

type Summary = {
  id: number;
  name: string;
  members: number;
  unread: number;
  joined: boolean;
  lastSeq: number;
  kind: string;
  peer?: { name: string };
};

test('rooms: create, list with member and unread counts, join, leave; Chinese and emoji names', async (t) => {
  const chat = await startChat(t);
  const alice = (await TestClient.signedIn(chat, await signUp(chat, 'alice'))).client;
  const bob = (await TestClient.signedIn(chat, await signUp(chat, '小明😀'))).client;
  const room = await createRoom(alice, '茶水间 ☕');
  const created = await bob.event('room.created');
  assert.deepEqual(created.room, { id: room, name: '茶水间 ☕' });
  assert.equal((await alice.request('create', { name: '茶水间 ☕' })).code, 'name_taken');

  const joined = await bob.request('join', { room });
  assert.equal(joined.type, 'joined');
  assert.equal((joined.room as Summary).members, 2);
  const notice = await alice.event('member');
  assert.deepEqual(notice.user, { id: 2, name: '小明😀' });

  const welcome = (await TestClient.signedIn(chat, await signUp(chat, 'carol'))).welcome;
  assert.deepEqual(welcome.rooms, [], 'the welcome lists only the rooms the user is in');
  await say(alice, room, 'hello 你好 👋');
  await say(alice, room, 'second');
  const list = await bob.request('rooms');
  const summary = (list.rooms as Summary[]).find((r) => r.id === room)!;
  assert.equal(summary.unread, 2, 'two unread messages from alice');
  assert.equal(summary.lastSeq, 2);
  assert.ok(Array.isArray((await alice.request('rooms')).rooms));
  const aliceSummary = ((await alice.request('rooms')).rooms as Summary[]).find(
    (r) => r.id === room,
  )!;
  assert.equal(aliceSummary.unread, 0, 'own messages are not unread');

  assert.equal((await bob.request('leave', { room })).type, 'ok');
  assert.equal((await bob.event('room.left')).room, room);
  const after = ((await bob.request('rooms')).rooms as Summary[]).find((r) => r.id === room)!;
  assert.equal(after.joined, false);
  assert.equal(after.members, 1);
  assert.equal(
    (await bob.request('send', { room, text: 'x', clientMsgId: 'a' })).code,
    'not_member',
  );
  assert.equal((await bob.request('join', { room: 999 })).code, 'not_found');
  alice.close();
  bob.close();
});

test('messages reach every member once, in order, acknowledged with their seq', async (t) => {
  const chat = await startChat(t);
  const alice = (await TestClient.signedIn(chat, await signUp(chat, 'alice'))).client;
  const bob = (await TestClient.signedIn(chat, await signUp(chat, 'bob'))).client;
  const room = await createRoom(alice, 'general');
  await bob.request('join', { room });
  const ids = Array.from({ length: 20 }, (_, i) =>
    alice.fire('send', { room, text: `m${i}`, clientMsgId: `c${i}` }),
  );
  const acks = await Promise.all(ids.map((id) => alice.next((f) => f.id === id)));
  assert.deepEqual(
    acks.map((a) => a.seq),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  for (let i = 0; i < 20; i++) {
    const message = await bob.event('message');
    assert.equal(message.seq, i + 1);
    assert.equal(message.text, `m${i}`);
    assert.deepEqual(message.from, { id: 1, name: 'alice' });
  }
  alice.close();
  bob.close();
});

test('direct conversations: opened by name, both users get the room, nobody else can read it', async (t) => {
  const chat = await startChat(t);
  const alice = (await TestClient.signedIn(chat, await signUp(chat, 'alice'))).client;
  const bob = (await TestClient.signedIn(chat, await signUp(chat, 'Bob'))).client;
  const eve = (await TestClient.signedIn(chat, await signUp(chat, 'eve'))).client;
  const reply = await alice.request('dm', { user: 'bob' }); // names compare case-insensitively
  assert.equal(reply.type, 'room');
  const dm = reply.room as Summary;
  assert.equal(dm.kind, 'dm');
  assert.equal(dm.peer?.name, 'Bob');
  const bobsRoom = await bob.event('room');
  assert.equal((bobsRoom.room as Summary).peer?.name, 'alice');
  await say(alice, dm.id, '私信 hi');
  assert.equal((await bob.event('message')).text, '私信 hi');
  assert.equal((await eve.request('join', { room: dm.id })).code, 'not_allowed');
  assert.equal((await eve.request('history', { room: dm.id })).code, 'not_member');
  assert.equal((await alice.request('dm', { user: 'alice' })).code, 'not_allowed');
  assert.equal((await alice.request('dm', { user: 'nobody' })).code, 'not_found');
  assert.equal(
    ((await alice.request('dm', { user: 'Bob' })).room as Summary).id,
    dm.id,
    'the same room again',
  );
  assert.equal((await alice.request('leave', { room: dm.id })).code, 'not_allowed');
  for (const c of [alice, bob, eve]) c.close();
});

test('presence and typing: online when a connection is in the room, offline after the last one', async (t) => {
  const chat = await startChat(t);
  const aliceCookie = await signUp(chat, 'alice');
  const alice = (await TestClient.signedIn(chat, aliceCookie)).client;
  const room = await createRoom(alice, 'lobby');
  const bobCookie = await signUp(chat, 'bob');
  const bob = (await TestClient.signedIn(chat, bobCookie)).client;
  await bob.request('join', { room });
  assert.deepEqual(
    (await alice.event('presence', (f) => (f.user as Frame).name === 'bob')).online,
    true,
  );
  const members = await alice.request('members', { room });
  assert.deepEqual((members.online as number[]).sort(), [1, 2]);
  assert.deepEqual(
    (members.members as { name: string }[]).map((m) => m.name),
    ['alice', 'bob'],
  );

  assert.equal((await bob.request('typing', { room })).type, 'ok');
  assert.deepEqual((await alice.event('typing')).user, { id: 2, name: 'bob' });

  // A second connection of bob: no new "online"; closing one of two: still online.
  const bob2 = (await TestClient.signedIn(chat, bobCookie)).client;
  bob.close();
  await once(bob.ws, 'close');
  await alice.request('ping');
  const bobPresence = (f: Frame) => f.type === 'presence' && (f.user as Frame).name === 'bob';
  assert.equal(alice.unclaimed.filter(bobPresence).length, 0);
  bob2.close();
  const offline = await alice.event('presence', bobPresence);
  assert.equal(offline.online, false);
  alice.close();
});

test('history: latest page, older pages on request, and pages after a seq', async (t) => {
  const chat = await startChat(t, { flags: ['--burst', '200'] });
  const alice = (await TestClient.signedIn(chat, await signUp(chat, 'alice'))).client;
  const room = await createRoom(alice, 'log');
  for (let i = 1; i <= 120; i++) alice.fire('send', { room, text: `n${i}`, clientMsgId: `k${i}` });
  await alice.next((f) => f.type === 'ack' && f.seq === 120);
  const latest = await alice.request('history', { room });
  const seqs = (page: Frame) => (page.messages as { seq: number }[]).map((m) => m.seq);
  assert.deepEqual(
    seqs(latest),
    Array.from({ length: 50 }, (_, i) => 71 + i),
  );
  assert.equal(latest.hasMore, true);
  const older = await alice.request('history', { room, before: 71, limit: 60 });
  assert.deepEqual(
    seqs(older),
    Array.from({ length: 60 }, (_, i) => 11 + i),
  );
  const oldest = await alice.request('history', { room, before: 11 });
  assert.deepEqual(
    seqs(oldest),
    Array.from({ length: 10 }, (_, i) => 1 + i),
  );
  assert.equal(oldest.hasMore, false);
  const after = await alice.request('history', { room, after: 115 });
  assert.deepEqual(seqs(after), [116, 117, 118, 119, 120]);
  assert.equal((await alice.request('history', { room, before: 5, after: 1 })).code, 'bad_request');
  alice.close();
});

test('one user on two connections: each sees everything, read positions follow across them and reconnects', async (t) => {
  const chat = await startChat(t);
  const aliceCookie = await signUp(chat, 'alice');
  const bobCookie = await signUp(chat, 'bob');
  const alice = (await TestClient.signedIn(chat, aliceCookie)).client;
  const room = await createRoom(alice, 'team');
  const phone = (await TestClient.signedIn(chat, bobCookie)).client;
  const laptop = (await TestClient.signedIn(chat, bobCookie)).client;
  await phone.request('join', { room });
  // The laptop is told, and receives the room from now on.
  assert.equal(((await laptop.event('room')).room as Summary).id, room);
  await say(alice, room, 'one');
  await say(alice, room, 'two');
  await say(phone, room, 'from the phone');
  for (const device of [phone, laptop]) {
    const texts = [];
    for (let i = 0; i < 3; i++) texts.push((await device.event('message')).text);
    assert.deepEqual(texts, ['one', 'two', 'from the phone']);
  }
  assert.equal((await phone.request('read', { room, seq: 2 })).seq, 2);
  assert.equal((await laptop.event('read')).seq, 2);
  assert.equal((await phone.request('read', { room, seq: 1 })).seq, 2, 'never moves back');
  phone.close();
  laptop.close();
  await say(alice, room, 'three');
  // A new device later: the unread count is what the read position says.
  const { welcome } = await TestClient.signedIn(chat, bobCookie);
  const summary = (welcome.rooms as Summary[]).find((r) => r.id === room)!;
  assert.equal(summary.unread, 1, "only 'three' is unread (bob's own message is not)");
  alice.close();
});

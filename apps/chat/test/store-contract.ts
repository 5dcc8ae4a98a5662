/**
 * What every message store must do, checked the same way on each (store.test.ts: SQLite,
 * pg-store.test.ts: PostgreSQL). The `MessageStore` interface allows sync and async answers;
 * these helpers await both.
 */
import assert from 'node:assert/strict';
import type { MessageStore } from '../src/store/message-store.js';
import type { User } from '../src/store/types.js';

/** Two users and a room they are both members of. */
export async function setupPeople(
  store: MessageStore,
): Promise<{ alice: User; bob: User; room: number }> {
  const alice = (await store.createUser('alice', 'alice', 'x'))!;
  const bob = (await store.createUser('bob', 'bob', 'x'))!;
  const room = (await store.createRoom('general', 'general', alice.id))!.id;
  await store.addMember(room, bob.id);
  return { alice, bob, room };
}

/** A message whose text is its client id and some Chinese (to show text is kept as is). */
export const message = (room: number, from: User, clientMsgId: string) => ({
  room,
  from,
  text: `${clientMsgId} 你好`,
  ts: 1_700_000_000_000,
  clientMsgId,
});

/**
 * Appends of one event-loop turn share one commit; seqs are 1..n in the order of the appends;
 * a client id sent again (in the same turn or later) is answered from the stored copy, per
 * sender; a room that does not exist is refused. `commits` lists each commit's message count.
 */
export async function assertGroupedAppends(store: MessageStore, commits: number[]): Promise<void> {
  const { alice, bob, room } = await setupPeople(store);
  const results = await Promise.all([
    ...Array.from({ length: 100 }, (_, i) =>
      store.appendMessage(message(room, i % 2 ? alice : bob, `m${i}`)),
    ),
    store.appendMessage(message(room, alice, 'm1')), // alice's m1 again
  ]);
  assert.deepEqual(commits, [101], 'one transaction for the whole turn');
  assert.deepEqual(
    results.slice(0, 100).map((r) => r.message.seq),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  assert.deepEqual([results[100]!.duplicate, results[100]!.message.seq], [true, 2]);
  const again = await store.appendMessage(message(room, alice, 'm1'));
  assert.deepEqual([again.duplicate, again.message.seq], [true, 2], 'and in a later commit');
  assert.equal(again.message.text, 'm1 你好');
  const bobsM1 = await store.appendMessage(message(room, bob, 'm1'));
  assert.deepEqual([bobsM1.duplicate, bobsM1.message.seq], [false, 101], 'ids are per sender');
  await assert.rejects(store.appendMessage(message(999, alice, 'x')), /no room 999/);
  assert.equal((await store.getRoom(room))!.lastSeq, 101);
}

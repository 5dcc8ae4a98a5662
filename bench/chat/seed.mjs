// Seeds a chat data directory for a benchmark run: users u0..u(n-1), each with a session token
// `bench-token-<i>`, in public rooms of `roomSize` consecutive users. Both servers (wsx-chat
// and the Socket.IO peer) run on a copy of the same seeded store, so neither pays for sign-ups
// (scrypt) during the run.
import { createHash } from 'node:crypto';
import { PostgresStore, SqliteStore } from 'wsx-chat';

export function token(index) {
  return `bench-token-${index}`;
}

/** Room id of user `index` (rooms are created in order, ids from 1). */
export function roomOf(index, roomSize) {
  return Math.floor(index / roomSize) + 1;
}

export async function seed(dataDir, users, roomSize) {
  const store = new SqliteStore({ dataDir, sync: 'normal' });
  const db = store;
  const expires = Date.now() + 24 * 3600 * 1000;
  for (let i = 0; i < users; i++) {
    const user = db.createUser(`u${i}`, `u${i}`, 'scrypt$unused');
    db.createSession(createHash('sha256').update(token(i)).digest('hex'), user.id, expires);
    if (i % roomSize === 0)
      db.createRoom(`room ${i / roomSize + 1}`, `room ${i / roomSize + 1}`, user.id);
    else db.addMember(roomOf(i, roomSize), user.id);
  }
  await store.close();
}

/**
 * The same users, sessions and rooms in a PostgreSQL database (bench:chat --scale), through
 * the chat's own store (its migrations make the schema).
 */
export async function seedPostgres(url, users, roomSize) {
  const store = await PostgresStore.open({ url });
  const expires = Date.now() + 24 * 3600 * 1000;
  for (let i = 0; i < users; i++) {
    const user = await store.createUser(`u${i}`, `u${i}`, 'scrypt$unused');
    await store.createSession(
      createHash('sha256').update(token(i)).digest('hex'),
      user.id,
      expires,
    );
    if (i % roomSize === 0)
      await store.createRoom(`room ${i / roomSize + 1}`, `room ${i / roomSize + 1}`, user.id);
    else await store.addMember(roomOf(i, roomSize), user.id);
  }
  await store.close();
}

/**
 * PostgreSQL failing under three chat nodes in mid-conversation (real servers, started for
 * this file): it crashes (immediate shutdown: recovery from its WAL at the next start) and is
 * started again. Meanwhile acknowledgements pause (every node says it is not ready); once the
 * server is back, the commits that waited go through, and nothing acknowledged is lost or
 * doubled, every member has every message once, in order.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  RedisServer,
  requireRedisServer,
} from '../../../packages/wsx-redis/test/helpers/redis-server.js';
import { within } from './helpers.js';
import { ChatNode } from './servers/chat-node.js';
import { Conversation } from './servers/conversation.js';
import { PostgresServer, requirePostgres } from './servers/postgres-server.js';

let postgres: PostgresServer | null = null;

before(async (t) => {
  const context = t as never;
  if (requirePostgres(context) && requireRedisServer(context))
    postgres = await PostgresServer.start(context);
});

/** Resolves once `node` answers /readyz with `status` (polled: it is what a balancer does). */
async function readiness(node: ChatNode, status: number): Promise<void> {
  await within(
    (async () => {
      while ((await node.ready()) !== status) await new Promise((r) => setTimeout(r, 20));
    })(),
    30_000,
    `${node.name}'s /readyz to answer ${status}`,
  );
}

test('PostgreSQL crashes and restarts mid-conversation: acks pause, then resume; nothing acknowledged is lost', async (t) => {
  if (postgres === null) return t.skip('needs PostgreSQL and redis-server');
  const redis = await RedisServer.start(t);
  const database = await postgres.database();
  const flags = ['--store', database, '--broker', redis.url, '--log-level', 'info'];
  const nodes = await Promise.all(
    ['a', 'b', 'c'].map((name) => ChatNode.start(t, `node ${name}`, flags)),
  );
  const chat = await Conversation.start(t, nodes, 6, [
    { name: 'everyone', members: [0, 1, 2, 3, 4, 5] },
    { name: 'three nodes', members: [1, 2, 3] },
  ]);
  chat.talk(4);
  await chat.ackedAtLeast(300, '300 messages before the crash');
  await postgres.stop('immediate');
  // Every node has commits waiting (its users keep their windows full): not ready.
  await Promise.all(nodes.map((node) => readiness(node, 503)));
  const paused = chat.acked;
  const waiting = chat.users.reduce((n, u) => n + u.unacked, 0);
  assert.ok(waiting > 0, 'messages wait for their acknowledgement');
  await postgres.start();
  await chat.ackedAtLeast(paused + waiting + 300, 'the waiting acks, and 300 more');
  await Promise.all(nodes.map((node) => readiness(node, 200)));
  await chat.settle();
  await chat.verify(database);
});

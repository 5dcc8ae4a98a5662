/**
 * PostgreSQL failing under three chat nodes in mid-conversation (real servers, started for
 * this file): it crashes (immediate shutdown: recovery from its WAL at the next start) and is
 * started again. Meanwhile acknowledgements pause (every node says it is not ready); once the
 * server is back, the commits that waited go through, and nothing acknowledged is lost or
 * doubled, every member has every message once, in order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { within } from './helpers.js';
import type { ChatNode } from './servers/chat-node.js';
import { Conversation } from './servers/conversation.js';
import { scaleOutServers, startNodes } from './servers/scale-out.js';

const servers = scaleOutServers();

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
  const scale = await servers.forTest(t);
  if (scale === null) return;
  const { postgres, database, redis } = scale;
  const nodes = await startNodes(t, database, [redis.url, redis.url, redis.url]);
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

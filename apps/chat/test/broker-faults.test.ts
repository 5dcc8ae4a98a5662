/**
 * Redis failing under three chat nodes in mid-conversation (real servers, started for this
 * file): restarted (empty), frozen with SIGSTOP (every node cut off), and one node cut off
 * alone (its link to Redis goes through a proxy process that is stopped). Each time: local
 * delivery and acknowledgements go on, and once Redis is back every member has every message
 * exactly once, in order (the nodes read what they missed from the store), and nothing
 * acknowledged is lost or doubled. Nodes count Redis as away after 1 s of silence here
 * (`--broker-timeout 1000`), so that the outages are short; waits are on what the nodes say and
 * what the users receive.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { ChatNode } from './servers/chat-node.js';
import { Conversation } from './servers/conversation.js';
import { SPREAD_ROOMS as ROOMS, scaleOutServers, startNodes } from './servers/scale-out.js';
import { TcpProxy } from './servers/tcp-proxy.js';

const servers = scaleOutServers();

const away = (l: { msg?: string }) => l.msg === 'Redis is away';
const back = (l: { msg?: string }) => l.msg === 'Redis is back: filling gaps from the store';

/** Three nodes on the test's database; node i reaches Redis at `redisUrls[i]`. */
function threeNodes(t: TestContext, database: string, redisUrls: string[]): Promise<ChatNode[]> {
  // Redis counts as away after 1 s of silence, so that the outages are short.
  return startNodes(t, database, redisUrls, ['--broker-timeout', '1000']);
}

/** Messages the nodes read from the store because Redis did not bring them. */
async function fetched(nodes: readonly ChatNode[]): Promise<number> {
  const counts = await Promise.all(nodes.map((n) => n.metric('chat_messages_fetched_total')));
  return counts.reduce((a, b) => a + b, 0);
}

test('redis-server restarted mid-conversation: nothing acknowledged lost, none doubled, delivery resumes', async (t) => {
  const scale = await servers.forTest(t);
  if (scale === null) return;
  const { database, redis } = scale;
  const nodes = await threeNodes(t, database, [redis.url, redis.url, redis.url]);
  const chat = await Conversation.start(t, nodes, 6, ROOMS);
  chat.talk(4);
  await chat.ackedAtLeast(300, '300 messages before the restart');
  const marks = nodes.map((n) => n.logs.length);
  await redis.restart();
  await Promise.all(nodes.map((n, i) => n.logged(back, 'Redis back', marks[i])));
  const afterRestart = chat.acked;
  await chat.ackedAtLeast(afterRestart + 300, '300 messages after the restart');
  await chat.settle();
  await chat.verify(database);
});

test('redis-server frozen (SIGSTOP) then continued: acks go on meanwhile; then every message arrives once', async (t) => {
  const scale = await servers.forTest(t);
  if (scale === null) return;
  const { database, redis } = scale;
  const nodes = await threeNodes(t, database, [redis.url, redis.url, redis.url]);
  const chat = await Conversation.start(t, nodes, 6, ROOMS);
  chat.talk(4);
  await chat.ackedAtLeast(300, '300 messages before the freeze');
  const marks = nodes.map((n) => n.logs.length);
  redis.freeze();
  await Promise.all(nodes.map((n, i) => n.logged(away, 'Redis away', marks[i])));
  // Cut off from each other, the nodes go on storing and acknowledging.
  await chat.ackedAtLeast(chat.acked + 150, '150 messages while Redis is frozen');
  redis.thaw();
  await Promise.all(nodes.map((n, i) => n.logged(back, 'Redis back', marks[i])));
  await chat.ackedAtLeast(chat.acked + 300, '300 messages after the thaw');
  await chat.settle();
  await chat.verify(database);
  assert.ok((await fetched(nodes)) > 0, 'the nodes read what they missed from the store');
});

test('one node cut off from Redis (a partition): the others learn what it sent once it is back', async (t) => {
  const scale = await servers.forTest(t);
  if (scale === null) return;
  const { database, redis } = scale;
  const proxy = await TcpProxy.start(t, redis.port);
  const cut = `redis://127.0.0.1:${proxy.port}`;
  const nodes = await threeNodes(t, database, [redis.url, redis.url, cut]);
  const chat = await Conversation.start(t, nodes, 6, ROOMS);
  chat.talk(4);
  await chat.ackedAtLeast(300, '300 messages before the partition');
  // Only the users of the node to be cut off go on talking: nothing the others send could
  // show them the gap (a later seq); the cut-off node's heads, once it is back, must.
  const isolated = nodes[2]!;
  const others = chat.users.filter((u) => u.node !== isolated);
  for (const user of others) user.stopSending();
  await Promise.all(others.map((u) => u.until(() => u.unacked === 0, 'its acks')));
  const mark = isolated.logs.length;
  proxy.freeze();
  await isolated.logged(away, 'Redis away', mark);
  // Its users' messages are stored and acknowledged, and reach no other node for now.
  const talking = chat.users.filter((u) => u.node === isolated);
  const count = () => talking.reduce((n, u) => n + u.acked.size, 0);
  const before = count();
  await Promise.race(
    talking.map((u) => u.until(() => count() >= before + 40, '40 acks on the cut-off node')),
  );
  // Everybody is quiet when the partition heals: only heads can tell the others.
  for (const user of talking) user.stopSending();
  await Promise.all(talking.map((u) => u.until(() => u.unacked === 0, 'its acks')));
  const fetchedBefore = await Promise.all(
    nodes.slice(0, 2).map((n) => n.metric('chat_messages_fetched_total')),
  );
  proxy.thaw();
  await isolated.logged(back, 'Redis back', mark);
  await chat.settle();
  await chat.verify(database);
  for (const [i, node] of nodes.slice(0, 2).entries())
    assert.ok(
      (await node.metric('chat_messages_fetched_total')) > fetchedBefore[i]!,
      `${node.name} read the cut-off node's messages from the store`,
    );
  assert.deepEqual(
    nodes.slice(0, 2).map((n) => n.logs.filter(away).length),
    [0, 0],
    'the other nodes never lost Redis',
  );
});

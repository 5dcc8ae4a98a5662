/**
 * Redis away, with 3 processes mid-conversation: redis-server restarted, and frozen with
 * SIGSTOP (a partition: connections stay open, nothing is answered) then SIGCONT. Each time:
 * local delivery goes on, publishes fail at once and are counted (at most `maxPendingPublishes`
 * wait for a reply), every process reports `down` then `up` by itself, and delivery across
 * processes resumes. A message published during the outage is not delivered later: the first
 * message after recovery arrives first (Redis keeps order on a connection, and nothing was
 * queued to be sent afterwards).
 */

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { type Client, eventually, WsxNode } from './helpers/nodes.js';
import { RedisServer, requireRedisServer } from './helpers/redis-server.js';

interface Stats {
  published: number;
  publishFailed: number;
  pending: number;
  received: number;
}

async function conversation(t: TestContext) {
  const redis = await RedisServer.start(t);
  const nodes = await Promise.all(
    [0, 1, 2].map(() => WsxNode.start(t, { redisUrl: redis.url, maxPendingPublishes: 10 })),
  );
  const clients = await Promise.all(nodes.map((node) => node.client('topic=room&pub=room')));
  const say = async (from: number, text: string) => {
    clients[from]!.ws.send(text);
    await eventually(() => clients.every((c) => c.messages.includes(text)), `'${text}' everywhere`);
  };
  return { redis, nodes, clients, say };
}

async function allReport(nodes: WsxNode[], name: 'down' | 'up', marks: number[]) {
  await Promise.all(nodes.map((node, i) => node.event('adapter', name, marks[i])));
}

/** During the outage: node 0's own subscribers get a message at once, the others do not. */
async function publishDuringOutage(nodes: WsxNode[], clients: Client[]) {
  const before = await nodes[0]!.call<Stats>({ cmd: 'stats' });
  clients[0]!.ws.send('during the outage');
  await eventually(() => clients[0]!.messages.includes('during the outage'), 'local delivery');
  // 30 more at once: each fails at once, none waits.
  await nodes[0]!.call({ cmd: 'publish', topic: 'room', text: 'also during', count: 30 });
  const after = await nodes[0]!.call<Stats>({ cmd: 'stats' });
  assert.equal(after.publishFailed - before.publishFailed, 31, 'every publish failed, counted');
  assert.equal(after.pending, 0, 'nothing waits for Redis');
  assert.equal(after.published, before.published);
}

/** After recovery, the first message is the first one the others get: nothing came late. */
async function resumes(
  nodes: WsxNode[],
  clients: Client[],
  say: (f: number, t: string) => Promise<void>,
) {
  const seen = clients.map((c) => c.messages.length);
  await say(1, 'back again');
  for (const [i, client] of clients.entries()) {
    const fresh = client.messages.slice(seen[i]);
    assert.equal(fresh[0], 'back again', `client ${i} got nothing from the outage afterwards`);
  }
  assert.ok(!clients[1]!.messages.includes('during the outage'));
  assert.ok(!clients[2]!.messages.includes('also during'));
  await say(2, 'and from the third');
  void nodes;
}

describe('Redis away, 3 processes mid-conversation', () => {
  it('redis-server restarted: local delivery goes on, publishes fail fast, delivery resumes', async (t) => {
    if (!requireRedisServer(t)) return;
    const { redis, nodes, clients, say } = await conversation(t);
    await say(0, 'hello from 0');
    await say(1, 'hello from 1');
    const marks = nodes.map((n) => n.events.length);
    await redis.stop();
    await allReport(nodes, 'down', marks);
    await publishDuringOutage(nodes, clients);
    await redis.restart();
    await allReport(nodes, 'up', marks);
    // The recovery signal: which topics to fetch the gap of, before 'up'.
    await Promise.all(nodes.map((n, i) => n.event('adapter', 'resubscribed room', marks[i])));
    await resumes(nodes, clients, say);
    for (const c of clients) c.ws.close();
  });

  it('redis-server frozen (SIGSTOP) then continued (SIGCONT): a partition', async (t) => {
    if (!requireRedisServer(t)) return;
    const { redis, nodes, clients, say } = await conversation(t);
    await say(0, 'before the partition');
    const marks = nodes.map((n) => n.events.length);
    const before = await nodes[2]!.call<Stats>({ cmd: 'stats' });
    redis.freeze();
    // Sent into the silence, one per tick: at most maxPendingPublishes (10) wait for a reply;
    // the rest fail at once.
    await nodes[2]!.call({ cmd: 'publish', topic: 'room', text: 'into the void', count: 50 });
    const stalled = await nodes[2]!.call<Stats>({ cmd: 'stats' });
    assert.ok(stalled.pending <= 10, `at most 10 publishes wait (${stalled.pending})`);
    assert.ok(stalled.publishFailed - before.publishFailed >= 40, 'the others failed at once');
    // The silent connection is found (health timeout), torn down, and the waiting ones fail.
    await allReport(nodes, 'down', marks);
    const down = await nodes[2]!.call<Stats>({ cmd: 'stats' });
    assert.equal(down.pending, 0);
    assert.equal(down.publishFailed - before.publishFailed, 50, 'all 50 failed, counted');
    await publishDuringOutage(nodes, clients);
    redis.thaw();
    await allReport(nodes, 'up', marks);
    // What the frozen Redis still had in its buffers may arrive after thawing; after that,
    // delivery goes on as before.
    await say(1, 'after the partition');
    await say(2, 'and again');
    assert.ok(!clients[1]!.messages.includes('during the outage'));
    for (const c of clients) c.ws.close();
  });
});

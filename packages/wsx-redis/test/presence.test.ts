/**
 * Presence across 3 processes sharing one redis-server, on manual clocks (each process's
 * heartbeats run only when the test moves its clock): who is in a topic, wherever connected;
 * members leave with their connections; a process killed with SIGKILL keeps its members
 * exactly until its heartbeat lapses (ttl), then they disappear and its keys are removed;
 * a Redis that restarts empty gets every process's members back by itself.
 */

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createClient } from 'redis';
import { until, WsxNode } from './helpers/nodes.js';
import { RedisServer, requireRedisServer } from './helpers/redis-server.js';

const T0 = Date.UTC(2030, 0, 1);
const TTL = 15_000;
const HEARTBEAT = 5_000;

interface Member {
  id: string;
  data: string;
  processes: number;
}

async function threeNodes(t: TestContext) {
  const redis = await RedisServer.start(t);
  const nodes = await Promise.all(
    [0, 1, 2].map(() =>
      WsxNode.start(t, {
        redisUrl: redis.url,
        manualClockAt: T0,
        ttl: TTL,
        heartbeatInterval: HEARTBEAT,
      }),
    ),
  );
  return { redis, nodes };
}

async function members(node: WsxNode, topic = 'room'): Promise<string> {
  const list = await node.call<Member[]>({ cmd: 'members', topic });
  return list
    .map((m) => `${m.id}${m.data ? `=${m.data}` : ''}${m.processes > 1 ? `x${m.processes}` : ''}`)
    .sort()
    .join(' ');
}

/** Moves the clocks of `nodes` forward together, a second at a time, as real time would. */
async function advance(nodes: WsxNode[], ms: number) {
  for (let done = 0; done < ms; done += 1000) {
    const step = Math.min(1000, ms - done);
    for (const node of nodes) await node.call({ cmd: 'advance', ms: step });
  }
}

describe('RedisPresence, 3 processes', () => {
  it('lists who is in a topic on every process; members leave with their connections', async (t) => {
    if (!requireRedisServer(t)) return;
    const { nodes } = await threeNodes(t);
    const alice = await nodes[0]!.client('topic=room&topic=lobby&member=alice&data=Alice');
    const bob = await nodes[1]!.client('topic=room&member=bob');
    const bobAgain = await nodes[1]!.client('topic=room&member=bob');
    const bobElsewhere = await nodes[2]!.client('topic=room&member=bob');
    for (const node of nodes) assert.equal(await members(node), 'alice=Alice bobx2');
    assert.equal(await members(nodes[2]!, 'lobby'), 'alice=Alice');
    bob.ws.close();
    // Bob still has a connection through node 1 (joins are counted), and one through node 2.
    await until(() => members(nodes[0]!), 'alice=Alice bobx2', 'bob to stay');
    bobElsewhere.ws.close();
    await until(() => members(nodes[0]!), 'alice=Alice bob', 'bob to leave node 2');
    bobAgain.ws.close();
    await until(() => members(nodes[0]!), 'alice=Alice', 'bob to leave');
    // A process that closes takes its members with it, at once.
    await nodes[0]!.call({ cmd: 'close' });
    await until(() => members(nodes[1]!), '', 'alice to leave with her process');
    assert.equal(await members(nodes[1]!, 'lobby'), '');
    alice.ws.close();
  });

  it('a process killed with SIGKILL: its members stay exactly until its heartbeat lapses', async (t) => {
    if (!requireRedisServer(t)) return;
    const { redis, nodes } = await threeNodes(t);
    const [doomed, ...survivors] = nodes as [WsxNode, WsxNode, WsxNode];
    await doomed.client('topic=room&member=alice');
    await survivors[0].client('topic=room&member=bob');
    await survivors[1].client('topic=room&member=carol');
    assert.equal(await members(survivors[0]), 'alice bob carol');
    // Its last heartbeat was at T0: it is alive until T0 + TTL, and no longer.
    await doomed.kill('SIGKILL');
    await advance(survivors, TTL);
    assert.equal(await members(survivors[0]), 'alice bob carol', 'not gone before the ttl');
    await advance(survivors, 1);
    assert.equal(await members(survivors[0]), 'bob carol', 'gone once the ttl has passed');
    assert.equal(await members(survivors[1]), 'bob carol');
    // The next heartbeat of a survivor removes what the dead process left in Redis.
    await advance(survivors, HEARTBEAT);
    const watcher = createClient({ url: redis.url });
    watcher.on('error', () => {});
    await watcher.connect();
    t.after(() => watcher.destroy());
    const fields = Object.keys(await watcher.hGetAll('wsx:presence:topic:room'));
    assert.deepEqual(
      fields.map((f) => f.split(':')[0]).sort(),
      survivors.map((n) => n.processId).sort(),
    );
    assert.equal(await watcher.zScore('wsx:presence:processes', doomed.processId), null);
    assert.equal(await watcher.exists(`wsx:presence:process:${doomed.processId}`), 0);
    // The survivors' heartbeats kept them alive all along.
    await advance(survivors, 3 * TTL);
    assert.equal(await members(survivors[1]), 'bob carol');
  });

  it('Redis restarted empty: every process writes its members again by itself', async (t) => {
    if (!requireRedisServer(t)) return;
    const { redis, nodes } = await threeNodes(t);
    await nodes[0]!.client('topic=room&member=alice');
    await nodes[1]!.client('topic=room&member=bob');
    await nodes[2]!.client('topic=room&member=carol');
    assert.equal(await members(nodes[0]!), 'alice bob carol');
    const marks = nodes.map((n) => n.events.length);
    await redis.restart();
    await Promise.all(nodes.map((n, i) => n.event('presence', 'resynced', marks[i])));
    for (const node of nodes) assert.equal(await members(node), 'alice bob carol');
  });
});

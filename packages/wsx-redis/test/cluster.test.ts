/**
 * On a real Redis Cluster (3 masters formed with `redis-cli --cluster create`), 3 wsx processes:
 * with sharded pub/sub every topic's channel lives on the shard that owns its slot, and a
 * message reaches every subscriber on every process once; classic pub/sub works too; a shard
 * restarted mid-conversation is recovered from by itself; presence works across the shards.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import { eventually, until, WsxNode } from './helpers/nodes.js';
import { requireRedisServer, startCluster } from './helpers/redis-server.js';

const TOPICS = ['room-a', 'room-b', 'room-c', 'room-d', 'room-e', 'room-f'];

async function clusterAndNodes(t: TestContext, sharded: boolean) {
  const cluster = await startCluster(t, 3);
  const clusterUrls = cluster.map((node) => `redis://127.0.0.1:${node.port}`);
  const nodes = await Promise.all(
    [0, 1, 2].map(() => WsxNode.start(t, { redisUrl: '', clusterUrls, sharded })),
  );
  return { cluster, nodes };
}

/** `redis-cli` against one node: its output lines. */
function cli(port: number, ...args: string[]): string[] {
  const out = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' });
  return out.stdout.split('\n').filter((line) => line !== '');
}

describe('RedisPubSubAdapter on a Redis Cluster, 3 processes', () => {
  for (const sharded of [true, false]) {
    it(`${sharded ? 'sharded' : 'classic'} pub/sub: every topic reaches every process once`, async (t) => {
      if (!requireRedisServer(t)) return;
      const { cluster, nodes } = await clusterAndNodes(t, sharded);
      const query = TOPICS.map((topic) => `topic=${topic}`).join('&');
      const clients = await Promise.all(nodes.map((node) => node.client(query)));
      if (sharded) {
        // Each channel is subscribed on the shard that owns it, and only there.
        const owners = await Promise.all(
          TOPICS.map(async (topic) => {
            const slot = Number(cli(cluster[0]!.port, 'cluster', 'keyslot', `wsx:${topic}`)[0]);
            const owner = cluster.find((node) => ownsSlot(node.port, slot));
            return { topic, owner: owner!.port };
          }),
        );
        assert.ok(new Set(owners.map((o) => o.owner)).size > 1, 'the topics spread over shards');
        for (const { topic, owner } of owners) {
          await until(
            async () => cli(owner, 'pubsub', 'shardnumsub', `wsx:${topic}`)[1],
            '3',
            `${topic}: one subscription per process on its shard`,
          );
          for (const node of cluster.filter((n) => n.port !== owner)) {
            assert.deepEqual(cli(node.port, 'pubsub', 'shardchannels', `wsx:${topic}`), []);
          }
        }
      }
      for (const [i, topic] of TOPICS.entries()) {
        await nodes[i % 3]!.call({ cmd: 'publish', topic, text: `${topic} from ${i % 3}` });
      }
      await eventually(() => clients.every((c) => c.messages.length === TOPICS.length), 'all');
      const expected = TOPICS.map((topic, i) => `${topic} from ${i % 3}`).sort();
      for (const client of clients) assert.deepEqual([...client.messages].sort(), expected);
      for (const client of clients) client.ws.close();
    });
  }

  it('a shard restarted: every process goes down and up by itself, delivery resumes', async (t) => {
    if (!requireRedisServer(t)) return;
    const { cluster, nodes } = await clusterAndNodes(t, true);
    const topic = TOPICS[0]!;
    const clients = await Promise.all(nodes.map((node) => node.client(`topic=${topic}`)));
    const slot = Number(cli(cluster[0]!.port, 'cluster', 'keyslot', `wsx:${topic}`)[0]);
    const owner = cluster.find((node) => ownsSlot(node.port, slot))!;
    const marks = nodes.map((n) => n.events.length);
    await owner.restart(); // its nodes.conf is kept: it comes back with its slots
    await Promise.all(nodes.map((n, i) => n.event('adapter', 'down', marks[i])));
    await Promise.all(nodes.map((n, i) => n.event('adapter', 'up', marks[i])));
    await until(
      async () => cli(owner.port, 'pubsub', 'shardnumsub', `wsx:${topic}`)[1],
      '3',
      'every process subscribed again on the restarted shard',
    );
    await nodes[1]!.call({ cmd: 'publish', topic, text: 'after the restart' });
    await eventually(
      () => clients.every((c) => c.messages.includes('after the restart')),
      'delivery after the restart',
    );
    for (const client of clients) client.ws.close();
  });

  it('presence across processes, its keys spread over the shards', async (t) => {
    if (!requireRedisServer(t)) return;
    const { nodes } = await clusterAndNodes(t, true);
    for (const [i, member] of ['alice', 'bob', 'carol'].entries()) {
      await nodes[i]!.client(
        `${TOPICS.map((topic) => `topic=${topic}`).join('&')}&member=${member}`,
      );
    }
    for (const topic of TOPICS) {
      const members = await nodes[0]!.call<{ id: string }[]>({ cmd: 'members', topic });
      assert.deepEqual(members.map((m) => m.id).sort(), ['alice', 'bob', 'carol']);
    }
  });
});

/** Whether the node on `port` serves `slot` (its own line of `CLUSTER NODES`). */
function ownsSlot(port: number, slot: number): boolean {
  const lines = cli(port, 'cluster', 'nodes');
  const myself = lines.find((line) => line.includes('myself'));
  if (myself === undefined) return false;
  return myself
    .split(' ')
    .slice(8)
    .some((range) => {
      const [from, to] = range.split('-').map(Number);
      return slot >= from! && slot <= (to ?? from)!;
    });
}

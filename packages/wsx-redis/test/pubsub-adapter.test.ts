/**
 * The adapter across 3 processes (child processes, each with its own wsx server) sharing one
 * real redis-server: delivery everywhere exactly once, binary-safe; channels subscribed only
 * while a process has subscribers; classic and sharded pub/sub; stray messages on wsx channels.
 */

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createClient } from 'redis';
import type { RedisPubSubStats } from '../src/pubsub-adapter.js';
import { type Client, eventually, until, WsxNode } from './helpers/nodes.js';
import { RedisServer, requireRedisServer } from './helpers/redis-server.js';

/** Chinese, emoji and ASCII; and every byte value. */
const TEXT = '你好，世界！WebSocket 😀🎉 — 再见';
const BINARY = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7 + 3) & 0xff));

async function threeNodes(t: TestContext, sharded = false) {
  const redis = await RedisServer.start(t);
  const nodes = await Promise.all(
    [0, 1, 2].map(() => WsxNode.start(t, { redisUrl: redis.url, sharded })),
  );
  const watcher = createClient({ url: redis.url });
  watcher.on('error', () => {}); // the server stops before this client at the end
  await watcher.connect();
  t.after(() => watcher.destroy());
  return { redis, nodes, watcher };
}

type Watcher = Awaited<ReturnType<typeof threeNodes>>['watcher'];

/** How many subscribers Redis counts on the channel (classic or sharded pub/sub). */
async function channelSubscribers(
  watcher: Watcher,
  channel: string,
  sharded: boolean,
): Promise<number> {
  const reply = sharded
    ? await watcher.sendCommand(['PUBSUB', 'SHARDNUMSUB', channel])
    : await watcher.sendCommand(['PUBSUB', 'NUMSUB', channel]);
  return Number((reply as unknown as unknown[])[1]);
}

function settleAll(clients: Client[], count: number, what: string) {
  return eventually(() => clients.every((c) => c.messages.length >= count), what);
}

for (const sharded of [false, true]) {
  const mode = sharded ? 'sharded pub/sub (SPUBLISH/SSUBSCRIBE)' : 'pub/sub';
  describe(`RedisPubSubAdapter over ${mode}, 3 processes`, () => {
    it('a publish on any process reaches every subscriber on every process exactly once', async (t) => {
      if (!requireRedisServer(t)) return;
      const { nodes } = await threeNodes(t, sharded);
      // Two subscribers per process; the first client of each process publishes.
      const clients = await Promise.all(
        nodes.flatMap((node) => [
          node.client('topic=room&pub=room'),
          node.client('topic=room&pub=room'),
        ]),
      );
      // Each process's first client sends one text and one binary message, in turn.
      for (const [i, sender] of [clients[0]!, clients[2]!, clients[4]!].entries()) {
        sender.ws.send(`${TEXT} #${i}`);
        sender.ws.send(BINARY);
      }
      await settleAll(clients, 6, 'six messages everywhere');
      // A barrier instead of a wait: each process now publishes a marker. A process gets the
      // others' markers through Redis after anything Redis had sent it before, its own echoes
      // included, so a duplicate would show up before the markers.
      for (const [i, node] of nodes.entries()) {
        await node.call({ cmd: 'publish', topic: 'room', text: `end ${i}` });
      }
      await settleAll(clients, 9, 'the three markers everywhere');
      for (const client of clients) {
        const markers = client.messages.filter((m) => typeof m === 'string' && m.startsWith('end'));
        assert.equal(markers.length, 3);
        client.messages.splice(
          0,
          client.messages.length,
          ...client.messages.filter((m) => !markers.includes(m)),
        );
        assert.equal(client.messages.length, 6, 'each message once, the sender included');
        const texts = client.messages.filter((m) => typeof m === 'string').sort();
        assert.deepEqual(
          texts,
          [0, 1, 2].map((i) => `${TEXT} #${i}`),
        );
        const binaries = client.messages.filter((m) => typeof m !== 'string');
        assert.equal(binaries.length, 3);
        for (const b of binaries) assert.deepEqual(b, BINARY);
      }
      // Each process published 2 and its marker (acknowledged), skipped its own 3 echoes, and
      // received the others' 6 (Redis's reply and the echo may come after the others
      // delivered).
      for (const node of nodes) {
        const counts = async () => {
          const s = await node.call<RedisPubSubStats>({ cmd: 'stats' });
          return `${s.published} ${s.ownSkipped} ${s.received} ${s.publishFailed} ${s.malformed}`;
        };
        await until(counts, '3 3 6 0 0', 'published, ownSkipped, received, failed, malformed');
      }
      for (const client of clients) client.ws.close();
    });

    it('a burst published in one tick crosses as one envelope, in order', async (t) => {
      if (!requireRedisServer(t)) return;
      const { nodes } = await threeNodes(t, sharded);
      const clients = await Promise.all(nodes.map((node) => node.client('topic=room')));
      const before = await nodes[0]!.call<RedisPubSubStats>({ cmd: 'stats' });
      const burst = { cmd: 'publish', topic: 'room', text: 'n#', count: 100, sameTick: true };
      assert.equal(await nodes[0]!.call(burst as never), 100);
      await settleAll(clients, 100, 'the burst everywhere');
      const expected = Array.from({ length: 100 }, (_, i) => `n${i}`);
      for (const client of clients) assert.deepEqual(client.messages, expected);
      // Redis's reply to the PUBLISH may come after the others delivered it.
      const stats = () => nodes[0]!.call<RedisPubSubStats>({ cmd: 'stats' });
      await until(async () => (await stats()).published - before.published, 100, 'the reply');
      assert.equal((await stats()).envelopes - before.envelopes, 1, 'one envelope');
      const received = await nodes[1]!.call<RedisPubSubStats>({ cmd: 'stats' });
      assert.equal(received.received, 100);
      for (const client of clients) client.ws.close();
    });

    it('subscribes to a channel only while the process has subscribers', async (t) => {
      if (!requireRedisServer(t)) return;
      const { nodes, watcher } = await threeNodes(t, sharded);
      const count = () => channelSubscribers(watcher, 'wsx:news', sharded);
      assert.equal(await count(), 0);
      const a1 = await nodes[0]!.client('topic=news');
      const a2 = await nodes[0]!.client('topic=news');
      const b = await nodes[1]!.client('topic=news');
      await until(count, 2, 'one subscription per process, however many local subscribers');
      // A publish from the process with no subscriber reaches the two others.
      assert.equal(await nodes[2]!.call({ cmd: 'publish', topic: 'news', text: 'hello' }), 0);
      await settleAll([a1, a2, b], 1, 'the news');
      a1.ws.close();
      b.ws.close();
      await until(count, 1, 'node 1 to leave the channel, node 0 has a subscriber left');
      a2.ws.close();
      await until(count, 0, 'node 0 to leave the channel');
    });

    it('drops what is not a wsx envelope for the channel, and keeps serving', async (t) => {
      if (!requireRedisServer(t)) return;
      const { nodes, watcher } = await threeNodes(t, sharded);
      const client = await nodes[0]!.client('topic=room');
      const publish = (channel: string, message: Buffer) =>
        sharded ? watcher.sPublish(channel, message) : watcher.publish(channel, message);
      // Not an envelope at all (node 0 is subscribed: the client's 'ready' came after that).
      assert.equal(await publish('wsx:room', Buffer.from('hi')), 1);
      // A valid envelope for another topic, and a text message that is not UTF-8.
      const { encodeEnvelope } = await import('../src/envelope.js');
      const origin = Buffer.alloc(16, 7);
      await publish(
        'wsx:room',
        encodeEnvelope(Buffer.from('other'), origin, false, Buffer.from('x')),
      );
      await publish(
        'wsx:room',
        encodeEnvelope(Buffer.from('room'), origin, false, Buffer.from([0xc3, 0x28])),
      );
      await publish(
        'wsx:room',
        encodeEnvelope(Buffer.from('room'), origin, false, Buffer.from('ok')),
      );
      await eventually(() => client.messages.length === 1, 'the one valid message');
      assert.deepEqual(client.messages, ['ok']);
      const stats = await nodes[0]!.call<RedisPubSubStats>({ cmd: 'stats' });
      assert.equal(stats.malformed, 3);
      assert.equal(stats.received, 1);
      assert.ok(
        nodes[0]!.events.some((e) => e.name === 'error'),
        "reported through 'error'",
      );
      client.ws.close();
    });
  });
}

/**
 * The chat on several nodes: three `wsx-chat` processes on different ports sharing one
 * PostgreSQL and one Redis (real servers, started for this file), users spread across them.
 * Every message reaches every member once, in its room's order; a node killed with SIGKILL
 * loses nothing (its users reconnect to the others and resume); `--workers 2` serves one port
 * with two processes, and a worker killed the same way loses nothing either.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatNode } from './servers/chat-node.js';
import { Conversation } from './servers/conversation.js';
import { SPREAD_ROOMS as ROOMS, scaleOutServers, startNodes } from './servers/scale-out.js';

const servers = scaleOutServers();

test('3 nodes: every message reaches every member once, in per-room order', async (t) => {
  const scale = await servers.forTest(t);
  if (scale === null) return;
  const { database, redis } = scale;
  const nodes = await startNodes(t, database, [redis.url, redis.url, redis.url]);
  const chat = await Conversation.start(t, nodes, 6, ROOMS);
  chat.talk(4);
  await chat.ackedAtLeast(600, '600 messages acknowledged');
  await chat.settle();
  await chat.verify(database);
  // Presence is shared: everyone in the big room is online, whatever their node.
  const room = [...chat.rooms.keys()][0]!;
  const members = await chat.users[0]!.request('members', { room });
  assert.deepEqual(
    (members.online as number[]).sort((a, b) => a - b),
    chat.users.map((u) => u.id).sort((a, b) => a - b),
  );
});

test('a node killed with SIGKILL: its users resume on the others, nothing acknowledged is lost or doubled', async (t) => {
  const scale = await servers.forTest(t);
  if (scale === null) return;
  const { database, redis } = scale;
  const nodes = await startNodes(t, database, [redis.url, redis.url, redis.url]);
  const chat = await Conversation.start(t, nodes, 6, ROOMS);
  chat.talk(4);
  await chat.ackedAtLeast(300, '300 messages before the kill');
  const victim = nodes[1]!;
  await victim.kill('SIGKILL');
  const moved = chat.users.filter((user) => user.node === victim);
  await Promise.all(moved.map((user) => user.until(() => !user.connected, 'its node to die')));
  // They come back on the other nodes, resuming from what they hold.
  await Promise.all(moved.map((user, i) => user.connect(nodes[i % 2 === 0 ? 0 : 2]!)));
  const afterKill = chat.acked;
  await chat.ackedAtLeast(afterKill + 300, '300 messages after the kill');
  await chat.settle();
  await chat.verify(database);
});

test('--workers 2 serves one port; a worker killed with SIGKILL is replaced, its users resume', async (t) => {
  const scale = await servers.forTest(t);
  if (scale === null) return;
  const { database, redis } = scale;
  const node = await ChatNode.start(t, 'two workers', [
    ...['--workers', '2', '--store', database, '--broker', redis.url, '--log-level', 'info'],
  ]);
  await node.logged((l) => l.msg === 'listening' && l.workers === 2, 'all workers listening');
  const workers = () =>
    node.logs.filter((l) => l.msg === 'listening' && l.worker !== undefined).map((l) => l.pid);
  assert.equal(new Set(workers()).size, 2, 'two worker processes');
  const chat = await Conversation.start(t, [node], 6, ROOMS);
  chat.talk(4);
  await chat.ackedAtLeast(300, '300 messages before the kill');
  const victim = workers()[0] as number;
  process.kill(victim, 'SIGKILL');
  // Those whose connection the victim served lose it; the others' worker still answers.
  const alive = await Promise.all(chat.users.map((user) => user.alive()));
  const lost = chat.users.filter((_, i) => !alive[i]);
  assert.ok(lost.length > 0 && lost.length < 6, 'the connections were spread over both workers');
  // Until the primary has seen the worker die, node:cluster may still hand it new connections
  // (which then hang): reconnect once it has.
  await node.logged((l) => l.msg === 'a worker died', 'the primary to see the worker die');
  await Promise.all(lost.map((user) => user.connect(node)));
  const afterKill = chat.acked;
  await chat.ackedAtLeast(afterKill + 300, '300 messages after the kill');
  await chat.settle();
  await chat.verify(database);
  await node.logged(() => workers().length === 3, 'the primary to start a third worker');
  assert.equal(await node.kill('SIGTERM'), 0, 'a graceful shutdown of the workers');
});

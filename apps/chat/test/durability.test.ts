/**
 * Durability: the server (the real `wsx-chat` program, in its own process) is killed with
 * SIGKILL while clients send. After a restart on the same data directory, every message that
 * was acknowledged is in the history, none is there twice, and the seqs have no gap.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type Chat,
  createRoom,
  type Frame,
  signUp,
  TestClient,
  tempDir,
  within,
} from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/server/cli.js', import.meta.url));

/** Starts the CLI and resolves once it logs the address it listens on. */
async function spawnChat(dataDir: string): Promise<{ child: ChildProcess; chat: Chat }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const child = spawn(
    process.execPath,
    [CLI, '--port', '0', '--data-dir', dataDir, '--rate', '100000', '--burst', '100000'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const url = await within(
    new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`wsx-chat exited with ${code}`)));
      lines.on('line', (line) => {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'listening') resolve(entry.url!);
      });
    }),
    15_000,
    'wsx-chat to listen',
  );
  const port = new URL(url).port;
  const base = `http://127.0.0.1:${port}`;
  return { child, chat: { server: null as never, base, ws: `ws://127.0.0.1:${port}/ws`, dataDir } };
}

/** Keeps `inFlight` sends pipelined; records the clientMsgId of every ack. */
function keepSending(
  client: TestClient,
  room: number,
  name: string,
  acked: string[],
  inFlight = 16,
): void {
  let next = 0;
  const sendOne = () => {
    const clientMsgId = `${name}-${next++}`;
    client.fire('send', { room, text: `${clientMsgId} 持久`, clientMsgId });
  };
  client.ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    if (frame.type !== 'ack') return;
    acked.push(frame.clientMsgId as string);
    sendOne();
  });
  for (let i = 0; i < inFlight; i++) sendOne();
}

test('SIGKILL while clients send: every acknowledged message survives, none twice, no gap', async (t) => {
  const dataDir = tempDir(t);
  const first = await spawnChat(dataDir);
  t.after(() => first.child.kill('SIGKILL'));
  const cookies = await Promise.all(['ann', 'ben', 'cat'].map((name) => signUp(first.chat, name)));
  const clients = await Promise.all(
    cookies.map(async (cookie) => (await TestClient.signedIn(first.chat, cookie)).client),
  );
  const room = await createRoom(clients[0]!, 'durable');
  for (const client of clients.slice(1)) await client.request('join', { room });
  const acked: string[] = [];
  for (const [i, client] of clients.entries()) keepSending(client, room, `c${i}`, acked);
  await clients[0]!.until(() => acked.length >= 600, 20_000, '600 acknowledgements');
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  const ackedThen = [...acked];

  const second = await spawnChat(dataDir);
  t.after(() => second.child.kill('SIGKILL'));
  const reader = (await TestClient.signedIn(second.chat, cookies[0]!)).client;
  const stored: Frame[] = [];
  for (let before: number | null = null; ; ) {
    const page = await reader.request('history', { room, before, limit: 200 });
    stored.unshift(...(page.messages as Frame[]));
    if (page.hasMore !== true) break;
    before = stored[0]!.seq as number;
  }
  const ids = stored.map((m) => m.clientMsgId as string);
  assert.equal(new Set(ids).size, ids.length, 'no message stored twice');
  assert.deepEqual(
    stored.map((m) => m.seq),
    ids.map((_, i) => i + 1),
    'seqs 1..n without a gap',
  );
  const kept = new Set(ids);
  const lost = ackedThen.filter((id) => !kept.has(id));
  assert.deepEqual(lost, [], 'acknowledged messages missing after the restart');
  reader.close();
  second.child.kill('SIGTERM');
  await once(second.child, 'exit');
});

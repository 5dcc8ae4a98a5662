/**
 * The server's memory budget end to end, over the in-memory transport (no kernel buffers in the
 * way, so what the server holds is exactly what its peers did not read).
 */

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { MemoryTransport } from '../../src/node/memory-transport.js';
import { WebSocketServer } from '../../src/server/websocket-server.js';
import { MemoryBudget } from '../../src/websocket/memory-budget.js';
import { settle } from '../helpers/clock.js';
import { clientFrame } from '../helpers/frames.js';

const UPGRADE =
  'GET / HTTP/1.1\r\nHost: memory\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** A raw client over the memory pair: sends the upgrade request, returns its status line. */
async function openClient(
  server: WebSocketServer,
): Promise<{ peer: MemoryTransport; status: string }> {
  const [peer, serverEnd] = MemoryTransport.pair();
  const received: Buffer[] = [];
  peer.on('data', (chunk: Buffer) => received.push(chunk));
  server.handleConnection(serverEnd);
  peer.write(Buffer.from(UPGRADE, 'latin1'));
  await settle();
  const head = Buffer.concat(received).toString('latin1');
  return { peer, status: head.slice(0, head.indexOf('\r\n')) };
}

function serverWith(t: TestContext, budget: MemoryBudget): WebSocketServer {
  const server = new WebSocketServer({
    noServer: true,
    memoryBudget: budget,
    maxBackpressure: 8 << 20,
    backpressureLimit: 64 << 20,
    pingInterval: 0,
    // Each message asks for 320 KiB back: three unread answers are over 90 % of 1 MiB.
    message: (ws) => void ws.send(Buffer.alloc(320 * 1024)),
  });
  t.after(() => {
    for (const ws of server.clients) ws.terminate();
    return server.close();
  });
  return server;
}

describe('the server memory budget', () => {
  it('from 90 % of the budget, new upgrades are refused with 503 and Retry-After', async (t) => {
    const budget = new MemoryBudget(1024 * 1024);
    const server = serverWith(t, budget);
    const peers: MemoryTransport[] = [];
    for (let i = 0; i < 3; i++) {
      const { peer, status } = await openClient(server);
      assert.equal(status, 'HTTP/1.1 101 Switching Protocols');
      peer.pause(); // never reads again
      peer.write(clientFrame({ opcode: 1, payload: 'more' }));
      peers.push(peer);
    }
    await settle();
    assert.ok(budget.used >= 0.9 * 1024 * 1024, `${budget.used} bytes held`);
    assert.equal(budget.exhausted, true);
    const refused = await openClient(server);
    assert.equal(refused.status, 'HTTP/1.1 503 Service Unavailable');
    // The peers read what they were sent: the budget is free again, and so is the door.
    for (const peer of peers) peer.resume();
    await settle();
    assert.equal(budget.used, 0);
    assert.equal((await openClient(server)).status, 'HTTP/1.1 101 Switching Protocols');
  });

  it('past the budget, the largest holders are shed, others keep being served', async (t) => {
    const budget = new MemoryBudget(1024 * 1024);
    const server = serverWith(t, budget);
    const hog = await openClient(server);
    hog.peer.pause();
    for (let i = 0; i < 4; i++) hog.peer.write(clientFrame({ opcode: 1, payload: 'more' }));
    await settle();
    assert.equal(budget.shedCount, 1, 'the hog was shed');
    assert.ok(budget.used < 1024 * 1024);
    const fine = await openClient(server);
    assert.equal(fine.status, 'HTTP/1.1 101 Switching Protocols');
  });
});

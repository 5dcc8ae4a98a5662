/**
 * Backpressure both ways: the slow-consumer policy for sends and topics, `sendAsync`, and
 * read-side backpressure while an async handler runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/connect.js';
import { SendStatus } from '../../src/websocket/types.js';
import { WebSocket } from '../../src/websocket/websocket.js';
import { ManualClock, settle } from '../helpers/clock.js';
import { eventually } from '../helpers/eventually.js';
import { clientFrame, concat } from '../helpers/frames.js';
import { next, RawClient, startServer, within } from '../helpers/net.js';

/** Opens a raw client that completes the handshake and then never reads. */
async function stalledClient(port: number, t: { after(fn: () => void): void }): Promise<RawClient> {
  const raw = await RawClient.open(port);
  t.after(() => raw.destroy());
  await raw.handshake();
  raw.socket.pause();
  return raw;
}

describe('slow consumers on a topic', () => {
  it('drops topic messages to a subscriber that does not read, while the others get all of them', async (t) => {
    const maxBackpressure = 256 * 1024;
    const { server, url, port } = await startServer(t, {
      maxBackpressure,
      pingInterval: 0,
      open: (ws) => void ws.subscribe('feed'),
    });
    const slow = await stalledClient(port, t);
    const fast = await Promise.all([connect(url), connect(url)]);
    const counts = [0, 0];
    fast.forEach((ws, i) => {
      ws.on('message', () => {
        counts[i]!++;
      });
    });
    await eventually(() => server.subscriberCount('feed') === 3, 'subscriptions');
    const payload = Buffer.alloc(1024, 7);
    const total = 20_000; // 20 MiB to each subscriber: far more than the kernel buffers hold
    let peak = 0;
    for (let sent = 0; sent < total; sent += 100) {
      for (let i = 0; i < 100; i++) server.publish('feed', payload);
      for (const ws of server.clients) peak = Math.max(peak, ws.bufferedAmount);
      await new Promise((r) => setImmediate(r));
    }
    await eventually(
      () => counts[0] === total && counts[1] === total,
      'the fast subscribers to get all',
      20_000,
    );
    const stalled = [...server.clients].filter((ws) => ws.droppedMessages > 0);
    assert.equal(stalled.length, 1, 'only the slow subscriber lost messages');
    assert.ok(stalled[0]!.droppedMessages > total / 2, `dropped ${stalled[0]!.droppedMessages}`);
    assert.ok(
      peak <= maxBackpressure + 100 * (payload.length + 4),
      `memory per connection stays bounded: peak ${peak} bytes buffered`,
    );
    assert.equal(
      slow.socket.destroyed,
      false,
      'the slow one is not dropped before backpressureTimeout',
    );
    for (const ws of fast) ws.close();
  });

  it('closes a connection that stays over maxBackpressure for backpressureTimeout with 1008', async (t) => {
    const clock = new ManualClock();
    const { server, port } = await startServer(t, {
      clock,
      maxBackpressure: 64 * 1024,
      backpressureTimeout: 5000,
      closeTimeout: 1000,
      pingInterval: 0,
    });
    const closed = new Promise<[number, string]>((resolve) =>
      server.on('connection', (ws: WebSocket) => {
        ws.on('close', (code: number, reason: string) => resolve([code, reason]));
        for (let i = 0; i < 64; i++) ws.send(Buffer.alloc(256 * 1024)); // 16 MiB it will not read
      }),
    );
    await stalledClient(port, t);
    await settle(20);
    // Sweeps run every 500 ms (a tenth of the timeout): over since the first, closed 5 s later.
    await clock.advance(4400);
    assert.equal(server.clients.size, 1, 'still open before the timeout');
    const [ws] = [...server.clients];
    assert.equal(ws!.readyState, ws!.OPEN);
    await clock.advance(1200);
    assert.equal(
      ws!.readyState,
      ws!.CLOSING,
      'closing with 1008 (its close frame waits behind the data)',
    );
    await clock.advance(1000);
    const [code] = await within(closed, 2000, 'close');
    assert.equal(code, 1006, 'dropped at the close timeout: the peer never read our close frame');
  });

  it('closes a connection whose buffer passes backpressureLimit at once', async (t) => {
    const { server, port } = await startServer(t, {
      backpressureLimit: 1024 * 1024,
      pingInterval: 0,
      closeTimeout: 200,
    });
    const statuses: number[] = [];
    let closing = -1;
    const closed = new Promise<number>((resolve) =>
      server.on('connection', (ws: WebSocket) => {
        ws.on('close', (code: number) => resolve(code));
        for (let i = 0; i < 8; i++) statuses.push(ws.send(Buffer.alloc(256 * 1024)));
        closing = ws.readyState;
      }),
    );
    await stalledClient(port, t);
    await eventually(() => statuses.length === 8, 'the sends');
    assert.equal(closing, WebSocket.CLOSING, 'closing (1008) as soon as the limit was passed');
    assert.equal(statuses.at(-1), SendStatus.DROPPED, 'nothing more is queued once closing');
    // The client never reads its close frame: the close timeout drops it (reported as 1006).
    assert.equal(await within(closed, 3000, 'the close'), 1006);
  });
});

describe('sendAsync and drain', () => {
  it('resolves once the buffer drains, and rejects when the connection closes first', async (t) => {
    const { server, port } = await startServer(t, { pingInterval: 0 });
    const opened = next(server, 'connection');
    const raw = await stalledClient(port, t);
    const [ws] = (await opened) as [WebSocket];
    let settled = false;
    const big = Buffer.alloc(8 * 1024 * 1024);
    const sending = ws.sendAsync(big).then(() => {
      settled = true;
    });
    await settle(20);
    assert.equal(settled, false, 'waits while the client does not read');
    raw.socket.resume();
    await within(sending, 5000, 'sendAsync');
    assert.equal(settled, true);
    raw.socket.pause();
    const stuck = ws.sendAsync(big);
    raw.destroy();
    await assert.rejects(stuck, { code: 'WSX_ERR_INVALID_STATE' });
  });
});

describe('read-side backpressure', () => {
  it('an async message handler gets messages one at a time, and reading pauses meanwhile', async (t) => {
    const order: string[] = [];
    let release: () => void = () => {};
    let inFlight = 0;
    let maxInFlight = 0;
    let serverSide: WebSocket | null = null;
    const { port } = await startServer(t, {
      pingInterval: 0,
      open: (ws) => {
        serverSide = ws;
      },
      async message(_ws, data) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        order.push(`start ${data}`);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        order.push(`end ${data}`);
        inFlight--;
      },
    });
    const raw = await RawClient.open(port);
    t.after(() => raw.destroy());
    await raw.handshake();
    raw.write(concat(['a', 'b', 'c'].map((p) => clientFrame({ opcode: 1, payload: p }))));
    await eventually(() => order.length === 1, 'the first message');
    await settle(10);
    assert.deepEqual(order, ['start a']);
    assert.equal(serverSide!.isPaused, true, 'the socket is not read while the handler runs');
    for (const next of ['b', 'c']) {
      release();
      await eventually(() => order.includes(`start ${next}`), `message ${next}`);
    }
    release();
    await eventually(() => order.length === 6, 'all handlers');
    assert.deepEqual(order, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    assert.equal(maxInFlight, 1);
    assert.equal(serverSide!.isPaused, false, 'reading resumed');
  });
});

describe('messages that arrive before anyone listens', () => {
  it('are kept until a listener is attached, in order', async (t) => {
    const { url } = await startServer(t, {
      open(ws) {
        ws.send('one');
        ws.send('two');
      },
    });
    const [a, b] = await Promise.all([connect(url), connect(url)]);
    await settle(10); // both have read their first frames by now, with no listener yet
    const got: string[] = [];
    a.on('message', (d) => got.push(String(d)));
    await eventually(() => got.length === 2, 'the early messages');
    assert.deepEqual(got, ['one', 'two']);
    const iterated: string[] = [];
    for await (const m of b) {
      iterated.push(String(m));
      if (iterated.length === 2) break;
    }
    assert.deepEqual(iterated, ['one', 'two']);
    a.close();
    b.close();
  });
});

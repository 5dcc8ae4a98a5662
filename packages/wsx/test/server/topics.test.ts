/** Topics: subscribe, publish (framed once, written once per tick), subscriber counts. */
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/connect.js';
import { prepareMessage } from '../../src/core/frame-writer.js';
import type { WebSocket } from '../../src/websocket/websocket.js';
import { settle } from '../helpers/clock.js';
import { eventually } from '../helpers/eventually.js';
import { next, startServer } from '../helpers/net.js';

/** Collects a client's messages as strings. */
function inbox(ws: WebSocket): string[] {
  const got: string[] = [];
  ws.on('message', (data) => got.push(String(data)));
  return got;
}

describe('topics', () => {
  it('subscribe, unsubscribe, topics, isSubscribed and subscriber counts', async (t) => {
    const { server, url } = await startServer(t, {
      open(ws) {
        assert.equal(ws.subscribe('room'), true);
        assert.equal(ws.subscribe('room'), false, 'already subscribed');
        ws.subscribe('news');
        assert.deepEqual(ws.topics.sort(), ['news', 'room']);
        assert.equal(ws.isSubscribed('news'), true);
        assert.equal(ws.unsubscribe('news'), true);
        assert.equal(ws.unsubscribe('news'), false);
        ws.send('ready');
      },
    });
    const a = await connect(url);
    const b = await connect(url);
    await Promise.all([next(a, 'message'), next(b, 'message')]);
    assert.equal(server.subscriberCount('room'), 2);
    assert.equal(server.subscriberCount('news'), 0);
    a.close();
    await next(a, 'close');
    await eventually(
      () => server.subscriberCount('room') === 1,
      'the closed client to leave the topic',
    );
    b.close();
  });

  it('publish reaches every subscriber, except the one named, and returns the count', async (t) => {
    const { server, url } = await startServer(t, {
      open(ws) {
        ws.subscribe('room');
        ws.send('ready');
      },
    });
    const clients = await Promise.all([connect(url), connect(url), connect(url)]);
    const boxes = clients.map(inbox);
    await eventually(() => boxes.every((b) => b.length === 1), 'ready');
    const [first] = [...server.clients];
    assert.equal(server.publish('room', 'to all'), 3);
    assert.equal(server.publish('room', 'to others', { except: first! }), 2);
    assert.equal(server.publish('nobody', 'x'), 0);
    await eventually(() => boxes.reduce((n, b) => n + b.length, 0) === 3 + 5, 'the publishes');
    for (const box of boxes) assert.equal(box[1], 'to all');
    for (const c of clients) c.close();
  });

  it('binary publishes, prepared messages, and ws.publish (everyone but the sender)', async (t) => {
    const { server, url } = await startServer(t, {
      open(ws) {
        ws.subscribe('room');
        ws.send('ready');
      },
      message(ws, data) {
        ws.publish('room', data, { binary: false });
      },
    });
    const a = await connect(url);
    const b = await connect(url);
    const boxA = inbox(a);
    const boxB = inbox(b);
    await eventually(() => boxA.length === 1 && boxB.length === 1, 'ready');
    a.send('from a');
    await eventually(() => boxB.length === 2, 'b to get it');
    await settle(10);
    assert.deepEqual(boxA, ['ready'], 'the sender does not get its own message');
    const binary = next(b, 'message');
    server.publish('room', Buffer.from([1, 2, 3]));
    const [data, isBinary] = await binary;
    assert.deepEqual(data, Buffer.from([1, 2, 3]));
    assert.equal(isBinary, true);
    assert.equal(server.publish('room', prepareMessage('prepared', false)), 2);
    await eventually(() => boxB.at(-1) === 'prepared', 'the prepared message');
    a.close();
    b.close();
  });

  it('frames once and writes once per subscriber per tick, small frames as one buffer', async (t) => {
    const { server, url } = await startServer(t, { open: (ws) => void ws.subscribe('room') });
    const clients = await Promise.all(Array.from({ length: 5 }, () => connect(url)));
    const boxes = clients.map(inbox);
    await eventually(() => server.subscriberCount('room') === 5, 'subscriptions');
    // Count the writes that reach the operating system: Node makes one per _write/_writev call.
    type Internal = { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const proto = Socket.prototype as unknown as Internal;
    const [write, writev] = [proto._write, proto._writev];
    const clientSockets = new Set(clients.map((c) => (c as unknown as { socket: Socket }).socket));
    const counts = { write: 0, writev: 0 };
    const counting = (original: (...a: unknown[]) => void, kind: keyof typeof counts) =>
      function (this: Socket, ...args: unknown[]) {
        if (!clientSockets.has(this)) counts[kind]++;
        return original.apply(this, args);
      };
    proto._write = counting(write, 'write');
    proto._writev = counting(writev, 'writev');
    try {
      for (let i = 0; i < 100; i++) server.publish('room', `n${i}`);
      await settle(2);
      // Large payloads are not copied: frames of 8 KiB leave as a gathered write (writev).
      for (let i = 0; i < 3; i++) server.publish('room', Buffer.alloc(8192, i), { binary: true });
      await settle(2);
    } finally {
      proto._write = write;
      proto._writev = writev;
    }
    assert.deepEqual(
      counts,
      { write: 5, writev: 5 },
      'per subscriber: the 100 small frames copied into one buffer, the 3 large ones gathered',
    );
    await eventually(() => boxes.every((b) => b.length === 103), 'all messages');
    for (const box of boxes) {
      assert.deepEqual(
        box.slice(0, 100),
        Array.from({ length: 100 }, (_, i) => `n${i}`),
      );
      assert.deepEqual(
        box.slice(100),
        [0, 1, 2].map((i) => String(Buffer.alloc(8192, i))),
      );
    }
    for (const c of clients) c.close();
  });

  it('a publish from inside a message handler does not re-enter it', async (t) => {
    let calls = 0;
    const started: { server?: { publish(topic: string, data: Buffer): number } } = {};
    const { server, url } = await startServer(t, {
      open: (ws) => void ws.subscribe('echo'),
      message(_ws, data) {
        calls++;
        started.server?.publish('echo', data);
      },
    });
    started.server = server;
    const a = await connect(url);
    const b = await connect(url);
    const [boxA, boxB] = [inbox(a), inbox(b)];
    await eventually(() => server.subscriberCount('echo') === 2, 'subscriptions');
    a.send('hi');
    await eventually(() => boxA.length === 1 && boxB.length === 1, 'the publish');
    await settle(10);
    assert.equal(calls, 1, 'the handler ran once');
    assert.deepEqual([boxA, boxB], [['hi'], ['hi']]);
    a.close();
    b.close();
  });

  it('topics belong to server-side connections', async (t) => {
    const { url } = await startServer(t);
    const ws = await connect(url);
    assert.throws(() => ws.subscribe('x'), { code: 'WSX_ERR_INVALID_STATE' });
    ws.close();
  });
});

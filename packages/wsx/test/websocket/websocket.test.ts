/** The driver: a Connection bound to a real socket. */
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/connect.js';
import { SendStatus } from '../../src/websocket/types.js';
import { WebSocket } from '../../src/websocket/websocket.js';
import { settle } from '../helpers/clock.js';
import { eventually } from '../helpers/eventually.js';
import { clientFrame, concat } from '../helpers/frames.js';
import { next, RawClient, startServer, within } from '../helpers/net.js';

/** Counts socket writes made while `fn` runs and for the rest of its tick. */
async function countWrites(fn: () => void): Promise<number> {
  const original = Socket.prototype.write;
  let writes = 0;
  Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
    writes++;
    return (original as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof original;
  try {
    fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    Socket.prototype.write = original;
  }
  return writes;
}

describe('batched writes', () => {
  it('many sends in one tick leave as one write', async (t) => {
    const { url, server } = await startServer(t);
    const ws = await connect(url);
    await eventually(() => server.clients.size > 0, 'the server side');
    const [serverSide] = [...server.clients] as WebSocket[];
    const received: string[] = [];
    ws.on('message', (d) => received.push(String(d)));
    const writes = await countWrites(() => {
      for (let i = 0; i < 100; i++) serverSide!.send(`m${i}`);
    });
    assert.equal(writes, 1);
    await eventually(() => received.length >= 100, 'the messages');
    assert.deepEqual(
      received,
      Array.from({ length: 100 }, (_, i) => `m${i}`),
    );
    ws.close();
  });

  it('replies to everything parsed from one read leave as one write', async (t) => {
    const { port } = await startServer(t, { message: (ws, d) => ws.send(d) });
    const raw = await RawClient.open(port);
    await raw.handshake();
    const burst = concat(
      Array.from({ length: 50 }, (_, i) => clientFrame({ opcode: 1, payload: `r${i}` })),
    );
    let writes = 0;
    const original = Socket.prototype.write;
    Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
      if (this !== raw.socket) writes++;
      return (original as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof original;
    try {
      raw.write(burst);
      await raw.waitFor((r) => r.includes('r49'), 2000, 'the echoes');
    } finally {
      Socket.prototype.write = original;
    }
    assert.equal(writes, 1, 'fifty echoes in one write');
    raw.destroy();
  });
});

describe('closing', () => {
  it('drops a peer that never answers the close frame after closeTimeout (1006)', async (t) => {
    const { port } = await startServer(t, { closeTimeout: 100, open: (ws) => ws.close(1000) });
    const raw = await RawClient.open(port);
    const started = Date.now();
    await raw.handshake();
    await raw.waitClosed(2000);
    assert.equal(
      raw.received.subarray(0, 4).toString('hex'),
      '880203e8',
      'the close frame came first',
    );
    assert.ok(Date.now() - started >= 90, 'not before the timeout');
  });

  it('terminate() drops the connection at once: both sides see 1006', async (t) => {
    const { url } = await startServer(t, { open: (ws) => ws.terminate() });
    const ws = await connect(url);
    const [code] = await next(ws, 'close');
    assert.equal(code, 1006);
    assert.equal(ws.readyState, WebSocket.CLOSED);
  });

  it('readyState goes OPEN -> CLOSING -> CLOSED', async (t) => {
    const { url } = await startServer(t);
    const ws = new WebSocket(url);
    assert.equal(ws.readyState, WebSocket.CONNECTING);
    await next(ws, 'open');
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close(1000);
    assert.equal(ws.readyState, WebSocket.CLOSING);
    await next(ws, 'close');
    assert.equal(ws.readyState, WebSocket.CLOSED);
  });

  it('rejects an invalid close code from the application', async (t) => {
    const { url } = await startServer(t);
    const ws = await connect(url);
    assert.throws(() => ws.close(1006), { code: 'WSX_ERR_INVALID_ARGUMENT' });
    assert.throws(() => ws.close(1000, 'x'.repeat(124)), { code: 'WSX_ERR_INVALID_ARGUMENT' });
    ws.close();
  });
});

describe('ping and pong', () => {
  it('ping() gets the pong back with the payload; ping and pong events fire', async (t) => {
    const pings: string[] = [];
    const { url } = await startServer(t, { ping: (_ws, d) => pings.push(String(d)) });
    const ws = await connect(url);
    ws.ping('are you there');
    const [payload] = await next(ws, 'pong');
    assert.equal(String(payload), 'are you there');
    assert.deepEqual(pings, ['are you there']);
    assert.throws(() => ws.ping(Buffer.alloc(126)), RangeError);
    ws.close();
  });
});

describe('backpressure', () => {
  it('send() reports BACKPRESSURE past the high-water mark, and drain follows', async (t) => {
    let drained = 0;
    const { port, server } = await startServer(t, { drain: () => drained++ });
    const raw = await RawClient.open(port);
    await raw.handshake();
    raw.socket.pause(); // the client stops reading
    await eventually(() => server.clients.size > 0, 'the server side');
    const [ws] = [...server.clients] as WebSocket[];
    // Below the 16 KiB high-water mark, each send succeeds until the kernel's buffers are full.
    const chunk = Buffer.alloc(8 * 1024);
    let status: number = SendStatus.SUCCESS;
    let sends = 0;
    while (status === SendStatus.SUCCESS && sends < 10_000) {
      status = ws!.send(chunk);
      sends++;
      if (status === SendStatus.SUCCESS) await new Promise((r) => setImmediate(r));
    }
    assert.equal(status, SendStatus.BACKPRESSURE, `still SUCCESS after ${sends} sends`);
    assert.ok(ws!.bufferedAmount > 16 * 1024);
    const drainEvent = next(ws!, 'drain', 5000);
    raw.socket.resume();
    await drainEvent;
    assert.equal(drained, 1);
    raw.destroy();
  });
});

describe('reading', () => {
  it('pause() stops delivering messages until resume()', async (t) => {
    let written: Promise<void> | null = null;
    const server2 = await startServer(t, {
      open(ws) {
        ws.send('one');
      },
      // The client asks for 'two' once it has paused; the server says when it is written.
      message(ws) {
        written = new Promise((resolve) => ws.send('two', () => resolve()));
      },
    });
    const ws = await connect(server2.url);
    const got: string[] = [];
    ws.on('message', (d) => {
      got.push(String(d));
      if (got.length === 1) {
        ws.pause();
        ws.send('go');
      }
    });
    await eventually(() => written !== null, "the server to send 'two'");
    await written;
    await settle(); // 'two' is at the client's socket, which is not read
    assert.deepEqual(got, ['one']);
    assert.equal(ws.isPaused, true);
    ws.resume();
    await next(ws, 'message');
    assert.deepEqual(got, ['one', 'two']);
    ws.close();
  });

  it('a peer half-closing without a close frame ends the connection with 1006', async (t) => {
    const { port, server } = await startServer(t);
    const closed = new Promise<number>((resolve) =>
      server.on('connection', (ws: WebSocket) => ws.on('close', (code: number) => resolve(code))),
    );
    const raw = await RawClient.open(port);
    await raw.handshake();
    raw.write(clientFrame({ opcode: 1, payload: 'x' }));
    raw.socket.end();
    assert.equal(await within(closed, 2000, 'close'), 1006);
    await raw.waitClosed();
  });
});

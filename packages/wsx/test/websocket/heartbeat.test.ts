/** Heartbeats and timeouts, on a clock the tests move by hand (no real waiting). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/connect.js';
import type { WebSocket } from '../../src/websocket/websocket.js';
import { ManualClock, settle } from '../helpers/clock.js';
import { clientFrame } from '../helpers/frames.js';
import { next, RawClient, startServer, within } from '../helpers/net.js';

/** The server-side WebSocket of the first connection, and the codes it closes with. */
function firstConnection(server: { on(e: 'connection', l: (ws: WebSocket) => void): unknown }) {
  return new Promise<{ ws: WebSocket; closed: Promise<[number, string]> }>((resolve) => {
    server.on('connection', (ws: WebSocket) => {
      const closed = new Promise<[number, string]>((r) =>
        ws.on('close', (c: number, s: string) => r([c, s])),
      );
      resolve({ ws, closed });
    });
  });
}

/** Ping frames (opcode 9) in what the raw client received. */
function pings(received: Buffer): number {
  let count = 0;
  for (let i = 0; i + 1 < received.length; ) {
    const opcode = received[i]! & 0x0f;
    const length = received[i + 1]! & 0x7f; // server frames here are short and unmasked
    if (opcode === 0x9) count++;
    i += 2 + length;
  }
  return count;
}

describe('heartbeat: ping interval and pong deadline', () => {
  it('pings a silent peer, and terminates it when no pong comes (close reported as 1006)', async (t) => {
    const clock = new ManualClock();
    const { server, port } = await startServer(t, { pingInterval: 1000, pongTimeout: 500, clock });
    const opened = firstConnection(server);
    const raw = await RawClient.open(port);
    t.after(() => raw.destroy());
    await raw.handshake();
    const { closed } = await opened;
    await clock.advance(999);
    assert.equal(pings(raw.received), 0, 'no ping before the interval');
    await clock.advance(1);
    await raw.waitFor((r) => pings(r) === 1, 2000, 'the ping');
    await clock.advance(499);
    assert.equal(raw.socket.destroyed, false, 'not before the pong deadline');
    await clock.advance(1);
    assert.deepEqual(await within(closed, 2000, 'close'), [1006, '']);
    await raw.waitClosed();
  });

  it('keeps a peer that answers (a wsx client pongs automatically) for many intervals', async (t) => {
    const clock = new ManualClock();
    const { server, url } = await startServer(t, { pingInterval: 1000, pongTimeout: 500, clock });
    const opened = firstConnection(server);
    const ws = await connect(url, { pingInterval: 0 });
    const { ws: serverSide } = await opened;
    let pingsSeen = 0;
    serverSide.on('pong', () => pingsSeen++);
    for (let i = 0; i < 10; i++) {
      await clock.advance(1000);
      await settle(10);
    }
    assert.ok(pingsSeen >= 5, `pongs came back (${pingsSeen})`);
    assert.equal(serverSide.readyState, serverSide.OPEN);
    ws.close();
  });

  it('does not ping a peer that keeps talking', async (t) => {
    const clock = new ManualClock();
    const { server, port } = await startServer(t, { pingInterval: 1000, pongTimeout: 500, clock });
    const opened = firstConnection(server);
    const raw = await RawClient.open(port);
    t.after(() => raw.destroy());
    await raw.handshake();
    const { ws } = await opened;
    for (let i = 0; i < 5; i++) {
      const arrived = next(ws, 'pong');
      raw.write(clientFrame({ opcode: 0xa, payload: 'beat' })); // unsolicited pongs
      await arrived;
      await clock.advance(600);
    }
    assert.equal(pings(raw.received), 0);
    raw.destroy();
  });
});

describe('idle timeout', () => {
  it('closes with 1001 after idleTimeout without a message either way', async (t) => {
    const clock = new ManualClock();
    const { url } = await startServer(t, {
      idleTimeout: 5000,
      pingInterval: 0,
      message: (ws, data) => void ws.send(data),
      clock,
    });
    const ws = await connect(url, { pingInterval: 0 });
    await clock.advance(4000);
    ws.send('still here');
    await next(ws, 'message');
    await clock.advance(4000);
    assert.equal(ws.readyState, ws.OPEN, 'the message reset the idle timer');
    const closing = next(ws, 'close');
    await clock.advance(1001);
    const [code, reason] = await closing;
    assert.equal(code, 1001);
    assert.equal(reason, 'idle timeout');
  });
});

describe('opening handshake timeout (server)', () => {
  it('drops a client that connects and sends nothing', async (t) => {
    const { port } = await startServer(t, { handshakeTimeout: 200 });
    const raw = await RawClient.open(port);
    const started = Date.now();
    await raw.waitClosed(3000);
    assert.ok(Date.now() - started >= 150, 'not dropped at once');
  });

  it('answers 503 when the upgrade hook does not decide in time', async (t) => {
    const clock = new ManualClock();
    const { port } = await startServer(t, {
      handshakeTimeout: 1000,
      upgrade: () => new Promise(() => {}),
      clock,
    });
    const raw = await RawClient.open(port);
    raw.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await settle(10);
    await clock.advance(999);
    assert.equal(raw.received.length, 0);
    await clock.advance(1);
    const response = (await raw.waitClosed()).toString();
    assert.match(response, /^HTTP\/1\.1 503 /);
  });
});

describe('close handshake timeout', () => {
  it('drops a peer that does not answer our close frame within closeTimeout', async (t) => {
    const clock = new ManualClock();
    const { server, port } = await startServer(t, { closeTimeout: 3000, pingInterval: 0, clock });
    const opened = firstConnection(server);
    const raw = await RawClient.open(port);
    await raw.handshake();
    const { ws, closed } = await opened;
    ws.close(1000, 'bye');
    await raw.waitFor((r) => r.length >= 2 && r[0] === 0x88, 2000, 'the close frame');
    await clock.advance(2999);
    assert.equal(raw.socket.destroyed, false);
    await clock.advance(1);
    assert.deepEqual(await within(closed, 2000, 'close'), [1006, '']);
  });
});

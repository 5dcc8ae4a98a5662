/** Graceful shutdown: server.close() with many clients, and nothing accepted is lost. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/connect.js';
import { WebSocketServer } from '../../src/server/websocket-server.js';
import { CLOSE_LINGER } from '../../src/websocket/driver.js';
import type { WebSocket } from '../../src/websocket/websocket.js';
import { ManualClock } from '../helpers/clock.js';
import { eventually } from '../helpers/eventually.js';
import { clientFrame } from '../helpers/frames.js';
import { next, RawClient, startServer, within } from '../helpers/net.js';

describe('server.close()', () => {
  it('with 1,000 connected clients: each sees 1001, then close resolves', async (t) => {
    // The server's timers run on a clock that never moves: close() resolving proves that clients
    // that answer are not waited for until a timeout.
    const { server, url } = await startServer(t, { pingInterval: 0, clock: new ManualClock() });
    const clients: WebSocket[] = [];
    for (let i = 0; i < 1000; i += 100) {
      clients.push(
        ...(await Promise.all(
          Array.from({ length: 100 }, () => connect(url, { pingInterval: 0 })),
        )),
      );
    }
    assert.equal(server.clients.size, 1000);
    const codes = clients.map((ws) => next(ws, 'close', 20_000));
    await within(server.close(), 20_000, 'server.close()');
    const seen = await Promise.all(codes);
    assert.ok(seen.every(([code, reason]) => code === 1001 && reason === 'server shutting down'));
    assert.equal(server.clients.size, 0);
    await assert.rejects(connect(url), /ECONNREFUSED/);
  });

  it('delivers what was already sent before the close frame', async (t) => {
    const big = Buffer.alloc(4 * 1024 * 1024, 1);
    const { server, url } = await startServer(t, { pingInterval: 0 });
    const opened = next(server, 'connection');
    const ws = await connect(url, { maxMessageSize: 8 * 1024 * 1024 });
    const messages: Buffer[] = [];
    ws.on('message', (data) => messages.push(data as Buffer));
    const [serverSide] = (await opened) as [WebSocket];
    serverSide.send(big);
    serverSide.send('last words');
    const closing = server.close();
    const [code] = await next(ws, 'close', 10_000);
    await closing;
    assert.equal(code, 1001);
    assert.equal(messages.length, 2);
    assert.equal(messages[0]!.length, big.length);
    assert.equal(String(messages[1]), 'last words');
  });

  it('drops clients that do not answer once closeTimeout has passed', async (t) => {
    const clock = new ManualClock();
    const { server, port } = await startServer(t, { closeTimeout: 300, pingInterval: 0, clock });
    const raw = await RawClient.open(port);
    t.after(() => raw.destroy());
    await raw.handshake();
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await raw.waitFor((r) => r.includes(Buffer.from([0x88])), 5000, 'the close frame');
    await clock.advance(299);
    assert.equal(closed, false, 'not before closeTimeout');
    await clock.advance(1);
    await within(closing, 3000, 'server.close()');
    await raw.waitClosed();
  });

  // Regression, issue 11 #8: 50 clients that answered the close frame but kept their TCP end
  // open held the shutdown for the whole closeTimeout (10 s). Once the closing handshake is done
  // and the server's FIN is flushed, each gets CLOSE_LINGER to close its end.
  it('regression: clients that answer the close but keep TCP open are let go after the linger', async (t) => {
    const clock = new ManualClock();
    const { server, port } = await startServer(t, { closeTimeout: 10_000, pingInterval: 0, clock });
    const clients = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const raw = await RawClient.open(port);
        t.after(() => raw.destroy());
        raw.socket.allowHalfOpen = true; // keeps its end open after the server's FIN
        await raw.handshake();
        return raw;
      }),
    );
    await eventually(() => server.clients.size === 50, 'the clients to be accepted');
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    // Each answers the server's close frame (a masked close 1001), then does nothing.
    await Promise.all(
      clients.map(async (raw) => {
        await raw.waitFor((r) => r.includes(Buffer.from([0x88])), 5000, 'the close frame');
        raw.write(clientFrame({ opcode: 8, payload: Uint8Array.of(0x03, 0xe9) }));
      }),
    );
    await eventually(
      () => clients.every((raw) => raw.ended),
      "the server's FIN to reach every client",
    );
    await clock.advance(CLOSE_LINGER - 1);
    assert.equal(closed, false);
    await clock.advance(1);
    await within(closing, 5000, 'server.close()');
    assert.equal(server.clients.size, 0);
  });

  it('answers 503 to upgrades handed to it once closing (noServer)', async (t) => {
    const http = createServer();
    http.listen(0, '127.0.0.1');
    await next(http, 'listening');
    t.after(() => http.close());
    const wss = new WebSocketServer({ noServer: true });
    http.on('upgrade', (req, socket, head) => void wss.handleUpgrade(req, socket as Socket, head));
    await wss.close();
    const port = (http.address() as AddressInfo).port;
    const raw = await RawClient.open(port);
    t.after(() => raw.destroy());
    raw.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const response = (await raw.waitClosed()).toString();
    assert.match(response, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
  });
});

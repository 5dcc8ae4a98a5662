/** Graceful shutdown: server.close() with many clients, and nothing accepted is lost. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/connect.js';
import { WebSocketServer } from '../../src/server/websocket-server.js';
import type { WebSocket } from '../../src/websocket/websocket.js';
import { next, RawClient, startServer, within } from '../helpers/net.js';

describe('server.close()', () => {
  it('with 1,000 connected clients: each sees 1001, then close resolves', async (t) => {
    const { server, url } = await startServer(t, { pingInterval: 0 });
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
    const started = Date.now();
    await within(server.close(), 20_000, 'server.close()');
    const seen = await Promise.all(codes);
    assert.ok(seen.every(([code, reason]) => code === 1001 && reason === 'server shutting down'));
    assert.equal(server.clients.size, 0);
    assert.ok(
      Date.now() - started < 10_000,
      'clients that answer do not wait for the close timeout',
    );
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
    const { server, port } = await startServer(t, { closeTimeout: 300, pingInterval: 0 });
    const raw = await RawClient.open(port);
    t.after(() => raw.destroy());
    await raw.handshake();
    const started = Date.now();
    await within(server.close(), 3000, 'server.close()');
    assert.ok(Date.now() - started >= 250);
    await raw.waitClosed();
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

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { connect } from '../../src/client/connect.js';
import type { HandshakeError } from '../../src/core/errors.js';
import { reject } from '../../src/server/rejection.js';
import { WebSocketServer } from '../../src/server/websocket-server.js';
import { driverOf, type WebSocket } from '../../src/websocket/websocket.js';
import { eventually } from '../helpers/eventually.js';
import { next, RawClient, startServer, tlsFixtures, within } from '../helpers/net.js';

/** An HTTP server on 127.0.0.1:0, closed when the test ends. */
async function httpServer(
  t: TestContext,
  handler = (_req: IncomingMessage, res: import('node:http').ServerResponse) => res.end('hello'),
) {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await next(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { server, port: (server.address() as AddressInfo).port };
}

function get(
  port: number,
  path: string,
): Promise<{ status: number; body: string; headers: import('node:http').IncomingHttpHeaders }> {
  return within(
    new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
        .on('error', reject)
        .end();
    }),
    5000,
    `GET ${path}`,
  );
}

/** Resolves with the first message a client receives. */
async function firstMessage(ws: WebSocket): Promise<string> {
  const [data] = await next(ws, 'message');
  return String(data);
}

async function expectStatus(url: string, status: number, options = {}): Promise<HandshakeError> {
  const error = (await connect(url, options).then(
    () => assert.fail('the handshake should have failed'),
    (e: unknown) => e,
  )) as HandshakeError;
  assert.equal(error.status, status, error.message);
  return error;
}

describe('standalone server ({ port })', () => {
  it('listens on port 0, echoes through handlers, and reports its address', async (t) => {
    const { url, port, server } = await startServer(t, {
      message(ws, data, isBinary) {
        ws.send(data, { binary: isBinary });
      },
    });
    assert.equal((server.address() as AddressInfo).port, port);
    const ws = await connect(url);
    ws.send('你好 😀');
    assert.equal(await firstMessage(ws), '你好 😀');
    ws.close();
  });

  it('answers a plain HTTP request with 426 Upgrade Required', async (t) => {
    const { port } = await startServer(t);
    const res = await get(port, '/');
    assert.equal(res.status, 426);
    assert.equal(res.headers.upgrade, 'websocket');
  });

  // Regression, issue 11 #5: a head with bare LF line endings got no answer (the server waited
  // for CRLF CRLF or 16 KiB), contrary to docs/server.md. It is answered 400 at once, while the
  // connection is still open for more.
  it('regression: answers a bare-LF request head with 400 at once', async (t) => {
    const { port } = await startServer(t);
    const client = await RawClient.open(port);
    client.write('GET / HTTP/1.1\nHost: localhost\nUpgrade: websocket\n\n');
    const answer = await client.waitFor((r) => r.includes('\r\n\r\n'), 5000, 'the answer');
    assert.match(answer.toString('latin1'), /^HTTP\/1\.1 400 /);
    assert.match(answer.toString('latin1'), /bare LF at byte 14/);
    await client.closed;
  });

  it('reads a request head sent one byte per packet', async (t) => {
    const { port } = await startServer(t);
    const client = await RawClient.open(port);
    const head = `GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: ${'p'.repeat(8000)}\r\n\r\n`;
    for (const byte of head) {
      client.write(byte);
      await new Promise((r) => setImmediate(r));
    }
    const answer = await client.waitFor((r) => r.includes('\r\n\r\n'), 5000, 'the answer');
    assert.match(answer.toString('latin1'), /^HTTP\/1\.1 426 /);
  });

  it('serves wss:// with { port, tls }', async (t) => {
    const { port } = await startServer(t, {
      tls: { key: tlsFixtures.key, cert: tlsFixtures.cert },
      message(ws, data) {
        ws.send(`tls:${data}`);
      },
    });
    const ws = await connect(`wss://localhost:${port}`, { ca: tlsFixtures.ca });
    ws.send('x');
    assert.equal(await firstMessage(ws), 'tls:x');
    ws.close();
  });

  it('tracks clients and forgets them when they close', async (t) => {
    const { url, server } = await startServer(t);
    const ws = await connect(url);
    await eventually(() => !(server.clients.size !== 1), 'the client to be tracked', 2000);
    ws.close();
    await next(ws, 'close');
    await eventually(() => !(server.clients.size !== 0), 'the client to be forgotten', 2000);
  });
});

describe('attached to an existing HTTP server ({ server, path })', () => {
  it('keeps the HTTP routes working and serves several WebSocket servers by path', async (t) => {
    const { server, port } = await httpServer(t);
    const chat = new WebSocketServer({ server, path: '/chat', message: (ws) => ws.send('chat') });
    const feed = new WebSocketServer({ server, path: '/feed', message: (ws) => ws.send('feed') });
    t.after(() => Promise.all([chat.close(), feed.close()]));
    assert.equal((await get(port, '/')).body, 'hello');
    for (const path of ['chat', 'feed']) {
      const ws = await connect(`ws://127.0.0.1:${port}/${path}?x=1`);
      ws.send('?');
      assert.equal(await firstMessage(ws), path);
      ws.close();
    }
    await expectStatus(`ws://127.0.0.1:${port}/other`, 404);
  });

  it('leaves unmatched upgrades to another upgrade listener', async (t) => {
    const { server, port } = await httpServer(t);
    const wss = new WebSocketServer({ server, path: '/ws' });
    t.after(() => wss.close());
    server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      if (req.url === '/theirs')
        socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\n\r\n');
    });
    await expectStatus(`ws://127.0.0.1:${port}/theirs`, 418);
  });

  it('clears a socket timeout the HTTP server set; adds none where there was none', async (t) => {
    const { server, port } = await httpServer(t);
    server.setTimeout(60_000); // Node's http server then sets it on every socket it accepts
    const sockets: (Socket | null)[] = [];
    const socketOf = (ws: WebSocket) => driverOf(ws).transport as Socket | null;
    const attached = new WebSocketServer({ server, open: (ws) => void sockets.push(socketOf(ws)) });
    const standalone = await startServer(t, { open: (ws) => void sockets.push(socketOf(ws)) });
    t.after(() => attached.close());
    const a = await connect(`ws://127.0.0.1:${port}/`);
    const b = await connect(standalone.url);
    await eventually(() => !(sockets.length < 2), 'both connections to open', 5000);
    assert.equal(sockets[0]?.timeout, 0, 'the HTTP server’s timeout is cleared');
    assert.equal(sockets[1]?.timeout, undefined, 'a standalone socket never gets one');
    a.close();
    b.close();
  });
});

describe('noServer and handleUpgrade', () => {
  it('calls back with the WebSocket and does not emit connection itself (as ws)', async (t) => {
    const { server, port } = await httpServer(t);
    const wss = new WebSocketServer({ noServer: true });
    t.after(() => wss.close());
    let connections = 0;
    wss.on('connection', () => connections++);
    server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket as Socket, head, (ws) => ws.send('via callback'));
    });
    const ws = await connect(`ws://127.0.0.1:${port}`);
    assert.equal(await firstMessage(ws), 'via callback');
    assert.equal(connections, 0);
    ws.close();
  });

  it('without a callback, emits connection and resolves with the WebSocket', async (t) => {
    const { server, port } = await httpServer(t);
    const wss = new WebSocketServer({ noServer: true });
    t.after(() => wss.close());
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => ws.send(`hello ${req.url}`));
    let resolved: WebSocket | null = null;
    server.on('upgrade', async (req, socket, head) => {
      resolved = await wss.handleUpgrade(req, socket as Socket, head);
    });
    const ws = await connect(`ws://127.0.0.1:${port}/p`);
    assert.equal(await firstMessage(ws), 'hello /p');
    assert.ok(resolved !== null);
    ws.close();
  });
});

describe('the upgrade hook', () => {
  it('accepts with per-connection data and sees url, query, cookies, origin, address', async (t) => {
    const { url } = await startServer<{ user: string; room: string | null }>(t, {
      async upgrade(req) {
        await new Promise((r) => setImmediate(r));
        assert.equal(req.path, '/room');
        assert.equal(req.origin, 'https://app.example');
        assert.equal(req.remoteAddress, '127.0.0.1');
        assert.deepEqual(req.protocols, []);
        return { user: req.cookies.session ?? 'anonymous', room: req.query.get('name') };
      },
      open(ws) {
        ws.send(`${ws.data.user}@${ws.data.room}`);
      },
    });
    const ws = await connect(`${url}/room?name=lobby`, {
      origin: 'https://app.example',
      headers: { Cookie: 'theme=dark; session=alice' },
    });
    assert.equal(await firstMessage(ws), 'alice@lobby');
    ws.close();
  });

  it('rejects with any status, body and headers', async (t) => {
    const { port } = await startServer(t, {
      upgrade: () => reject(401, 'log in first', { 'WWW-Authenticate': 'Bearer' }),
    });
    const raw = await RawClient.open(port);
    raw.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const response = (await raw.waitClosed()).toString();
    assert.match(response, /^HTTP\/1\.1 401 Unauthorized\r\n/);
    assert.match(response, /\r\nWWW-Authenticate: Bearer\r\n/);
    assert.match(response, /\r\n\r\nlog in first$/);
  });

  it('answers 500 and reports the error when the hook throws', async (t) => {
    const errors: Error[] = [];
    const { server, url } = await startServer(t, {
      upgrade() {
        throw new Error('database down');
      },
    });
    server.on('error', (e: Error) => errors.push(e));
    await expectStatus(url, 500);
    assert.equal(errors[0]?.message, 'database down');
  });

  it('a thrown rejection works like a returned one', async (t) => {
    const { url } = await startServer(t, {
      upgrade() {
        throw reject(429, 'slow down');
      },
    });
    await expectStatus(url, 429);
  });
});

describe('origins and subprotocols', () => {
  it('allowedOrigins: listed origins and requests without Origin pass, others get 403', async (t) => {
    const { url } = await startServer(t, { allowedOrigins: ['https://good.example'] });
    (await connect(url, { origin: 'https://good.example' })).close();
    (await connect(url)).close();
    await expectStatus(url, 403, { origin: 'https://evil.example' });
  });

  it('allowedOrigins compares whole origins after normalisation (case, default port)', async (t) => {
    const { url } = await startServer(t, {
      allowedOrigins: ['https://App.Example.com:443', 'http://localhost:8080'],
    });
    (await connect(url, { origin: 'https://app.example.com' })).close();
    (await connect(url, { origin: 'HTTPS://APP.EXAMPLE.COM' })).close();
    (await connect(url, { origin: 'http://localhost:8080' })).close();
    for (const origin of [
      'https://app.example.co',
      'https://app',
      'https://app.example.com.evil.net',
      'https://app.example.com:8443',
      'http://app.example.com',
      'null',
      'https://app.example.com/path',
    ]) {
      await expectStatus(url, 403, { origin });
    }
  });

  // Regression, issue 11 (first mile): a string was accepted and matched as a substring, so
  // 'https://app.example.co' and 'https://app' got in. Malformed values now throw.
  it('regression: allowedOrigins as a string, or with entries that are not origins, throws', () => {
    const bad: unknown[] = [
      'https://app.example.com',
      ['app.example.com'],
      ['https://app.example.com/'],
      ['https://app.example.com/chat'],
      ['https://user:pw@app.example.com'],
      ['data:text/plain,x'],
      [42],
      42,
    ];
    for (const allowedOrigins of bad) {
      assert.throws(
        () => new WebSocketServer({ noServer: true, allowedOrigins } as never),
        { code: 'WSX_ERR_INVALID_ARGUMENT' },
        JSON.stringify(allowedOrigins),
      );
    }
  });

  it('allowedOrigins as a predicate', async (t) => {
    const { url } = await startServer(t, { allowedOrigins: (o) => o.endsWith('.good.example') });
    (await connect(url, { origin: 'https://a.good.example' })).close();
    await expectStatus(url, 403, { origin: 'https://good.example.evil' });
  });

  it('protocols: the first protocol the client offers that the server speaks', async (t) => {
    const { url } = await startServer(t, { protocols: ['v2', 'v1'] });
    const ws = await connect(url, { protocols: ['v1', 'v2'] });
    assert.equal(ws.protocol, 'v1');
    ws.close();
    const none = await connect(url, { protocols: ['v3'] });
    assert.equal(none.protocol, '');
    none.close();
  });

  it('protocols as a function, and handleProtocols as in ws', async (t) => {
    const a = await startServer(t, { protocols: (offered) => offered.at(-1) ?? null });
    const ws = await connect(a.url, { protocols: ['x', 'y'] });
    assert.equal(ws.protocol, 'y');
    ws.close();
    const b = await startServer(t, { handleProtocols: (set) => (set.has('y') ? 'y' : false) });
    const ws2 = await connect(b.url, { protocols: ['x', 'y'] });
    assert.equal(ws2.protocol, 'y');
    ws2.close();
  });
});

describe('errors in handlers never crash the process', () => {
  for (const kind of ['sync', 'async'] as const) {
    it(`a ${kind} message handler that throws closes that connection with 1011 and reports it`, async (t) => {
      const reported: string[] = [];
      const { url } = await startServer(t, {
        message(ws, data) {
          if (String(data) !== 'boom') return ws.send(`ok:${data}`) && undefined;
          if (kind === 'sync') throw new Error('handler bug');
          return Promise.reject(new Error('handler bug'));
        },
        error(_ws, error) {
          reported.push(error.message);
        },
      });
      const victim = await connect(url);
      const bystander = await connect(url);
      victim.send('boom');
      const [code, reason] = await next(victim, 'close');
      assert.equal(code, 1011);
      assert.equal(reason, '');
      assert.deepEqual(reported, ['handler bug']);
      bystander.send('still there?');
      assert.equal(await firstMessage(bystander), 'ok:still there?');
      bystander.close();
    });
  }

  it("an 'message' listener that throws (ws surface) closes with 1011 and emits error", async (t) => {
    const { server, url } = await startServer(t);
    const errors: Error[] = [];
    server.on('connection', (ws: WebSocket) => {
      ws.on('error', (e: Error) => errors.push(e));
      ws.on('message', () => {
        throw new TypeError('listener bug');
      });
    });
    const ws = await connect(url);
    ws.send('x');
    const [code] = await next(ws, 'close');
    assert.equal(code, 1011);
    assert.equal(errors[0]?.message, 'listener bug');
  });
});

describe('options', () => {
  it('rejects unknown options, ws options it replaces, and ambiguous modes', () => {
    assert.throws(
      () => new WebSocketServer({ noServer: true, bogus: 1 } as never),
      /unknown WebSocketServer option 'bogus'/,
    );
    assert.throws(
      () => new WebSocketServer({ noServer: true, verifyClient: () => true } as never),
      /use the 'upgrade' hook/,
    );
    assert.throws(() => new WebSocketServer({}), /exactly one of 'port', 'server' or 'noServer/);
    assert.throws(() => new WebSocketServer({ port: 0, noServer: true }), /exactly one/);
    assert.throws(
      () => new WebSocketServer({ noServer: true, perMessageDeflate: { memLevel: 0 } }),
      /perMessageDeflate memLevel/,
    );
    assert.throws(
      () => new WebSocketServer({ noServer: true, path: 'chat' }),
      /must start with '\/'/,
    );
    assert.throws(() => new WebSocketServer({ noServer: true, maxPayload: -1 }), /non-negative/);
  });

  it('maxPayload (the ws name) limits messages: 1009 beyond it', async (t) => {
    const { url } = await startServer(t, { maxPayload: 1000, message: (ws, d) => ws.send(d) });
    const ws = await connect(url);
    ws.send(Buffer.alloc(1000));
    assert.equal((await next(ws, 'message'))[0] instanceof Buffer, true);
    ws.send(Buffer.alloc(1001));
    const [code] = await next(ws, 'close');
    assert.equal(
      code,
      1009,
      'the server fails the connection, and the client receives its close frame',
    );
  });

  it("the 'headers' event lets listeners add response headers (as ws)", async (t) => {
    const { server, port } = await startServer(t);
    server.on('headers', (headers: string[]) => headers.push('Set-Cookie: seen=1'));
    const raw = await RawClient.open(port);
    raw.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const head = (await raw.waitFor((r) => r.includes('\r\n\r\n'))).toString();
    assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(head, /\r\nSet-Cookie: seen=1\r\n/);
    raw.destroy();
  });
});

describe('close()', () => {
  it('sends 1001 to every client, waits for them, and stops accepting', async (t) => {
    const { server, url } = await startServer(t);
    const clients = await Promise.all([connect(url), connect(url), connect(url)]);
    const closes = clients.map((ws) => next(ws, 'close'));
    await server.close();
    for (const [code, reason] of await Promise.all(closes)) {
      assert.equal(code, 1001);
      assert.equal(reason, 'server shutting down');
    }
    await assert.rejects(connect(url), /ECONNREFUSED/);
  });
});

describe("an attached server's HTTP errors", () => {
  it("are not thrown as the WebSocketServer's unhandled 'error'; passed on to its listeners", async (t) => {
    const http = createServer();
    http.on('error', () => {}); // the application handles its server's errors itself
    const wss = new WebSocketServer({ server: http });
    t.after(() => wss.close());
    http.emit('error', new Error('EADDRINUSE, say'));
    const seen: Error[] = [];
    wss.on('error', (error) => seen.push(error));
    http.emit('error', new Error('and again'));
    assert.deepEqual(
      seen.map((e) => e.message),
      ['and again'],
    );
  });
});

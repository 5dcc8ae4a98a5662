import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { connect } from '../../src/client/connect.js';
import { ConnectionClosedError, type HandshakeError } from '../../src/core/errors.js';
import { computeAccept } from '../../src/core/server-handshake.js';
import { SendStatus } from '../../src/websocket/types.js';
import { WebSocket } from '../../src/websocket/websocket.js';
import { frame } from '../helpers/frames.js';
import { next, startServer, tlsFixtures, within } from '../helpers/net.js';

/** A raw TCP server on 127.0.0.1:0 that runs `onSocket` for each connection. */
async function rawServer(
  t: TestContext,
  onSocket: (socket: Socket, request: string) => void,
): Promise<number> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    let head = '';
    socket.on('data', function onData(chunk) {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      onSocket(socket, head);
    });
  });
  server.listen(0, '127.0.0.1');
  await next(server, 'listening');
  const sockets = new Set<Socket>();
  server.on('connection', (s) => sockets.add(s));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** The 101 a server would send for the key in `request`. */
function accept(request: string, extra = ''): string {
  const key = /sec-websocket-key: *(\S+)/i.exec(request)?.[1] ?? '';
  return (
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${computeAccept(key)}\r\n${extra}\r\n`
  );
}

async function failure(promise: Promise<unknown>): Promise<HandshakeError & { code?: string }> {
  return (await promise.then(
    () => assert.fail('expected the connection to fail'),
    (e: unknown) => e,
  )) as HandshakeError;
}

describe('connect(): what comes back when the peer is not a WebSocket server', () => {
  it('names the HTTP status line of a plain web server', async (t) => {
    const http = createHttpServer((_req, res) => {
      res.writeHead(404, 'Not Found');
      res.end('nope');
    });
    http.listen(0, '127.0.0.1');
    await next(http, 'listening');
    t.after(() => http.close());
    const error = await failure(
      connect(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/x`),
    );
    assert.equal(error.code, 'WSX_ERR_UNEXPECTED_STATUS');
    assert.equal(error.status, 404);
    assert.match(error.message, /HTTP\/1\.1 404 Not Found/);
  });

  it('says the connection closed before the handshake completed', async (t) => {
    const port = await rawServer(t, (socket) => socket.end());
    const error = await failure(connect(`ws://127.0.0.1:${port}`));
    assert.equal(error.code, 'WSX_ERR_HANDSHAKE_CLOSED');
    assert.match(error.message, /connection closed before the handshake completed/);
  });

  it('times out a server that never answers', async (t) => {
    const port = await rawServer(t, () => {});
    const error = await failure(connect(`ws://127.0.0.1:${port}`, { handshakeTimeout: 100 }));
    assert.equal(error.code, 'WSX_ERR_HANDSHAKE_TIMEOUT');
  });

  it('reports a refused connection', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await next(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const error = await failure(connect(`ws://127.0.0.1:${port}`));
    assert.equal(error.code, 'ECONNREFUSED');
  });

  it('fails on a wrong Sec-WebSocket-Accept and on a subprotocol that was not offered', async (t) => {
    const bad = await rawServer(t, (s) =>
      s.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n',
      ),
    );
    assert.equal((await failure(connect(`ws://127.0.0.1:${bad}`))).code, 'WSX_ERR_INVALID_ACCEPT');
    const rogue = await rawServer(t, (s, req) =>
      s.write(accept(req, 'Sec-WebSocket-Protocol: evil\r\n')),
    );
    const error = await failure(connect(`ws://127.0.0.1:${rogue}`, { protocols: ['good'] }));
    assert.equal(error.code, 'WSX_ERR_UNEXPECTED_PROTOCOL');
  });

  it('rejects bad URLs and unknown options at once', () => {
    assert.throws(() => new WebSocket('ftp://x'), /ws: or wss:/);
    assert.throws(() => new WebSocket('ws://x/#frag'), /no fragment/);
    assert.throws(() => new WebSocket('not a url'), /invalid WebSocket URL/);
    assert.throws(
      () => new WebSocket('ws://x', { bogus: true } as never),
      /unknown client option 'bogus'/,
    );
    assert.throws(
      () => new WebSocket('ws://x', { perMessageDeflate: { level: 12 } }),
      /perMessageDeflate level/,
    );
  });
});

describe('connect(): the opening handshake', () => {
  it('sends custom headers, origin and subprotocols', async (t) => {
    let seen: { headers: Record<string, unknown>; protocols: readonly string[] } | null = null;
    const { url } = await startServer(t, {
      protocols: ['b'],
      upgrade(req) {
        seen = { headers: { ...req.headers }, protocols: req.protocols };
        return undefined;
      },
    });
    const ws = await connect(url, {
      headers: { Authorization: 'Bearer t0k3n' },
      origin: 'https://o.example',
      protocols: ['a', 'b'],
    });
    assert.equal(ws.protocol, 'b');
    assert.equal(seen!.headers.authorization, 'Bearer t0k3n');
    assert.equal(seen!.headers.origin, 'https://o.example');
    assert.deepEqual(seen!.protocols, ['a', 'b']);
    ws.close();
  });

  it("'upgrade' carries the 101 received and the request head sent", async (t) => {
    const { url } = await startServer(t, { protocols: ['b'] });
    const ws = new WebSocket(url, ['b'], { headers: { 'X-Trace': 'abc' } });
    const [response, request] = (await next(ws, 'upgrade')) as [
      { status: number; headers: { get(name: string): string | undefined } },
      Uint8Array,
    ];
    assert.equal(response.status, 101);
    assert.equal(response.headers.get('sec-websocket-protocol'), 'b');
    const head = Buffer.from(request).toString('latin1');
    assert.match(head, /^GET \/ HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n/);
    assert.match(head, /\r\nX-Trace: abc\r\n/);
    assert.match(head, /\r\nSec-WebSocket-Protocol: b\r\n/);
    assert.ok(head.endsWith('\r\n\r\n'));
    const key = /Sec-WebSocket-Key: (\S+)/.exec(head)![1]!;
    assert.equal(response.headers.get('sec-websocket-accept'), computeAccept(key));
    ws.close();
  });

  it('reads frames that arrive in the same packet as the 101', async (t) => {
    const port = await rawServer(t, (socket, req) => {
      socket.write(
        Buffer.concat([Buffer.from(accept(req), 'latin1'), frame({ opcode: 1, payload: 'first' })]),
      );
    });
    const ws = await connect(`ws://127.0.0.1:${port}`);
    for await (const message of ws) {
      assert.equal(message, 'first');
      break;
    }
    ws.terminate();
  });

  it('keeps the close frame that arrives with the 101, even when TCP closes right after', async (t) => {
    const port = await rawServer(t, (socket, req) => {
      const close = frame({ opcode: 8, payload: Buffer.from([0x0f, 0xa0, 0x62, 0x79, 0x65]) }); // 4000 'bye'
      socket.end(Buffer.concat([Buffer.from(accept(req), 'latin1'), close]));
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    const [code, reason] = await next(ws, 'close');
    assert.equal(code, 4000);
    assert.equal(reason, 'bye');
  });

  it('connects over wss:// with a private CA, and refuses an untrusted certificate', async (t) => {
    const { port } = await startServer(t, {
      tls: { key: tlsFixtures.key, cert: tlsFixtures.cert },
    });
    const ws = await connect(`wss://localhost:${port}`, { ca: tlsFixtures.ca });
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
    const error = await failure(connect(`wss://localhost:${port}`));
    assert.match(String(error.code), /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  });
});

describe('messages and the async iterator', () => {
  it('yields strings and Buffers, and ends on a normal close', async (t) => {
    const { url } = await startServer(t, {
      open(ws) {
        ws.send('text');
        ws.send(Buffer.from([1, 2, 3]));
        ws.close(1000);
      },
    });
    const ws = await connect(url);
    const got: unknown[] = [];
    for await (const m of ws) got.push(m);
    assert.deepEqual(got, ['text', Buffer.from([1, 2, 3])]);
  });

  it('throws ConnectionClosedError with both close frames on an abnormal close', async (t) => {
    const { url } = await startServer(t, { open: (ws) => ws.close(4000, 'kicked') });
    const ws = await connect(url);
    const error = await (async () => {
      try {
        for await (const _ of ws) {
          // no messages expected
        }
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(error instanceof ConnectionClosedError);
    assert.deepEqual(error.received, { code: 4000, reason: 'kicked' });
    assert.deepEqual(error.sent, { code: 4000, reason: '' });
    assert.equal(error.receivedThenSent, true);
  });

  it('throws with no received frame (1006) when the server drops the connection', async (t) => {
    const { url } = await startServer(t, { open: (ws) => ws.terminate() });
    const ws = await connect(url);
    await assert.rejects(
      (async () => {
        for await (const _ of ws) {
          // none
        }
      })(),
      (e: unknown) => e instanceof ConnectionClosedError && e.received === null && e.sent === null,
    );
  });

  it('delivers ArrayBuffers with binaryType arraybuffer', async (t) => {
    const { url } = await startServer(t, { open: (ws) => ws.send(Buffer.from([9])) });
    const ws = await connect(url, { binaryType: 'arraybuffer' });
    const [data, isBinary] = await next(ws, 'message');
    assert.ok(data instanceof ArrayBuffer);
    assert.equal(isBinary, true);
    ws.close();
  });

  it('fails with 1009 when the server sends more than maxMessageSize', async (t) => {
    const { url } = await startServer(t, { open: (ws) => ws.send(Buffer.alloc(2000)) });
    const ws = await connect(url, { maxMessageSize: 1000 });
    const errors: Error[] = [];
    ws.on('error', (e: Error) => errors.push(e));
    await next(ws, 'close');
    assert.equal((errors[0] as { code?: string }).code, 'WSX_ERR_FRAME_TOO_BIG');
  });
});

describe('sending', () => {
  it('throws while CONNECTING, returns DROPPED with an error callback after close', async (t) => {
    const { url } = await startServer(t);
    const ws = new WebSocket(url);
    assert.throws(() => ws.send('early'), { code: 'WSX_ERR_INVALID_STATE' });
    await next(ws, 'open');
    ws.close();
    const error = await within(
      new Promise<Error | undefined>((resolve) => {
        assert.equal(ws.send('late', resolve), SendStatus.DROPPED);
      }),
      2000,
      'the send callback',
    );
    assert.equal((error as { code?: string }).code, 'WSX_ERR_INVALID_STATE');
  });

  it('calls back once the data is written, and sends fragments with fin: false', async (t) => {
    const { url } = await startServer(t, { message: (ws, data) => ws.send(data) });
    const ws = await connect(url);
    await within(
      new Promise<void>((resolve, reject) => ws.send('a', (e) => (e ? reject(e) : resolve()))),
      2000,
      'callback',
    );
    const [echo] = await next(ws, 'message');
    assert.equal(String(echo), 'a');
    ws.send('Hel', { fin: false });
    ws.send('lo', { fin: true });
    const [whole] = await next(ws, 'message');
    assert.equal(String(whole), 'Hello');
    ws.close();
  });

  it('close() while CONNECTING aborts: error, then close 1006', async (t) => {
    const { url } = await startServer(t);
    const ws = new WebSocket(url);
    const errors: Error[] = [];
    ws.on('error', (e: Error) => errors.push(e));
    ws.close();
    const [code] = await next(ws, 'close');
    assert.equal(code, 1006);
    assert.match(errors[0]?.message ?? '', /closed before the connection was established/);
  });
});

/**
 * The client over HTTP/2 (RFC 8441): `http2: true | 'auto'`, sessions pooled per origin (and
 * closed with their last stream), the fallback to HTTP/1.1, refusals, redirects, proxies,
 * reconnection, the WHATWG class, cleartext h2c, full sessions and the handshake timeout.
 */

import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  createSecureServer,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import {
  type AddressInfo,
  createServer as createNetServer,
  connect as netConnect,
  type Socket,
} from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { connect } from '../../src/client/connect.js';
import { WebSocket as WhatwgWebSocket } from '../../src/client/whatwg.js';
import { ErrorCode, type HandshakeError, UsageError } from '../../src/core/errors.js';
import type { Http2UpgradeRequest } from '../../src/server/http2-request.js';
import type { ServerOptions } from '../../src/server/options.js';
import { reject } from '../../src/server/rejection.js';
import { WebSocketServer } from '../../src/server/websocket-server.js';
import { WebSocket } from '../../src/websocket/websocket.js';
import { ManualClock } from '../helpers/clock.js';
import { eventually } from '../helpers/eventually.js';
import { closeAtEnd } from '../helpers/http2.js';
import { next, startServer, tlsFixtures, within } from '../helpers/net.js';

const ca = tlsFixtures.ca;
const tls = { key: tlsFixtures.key, cert: tlsFixtures.cert };

/** A standalone HTTP/2 echo server; records the session of every WebSocket it accepts. */
async function echoServer(t: TestContext, options: Omit<ServerOptions, 'port'> = {}) {
  const started = await startServer(t, {
    tls,
    http2: true,
    message: (ws, data, isBinary) => ws.send(data, { binary: isBinary }),
    ...options,
  });
  const sessions: (Http2Session | undefined)[] = [];
  const versions: string[] = [];
  started.server.on('connection', (_ws, req) => {
    versions.push(req.httpVersion);
    if (req.httpVersion === '2.0') sessions.push((req as Http2UpgradeRequest).session);
  });
  return { ...started, sessions, versions, origin: `wss://localhost:${started.port}` };
}

async function echo(ws: WebSocket, text: string): Promise<string> {
  const answer = next(ws, 'message');
  ws.send(text);
  return ((await answer)[0] as Buffer).toString();
}

describe('connect() with http2', () => {
  it('true: WebSockets to one origin share one session, which closes with its last stream', async (t) => {
    const { origin, sessions } = await echoServer(t);
    const first = await connect(`${origin}/a`, { ca, http2: true });
    const second = await connect(`${origin}/b`, { ca, http2: true });
    const rest = await Promise.all(
      [1, 2, 3].map(() => connect(`${origin}/c`, { ca, http2: true })),
    );
    assert.equal(sessions.length, 5);
    assert.equal(new Set(sessions).size, 1, 'one HTTP/2 session for all five');
    assert.equal(await echo(first, '你好 😀'), '你好 😀');
    assert.equal(await echo(rest[2]!, 'three'), 'three');
    const session = sessions[0]!;
    for (const ws of [first, second, ...rest.slice(0, 2)]) {
      ws.close();
      await next(ws, 'close');
    }
    assert.equal(session.closed, false, 'one WebSocket still uses it');
    const sessionClosed = next(session, 'close');
    rest[2]!.close();
    await sessionClosed;
    const again = await connect(`${origin}/d`, { ca, http2: true });
    assert.notEqual(sessions.at(-1), session, 'a new session after the last one closed');
    again.close();
  });

  it("'auto' uses HTTP/2 when offered, and falls back to HTTP/1.1 on the same connection when ALPN says so", async (t) => {
    const h2 = await echoServer(t);
    const ws2 = await connect(`${h2.origin}/`, { ca, http2: 'auto' });
    assert.deepEqual(h2.versions, ['2.0']);
    const h1 = await startServer(t, { tls, message: (ws, data) => ws.send(data) });
    const arrived = next(h1.server, 'connection');
    const ws1 = await connect(`wss://localhost:${h1.port}/`, { ca, http2: 'auto' });
    assert.equal(((await arrived)[1] as { httpVersion: string }).httpVersion, '1.1');
    assert.equal(await echo(ws1, 'over HTTP/1.1'), 'over HTTP/1.1');
    await assert.rejects(
      connect(`wss://localhost:${h1.port}/`, { ca, http2: true }),
      (error: HandshakeError) =>
        error.code === ErrorCode.NO_EXTENDED_CONNECT &&
        /does not speak HTTP\/2/.test(error.message),
    );
    ws1.close();
    ws2.close();
  });

  it("'auto' falls back when the server's HTTP/2 has no extended CONNECT; true fails", async (t) => {
    const h2 = createSecureServer({ ...tls, allowHTTP1: true });
    closeAtEnd(t, h2);
    const wss = new WebSocketServer({ server: h2, http2: false, message: (ws) => ws.send('h1') });
    t.after(() => wss.close());
    h2.listen(0, '127.0.0.1');
    await once(h2, 'listening');
    const url = `wss://localhost:${(h2.address() as AddressInfo).port}/`;
    const ws = await connect(url, { ca, http2: 'auto' });
    assert.equal(await echo(ws, 'x'), 'h1');
    ws.close();
    await assert.rejects(
      connect(url, { ca, http2: true }),
      (error: HandshakeError) =>
        error.code === ErrorCode.NO_EXTENDED_CONNECT && /RFC 8441 §3/.test(error.message),
    );
  });

  it('a refusal over HTTP/2 carries the status and the body', async (t) => {
    const { origin } = await echoServer(t, { upgrade: () => reject(403, 'not you\n') });
    await assert.rejects(connect(`${origin}/`, { ca, http2: true }), (error: HandshakeError) => {
      assert.equal(error.code, ErrorCode.UNEXPECTED_STATUS);
      assert.equal(error.status, 403);
      assert.equal(Buffer.from(error.response!.body).toString(), 'not you\n');
      assert.match(error.message, /not you/);
      return true;
    });
  });

  it('follows a redirect given as an HTTP/2 answer, when asked to', async (t) => {
    const wss = new WebSocketServer({ noServer: true, message: (ws) => ws.send('moved here') });
    t.after(() => wss.close());
    const h2 = createSecureServer({ ...tls, settings: { enableConnectProtocol: true } });
    closeAtEnd(t, h2);
    h2.on(
      'stream',
      (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _f: number, raw: string[]) => {
        if (headers[':path'] === '/old')
          stream.respond({ ':status': 302, location: '/new' }, { endStream: true });
        else void wss.handleStream(stream, headers, raw);
      },
    );
    h2.listen(0, '127.0.0.1');
    await once(h2, 'listening');
    const base = `wss://localhost:${(h2.address() as AddressInfo).port}`;
    await assert.rejects(
      connect(`${base}/old`, { ca, http2: true }),
      /302.*Location: \/new \(set followRedirects/,
    );
    const ws = await connect(`${base}/old`, { ca, http2: true, followRedirects: true });
    assert.equal(ws.url, `${base}/new`);
    assert.equal(await echo(ws, 'x'), 'moved here');
    ws.close();
  });

  it('through an HTTP proxy: one CONNECT tunnel, then HTTP/2 inside it for every WebSocket', async (t) => {
    const { origin, port, sessions } = await echoServer(t);
    const tunnels: string[] = [];
    const proxy = createNetServer((client: Socket) => {
      client.on('error', () => {});
      client.once('data', (head: Buffer) => {
        const target = head.toString('latin1').split(' ')[1]!;
        tunnels.push(target);
        const upstream = netConnect(port, '127.0.0.1', () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          client.pipe(upstream).pipe(client);
        });
        upstream.on('error', () => client.destroy());
      });
    });
    const sockets = new Set<Socket>();
    proxy.on('connection', (s: Socket) => sockets.add(s));
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    t.after(() => {
      for (const s of sockets) s.destroy();
      proxy.close();
    });
    const options = {
      ca,
      http2: true as const,
      proxy: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    };
    const all = await Promise.all([1, 2, 3].map(() => connect(`${origin}/`, options)));
    assert.deepEqual(tunnels, [`localhost:${port}`]);
    assert.equal(new Set(sessions).size, 1);
    assert.equal(await echo(all[1]!, 'tunnelled'), 'tunnelled');
    for (const ws of all) ws.close();
  });

  it('reconnects over HTTP/2', async (t) => {
    const { server, origin, versions } = await echoServer(t);
    const rws = await connect(`${origin}/`, {
      ca,
      http2: true,
      reconnect: { initialDelay: 10, jitter: 0 },
    });
    const reconnected = next(rws, 'reconnected');
    for (const ws of server.clients) ws.terminate();
    await reconnected;
    assert.deepEqual(versions, ['2.0', '2.0']);
    rws.close();
  });

  it('the WHATWG class takes http2 among its Node options', async (t) => {
    const { origin, versions } = await echoServer(t, { protocols: ['p'] });
    const ws = new WhatwgWebSocket(`${origin}/`, ['p'], { ca, http2: true });
    ws.binaryType = 'arraybuffer';
    await within(once(ws, 'open'), 5000, 'open');
    const message = once(ws, 'message');
    ws.send('whatwg');
    const [event] = (await within(message, 5000, 'message')) as [MessageEvent];
    assert.equal(event.data, 'whatwg');
    const closed = once(ws, 'close');
    ws.close(1000, 'done');
    const [close] = (await within(closed, 5000, 'close')) as [{ wasClean: boolean }];
    assert.equal(close.wasClean, true);
    assert.equal(ws.protocol, 'p');
    assert.deepEqual(versions, ['2.0']);
  });

  it('ws:// with http2: true speaks cleartext h2c (prior knowledge)', async (t) => {
    const { server, url } = await startServer(t, { http2: true, message: (ws, d) => ws.send(d) });
    const arrived = next(server, 'connection');
    const ws = await connect(`${url}/`, { http2: true });
    assert.equal(((await arrived)[1] as { httpVersion: string }).httpVersion, '2.0');
    assert.equal(await echo(ws, 'h2c'), 'h2c');
    ws.close();
  });

  it("opens another session when one is full (the server's maxConcurrentStreams)", async (t) => {
    const { origin, sessions } = await echoServer(t, {
      http2: { settings: { maxConcurrentStreams: 2 } },
    });
    const all: WebSocket[] = [];
    for (let i = 0; i < 5; i++) all.push(await connect(`${origin}/`, { ca, http2: true }));
    assert.equal(new Set(sessions).size, 3);
    for (const ws of all) ws.close();
  });

  it('times out on a server that never answers the extended CONNECT, and resets the stream', async (t) => {
    const clock = new ManualClock();
    const h2 = createSecureServer({ ...tls, settings: { enableConnectProtocol: true } });
    closeAtEnd(t, h2);
    const streams: ServerHttp2Stream[] = [];
    h2.on('stream', (stream: ServerHttp2Stream) => streams.push(stream));
    h2.listen(0, '127.0.0.1');
    await once(h2, 'listening');
    const url = `wss://localhost:${(h2.address() as AddressInfo).port}/`;
    const failed = connect(url, { ca, http2: true, clock, handshakeTimeout: 3000 });
    const checked = assert.rejects(failed, (error: HandshakeError) => {
      assert.equal(error.code, ErrorCode.HANDSHAKE_TIMEOUT);
      assert.match(error.message, /extended CONNECT/);
      return true;
    });
    await eventually(() => streams.length === 1, 'the extended CONNECT');
    const reset = once(streams[0]!, 'close');
    await clock.advance(3000);
    await checked;
    await within(reset, 5000, 'the stream to be reset');
    assert.equal(streams[0]!.rstCode, 8, 'CANCEL');
  });

  it('options: http2 is true, false or auto; headers HTTP/2 forbids are refused at once', () => {
    assert.throws(() => new WebSocket('wss://localhost:1/', { http2: 'yes' as never }), UsageError);
    assert.throws(
      () =>
        new WebSocket('wss://localhost:1/', { http2: true, headers: { Connection: 'keep-alive' } }),
      UsageError,
    );
  });
});

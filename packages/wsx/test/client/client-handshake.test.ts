import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { connect } from '../../src/client/connect.js';
import type { HandshakeError } from '../../src/core/errors.js';
import { reject } from '../../src/server/rejection.js';
import { next, startServer, tlsFixtures } from '../helpers/net.js';

type Headers = IncomingMessage['headers'];

/**
 * A plain HTTP(S) server that answers every upgrade on a path of `routes` with that redirect,
 * and records each request's path and headers.
 */
async function redirector(
  t: TestContext,
  routes: Record<string, [status: number, location: string]>,
  tls = false,
): Promise<{ base: string; seen: { path: string; headers: Headers }[] }> {
  const seen: { path: string; headers: Headers }[] = [];
  const server = tls
    ? createHttpsServer({ cert: tlsFixtures.cert, key: tlsFixtures.key })
    : createHttpServer();
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    const [status, location] = routes[req.url ?? ''] ?? [404, ''];
    socket.end(
      `HTTP/1.1 ${status} Redirect\r\nLocation: ${location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
  });
  server.listen(0, '127.0.0.1');
  await next(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { base: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}`, seen };
}

/** The final WebSocket server; its `upgrade` hook records what arrived. `/old` redirects to `/new`. */
async function target(t: TestContext) {
  const seen: { path: string; headers: Headers }[] = [];
  const started = await startServer(t, {
    upgrade(req) {
      seen.push({ path: req.url.pathname, headers: req.req.headers });
      if (req.url.pathname === '/old') return reject(307, '', { Location: '/new' });
      return undefined;
    },
    message(ws, data) {
      ws.send(`echo:${data}`);
    },
  });
  return { ...started, seen };
}

async function failure(promise: Promise<unknown>): Promise<HandshakeError> {
  return (await promise.then(
    () => assert.fail('expected the connection to fail'),
    (e: unknown) => e,
  )) as HandshakeError;
}

const credentials = { Authorization: 'Bearer t0k3n', Cookie: 'session=1', 'X-Trace': 'abc' };

describe('client redirects', () => {
  it('follows 302, 308 (relative) and 307 (http: Location) to the WebSocket server', async (t) => {
    const final = await target(t);
    const hops = await redirector(t, {
      '/a': [302, '/b?x=1'],
      '/b?x=1': [308, '/c'],
      '/c': [307, `http://127.0.0.1:${final.port}/ws?y=2`],
    });
    const ws = await connect(`${hops.base}/a`, { followRedirects: true });
    assert.equal(ws.url, `ws://127.0.0.1:${final.port}/ws?y=2`);
    ws.send('hi');
    assert.equal(String((await next(ws, 'message'))[0]), 'echo:hi');
    ws.close();
    assert.deepEqual(
      hops.seen.map((s) => s.path),
      ['/a', '/b?x=1', '/c'],
    );
    assert.deepEqual(
      final.seen.map((s) => s.path),
      ['/ws'],
    );
  });

  it('without followRedirects, fails with the status and the Location', async (t) => {
    const hops = await redirector(t, { '/a': [302, 'ws://elsewhere.example/ws'] });
    const error = await failure(connect(`${hops.base}/a`));
    assert.equal(error.code, 'WSX_ERR_UNEXPECTED_STATUS');
    assert.equal(error.status, 302);
    assert.match(
      error.message,
      /302 Redirect.*Location: ws:\/\/elsewhere\.example\/ws \(set followRedirects to follow it\)/,
    );
    assert.equal(hops.seen.length, 1);
  });

  it('stops after maxRedirects', async (t) => {
    const hops = await redirector(t, { '/loop': [301, '/loop'] });
    const error = await failure(
      connect(`${hops.base}/loop`, { followRedirects: true, maxRedirects: 3 }),
    );
    assert.equal(error.code, 'WSX_ERR_TOO_MANY_REDIRECTS');
    assert.equal(error.status, 301);
    assert.match(error.message, /more than 3 redirects \(maxRedirects\)/);
    assert.equal(hops.seen.length, 4);
  });

  it('drops Authorization and Cookie on a redirect to another origin', async (t) => {
    const final = await target(t);
    const hops = await redirector(t, { '/a': [302, `${final.url}/ws`] });
    const ws = await connect(`${hops.base}/a`, { followRedirects: true, headers: credentials });
    ws.close();
    const first = hops.seen[0]!.headers;
    assert.equal(first.authorization, 'Bearer t0k3n', 'the first origin gets them');
    assert.equal(first.cookie, 'session=1');
    const last = final.seen[0]!.headers;
    assert.equal(last.authorization, undefined);
    assert.equal(last.cookie, undefined);
    assert.equal(last['x-trace'], 'abc', 'other headers are kept');
    assert.equal(last.host, `127.0.0.1:${final.port}`);
  });

  it('keeps them on a redirect within the origin', async (t) => {
    const final = await target(t);
    const ws = await connect(`${final.url}/old`, { followRedirects: true, headers: credentials });
    ws.close();
    assert.deepEqual(
      final.seen.map((s) => [s.path, s.headers.authorization, s.headers.cookie]),
      [
        ['/old', 'Bearer t0k3n', 'session=1'],
        ['/new', 'Bearer t0k3n', 'session=1'],
      ],
    );
  });

  it('refuses a wss: to ws: downgrade unless allowInsecureRedirects', async (t) => {
    const final = await target(t);
    const hops = await redirector(t, { '/a': [302, `${final.url}/ws`] }, true);
    const error = await failure(
      connect(`${hops.base}/a`, {
        followRedirects: true,
        ca: tlsFixtures.ca,
        headers: credentials,
      }),
    );
    assert.equal(error.code, 'WSX_ERR_INSECURE_REDIRECT');
    assert.equal(error.status, 302);
    assert.match(error.message, /it leaves TLS \(set allowInsecureRedirects to follow it\)/);
    assert.equal(final.seen.length, 0);
    const ws = await connect(`${hops.base}/a`, {
      followRedirects: true,
      allowInsecureRedirects: true,
      ca: tlsFixtures.ca,
      headers: credentials,
    });
    ws.close();
    assert.equal(final.seen.length, 1);
    assert.equal(final.seen[0]!.headers.authorization, undefined);
  });

  it('refuses a Location that is not a WebSocket URL, or a Unix socket from TCP', async (t) => {
    const hops = await redirector(t, {
      '/ftp': [302, 'ftp://example.com/'],
      '/unix': [302, 'ws+unix:/var/run/docker.sock:/'],
    });
    const ftp = await failure(connect(`${hops.base}/ftp`, { followRedirects: true }));
    assert.equal(ftp.code, 'WSX_ERR_INVALID_REDIRECT');
    assert.match(ftp.message, /cannot follow the redirect to "ftp:\/\/example\.com\/"/);
    const unix = await failure(connect(`${hops.base}/unix`, { followRedirects: true }));
    assert.equal(unix.code, 'WSX_ERR_INVALID_REDIRECT');
    assert.match(unix.message, /from a TCP server to a Unix socket is refused/);
  });

  it('refuses an invalid maxRedirects at once', async () => {
    await assert.rejects(
      connect('ws://127.0.0.1:1', { maxRedirects: -1 }),
      /'maxRedirects' must be/,
    );
  });
});

/** A server that answers every upgrade with `answer` (raw bytes), then ends or keeps the socket. */
async function refuser(t: TestContext, answer: string | Buffer, end = true): Promise<string> {
  const server = createHttpServer();
  server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
    socket.on('error', () => {}); // the client hangs up once it has read enough
    if (end) socket.end(answer);
    else socket.write(answer);
  });
  server.listen(0, '127.0.0.1');
  await next(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('a refused handshake carries the start of the answer body', () => {
  it("wsx's own reject(404, body) reaches the client, with the first line in the message", async (t) => {
    const { port } = await startServer(t, { upgrade: () => reject(404, 'use /room/<name>\n') });
    const error = await failure(connect(`ws://127.0.0.1:${port}/nowhere`));
    assert.equal(error.status, 404);
    assert.equal(error.response?.status, 404);
    assert.equal(Buffer.from(error.response!.body).toString(), 'use /room/<name>\n');
    assert.equal(error.response?.truncated, false);
    assert.equal(error.response?.headers.get('content-length'), '17');
    assert.match(error.message, /404.*use \/room\/<name>/);
  });

  it('reads a chunked body', async (t) => {
    const url = await refuser(
      t,
      'HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;x=y\r\n, world\r\n0\r\n\r\n',
      false,
    );
    const error = await failure(connect(url));
    assert.equal(Buffer.from(error.response!.body).toString(), 'hello, world');
  });

  it('reads a body without a length until the server closes', async (t) => {
    const url = await refuser(t, 'HTTP/1.1 401 Unauthorized\r\n\r\nsign in first');
    const error = await failure(connect(url));
    assert.equal(error.status, 401);
    assert.equal(Buffer.from(error.response!.body).toString(), 'sign in first');
  });

  it('keeps at most 4 KiB of a long body and says it was truncated', async (t) => {
    const body = 'x'.repeat(100_000);
    const url = await refuser(
      t,
      `HTTP/1.1 500 Oops\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    const error = await failure(connect(url));
    assert.equal(error.response!.body.length, 4096);
    assert.equal(error.response!.truncated, true);
    assert.doesNotMatch(error.message, /xxxx/); // a long line is not pasted into the message
  });
});

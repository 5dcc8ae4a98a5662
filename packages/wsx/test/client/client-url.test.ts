import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parseWebSocketUrl, redirectUrl, targetOf } from '../../src/client/client-url.js';
import { connect } from '../../src/client/connect.js';
import { WebSocketServer } from '../../src/server/websocket-server.js';
import { next, tlsFixtures } from '../helpers/net.js';

/**
 * A node:http(s) server on a Unix socket in a fresh temporary directory, with a WebSocketServer
 * attached on `/ws` that echoes and records each upgrade's Host and path. All removed at the end.
 */
async function unixServer(t: TestContext, tls = false) {
  const dir = mkdtempSync(join(tmpdir(), 'wsx-unix-'));
  const path = join(dir, 'server.sock');
  const http: Server = tls
    ? createHttpsServer({ cert: tlsFixtures.cert, key: tlsFixtures.key })
    : createHttpServer();
  const seen: { host: string | undefined; target: string }[] = [];
  const wss = new WebSocketServer({
    server: http,
    path: '/ws',
    upgrade(req) {
      seen.push({ host: req.req.headers.host, target: req.req.url ?? '' });
      return undefined;
    },
    message(ws, data) {
      ws.send(`echo:${data}`);
    },
  });
  http.listen(path);
  await next(http, 'listening');
  t.after(async () => {
    await wss.close();
    await new Promise((resolve) => http.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, seen };
}

describe('ws+unix: URLs', () => {
  it('connects over a Unix socket, Host localhost, the path after the colon', async (t) => {
    const server = await unixServer(t);
    const ws = await connect(`ws+unix:${server.path}:/ws?room=1`);
    assert.equal(ws.url, `ws+unix:${server.path}:/ws?room=1`);
    ws.send('hi');
    assert.equal(String((await next(ws, 'message'))[0]), 'echo:hi');
    ws.close();
    await next(ws, 'close');
    assert.deepEqual(server.seen, [{ host: 'localhost', target: '/ws?room=1' }]);
  });

  it('wss+unix: TLS over a Unix socket, checked against localhost', async (t) => {
    const server = await unixServer(t, true);
    const ws = await connect(`wss+unix:${server.path}:/ws`, { ca: tlsFixtures.ca });
    ws.send('hi');
    assert.equal(String((await next(ws, 'message'))[0]), 'echo:hi');
    ws.close();
  });

  it('fails as any client does when nothing listens on the path', async () => {
    const missing = join(tmpdir(), `wsx-missing-${process.pid}.sock`);
    const error = (await connect(`ws+unix:${missing}:/ws`).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    assert.equal(error.code, 'ENOENT');
  });
});

describe('client URLs', () => {
  it('parses Unix socket URLs into a socket path and a request path', () => {
    const full = targetOf(parseWebSocketUrl('ws+unix:/tmp/my%20app.sock:/chat?room=1'));
    assert.equal(full.socketPath, '/tmp/my app.sock');
    assert.equal(full.path, '/chat?room=1');
    assert.equal(full.hostHeader, 'localhost');
    assert.equal(full.secure, false);
    const bare = targetOf(parseWebSocketUrl('ws+unix:///tmp/app.sock'));
    assert.equal(bare.socketPath, '/tmp/app.sock');
    assert.equal(bare.path, '/');
    assert.equal(targetOf(parseWebSocketUrl('wss+unix:/tmp/app.sock:/')).secure, true);
    assert.throws(
      () => parseWebSocketUrl('ws+unix://host/tmp/app.sock'),
      /ws\+unix:\/path\/to\.sock/,
    );
    assert.throws(() => parseWebSocketUrl('ws+unix:'), /ws\+unix:\/path\/to\.sock/);
    assert.throws(() => parseWebSocketUrl('ws+unix:/tmp/%zz.sock'), /percent-encoding/);
  });

  it('parses TCP URLs: default ports, IPv6, origin', () => {
    const v6 = targetOf(parseWebSocketUrl('https://[::1]/x?y'));
    assert.deepEqual(
      [v6.url.protocol, v6.host, v6.port, v6.hostHeader, v6.path, v6.origin],
      ['wss:', '::1', 443, '[::1]', '/x?y', 'wss://[::1]:443'],
    );
    assert.equal(targetOf(parseWebSocketUrl('ws://a.example:80/')).origin, 'ws://a.example:80');
  });

  it('resolves redirects: relative, http(s) to ws(s), fragment dropped, Unix paths kept', () => {
    const from = new URL('wss://a.example/one/two?q');
    assert.equal(redirectUrl(from, 'three', 302).href, 'wss://a.example/one/three');
    assert.equal(redirectUrl(from, 'http://b.example/x#frag', 302).href, 'ws://b.example/x');
    assert.equal(redirectUrl(from, '//c.example/y', 302).href, 'wss://c.example/y');
    const unix = new URL('ws+unix:/run/app.sock:/one/two');
    assert.equal(redirectUrl(unix, '/new?x=1', 307).href, 'ws+unix:/run/app.sock:/new?x=1');
    assert.equal(redirectUrl(unix, 'sibling', 307).href, 'ws+unix:/run/app.sock:/one/sibling');
    assert.equal(redirectUrl(unix, 'ws://tcp.example/', 307).href, 'ws://tcp.example/');
  });
});

/**
 * `wsx serve` as a child process, driven by the wsx client and by plain HTTP: echo, broadcast,
 * static files (and the paths it refuses), the log on stderr, TLS, graceful shutdown, and a
 * port in use.
 */

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { connect } from '../../src/client/connect.js';
import type { HandshakeError } from '../../src/core/errors.js';
import type { WebSocket } from '../../src/websocket/websocket.js';
import { next, tlsFixtures, within } from '../helpers/net.js';
import { FIXTURES, serve, wsx } from './helpers.js';

const TIMEOUT = { timeout: 20_000 };

async function open(t: TestContext, url: string, options: Parameters<typeof connect>[1] = {}) {
  const ws = (await connect(url, options)) as WebSocket;
  t.after(() => ws.terminate());
  return ws;
}

async function reply(ws: WebSocket): Promise<[Buffer, boolean]> {
  const [data, isBinary] = await next(ws, 'message');
  return [data as Buffer, isBinary as boolean];
}

/** A GET over a raw socket, so the path is sent exactly as written (no normalization). */
async function rawGet(port: number, path: string): Promise<string> {
  const socket = netConnect({ host: '127.0.0.1', port });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  let response = '';
  socket.setEncoding('utf8').on('data', (s: string) => {
    response += s;
  });
  await within(next(socket, 'close'), 5000, `the answer to GET ${path}`);
  return response;
}

function httpGet(url: string): Promise<{ status: number; type: string; body: string }> {
  return within(
    new Promise((resolve, reject) => {
      get(url, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (s: string) => {
          body += s;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
        );
      }).on('error', reject);
    }),
    5000,
    `GET ${url}`,
  );
}

describe('wsx serve', TIMEOUT, () => {
  it('echoes text as text and binary as binary (the default), and logs on stderr', async (t) => {
    const { url, server } = await serve(t, []);
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const ws = await open(t, url);
    ws.send('你好');
    assert.deepEqual(await reply(ws), [Buffer.from('你好'), false]);
    ws.send(Buffer.from([1, 2, 3]));
    assert.deepEqual(await reply(ws), [Buffer.from([1, 2, 3]), true]);
    ws.close(1000, 'bye');
    await next(ws, 'close');
    await server.waitFor(/#1 open from 127\.0\.0\.1:\d+ \//, 'stderr');
    await server.waitFor(/#1 < "你好" \(6 B\)/, 'stderr');
    await server.waitFor(/#1 < \[binary, 3 bytes\] 01 02 03/, 'stderr');
    await server.waitFor(/#1 closed 1000 \(normal closure\) "bye"/, 'stderr');
  });

  it('--broadcast sends every message to every client, the sender included', async (t) => {
    const { url } = await serve(t, ['--broadcast', '--quiet']);
    const [a, b, c] = [await open(t, url), await open(t, url), await open(t, url)];
    const received = [a, b, c].map((ws) => reply(ws));
    a.send('to everyone');
    for (const [data, isBinary] of await Promise.all(received)) {
      assert.equal(data.toString(), 'to everyone');
      assert.equal(isBinary, false);
    }
  });

  it('--path, --subprotocol and --allowed-origin shape what it accepts', async (t) => {
    const { url, server } = await serve(t, [
      '--path',
      '/chat',
      '-p',
      'chat.v2',
      '--allowed-origin',
      'https://ok.test',
    ]);
    assert.match(url, /\/chat$/);
    const ws = await open(t, url, { protocols: ['chat.v1', 'chat.v2'], origin: 'https://ok.test' });
    assert.equal(ws.protocol, 'chat.v2');
    const wrongPath = await connect(url.replace('/chat', '/other')).catch((e: HandshakeError) => e);
    assert.equal((wrongPath as HandshakeError).status, 404);
    const wrongOrigin = await connect(url, { origin: 'https://evil.test' }).catch(
      (e: HandshakeError) => e,
    );
    assert.equal((wrongOrigin as HandshakeError).status, 403);
    const refused =
      /refused 127\.0\.0\.1:\d+ \/chat: 403 origin not allowed \(Origin: https:\/\/evil\.test\)/;
    await server.waitFor(refused, 'stderr');
  });

  it('--static serves the files beside the socket, and refuses what is outside', async (t) => {
    const base = mkdtempSync(join(tmpdir(), 'wsx-static-'));
    const root = join(base, 'public');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<h1>hi</h1>');
    writeFileSync(join(root, 'sub', 'app.js'), 'new WebSocket(location.href)');
    writeFileSync(join(root, '.env'), 'SECRET=1');
    writeFileSync(join(base, 'secret.txt'), 'top secret');
    symlinkSync(join(base, 'secret.txt'), join(root, 'link.txt'));
    const { url, server } = await serve(t, ['--static', root]);
    const http = url.replace('ws:', 'http:');
    const port = Number(new URL(url).port);

    const index = await httpGet(http);
    assert.deepEqual(
      [index.status, index.type, index.body],
      [200, 'text/html; charset=utf-8', '<h1>hi</h1>'],
    );
    const script = await httpGet(`${http}sub/app.js`);
    assert.deepEqual([script.status, script.type], [200, 'text/javascript; charset=utf-8']);
    assert.match(await rawGet(port, '/sub'), /^HTTP\/1\.1 301 [\s\S]*\r\nLocation: \/sub\/\r\n/);
    assert.match(await rawGet(port, '/missing.txt'), /^HTTP\/1\.1 404 /);
    for (const path of [
      '/../secret.txt',
      '/sub/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
    ]) {
      const answer = await rawGet(port, path);
      assert.match(answer, /^HTTP\/1\.1 403 /, path);
      assert.doesNotMatch(answer, /top secret/, path);
    }
    assert.match(
      await rawGet(port, '/link.txt'),
      /^HTTP\/1\.1 403 /,
      'a symbolic link out of the root',
    );
    assert.match(await rawGet(port, '/.env'), /^HTTP\/1\.1 404 /, 'dotfiles stay private');
    await server.waitFor(/GET \/\.\.\/secret\.txt 403/, 'stderr');

    const ws = await open(t, url); // the WebSocket, on the same port
    ws.send('beside the files');
    assert.equal((await reply(ws))[0].toString(), 'beside the files');
  });

  it('serves wss:// with --tls-cert and --tls-key', async (t) => {
    const { url } = await serve(t, [
      '--tls-cert',
      `${FIXTURES}server.crt`,
      '--tls-key',
      `${FIXTURES}server.key`,
      '--quiet',
    ]);
    assert.match(url, /^wss:\/\//);
    const ws = await open(t, url, { ca: tlsFixtures.ca });
    ws.send('secure');
    assert.equal((await reply(ws))[0].toString(), 'secure');
  });

  it('on SIGTERM closes every connection with 1001, then exits 0', async (t) => {
    const { url, server } = await serve(t, []);
    const ws = await open(t, url);
    const closed = next(ws, 'close');
    server.child.kill('SIGTERM');
    assert.equal((await closed)[0], 1001);
    assert.equal(await within(server.exited, 5000, 'wsx serve to exit'), 0);
    assert.match(server.stderr, /SIGTERM: closing every connection with 1001/);
  });

  it('exits 4 with a hint when the port is in use', async (t) => {
    const { url } = await serve(t, ['--quiet']);
    const run = await wsx(['serve', '--port', new URL(url).port]);
    assert.equal(run.code, 4);
    assert.match(run.stderr, /^wsx: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/m);
    assert.match(run.stderr, /hint: another program uses that port/);
  });

  it('exits 2 for invalid options', async () => {
    const both = await wsx(['serve', '--echo', '--broadcast']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /choose --echo or --broadcast, not both/);
    const port = await wsx(['serve', '--port', '70000']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port must be a whole number from 0 to 65,535/);
    const tls = await wsx(['serve', '--tls-cert', 'x.pem']);
    assert.equal(tls.code, 2);
    const dir = await wsx(['serve', '--static', '/no/such/dir']);
    assert.equal(dir.code, 2);
    assert.match(dir.stderr, /--static needs a directory/);
  });
});

/**
 * WebSocket over HTTP/2 (RFC 8441) against independent implementations from Debian:
 * - nghttpx (nghttp2-proxy) as an RFC 8441 client in front of the wsx server: WebSockets reach
 *   nghttpx over HTTP/1.1 and nghttpx opens them on the wsx server as extended CONNECT streams
 *   (`-b ...;proto=h2;tls`);
 * - nghttpx as an RFC 8441 server in front of an HTTP/1.1 wsx server: the wsx client opens
 *   extended CONNECT streams, nghttpx turns each into an HTTP/1.1 Upgrade;
 * - Hypercorn (python3-hypercorn) with an ASGI echo application (python/asgi_echo.py), and
 *   libwebsockets' test server (its lws-mirror-protocol echoes to the sender), as RFC 8441
 *   servers for the wsx client.
 *
 * Every program runs on loopback, on a free port found at runtime, with the test certificate
 * (`-C`/`-K`, `--certfile`/`--keyfile`, nghttpx's key and certificate arguments), and is stopped
 * when its test ends. nghttpx runs with `--conf=/dev/null`: its packaged /etc/nghttpx/nghttpx.conf
 * would add a frontend and a backend of its own.
 */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type ClientOptions,
  Http2UpgradeRequest,
  type HttpResponseHead,
  type UpgradeSource,
  WebSocket,
} from 'wsx';
import {
  assertMessage,
  BINARY,
  bigBinary,
  Inbox,
  MAX_MESSAGE_SIZE,
  nextConnection,
  requireSystemPackage,
  startWsxServer,
  TEXT,
  tls,
  within,
} from './helpers.js';
import { freePort, startProgram } from './processes.js';

const NGHTTPX = '/usr/sbin/nghttpx';
const HYPERCORN = '/usr/bin/hypercorn';
const LWS = '/usr/bin/libwebsockets-test-server';

/** A wsx client WebSocket, opened: its handshake answer and an inbox attached before any frame. */
async function open(
  url: string,
  options: ClientOptions,
): Promise<{ ws: WebSocket; response: HttpResponseHead; inbox: Inbox }> {
  const ws = new WebSocket(url, { ca: tls.ca, maxMessageSize: MAX_MESSAGE_SIZE, ...options });
  const inbox = new Inbox(ws);
  let response: HttpResponseHead | null = null;
  ws.once('upgrade', (head) => {
    response = head;
  });
  await within(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    10_000,
    `a WebSocket to ${url}`,
  );
  return { ws, response: response!, inbox };
}

/** Sends `payload` and checks the echo. */
async function echoes(
  socket: { ws: WebSocket; inbox: Inbox },
  payload: string | Buffer,
): Promise<void> {
  socket.ws.send(payload);
  assertMessage(await socket.inbox.next(), payload);
}

/** The client closes with `code`, `reason`; resolves with what its close event says. */
async function closeFromClient(socket: { ws: WebSocket; inbox: Inbox }, code: number) {
  socket.ws.close(code, 'bye');
  return socket.inbox.close();
}

function nghttpxArgs(front: string, back: string, extra: readonly string[] = []): string[] {
  return [
    '--conf=/dev/null',
    `--frontend=${front}`,
    `--backend=${back}`,
    '--workers=1',
    '--single-thread',
    '--no-ocsp',
    '--errorlog-file=/dev/stderr',
    ...extra,
  ];
}

test('nghttpx as RFC 8441 client: HTTP/1.1 WebSockets become extended CONNECT streams on the wsx server', async (t) => {
  if (!requireSystemPackage(t, existsSync(NGHTTPX), 'nghttp2-proxy')) return;
  const { server, port } = await startWsxServer(t, {
    tls: { key: tls.key, cert: tls.cert },
    http2: true,
    maxMessageSize: MAX_MESSAGE_SIZE,
    message: (ws, data, isBinary) => ws.send(data, { binary: isBinary }),
  });
  const front = await freePort();
  await startProgram(
    t,
    NGHTTPX,
    nghttpxArgs(`127.0.0.1,${front};no-tls`, `127.0.0.1,${port};;proto=h2;tls;sni=localhost`, [
      `--cacert=${tls.caPath}`,
    ]),
    front,
  );
  const sockets = [];
  const requests: UpgradeSource[] = [];
  for (let i = 0; i < 3; i++) {
    const accepted = nextConnection(server);
    sockets.push(await open(`ws://127.0.0.1:${front}/chat`, { perMessageDeflate: false }));
    const { req, ws } = await accepted;
    requests.push(req);
    if (i === 2) ws.close(4002, '再见');
  }
  for (const req of requests) {
    assert.ok(req instanceof Http2UpgradeRequest, `HTTP/${req.httpVersion}`);
    assert.equal(req.method, 'CONNECT');
    assert.equal(req.headers[':protocol'], 'websocket');
    assert.match(String(req.headers.via), /nghttpx/);
  }
  const sessions = new Set(requests.map((req) => (req as Http2UpgradeRequest).session));
  assert.equal(sessions.size, 1, 'nghttpx multiplexes them on one HTTP/2 connection');
  assert.deepEqual(await sockets[2]!.inbox.close(), { code: 4002, reason: '再见' });
  await echoes(sockets[0]!, TEXT);
  await echoes(sockets[0]!, BINARY);
  await echoes(sockets[1]!, bigBinary());
  assert.equal((await closeFromClient(sockets[0]!, 4001)).code, 4001);
  assert.equal((await closeFromClient(sockets[1]!, 1000)).code, 1000);
});

test('nghttpx as RFC 8441 server: the wsx client opens extended CONNECT streams, an HTTP/1.1 wsx server gets Upgrades', async (t) => {
  if (!requireSystemPackage(t, existsSync(NGHTTPX), 'nghttp2-proxy')) return;
  const { server, port } = await startWsxServer(t, {
    maxMessageSize: MAX_MESSAGE_SIZE,
    message: (ws, data, isBinary) => ws.send(data, { binary: isBinary }),
  });
  const front = await freePort();
  await startProgram(
    t,
    NGHTTPX,
    [...nghttpxArgs(`127.0.0.1,${front}`, `127.0.0.1,${port}`), tls.keyPath, tls.certPath],
    front,
  );
  const accepted = nextConnection(server);
  const socket = await open(`wss://localhost:${front}/chat`, { http2: true });
  assert.equal(socket.response.version, 'HTTP/2');
  assert.equal(socket.response.status, 200);
  const { req, ws } = await accepted;
  assert.equal(req.httpVersion, '1.1');
  assert.match(String(req.headers.via), /^2 nghttpx/);
  await echoes(socket, TEXT);
  await echoes(socket, BINARY);
  await echoes(socket, bigBinary());
  const second = await open(`wss://localhost:${front}/chat`, { http2: true });
  await echoes(second, 'a second stream');
  assert.equal((await closeFromClient(second, 4001)).code, 4001);
  const closed = socket.inbox.close();
  ws.close(4002, 'server says bye');
  assert.deepEqual(await closed, { code: 4002, reason: 'server says bye' });
});

test('Hypercorn (ASGI) as RFC 8441 server for the wsx client: streams of one connection', async (t) => {
  if (!requireSystemPackage(t, existsSync(HYPERCORN), 'python3-hypercorn')) return;
  const port = await freePort();
  await startProgram(
    t,
    HYPERCORN,
    [
      '--certfile',
      tls.certPath,
      '--keyfile',
      tls.keyPath,
      '--bind',
      `127.0.0.1:${port}`,
      '--error-logfile',
      '-',
      'asgi_echo:app',
    ],
    port,
    { cwd: fileURLToPath(new URL('./python/', import.meta.url)) },
  );
  const url = `wss://localhost:${port}/echo`;
  const first = await open(url, { http2: true });
  const second = await open(url, { http2: 'auto' });
  for (const { response } of [first, second]) {
    assert.equal(response.version, 'HTTP/2');
    assert.equal(response.headers.get('x-http-version'), '2');
  }
  assert.equal(
    first.response.headers.get('x-client-port'),
    second.response.headers.get('x-client-port'),
    'one TCP connection for both',
  );
  await echoes(first, TEXT);
  await echoes(second, BINARY);
  await echoes(first, bigBinary());
  // Both closed in the same turn: Hypercorn 0.13.2 resets every stream of a connection (and
  // closes it) once a client ends one WebSocket stream after its closing handshake, RFC 8441
  // §5's orderly close, so a socket closed after another would see 1006 (docs/http2.md).
  const closed = await Promise.all([closeFromClient(first, 4001), closeFromClient(second, 1000)]);
  assert.deepEqual(
    closed.map((c) => c.code),
    [4001, 1000],
  );
});

test("libwebsockets' test server as RFC 8441 server for the wsx client", async (t) => {
  if (!requireSystemPackage(t, existsSync(LWS), 'libwebsockets-test-server')) return;
  const port = await freePort();
  // -s TLS, -n no dumb-increment traffic, -i the address to listen on, -C/-K the test certificate.
  await startProgram(
    t,
    LWS,
    ['-s', '-n', '-p', String(port), '-i', '127.0.0.1', '-C', tls.certPath, '-K', tls.keyPath],
    port,
  );
  const mirror = { http2: true as const, protocols: ['lws-mirror-protocol'] };
  const socket = await open(`wss://localhost:${port}/`, mirror);
  assert.equal(socket.response.version, 'HTTP/2');
  assert.equal(socket.ws.protocol, 'lws-mirror-protocol');
  await echoes(socket, TEXT); // the mirror sends it to everyone on it, the sender included
  await echoes(socket, `${TEXT} again`);
  assert.equal((await closeFromClient(socket, 1000)).code, 1000);
});

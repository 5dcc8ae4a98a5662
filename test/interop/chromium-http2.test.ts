/**
 * wsx against a real browser over HTTP/2 (RFC 8441): Debian's Chromium, driven by playwright-core,
 * loads an https page from a `node:http2` server (with a `request` handler, as an application
 * has: the trap where Node answers CONNECT 405) carrying a wsx server (`{ server }`). The page's
 * `new WebSocket()` calls must arrive as extended CONNECT streams on the page's own HTTP/2
 * session, which the server side checks for every socket: one TCP+TLS connection for the page
 * and all its WebSockets.
 *
 * The certificate is trusted by its SPKI hash (chromium-browser.ts).
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2Session, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, type TestContext, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Http2UpgradeRequest, type ServerOptions, type WebSocket, WebSocketServer } from 'wsx';
import { chromiumAvailable, launchChromium } from './chromium-browser.js';
import {
  assertMessage,
  assertReport,
  BINARY,
  bigBinary,
  bigText,
  Inbox,
  MAX_MESSAGE_SIZE,
  type MessageReport,
  next,
  requireSystemPackage,
  TEXT,
  tls,
  within,
} from './helpers.js';

const PAGE = readFileSync(new URL('./http2/index.html', import.meta.url));

let browser: Browser | null = null;

before(async () => {
  if (chromiumAvailable) browser = await launchChromium();
});

after(() => browser?.close());

interface PageHarness {
  open(
    url: string,
    protocols: string[],
  ): Promise<{ id: number; protocol: string; extensions: string }>;
  sendText(id: number, text: string): void;
  sendBinary(id: number, base64: string): void;
  receive(id: number): Promise<MessageReport>;
  close(id: number, code: number, reason: string): void;
  closed(id: number): Promise<{ code: number; reason: string; wasClean: boolean }>;
}

declare const h2: PageHarness;

/** An accepted socket as the server saw it. */
interface Arrival {
  readonly ws: WebSocket;
  readonly inbox: Inbox;
  readonly request: Http2UpgradeRequest;
}

/**
 * The application: an HTTP/2 server (HTTP/1.1 allowed) serving the page, a wsx server attached
 * at /ws accepting the page's origin only, and a browser page showing it. Records the page's
 * HTTP/2 session and every accepted socket.
 */
async function pageOverHttp2(
  t: TestContext,
  options: Pick<ServerOptions, 'protocols' | 'perMessageDeflate'> = {},
) {
  const server = createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: true });
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  const pageSessions: Http2Session[] = [];
  server.on('request', (req, res) => {
    if (req.url === '/') pageSessions.push(req.stream.session!);
    res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    if (req.url === '/') res.end(PAGE);
    else res.end();
  });
  server.listen(0, '127.0.0.1');
  await next(server, 'listening');
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const wss = new WebSocketServer({
    server,
    path: '/ws',
    maxMessageSize: MAX_MESSAGE_SIZE,
    allowedOrigins: [origin],
    ...options,
  });
  const arrivals: Arrival[] = [];
  const waiting: ((arrival: Arrival) => void)[] = [];
  wss.on('connection', (ws, req) => {
    assert.ok(req instanceof Http2UpgradeRequest, `HTTP/${req.httpVersion}, not HTTP/2`);
    const arrival = { ws, inbox: new Inbox(ws), request: req };
    const waiter = waiting.shift();
    if (waiter === undefined) arrivals.push(arrival);
    else waiter(arrival);
  });
  let page: Page | null = null;
  t.after(async () => {
    await page?.close();
    await within(wss.close(), 8000, 'the wsx server to close');
    for (const session of sessions) session.destroy();
    await within(new Promise((resolve) => server.close(resolve)), 5000, 'the page server');
  });
  page = await browser!.newPage();
  const response = await page.goto(`${origin}/`, { timeout: 10_000 });
  assert.equal(response?.status(), 200);
  const arrived = (): Promise<Arrival> => {
    const queued = arrivals.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return within(new Promise((resolve) => waiting.push(resolve)), 8000, 'a WebSocket');
  };
  /** Opens a socket from the page; checks it came as an extended CONNECT on the page's session. */
  const open = async (protocols: string[] = []) => {
    const opened = await inPage(
      page!.evaluate(({ url, p }) => h2.open(url, p), {
        url: `${origin.replace('https', 'wss')}/ws`,
        p: protocols,
      }),
    );
    const arrival = await arrived();
    const { request } = arrival;
    assert.equal(request.httpVersion, '2.0');
    assert.equal(request.method, 'CONNECT');
    assert.equal(request.headers[':protocol'], 'websocket');
    assert.equal(request.headers.origin, origin);
    assert.ok(pageSessions.includes(request.session!), "on the page's HTTP/2 session");
    return { ...opened, ...arrival };
  };
  return { page, open, origin, sessions };
}

function inPage<T>(evaluation: Promise<T>, ms = 10_000): Promise<T> {
  return within(evaluation, ms, 'the page');
}

/** The page sends `payload` on socket `id`, then the server sends it back; both exact. */
async function bothWays(
  page: Page,
  socket: { id: number; ws: WebSocket; inbox: Inbox },
  payload: string | Buffer,
): Promise<void> {
  const { id } = socket;
  if (typeof payload === 'string') {
    await inPage(page.evaluate(([i, text]) => h2.sendText(i, text), [id, payload] as const));
  } else {
    const b64 = payload.toString('base64');
    await inPage(page.evaluate(([i, data]) => h2.sendBinary(i, data), [id, b64] as const));
  }
  assertMessage(await socket.inbox.next(), payload);
  socket.ws.send(payload);
  assertReport(await inPage(page.evaluate((i) => h2.receive(i), id)), payload);
}

test('Chromium over HTTP/2: three sockets on the page session; Chinese and emoji, binary, 1 MiB', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  const { page, open, sessions } = await pageOverHttp2(t);
  const sockets = [await open(), await open(), await open()];
  assert.equal(new Set(sockets.map((s) => s.request.session)).size, 1, 'one session');
  assert.equal(sessions.size, 1, 'one TCP+TLS connection for the page and its sockets');
  await bothWays(page, sockets[0]!, TEXT);
  await bothWays(page, sockets[1]!, BINARY);
  await bothWays(page, sockets[2]!, bigBinary());
  await bothWays(page, sockets[0]!, bigText());
  for (const socket of sockets) {
    socket.ws.close(1000, 'done');
    const closed = await inPage(page.evaluate((i) => h2.closed(i), socket.id));
    assert.deepEqual(closed, { code: 1000, reason: 'done', wasClean: true });
  }
});

test('Chromium over HTTP/2: permessage-deflate and a subprotocol', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  const { page, open } = await pageOverHttp2(t, {
    protocols: ['chat.v2'],
    perMessageDeflate: { compressor: 'dedicated', decompressor: 'dedicated' },
  });
  const socket = await open(['chat.v1', 'chat.v2']);
  assert.equal(socket.request.headers['sec-websocket-protocol'], 'chat.v1, chat.v2');
  assert.match(String(socket.request.headers['sec-websocket-extensions']), /^permessage-deflate/);
  assert.equal(socket.protocol, 'chat.v2');
  assert.equal(socket.ws.protocol, 'chat.v2');
  assert.equal(socket.extensions, 'permessage-deflate');
  assert.equal(socket.ws.extensions, 'permessage-deflate');
  const json = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ i, text: TEXT })));
  await bothWays(page, socket, json);
  await bothWays(page, socket, json); // the context kept by both sides
  await bothWays(page, socket, BINARY);
  socket.ws.close(1000);
  await inPage(page.evaluate((i) => h2.closed(i), socket.id));
});

test('Chromium over HTTP/2: close codes both ways', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  const { page, open } = await pageOverHttp2(t);
  const a = await open();
  const b = await open();
  await inPage(page.evaluate(([i]) => h2.close(i, 4001, 'bye'), [a.id] as const));
  assert.deepEqual(await a.inbox.close(), { code: 4001, reason: 'bye' });
  const closedA = await inPage(page.evaluate((i) => h2.closed(i), a.id));
  assert.equal(closedA.code, 4001, 'wsx echoes the close code');
  assert.equal(closedA.wasClean, true);
  b.ws.close(4002, '再见');
  const closedB = await inPage(page.evaluate((i) => h2.closed(i), b.id));
  assert.deepEqual(closedB, { code: 4002, reason: '再见', wasClean: true });
  assert.equal((await b.inbox.close()).code, 4002, 'Chromium echoes the close code');
});

/**
 * wsx against a real browser: Debian's Chromium, driven by playwright-core (one browser for the
 * file, one page per test). A Node http(s) server on 127.0.0.1 serves `chromium/index.html` and
 * carries the wsx server (attached with `{ server }`); the page's own `new WebSocket()` talks to
 * it. Chromium offers permessage-deflate (`client_max_window_bits`), which the wsx server declines
 * by default (compression is off unless `perMessageDeflate` is set): everything must work
 * uncompressed. The last section turns compression on and watches the wire through a
 * {@link WireTap} between the page and the server.
 *
 * `wss://`: Chromium trusts the test certificate through
 * `--ignore-certificate-errors-spki-list=<base64 SHA-256 of server.crt's SubjectPublicKeyInfo>`,
 * computed below, which accepts that one key only (not `--ignore-certificate-errors`).
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, type TestContext, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type ServerOptions, WebSocketServer } from 'wsx';
import { chromiumAvailable, launchChromium } from './chromium-browser.js';
import {
  assertMessage,
  assertReport,
  BINARY,
  bigBinary,
  bigText,
  type Inbox,
  MAX_MESSAGE_SIZE,
  type MessageReport,
  next,
  nextConnection,
  requireSystemPackage,
  TEXT,
  tls,
  within,
} from './helpers.js';
import { checkRun, checkUncompressed, RUN, type Takeover, WireTap } from './wire.js';

const PAGE = readFileSync(new URL('./chromium/index.html', import.meta.url));

let browser: Browser | null = null;

before(async () => {
  if (chromiumAvailable) browser = await launchChromium();
});

after(() => browser?.close());

/**
 * An http(s) server on 127.0.0.1 serving the page at /. `close()` ends its connections (pages
 * and upgraded sockets) and stops it.
 */
async function servePage(secure: boolean) {
  const http: Server = secure
    ? createHttpsServer({ cert: tls.cert, key: tls.key })
    : createHttpServer();
  const sockets = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  http.on('request', (req, res) => {
    if (req.url === '/') res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    else res.writeHead(404);
    res.end(req.url === '/' ? PAGE : undefined);
  });
  await next(http.listen(0, '127.0.0.1'), 'listening');
  const { port } = http.address() as AddressInfo;
  const close = async (): Promise<void> => {
    const closed = new Promise((resolve) => http.close(resolve));
    for (const socket of sockets) socket.destroy();
    await within(closed, 5000, 'the http server to close');
  };
  return { http, port, origin: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`, close };
}

/**
 * The page's server with a wsx server attached at /ws that accepts only the page's own origin,
 * and a new browser page showing the page. Cleanup closes the page, then the wsx server, then
 * the http server.
 */
async function pageWithServer(
  t: TestContext,
  options: {
    secure?: boolean;
    protocols?: string[];
    perMessageDeflate?: ServerOptions['perMessageDeflate'];
  },
) {
  const secure = options.secure ?? false;
  const { http, port, origin, close } = await servePage(secure);
  const server = new WebSocketServer({
    server: http,
    path: '/ws',
    maxMessageSize: MAX_MESSAGE_SIZE,
    allowedOrigins: [origin],
    ...(options.protocols === undefined ? {} : { protocols: options.protocols }),
    ...(options.perMessageDeflate === undefined
      ? {}
      : { perMessageDeflate: options.perMessageDeflate }),
  });
  let page: Page | null = null;
  t.after(async () => {
    await page?.close();
    await within(server.close(), 8000, 'the wsx server to close');
    await close();
  });
  page = await browser!.newPage();
  const response = await page.goto(`${origin}/`, { timeout: 10_000 });
  assert.equal(response?.status(), 200);
  const wsUrl = `${secure ? 'wss' : 'ws'}://127.0.0.1:${port}/ws`;
  return { server, page, origin, wsUrl };
}

/** Waits for something the page does, at most `ms`. */
function inPage<T>(evaluation: Promise<T>, ms = 10_000): Promise<T> {
  return within(evaluation, ms, 'the page');
}

interface Harness {
  open(
    url: string,
    protocols: string[],
  ): Promise<{ protocol: string; extensions: string; url: string }>;
  sendText(text: string): void;
  sendBinary(base64: string): void;
  receive(): Promise<MessageReport>;
  close(code: number, reason: string): void;
  closed(): Promise<{ code: number; reason: string; wasClean: boolean }>;
}

declare const harness: Harness;

/** Opens the page's WebSocket to `wsUrl`, and returns both ends. */
async function openSocket(
  page: Page,
  server: WebSocketServer,
  wsUrl: string,
  protocols: string[] = [],
) {
  const accepted = nextConnection(server);
  const opened = await inPage(
    page.evaluate(({ url, p }) => harness.open(url, p), { url: wsUrl, p: protocols }),
  );
  return { opened, ...(await accepted) };
}

/** The page sends `payload`; then the server sends it; each side receives it exactly. */
async function bothWays(
  page: Page,
  ws: { send(data: string | Buffer): unknown },
  inbox: Inbox,
  payload: string | Buffer,
): Promise<void> {
  if (typeof payload === 'string')
    await inPage(page.evaluate((text) => harness.sendText(text), payload));
  else await inPage(page.evaluate((b64) => harness.sendBinary(b64), payload.toString('base64')));
  assertMessage(await inbox.next(), payload);
  ws.send(payload);
  assertReport(await inPage(page.evaluate(() => harness.receive())), payload);
}

/** The server closes with 1000; the page sees a clean closure. */
async function closeNormally(page: Page, ws: { close(code: number, reason: string): void }) {
  ws.close(1000, 'done');
  const closed = await inPage(page.evaluate(() => harness.closed()));
  assert.deepEqual(closed, { code: 1000, reason: 'done', wasClean: true });
}

test('Chromium -> wsx server: Chinese and emoji text both ways; deflate offer declined', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  const { server, page, origin, wsUrl } = await pageWithServer(t, {});
  const { opened, ws, req, inbox } = await openSocket(page, server, wsUrl);
  assert.equal(req.headers.origin, origin);
  assert.match(String(req.headers['sec-websocket-extensions']), /^permessage-deflate\b/);
  assert.deepEqual(opened, { protocol: '', extensions: '', url: wsUrl });
  await bothWays(page, ws, inbox, TEXT);
  await bothWays(page, ws, inbox, '');
  await closeNormally(page, ws);
});

test('Chromium -> wsx server: binary (ArrayBuffer) both ways', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  const { server, page, wsUrl } = await pageWithServer(t, {});
  const { ws, inbox } = await openSocket(page, server, wsUrl);
  await bothWays(page, ws, inbox, BINARY);
  await bothWays(page, ws, inbox, Buffer.alloc(0));
  await closeNormally(page, ws);
});

test('Chromium -> wsx server: 1 MiB binary and 1 MiB text both ways', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  const { server, page, wsUrl } = await pageWithServer(t, {});
  const { ws, inbox } = await openSocket(page, server, wsUrl);
  await bothWays(page, ws, inbox, bigBinary());
  await bothWays(page, ws, inbox, bigText());
  await closeNormally(page, ws);
});

test('Chromium -> wsx server: page offers a,b; the server speaks b; both see b', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  const { server, page, wsUrl } = await pageWithServer(t, { protocols: ['b'] });
  const { opened, ws, req, inbox } = await openSocket(page, server, wsUrl, ['a', 'b']);
  assert.equal(req.headers['sec-websocket-protocol'], 'a, b');
  assert.equal(opened.protocol, 'b');
  assert.equal(ws.protocol, 'b');
  await bothWays(page, ws, inbox, TEXT);
  await closeNormally(page, ws);
});

test('Chromium -> wsx server: page closes with 4001 "bye"; the server sees 4001 "bye"', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  const { server, page, wsUrl } = await pageWithServer(t, {});
  const { inbox } = await openSocket(page, server, wsUrl);
  await inPage(page.evaluate(() => harness.close(4001, 'bye')));
  assert.deepEqual(await inbox.close(), { code: 4001, reason: 'bye' });
  const closed = await inPage(page.evaluate(() => harness.closed()));
  assert.equal(closed.code, 4001, 'wsx echoes the close code');
  assert.equal(closed.wasClean, true);
});

test('Chromium -> wsx server: server closes with 4002 "再见"; the page sees 4002 "再见"', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  const { server, page, wsUrl } = await pageWithServer(t, {});
  const { ws, inbox } = await openSocket(page, server, wsUrl);
  ws.close(4002, '再见');
  const closed = await inPage(page.evaluate(() => harness.closed()));
  assert.deepEqual(closed, { code: 4002, reason: '再见', wasClean: true });
  assert.equal((await inbox.close()).code, 4002, 'Chromium echoes the close code');
});

test('Chromium -> wsx server: wss:// from an https page, certificate trusted by its SPKI hash', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  const { server, page, origin, wsUrl } = await pageWithServer(t, { secure: true });
  assert.match(wsUrl, /^wss:/);
  const { opened, ws, req, inbox } = await openSocket(page, server, wsUrl);
  assert.equal(req.headers.origin, origin);
  assert.equal(opened.extensions, '');
  await bothWays(page, ws, inbox, TEXT);
  await bothWays(page, ws, inbox, BINARY);
  await closeNormally(page, ws);
});

test('Chromium -> wsx server: a page from another origin is refused with 403', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  const { server, page, wsUrl } = await pageWithServer(t, {});
  const refused = next(server, 'wsClientError');
  // The same page from a second server: another port, so another origin.
  const other = await servePage(false);
  t.after(other.close);
  await page.goto(`${other.origin}/`, { timeout: 10_000 });
  await assert.rejects(
    inPage(page.evaluate((url) => harness.open(url, []), wsUrl)),
    /WebSocket to .* failed/,
  );
  const [error, , req] = (await refused) as [{ code: string }, unknown, { headers: object }];
  assert.equal(error.code, 'WSX_ERR_FORBIDDEN_ORIGIN');
  assert.equal((req.headers as { origin?: string }).origin, other.origin);
  const closed = await inPage(page.evaluate(() => harness.closed()));
  assert.deepEqual(closed, { code: 1006, reason: '', wasClean: false });
});

// ---- permessage-deflate ------------------------------------------------------------------------
//
// The page connects through a WireTap (wire.ts) in front of the server: the page's origin is
// unchanged, only the TCP path differs. The tap reads every frame header, so it shows for each
// message whether RSV1 (compressed) was set and how many bytes really crossed the wire, in both
// directions, whatever Chromium or wsx report. (Chromium's DevTools frame events were considered:
// they carry the inflated payload, not the wire size, so they cannot show compression.)
//
// Each test sends RUN (wire.ts: 200 KiB JSON text with Chinese and emoji, 100 KiB of random
// bytes, a 3 KiB probe twice, another 200 KiB JSON) page -> server then server -> page, message
// by message, each checked exactly where it arrived; then the wire: every text message
// compressed to well under half its size, and the repeated probe showing the context takeover
// agreed (a few bytes when the window is kept, full size when it is reset or too small).

/** A page connected through a wire tap to a wsx server with `perMessageDeflate`. */
async function tappedSocket(
  t: TestContext,
  perMessageDeflate?: ServerOptions['perMessageDeflate'],
) {
  const { server, page, wsUrl } = await pageWithServer(
    t,
    perMessageDeflate === undefined ? {} : { perMessageDeflate },
  );
  const target = new URL(wsUrl);
  const tap = await WireTap.start(t, Number(target.port));
  target.port = String(tap.port);
  const { opened, ws, req, inbox } = await openSocket(page, server, target.href);
  // What Chromium offers: permessage-deflate, leaving the server to choose its window.
  assert.equal(
    req.headers['sec-websocket-extensions'],
    'permessage-deflate; client_max_window_bits',
  );
  return { page, opened, ws, inbox, tap };
}

/** RUN both ways; the header on the wire and on both sides; RUN as it crossed the wire. */
async function compressedRun(
  t: TestContext,
  perMessageDeflate: ServerOptions['perMessageDeflate'],
  expected: { header: string; toServer: Takeover; toClient: Takeover },
): Promise<void> {
  const { page, opened, ws, inbox, tap } = await tappedSocket(t, perMessageDeflate);
  assert.equal(opened.extensions, expected.header, "the page's ws.extensions");
  assert.equal(ws.extensions, expected.header, "the server's ws.extensions");
  for (const payload of RUN) await bothWays(page, ws, inbox, payload);
  const wire = tap.only();
  assert.equal(wire.toClient.header('sec-websocket-extensions'), expected.header, 'the 101');
  checkRun(wire.toServer, expected.toServer, 'Chromium -> wsx server');
  checkRun(wire.toClient, expected.toClient, 'wsx server -> Chromium');
  await closeNormally(page, ws);
}

test('Chromium -> wsx server, compression off (the default): declined, nothing compressed on the wire', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  const { page, opened, ws, inbox, tap } = await tappedSocket(t);
  assert.equal(opened.extensions, '');
  assert.equal(ws.extensions, '');
  await bothWays(page, ws, inbox, RUN[0]!);
  const wire = tap.only();
  assert.equal(wire.toClient.header('sec-websocket-extensions'), null);
  checkUncompressed(wire.toServer, 'Chromium -> wsx server');
  checkUncompressed(wire.toClient, 'wsx server -> Chromium');
  await closeNormally(page, ws);
});

test('Chromium -> wsx server perMessageDeflate: true (shared): no context takeover either way', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  await compressedRun(t, true, {
    header: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    toServer: 'reset',
    toClient: 'reset',
  });
});

test('Chromium -> wsx server, dedicated compressor and decompressor: context takeover both ways', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  await compressedRun(
    t,
    { compressor: 'dedicated', decompressor: 'dedicated' },
    { header: 'permessage-deflate', toServer: 'kept', toClient: 'kept' },
  );
});

test('Chromium -> wsx server, dedicated with clientMaxWindowBits: 10: Chromium compresses with a 1 KiB window', async (t) => {
  if (!requireSystemPackage(t, chromiumAvailable, 'chromium')) return;
  // The server inflates with a 10-bit window: a longer reach back from Chromium would fail (1007).
  await compressedRun(
    t,
    { compressor: 'dedicated', decompressor: 'dedicated', clientMaxWindowBits: 10 },
    {
      header: 'permessage-deflate; client_max_window_bits=10',
      toServer: 'small',
      toClient: 'kept',
    },
  );
});

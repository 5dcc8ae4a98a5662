/**
 * wsx against the `ws` package, both ways: a `ws` client against the wsx server, and a `ws`
 * server against the wsx client. Both peers run in this process, so every message is checked on
 * the side that received it, in both directions. The `ws` client keeps its defaults, which offer
 * permessage-deflate: the wsx server declines (compression is off by default), and everything
 * must still work. The wsx client offers it by default; the `ws` server declines unless started
 * with `perMessageDeflate: true`. The last section runs permessage-deflate both ways, seen on the
 * wire through a {@link WireTap}.
 */

import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import WS, { WebSocketServer as WSServer } from 'ws';
import { type ClientOptions, connect, type ServerOptions } from 'wsx';
import {
  assertMessage,
  BINARY,
  bigBinary,
  bigText,
  Inbox,
  MAX_MESSAGE_SIZE,
  next,
  nextConnection,
  startWsxServer,
  TEXT,
  tls,
  within,
} from './helpers.js';
import { checkRun, checkUncompressed, RUN, type Takeover, WireTap } from './wire.js';

/** What both kinds of socket can do with a message. */
interface Sender {
  send(data: string | Buffer): unknown;
}

/** A `ws` client connected to a wsx server, and both ends of that connection. */
async function wsClient(
  t: TestContext,
  options: {
    protocols?: string[];
    secure?: boolean;
    perMessageDeflate?: ServerOptions['perMessageDeflate'];
    /** Connect through a {@link WireTap} (plain ws:// only). */
    tap?: boolean;
  } = {},
) {
  const { server, url, port } = await startWsxServer(t, {
    maxMessageSize: MAX_MESSAGE_SIZE,
    ...(options.protocols === undefined ? {} : { protocols: ['b'] }),
    ...(options.secure ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    ...(options.perMessageDeflate === undefined
      ? {}
      : { perMessageDeflate: options.perMessageDeflate }),
  });
  const tap = options.tap ? await WireTap.start(t, port) : null;
  const accepted = nextConnection(server);
  const target = tap === null ? url : `ws://127.0.0.1:${tap.port}`;
  const client = new WS(`${target}/chat`, options.protocols ?? [], {
    ...(options.secure ? { ca: tls.ca } : {}),
  });
  t.after(() => client.terminate());
  const clientInbox = new Inbox(client);
  await next(client, 'open');
  const { ws, req, inbox } = await accepted;
  return { client, clientInbox, ws, req, inbox, tap };
}

/** A `ws` server, and a wsx client connected to it, with both ends of that connection. */
async function wsServer(
  t: TestContext,
  options: {
    protocols?: string[];
    secure?: boolean;
    /** The `ws` server's `perMessageDeflate` (its default: false). */
    serverDeflate?: boolean;
    /** The wsx client's `perMessageDeflate` (its default: offered). */
    perMessageDeflate?: ClientOptions['perMessageDeflate'];
    /** Connect through a {@link WireTap} (plain ws:// only). */
    tap?: boolean;
  } = {},
) {
  const https = options.secure ? createHttpsServer({ cert: tls.cert, key: tls.key }) : null;
  const server = new WSServer({
    maxPayload: MAX_MESSAGE_SIZE,
    perMessageDeflate: options.serverDeflate === true,
    ...(https === null ? { host: '127.0.0.1', port: 0 } : { server: https }),
    ...(options.protocols === undefined
      ? {}
      : { handleProtocols: (offered: Set<string>) => (offered.has('b') ? 'b' : false) }),
  });
  t.after(async () => {
    for (const peer of server.clients) peer.terminate();
    await within(new Promise((resolve) => server.close(resolve)), 5000, 'the ws server to close');
    if (https !== null) https.close();
  });
  if (https === null) await next(server, 'listening');
  else await next(https.listen(0, '127.0.0.1'), 'listening');
  const address = (https ?? server).address() as AddressInfo;
  const tap = options.tap ? await WireTap.start(t, address.port) : null;
  const port = tap === null ? address.port : tap.port;
  const accepted = next(server, 'connection');
  const ws = await connect(`${options.secure ? 'wss' : 'ws'}://127.0.0.1:${port}/chat`, {
    maxMessageSize: MAX_MESSAGE_SIZE,
    handshakeTimeout: 5000,
    ...(options.protocols === undefined ? {} : { protocols: options.protocols }),
    ...(options.secure ? { ca: tls.ca } : {}),
    ...(options.perMessageDeflate === undefined
      ? {}
      : { perMessageDeflate: options.perMessageDeflate }),
  });
  t.after(() => ws.terminate());
  const inbox = new Inbox(ws);
  const [peer, req] = (await accepted) as [WS, { headers: Record<string, string | undefined> }];
  const peerInbox = new Inbox(peer);
  return { ws, inbox, peer, peerInbox, req, tap };
}

/** `payload` from a to b, then from b to a; each side receives it exactly. */
async function bothWays(
  a: Sender,
  aInbox: Inbox,
  b: Sender,
  bInbox: Inbox,
  payload: string | Buffer,
): Promise<void> {
  a.send(payload);
  assertMessage(await bInbox.next(), payload);
  b.send(payload);
  assertMessage(await aInbox.next(), payload);
}

/** Closes from `closer` with 1000 and checks both sides saw a clean closure. */
async function closeNormally(
  closer: { close(code: number, reason: string): void },
  closerInbox: Inbox,
  otherInbox: Inbox,
): Promise<void> {
  closer.close(1000, 'done');
  assert.deepEqual(await otherInbox.close(), { code: 1000, reason: 'done' });
  assert.equal((await closerInbox.close()).code, 1000);
}

/** Text split inside multi-byte characters: the bytes of '你好😀' in pieces of 2, 3 and 5. */
const SPLIT_TEXT = Buffer.from('你好😀', 'utf8');
const TEXT_PIECES = [SPLIT_TEXT.subarray(0, 2), SPLIT_TEXT.subarray(2, 5), SPLIT_TEXT.subarray(5)];

// ---- ws client -> wsx server -------------------------------------------------------------------

test('ws client -> wsx server: Chinese and emoji text both ways', async (t) => {
  const { client, clientInbox, ws, req, inbox } = await wsClient(t);
  assert.match(String(req.headers['sec-websocket-extensions']), /^permessage-deflate\b/);
  assert.equal(client.extensions, '', 'the permessage-deflate offer was declined');
  assert.equal(client.protocol, '');
  await bothWays(client, clientInbox, ws, inbox, TEXT);
  await bothWays(client, clientInbox, ws, inbox, '');
  await closeNormally(client, clientInbox, inbox);
});

test('ws client -> wsx server: binary both ways', async (t) => {
  const { client, clientInbox, ws, inbox } = await wsClient(t);
  await bothWays(client, clientInbox, ws, inbox, BINARY);
  await bothWays(client, clientInbox, ws, inbox, Buffer.alloc(0));
  await closeNormally(ws, inbox, clientInbox);
});

test('ws client -> wsx server: 1 MiB binary and 1 MiB text both ways', async (t) => {
  const { client, clientInbox, ws, inbox } = await wsClient(t);
  await bothWays(client, clientInbox, ws, inbox, bigBinary());
  await bothWays(client, clientInbox, ws, inbox, bigText());
  await closeNormally(client, clientInbox, inbox);
});

test('ws client -> wsx server: offers a,b; the server speaks b; both see b', async (t) => {
  const { client, clientInbox, ws, req, inbox } = await wsClient(t, { protocols: ['a', 'b'] });
  assert.equal(req.headers['sec-websocket-protocol'], 'a,b');
  assert.equal(ws.protocol, 'b');
  assert.equal(client.protocol, 'b');
  await bothWays(client, clientInbox, ws, inbox, TEXT);
  await closeNormally(client, clientInbox, inbox);
});

test('ws client -> wsx server: ws closes with 4001 "bye"; wsx sees 4001 "bye"', async (t) => {
  const { client, clientInbox, inbox } = await wsClient(t);
  client.close(4001, 'bye');
  assert.deepEqual(await inbox.close(), { code: 4001, reason: 'bye' });
  assert.equal((await clientInbox.close()).code, 4001, 'wsx echoes the close code');
});

test('ws client -> wsx server: wsx closes with 4002 "再见"; ws sees 4002 "再见"', async (t) => {
  const { clientInbox, ws, inbox } = await wsClient(t);
  ws.close(4002, '再见');
  assert.deepEqual(await clientInbox.close(), { code: 4002, reason: '再见' });
  assert.equal((await inbox.close()).code, 4002, 'ws echoes the close code');
});

test('ws client -> wsx server: wss:// with the test CA', async (t) => {
  const { client, clientInbox, ws, inbox } = await wsClient(t, { secure: true });
  await bothWays(client, clientInbox, ws, inbox, TEXT);
  await bothWays(client, clientInbox, ws, inbox, bigBinary());
  await closeNormally(ws, inbox, clientInbox);
});

test('ws client -> wsx server: fragmented messages (fin: false) arrive whole', async (t) => {
  const { client, clientInbox, inbox } = await wsClient(t);
  // Text whose fragments split multi-byte characters (the garbled-Chinese bug).
  for (const [i, piece] of TEXT_PIECES.entries()) {
    client.send(piece, { binary: false, fin: i === TEXT_PIECES.length - 1 });
  }
  assertMessage(await inbox.next(), '你好😀');
  // Binary in three pieces, then an unfragmented message right after.
  client.send(BINARY.subarray(0, 1), { fin: false });
  client.send(BINARY.subarray(1, 300), { fin: false });
  client.send(BINARY.subarray(300), { fin: true });
  client.send(TEXT);
  assertMessage(await inbox.next(), BINARY);
  assertMessage(await inbox.next(), TEXT);
  // A 1 MiB text message in 64 KiB fragments.
  const big = Buffer.from(bigText(), 'utf8');
  for (let at = 0; at < big.length; at += 65_535) {
    client.send(big.subarray(at, at + 65_535), { binary: false, fin: at + 65_535 >= big.length });
  }
  assertMessage(await inbox.next(), bigText());
  await closeNormally(client, clientInbox, inbox);
});

// ---- wsx client -> ws server -------------------------------------------------------------------

test('wsx client -> ws server: Chinese and emoji text both ways', async (t) => {
  const { ws, inbox, peer, peerInbox, req } = await wsServer(t);
  assert.equal(ws.protocol, '');
  // The wsx client offers permessage-deflate by default; this ws server has it off.
  assert.equal(
    req.headers['sec-websocket-extensions'],
    'permessage-deflate; client_max_window_bits',
  );
  assert.equal(peer.extensions, '');
  assert.equal(ws.extensions, '');
  await bothWays(ws, inbox, peer, peerInbox, TEXT);
  await bothWays(ws, inbox, peer, peerInbox, '');
  await closeNormally(ws, inbox, peerInbox);
});

test('wsx client -> ws server: binary both ways', async (t) => {
  const { ws, inbox, peer, peerInbox } = await wsServer(t);
  await bothWays(ws, inbox, peer, peerInbox, BINARY);
  await bothWays(ws, inbox, peer, peerInbox, Buffer.alloc(0));
  await closeNormally(peer, peerInbox, inbox);
});

test('wsx client -> ws server: 1 MiB binary and 1 MiB text both ways', async (t) => {
  const { ws, inbox, peer, peerInbox } = await wsServer(t);
  await bothWays(ws, inbox, peer, peerInbox, bigBinary());
  await bothWays(ws, inbox, peer, peerInbox, bigText());
  await closeNormally(ws, inbox, peerInbox);
});

test('wsx client -> ws server: offers a,b; the server speaks b; both see b', async (t) => {
  const { ws, inbox, peer, peerInbox } = await wsServer(t, { protocols: ['a', 'b'] });
  assert.equal(ws.protocol, 'b');
  assert.equal(peer.protocol, 'b');
  await bothWays(ws, inbox, peer, peerInbox, TEXT);
  await closeNormally(ws, inbox, peerInbox);
});

test('wsx client -> ws server: ws closes with 4001 "bye"; wsx sees 4001 "bye"', async (t) => {
  const { inbox, peer, peerInbox } = await wsServer(t);
  peer.close(4001, 'bye');
  assert.deepEqual(await inbox.close(), { code: 4001, reason: 'bye' });
  assert.equal((await peerInbox.close()).code, 4001, 'wsx echoes the close code');
});

test('wsx client -> ws server: wsx closes with 4002 "再见"; ws sees 4002 "再见"', async (t) => {
  const { ws, inbox, peerInbox } = await wsServer(t);
  ws.close(4002, '再见');
  assert.deepEqual(await peerInbox.close(), { code: 4002, reason: '再见' });
  assert.equal((await inbox.close()).code, 4002, 'ws echoes the close code');
});

test('wsx client -> ws server: wss:// with the test CA', async (t) => {
  const { ws, inbox, peer, peerInbox } = await wsServer(t, { secure: true });
  assert.match(ws.url, /^wss:\/\/127\.0\.0\.1:\d+\/chat$/);
  await bothWays(ws, inbox, peer, peerInbox, TEXT);
  await bothWays(ws, inbox, peer, peerInbox, bigBinary());
  await closeNormally(ws, inbox, peerInbox);
});

test('wsx client -> ws server: fragmented messages (fin: false) arrive whole', async (t) => {
  const { ws, inbox, peerInbox } = await wsServer(t);
  // Text from strings, one character per fragment.
  ws.send('你', { fin: false });
  ws.send('好', { fin: false });
  ws.send('😀', { fin: true });
  assertMessage(await peerInbox.next(), '你好😀');
  // Text from bytes, fragments splitting multi-byte characters.
  for (const [i, piece] of TEXT_PIECES.entries()) {
    ws.send(piece, { binary: false, fin: i === TEXT_PIECES.length - 1 });
  }
  assertMessage(await peerInbox.next(), '你好😀');
  // Binary in three pieces (the last one empty), then an unfragmented message right after.
  ws.send(BINARY.subarray(0, 1), { fin: false });
  ws.send(BINARY.subarray(1), { fin: false });
  ws.send(Buffer.alloc(0), { fin: true });
  ws.send(TEXT);
  assertMessage(await peerInbox.next(), BINARY);
  assertMessage(await peerInbox.next(), TEXT);
  // A 1 MiB binary message in 64 KiB fragments.
  const big = bigBinary();
  for (let at = 0; at < big.length; at += 65_536) {
    ws.send(big.subarray(at, at + 65_536), { fin: at + 65_536 >= big.length });
  }
  assertMessage(await peerInbox.next(), big);
  await closeNormally(ws, inbox, peerInbox);
});

// ---- permessage-deflate, both ways -------------------------------------------------------------
//
// `ws` clients offer permessage-deflate (`client_max_window_bits`) by default and compress with
// context takeover unless told otherwise; a `ws` server with `perMessageDeflate: true` accepts
// with context takeover both ways. Each test sends RUN (wire.ts: 200 KiB JSON text with Chinese
// and emoji, 100 KiB of random bytes, a 3 KiB probe twice, another 200 KiB JSON) client -> server
// and server -> client, checks every message on the side that received it, and then the wire:
// every text message compressed to well under half its size, the repeated probe showing the
// context takeover agreed.

/** RUN from a to b and from b to a, message by message. */
async function runBothWays(a: Sender, aInbox: Inbox, b: Sender, bInbox: Inbox): Promise<void> {
  for (const payload of RUN) await bothWays(a, aInbox, b, bInbox, payload);
}

/** The header on the wire and on both sides, and RUN as it crossed the wire each way. */
function checkAgreement(
  tap: WireTap,
  header: string,
  wsx: { extensions: string },
  peer: { extensions: string },
  toServer: Takeover,
  toClient: Takeover,
  who: { client: string; server: string },
): void {
  const wire = tap.only();
  assert.equal(wire.toClient.header('sec-websocket-extensions'), header, 'the 101 on the wire');
  assert.equal(wsx.extensions, header, 'ws.extensions on the wsx side');
  assert.equal(peer.extensions, 'permessage-deflate', "the ws side's extensions (names only)");
  checkRun(wire.toServer, toServer, `${who.client} -> ${who.server}`);
  checkRun(wire.toClient, toClient, `${who.server} -> ${who.client}`);
}

const WS_CLIENT = { client: 'ws client', server: 'wsx server' };
const WS_SERVER = { client: 'wsx client', server: 'ws server' };

test('ws client -> wsx server (compression off by default): the offer is declined, nothing is compressed', async (t) => {
  const { client, clientInbox, ws, req, inbox, tap } = await wsClient(t, { tap: true });
  assert.equal(
    req.headers['sec-websocket-extensions'],
    'permessage-deflate; client_max_window_bits',
  );
  assert.equal(client.extensions, '');
  assert.equal(ws.extensions, '');
  await bothWays(client, clientInbox, ws, inbox, RUN[0]!);
  const wire = tap!.only();
  assert.equal(wire.toClient.header('sec-websocket-extensions'), null);
  checkUncompressed(wire.toServer, 'ws client -> wsx server');
  checkUncompressed(wire.toClient, 'wsx server -> ws client');
  await closeNormally(client, clientInbox, inbox);
});

test('ws client -> wsx server perMessageDeflate: true (shared): no context takeover either way', async (t) => {
  const { client, clientInbox, ws, inbox, tap } = await wsClient(t, {
    perMessageDeflate: true,
    tap: true,
  });
  await runBothWays(client, clientInbox, ws, inbox);
  checkAgreement(
    tap!,
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    ws,
    client,
    'reset',
    'reset',
    WS_CLIENT,
  );
  await closeNormally(client, clientInbox, inbox);
});

test('ws client -> wsx server, dedicated compressor and decompressor: context takeover both ways; fragments stay uncompressed', async (t) => {
  const { client, clientInbox, ws, inbox, tap } = await wsClient(t, {
    perMessageDeflate: { compressor: 'dedicated', decompressor: 'dedicated' },
    tap: true,
  });
  await runBothWays(client, clientInbox, ws, inbox);
  checkAgreement(tap!, 'permessage-deflate', ws, client, 'kept', 'kept', WS_CLIENT);
  // A fragmented send goes uncompressed (RFC 7692 lets each message choose); the window is kept
  // around it, so the probe after it is still a few back-references.
  const probe = Buffer.from(RUN[2] as string);
  ws.send(RUN[2]!);
  ws.send(probe.subarray(0, 1000), { binary: false, fin: false });
  ws.send(probe.subarray(1000), { binary: false, fin: true });
  ws.send(RUN[2]!);
  for (let i = 0; i < 3; i++) assertMessage(await clientInbox.next(), RUN[2]!);
  const [first, fragmented, again] = tap!.only().toClient.messages().slice(RUN.length);
  assert.ok(first!.compressed);
  assert.deepEqual(
    { compressed: fragmented!.compressed, frames: fragmented!.frames },
    { compressed: false, frames: 2 },
  );
  assert.ok(
    again!.compressed && again!.wireLength < 100,
    `the probe again: ${again!.wireLength} bytes`,
  );
  await closeNormally(ws, inbox, clientInbox);
});

test('wsx client (default offer) -> ws server perMessageDeflate: true: context takeover both ways', async (t) => {
  const { ws, inbox, peer, peerInbox, req, tap } = await wsServer(t, {
    serverDeflate: true,
    tap: true,
  });
  assert.equal(
    req.headers['sec-websocket-extensions'],
    'permessage-deflate; client_max_window_bits',
  );
  await runBothWays(ws, inbox, peer, peerInbox);
  checkAgreement(tap!, 'permessage-deflate', ws, peer, 'kept', 'kept', WS_SERVER);
  await closeNormally(ws, inbox, peerInbox);
});

test('wsx client { clientNoContextTakeover, serverMaxWindowBits: 10 } -> ws server: honoured both ways', async (t) => {
  const { ws, inbox, peer, peerInbox, req, tap } = await wsServer(t, {
    serverDeflate: true,
    perMessageDeflate: { clientNoContextTakeover: true, serverMaxWindowBits: 10 },
    tap: true,
  });
  assert.equal(
    req.headers['sec-websocket-extensions'],
    'permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits',
  );
  await runBothWays(ws, inbox, peer, peerInbox);
  checkAgreement(
    tap!,
    'permessage-deflate; client_no_context_takeover; server_max_window_bits=10',
    ws,
    peer,
    'reset',
    'small',
    WS_SERVER,
  );
  await closeNormally(ws, inbox, peerInbox);
});

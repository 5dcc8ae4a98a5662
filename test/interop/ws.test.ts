/**
 * wsx against the `ws` package, both ways: a `ws` client against the wsx server, and a `ws`
 * server against the wsx client. Both peers run in this process, so every message is checked on
 * the side that received it, in both directions. The `ws` client keeps its defaults, which offer
 * permessage-deflate: the wsx server declines, and everything must still work.
 */

import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import WS, { WebSocketServer as WSServer } from 'ws';
import { connect } from 'wsx';
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

/** What both kinds of socket can do with a message. */
interface Sender {
  send(data: string | Buffer): unknown;
}

/** A `ws` client connected to a wsx server, and both ends of that connection. */
async function wsClient(t: TestContext, options: { protocols?: string[]; secure?: boolean } = {}) {
  const { server, url } = await startWsxServer(t, {
    maxMessageSize: MAX_MESSAGE_SIZE,
    ...(options.protocols === undefined ? {} : { protocols: ['b'] }),
    ...(options.secure ? { tls: { cert: tls.cert, key: tls.key } } : {}),
  });
  const accepted = nextConnection(server);
  const client = new WS(`${url}/chat`, options.protocols ?? [], {
    ...(options.secure ? { ca: tls.ca } : {}),
  });
  t.after(() => client.terminate());
  const clientInbox = new Inbox(client);
  await next(client, 'open');
  const { ws, req, inbox } = await accepted;
  return { client, clientInbox, ws, req, inbox };
}

/** A `ws` server, and a wsx client connected to it, with both ends of that connection. */
async function wsServer(t: TestContext, options: { protocols?: string[]; secure?: boolean } = {}) {
  const https = options.secure ? createHttpsServer({ cert: tls.cert, key: tls.key }) : null;
  const server = new WSServer({
    maxPayload: MAX_MESSAGE_SIZE,
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
  const { port } = (https ?? server).address() as AddressInfo;
  const accepted = next(server, 'connection');
  const ws = await connect(`${options.secure ? 'wss' : 'ws'}://127.0.0.1:${port}/chat`, {
    maxMessageSize: MAX_MESSAGE_SIZE,
    handshakeTimeout: 5000,
    ...(options.protocols === undefined ? {} : { protocols: options.protocols }),
    ...(options.secure ? { ca: tls.ca } : {}),
  });
  t.after(() => ws.terminate());
  const inbox = new Inbox(ws);
  const [peer] = (await accepted) as [WS];
  const peerInbox = new Inbox(peer);
  return { ws, inbox, peer, peerInbox };
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
  const { ws, inbox, peer, peerInbox } = await wsServer(t);
  assert.equal(ws.protocol, '');
  assert.equal(peer.extensions, '');
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

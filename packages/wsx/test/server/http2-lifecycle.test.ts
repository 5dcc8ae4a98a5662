/**
 * A WebSocket over HTTP/2 lives as one over TCP: graceful shutdown (1001 on every stream, then
 * GOAWAY), HTTP/2 flow control driving backpressure, the slow-consumer policy and dropped topic
 * messages, heartbeats and limits; and the standalone server closes sessions that open no
 * WebSocket. Timed behaviour runs on the manual clock.
 */

import assert from 'node:assert/strict';
import type { ClientHttp2Session } from 'node:http2';
import { describe, it, type TestContext } from 'node:test';
import { Http2StreamTransport } from '../../src/node/http2-transport.js';
import type { ServerOptions } from '../../src/server/options.js';
import type { WebSocketServer } from '../../src/server/websocket-server.js';
import { SendStatus } from '../../src/websocket/types.js';
import type { WebSocket } from '../../src/websocket/websocket.js';
import { Peer } from '../conformance/harness.js';
import { closePayload, Op } from '../conformance/wire.js';
import { ManualClock } from '../helpers/clock.js';
import { eventually } from '../helpers/eventually.js';
import { clientFrame } from '../helpers/frames.js';
import { connectHeaders, openSession, request } from '../helpers/http2.js';
import { next, startServer, tlsFixtures, within } from '../helpers/net.js';

const tls = { key: tlsFixtures.key, cert: tlsFixtures.cert };

/** A standalone HTTP/2 server, one session to it, and a way to open raw WebSocket streams. */
async function h2Server(t: TestContext, options: Omit<ServerOptions, 'port'> = {}) {
  const { server, port } = await startServer(t, { tls, http2: true, ...options });
  const session = await openSession(t, `https://127.0.0.1:${port}`);
  const open = async (): Promise<{ peer: Peer; ws: WebSocket }> => {
    const accepted = next(server, 'connection');
    const answer = await request(session, connectHeaders(`localhost:${port}`));
    assert.equal(answer.status, 200);
    const [ws] = (await accepted) as [WebSocket];
    return { peer: new Peer(new Http2StreamTransport(answer.stream)), ws };
  };
  return { server: server as WebSocketServer, port, session, open };
}

/** Whether `session` received GOAWAY. */
function goaway(session: ClientHttp2Session): Promise<unknown> {
  return within(new Promise((resolve) => session.once('goaway', resolve)), 5000, 'GOAWAY');
}

describe('HTTP/2 WebSockets over time', () => {
  it('graceful shutdown: 1001 on every stream, then GOAWAY; close() resolves', async (t) => {
    const { server, session, open } = await h2Server(t);
    const peers = [await open(), await open(), await open()].map((o) => o.peer);
    const gotGoaway = goaway(session);
    const closed = server.close();
    for (const peer of peers) {
      const frame = await peer.readFrame();
      assert.equal(frame.opcode, Op.CLOSE);
      assert.equal(frame.payload.readUInt16BE(0), 1001);
      peer.send(clientFrame({ opcode: Op.CLOSE, payload: closePayload(1001) }));
      await peer.expectServerClosed();
    }
    await gotGoaway;
    await within(closed, 5000, 'server.close()');
  });

  it('closes a session that opens no WebSocket within the handshake timeout (GOAWAY)', async (t) => {
    const clock = new ManualClock();
    const { session, open } = await h2Server(t, { clock, handshakeTimeout: 1000 });
    const { peer, ws } = await open();
    await clock.advance(5000);
    await peer.expectQuiet(); // a session with a WebSocket stays
    const closed = next(ws, 'close');
    peer.send(clientFrame({ opcode: Op.CLOSE, payload: closePayload(1000) }));
    await peer.expectClose(1000);
    await closed; // the server's stream is gone: the session has none
    const gotGoaway = goaway(session);
    await clock.advance(999);
    assert.equal(session.closed, false);
    await clock.advance(1);
    await gotGoaway;
  });

  it('flow control is backpressure: a client that does not read makes send() say so, then drain', async (t) => {
    const { open } = await h2Server(t);
    const { peer, ws } = await open();
    peer.raw.on('data', () => {}); // keeps the Peer's listener company
    (peer.raw as Http2StreamTransport).pause();
    const chunk = Buffer.alloc(32 * 1024, 1);
    const sent = 20;
    const statuses = Array.from({ length: sent }, () => ws.send(chunk));
    assert.equal(statuses.at(-1), SendStatus.BACKPRESSURE);
    await new Promise((resolve) => setImmediate(resolve));
    // The stream's window (64 KiB) is all the client took: the rest waits at the server.
    assert.ok(ws.bufferedAmount > 8 * chunk.length, `buffered ${ws.bufferedAmount}`);
    const drained = next(ws, 'drain');
    (peer.raw as Http2StreamTransport).resume();
    await drained;
    for (let i = 0; i < sent; i++) {
      const frame = await peer.readFrame();
      assert.equal(frame.payload.length, chunk.length);
    }
  });

  it('a client that does not read gets no topic messages past maxBackpressure, and 1008 past backpressureLimit', async (t) => {
    const { server, open } = await h2Server(t, {
      maxBackpressure: 256 * 1024,
      backpressureLimit: 1024 * 1024,
    });
    const { peer, ws } = await open();
    ws.subscribe('news');
    (peer.raw as Http2StreamTransport).pause();
    const item = Buffer.alloc(64 * 1024, 2);
    let delivered = 0;
    for (let i = 0; i < 20; i++) delivered += server.publish('news', item);
    assert.ok(delivered < 20, `${delivered} of 20 queued`);
    assert.ok(ws.droppedMessages > 0);
    const closed = next(ws, 'close', 15_000);
    for (let i = 0; i < 20; i++) ws.send(item);
    (peer.raw as Http2StreamTransport).resume();
    let frame = await peer.readFrame();
    while (frame.opcode !== Op.CLOSE) frame = await peer.readFrame();
    assert.equal(frame.payload.readUInt16BE(0), 1008);
    peer.send(clientFrame({ opcode: Op.CLOSE, payload: closePayload(1008) }));
    assert.equal((await closed)[0], 1008);
  });

  it('heartbeat: pings an idle stream, and resets it when no pong comes', async (t) => {
    const clock = new ManualClock();
    const { open } = await h2Server(t, { clock, pingInterval: 1000, pongTimeout: 500 });
    const { peer, ws } = await open();
    const closed = next(ws, 'close');
    await clock.advance(1000);
    await eventually(() => peer.unread > 0, 'a ping');
    const ping = await peer.readFrame();
    assert.equal(ping.opcode, Op.PING);
    await clock.advance(600);
    assert.deepEqual(await closed, [1006, '']);
    await eventually(() => peer.closed, 'the stream to close');
  });

  it('limits apply: a message over maxMessageSize closes with 1009', async (t) => {
    const { open } = await h2Server(t, { maxMessageSize: 1000 });
    const { peer } = await open();
    peer.send(clientFrame({ opcode: Op.BINARY, payload: new Uint8Array(1001) }));
    await peer.expectClose(1009);
  });
});

/**
 * The HTTP/2 stream transport against the Transport contract (src/node/transport.ts), over real
 * `node:http2` sessions on loopback: bytes in order, END_STREAM as a FIN (and ours following the
 * peer's), a reset as an abnormal end, flow control as backpressure, and the stream Node would
 * reset when it is ended before anything was read.
 */

import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  type ClientHttp2Stream,
  constants,
  createSecureServer,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { Http2StreamTransport } from '../../src/node/http2-transport.js';
import { eventually } from '../helpers/eventually.js';
import { closeAtEnd, connectHeaders, openSession, request } from '../helpers/http2.js';
import { tlsFixtures, within } from '../helpers/net.js';

/**
 * A TLS HTTP/2 server whose stream is answered 200, and the client's stream: both as transports,
 * or as they are (`raw`).
 */
async function pair(t: TestContext, options: { raw?: boolean } = {}) {
  const server = createSecureServer({
    key: tlsFixtures.key,
    cert: tlsFixtures.cert,
    settings: { enableConnectProtocol: true },
  });
  const streams: ServerHttp2Stream[] = [];
  server.on('stream', (stream) => {
    streams.push(stream);
    stream.respond({ ':status': 200 });
  });
  closeAtEnd(t, server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const session = await openSession(t, `https://127.0.0.1:${port}`);
  const answer = await request(session, connectHeaders(`localhost:${port}`));
  await eventually(() => streams.length === 1, 'the server stream');
  const serverStream = streams[0]!;
  t.after(() => {
    serverStream.destroy();
    answer.stream.destroy();
  });
  const raw = options.raw === true;
  return {
    server: raw ? null : new Http2StreamTransport(serverStream),
    serverStream,
    client: raw ? null : new Http2StreamTransport(answer.stream),
    clientStream: answer.stream as ClientHttp2Stream,
  };
}

/** Collects what a transport reads, and counts its events. */
function watch(transport: Http2StreamTransport) {
  const seen = { data: [] as Buffer[], end: 0, close: 0, events: [] as string[] };
  transport.on('data', (chunk) => seen.data.push(chunk));
  for (const event of ['end', 'close', 'error'] as const) {
    transport.on(event as 'end', () => {
      seen.events.push(event);
      if (event === 'end') seen.end++;
      if (event === 'close') seen.close++;
    });
  }
  return seen;
}

describe('Http2StreamTransport', () => {
  it('carries bytes in order both ways and knows the peer', async (t) => {
    const { server, client } = await pair(t);
    assert.ok(server !== null && client !== null);
    const atServer = watch(server);
    const atClient = watch(client);
    for (let i = 0; i < 50; i++) client.write(Buffer.from(`c${i};`));
    server.write(Buffer.from('你好😀'));
    await eventually(() => Buffer.concat(atServer.data).length === 190, 'the client bytes');
    assert.equal(
      Buffer.concat(atServer.data).toString(),
      Array.from({ length: 50 }, (_, i) => `c${i};`).join(''),
    );
    await eventually(() => atClient.data.length > 0, 'the server bytes');
    assert.equal(Buffer.concat(atClient.data).toString(), '你好😀');
    assert.equal(server.remoteAddress, '127.0.0.1');
    assert.equal(typeof server.remotePort, 'number');
    assert.equal(server.encrypted, true);
  });

  it("ends ours when the peer ends (END_STREAM): both close, once, with 'end' before 'close'", async (t) => {
    const { server, client, clientStream } = await pair(t);
    assert.ok(server !== null && client !== null);
    const atServer = watch(server);
    const atClient = watch(client);
    client.end(Buffer.from('last'));
    await eventually(() => atServer.close === 1 && atClient.close === 1, 'both to close');
    assert.deepEqual(atServer.events, ['end', 'close']);
    assert.deepEqual(atClient.events, ['end', 'close']);
    assert.equal(Buffer.concat(atServer.data).toString(), 'last');
    assert.equal(clientStream.rstCode, constants.NGHTTP2_NO_ERROR);
    assert.equal(server.destroyed, true);
  });

  it('destroy() resets the stream with CANCEL (RFC 8441 §5: an abnormal close)', async (t) => {
    const { serverStream, clientStream } = await pair(t, { raw: true });
    const server = new Http2StreamTransport(serverStream);
    const atServer = watch(server);
    const closed = once(clientStream, 'close');
    server.destroy();
    await within(closed, 5000, 'the client stream to close');
    assert.equal(clientStream.rstCode, constants.NGHTTP2_CANCEL);
    await eventually(() => atServer.close === 1, "the server's close");
  });

  it('a paused reader grants no window: the writer backs up, then drains', async (t) => {
    const { server, client } = await pair(t);
    assert.ok(server !== null && client !== null);
    const atServer = watch(server);
    server.pause();
    const chunk = Buffer.alloc(16 * 1024, 7);
    let refused = 0;
    for (let i = 0; i < 64; i++) if (!client.write(chunk)) refused++;
    assert.ok(refused > 0, 'write() said to back off');
    assert.ok(client.writableLength > client.writableHighWaterMark);
    // HTTP/2 flow control holds the rest: the peer took about one window (64 KiB), not 1 MiB.
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(client.writableLength > 512 * 1024, `still buffered: ${client.writableLength}`);
    const drained = once(client, 'drain');
    server.resume();
    await within(drained, 5000, 'drain');
    await eventually(() => Buffer.concat(atServer.data).length === 64 * chunk.length, 'all bytes');
    assert.equal(client.writableLength, 0);
  });

  it('a server stream ended before anything was read stays open for the peer (no RST_STREAM)', async (t) => {
    const { serverStream, clientStream } = await pair(t, { raw: true });
    const server = new Http2StreamTransport(serverStream);
    let aborted = false;
    clientStream.once('aborted', () => {
      aborted = true;
    });
    // The peer answers after our end, as a WebSocket client answers a close frame.
    const fromServer: Buffer[] = [];
    clientStream.on('data', (chunk: Buffer) => fromServer.push(chunk));
    clientStream.once('end', () => clientStream.end(Buffer.from('answer')));
    server.end(Buffer.from('bye')); // nothing read yet: Node would reset the stream
    const got: Buffer[] = [];
    const closed = once(server, 'close');
    server.on('data', (chunk) => got.push(chunk));
    server.resume();
    await within(closed, 5000, 'the stream to close');
    assert.equal(Buffer.concat(fromServer).toString(), 'bye');
    assert.equal(Buffer.concat(got).toString(), 'answer');
    assert.equal(aborted, false, 'the client stream was not reset');
    assert.equal(clientStream.rstCode, constants.NGHTTP2_NO_ERROR);
  });
});

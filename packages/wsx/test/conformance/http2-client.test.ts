/**
 * The client's role over HTTP/2: a scripted `node:http2` server (no wsx in it) accepts the wsx
 * client's extended CONNECT and checks the exact bytes it sends and how it ends the stream:
 * masked frames, a message split over DATA frames, pings, the closing handshake then END_STREAM
 * (RFC 8441 §5), and the failures RFC 6455 gives close codes to.
 */

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { constants, createSecureServer, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { connect } from '../../src/client/connect.js';
import { Http2StreamTransport } from '../../src/node/http2-transport.js';
import type { WebSocket } from '../../src/websocket/websocket.js';
import { frame } from '../helpers/frames.js';
import { closeAtEnd } from '../helpers/http2.js';
import { next, tlsFixtures, within } from '../helpers/net.js';
import { Peer } from './harness.js';
import { closePayload, Op } from './wire.js';

const TEXT = '你好，世界 😀🎉 — 再见';

/** A raw HTTP/2 server, a wsx client connected to it, and the server's view of its stream. */
async function scripted(t: TestContext) {
  const h2 = createSecureServer({
    key: tlsFixtures.key,
    cert: tlsFixtures.cert,
    settings: { enableConnectProtocol: true },
  });
  closeAtEnd(t, h2);
  const streams: ServerHttp2Stream[] = [];
  h2.on('stream', (stream: ServerHttp2Stream, headers) => {
    assert.equal(headers[':method'], 'CONNECT');
    assert.equal(headers[':protocol'], 'websocket');
    assert.equal(headers['sec-websocket-version'], '13');
    assert.equal(headers['sec-websocket-key'], undefined, 'RFC 8441 §5: no key');
    streams.push(stream);
    stream.respond({ ':status': 200 });
  });
  h2.listen(0, '127.0.0.1');
  await once(h2, 'listening');
  const { port } = h2.address() as AddressInfo;
  const ws = await connect(`wss://localhost:${port}/`, {
    ca: tlsFixtures.ca,
    http2: true,
    perMessageDeflate: false,
  });
  ws.on('error', () => {});
  const stream = streams[0]!;
  const peer = new Peer(new Http2StreamTransport(stream));
  t.after(() => peer.destroy());
  return { ws, stream, peer };
}

/** A server frame (unmasked). */
function serverFrame(opcode: number, payload: Uint8Array | string = '', fin = true): Uint8Array {
  return frame({ opcode, payload, fin });
}

/** The next frame from the client, which must be masked. */
async function clientFrameFrom(peer: Peer) {
  const got = await peer.readFrame();
  assert.equal(got.masked, true, 'client frames are masked (RFC 6455 §5.3)');
  return got;
}

function closed(ws: WebSocket): Promise<unknown[]> {
  return next(ws, 'close');
}

describe('the wsx client over HTTP/2 (a scripted server)', () => {
  it('sends masked frames; a message split over DATA frames arrives whole; pings are answered', async (t) => {
    const { ws, peer } = await scripted(t);
    ws.send(TEXT);
    const text = await clientFrameFrom(peer);
    assert.equal(text.opcode, Op.TEXT);
    assert.equal(text.payload.toString(), TEXT);
    const bytes = Buffer.from(TEXT);
    const message = next(ws, 'message');
    // A multi-byte character cut between fragments and between DATA frames.
    const first = serverFrame(Op.TEXT, bytes.subarray(0, 4), false);
    const second = serverFrame(Op.CONT, bytes.subarray(4), true);
    for (const part of [first.subarray(0, 3), first.subarray(3), second]) {
      peer.send(part);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(((await message)[0] as Buffer).toString(), TEXT);
    peer.send(serverFrame(Op.PING, 'are you there'));
    const pong = await clientFrameFrom(peer);
    assert.equal(pong.opcode, Op.PONG);
    assert.equal(pong.payload.toString(), 'are you there');
  });

  it('closes with the closing handshake, then END_STREAM; no reset', async (t) => {
    const { ws, stream, peer } = await scripted(t);
    const done = closed(ws);
    const streamClosed = once(stream, 'close');
    ws.close(4000, 'bye');
    const close = await clientFrameFrom(peer);
    assert.equal(close.opcode, Op.CLOSE);
    assert.deepEqual(close.payload, Buffer.from(closePayload(4000, 'bye')));
    peer.send(serverFrame(Op.CLOSE, closePayload(4000, 'bye')));
    // The handshake is done: the client ends its side without waiting for the server's (which
    // then ends too: the server's transport keeps no stream half-open).
    assert.deepEqual(await done, [4000, 'bye']);
    await within(streamClosed, 5000, 'the stream to close');
    assert.equal(peer.serverEnded, true, 'the client sent END_STREAM');
    assert.equal(stream.rstCode, constants.NGHTTP2_NO_ERROR);
  });

  it('answers a close from the server and lets it end the stream', async (t) => {
    const { ws, peer } = await scripted(t);
    const done = closed(ws);
    peer.send(serverFrame(Op.CLOSE, closePayload(1001, 'going')));
    const echo = await clientFrameFrom(peer);
    assert.equal(echo.opcode, Op.CLOSE);
    assert.equal(echo.payload.readUInt16BE(0), 1001);
    assert.deepEqual(await done, [1001, 'going']);
    assert.equal(peer.serverEnded, true, "the client's END_STREAM");
  });

  for (const [name, bytes, code] of [
    ['a masked frame', frame({ opcode: Op.TEXT, payload: 'x', mask: [1, 2, 3, 4] }), 1002],
    ['invalid UTF-8', serverFrame(Op.TEXT, Uint8Array.of(0xce, 0xba, 0xe1, 0xbd)), 1007],
    ['a reserved opcode', serverFrame(0x3, 'x'), 1002],
  ] as const) {
    it(`fails on ${name} with ${code}, and ends the stream after the close`, async (t) => {
      const { ws, stream, peer } = await scripted(t);
      const done = closed(ws);
      const streamClosed = once(stream, 'close');
      peer.send(bytes);
      const close = await clientFrameFrom(peer);
      assert.equal(close.opcode, Op.CLOSE);
      assert.equal(close.payload.readUInt16BE(0), code);
      // It failed the connection: its END_STREAM follows its close frame at once (and the
      // server's side ends with it: the transport keeps no stream half-open).
      await within(streamClosed, 5000, 'the stream to close');
      assert.equal(peer.serverEnded, true, "the client's END_STREAM");
      // Failing stops the processing of incoming data (RFC 6455 §7.1.7): no close frame was read,
      // so the close is reported as 1006, as over TCP.
      assert.equal((await done)[0], 1006);
      assert.equal(stream.rstCode, constants.NGHTTP2_NO_ERROR, 'ended, not reset');
    });
  }

  it('an END_STREAM with no close frame is an abnormal close (1006)', async (t) => {
    const { ws, stream } = await scripted(t);
    const done = closed(ws);
    stream.end();
    assert.deepEqual(await done, [1006, '']);
  });

  it('a reset stream is an abnormal close (1006)', async (t) => {
    const { ws, stream } = await scripted(t);
    const done = closed(ws);
    stream.close(constants.NGHTTP2_CANCEL);
    assert.deepEqual(await done, [1006, '']);
  });
});

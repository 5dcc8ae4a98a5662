/**
 * WebSocketServer over HTTP/2 (RFC 8441): the standalone server with `http2` (TLS with ALPN, and
 * cleartext h2c beside HTTP/1.1 on one port), the extended CONNECT refused with the right status,
 * `handleStream` for an application's own HTTP/2 server, the `headers` event, and the options
 * that do not go together. Clients are `node:http2` sessions and wsx's own client.
 */

import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  constants,
  createServer as createHttp2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/connect.js';
import { UsageError } from '../../src/core/errors.js';
import { Http2StreamTransport } from '../../src/node/http2-transport.js';
import { Http2UpgradeRequest } from '../../src/server/http2-request.js';
import { reject } from '../../src/server/rejection.js';
import type { UpgradeSource } from '../../src/server/upgrade-request.js';
import { WebSocketServer } from '../../src/server/websocket-server.js';
import { Peer } from '../conformance/harness.js';
import { Op } from '../conformance/wire.js';
import { clientFrame } from '../helpers/frames.js';
import { closeAtEnd, connectHeaders, openSession, refused, request } from '../helpers/http2.js';
import { next, startServer, tlsFixtures } from '../helpers/net.js';

const TEXT = '你好，世界 😀🎉';
const tls = { key: tlsFixtures.key, cert: tlsFixtures.cert };
const ca = tlsFixtures.ca;

/** The request a connection arrived with. */
function nextRequest(server: WebSocketServer): Promise<UpgradeSource> {
  return next(server, 'connection').then(([, req]) => req as UpgradeSource);
}

describe('standalone WebSocketServer with http2', () => {
  it('serves wss:// over HTTP/2 (ALPN h2) and over HTTP/1.1 on the same port', async (t) => {
    const { server, port } = await startServer(t, {
      tls,
      http2: true,
      message: (ws, data, isBinary) => ws.send(data, { binary: isBinary }),
    });
    const arrived = nextRequest(server);
    const ws2 = await connect(`wss://localhost:${port}/chat?room=1`, { ca, http2: true });
    const req = await arrived;
    assert.ok(req instanceof Http2UpgradeRequest);
    assert.equal(req.httpVersion, '2.0');
    assert.equal(req.method, 'CONNECT');
    assert.equal(req.url, '/chat?room=1');
    assert.equal(req.headers.host, `localhost:${port}`, 'host from :authority');
    assert.equal(req.socket.remoteAddress, '127.0.0.1');
    const echoed = next(ws2, 'message');
    ws2.send(TEXT);
    const [data, isBinary] = (await echoed) as [Buffer, boolean];
    assert.equal(data.toString(), TEXT);
    assert.equal(isBinary, false);
    assert.equal(ws2.url, `wss://localhost:${port}/chat?room=1`);

    const arrived1 = nextRequest(server);
    const ws1 = await connect(`wss://localhost:${port}/`, { ca });
    assert.equal((await arrived1).httpVersion, '1.1');
    const echoed1 = next(ws1, 'message');
    ws1.send(Buffer.from([0, 1, 2, 255]));
    assert.deepEqual((await echoed1)[0], Buffer.from([0, 1, 2, 255]));
    ws1.close();
    ws2.close();
  });

  it('with allowHTTP1: false, speaks HTTP/2 only', async (t) => {
    const { port } = await startServer(t, { tls, http2: true, allowHTTP1: false });
    const ws = await connect(`wss://localhost:${port}/`, { ca, http2: true });
    ws.close();
    await assert.rejects(connect(`wss://localhost:${port}/`, { ca }));
  });

  it('cleartext: h2c (prior knowledge) and HTTP/1.1 share a port; allowHTTP1: false is h2c only', async (t) => {
    const { server, port } = await startServer(t, { http2: true });
    const arrived = nextRequest(server);
    const ws2 = await connect(`ws://127.0.0.1:${port}/`, { http2: true });
    assert.equal((await arrived).httpVersion, '2.0');
    const arrived1 = nextRequest(server);
    const ws1 = await connect(`ws://127.0.0.1:${port}/`);
    assert.equal((await arrived1).httpVersion, '1.1');
    ws1.close();
    ws2.close();
    const only = await startServer(t, { http2: true, allowHTTP1: false });
    const ws = await connect(`ws://127.0.0.1:${only.port}/`, { http2: true });
    ws.close();
    await assert.rejects(connect(`ws://127.0.0.1:${only.port}/`));
  });

  it('takes many WebSockets on one session (several streams of one connection)', async (t) => {
    const { server, port } = await startServer(t, { tls, http2: true });
    const sessions = new Set<unknown>();
    server.on('connection', (_ws, req) => sessions.add((req as Http2UpgradeRequest).session));
    const session = await openSession(t, `https://127.0.0.1:${port}`);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => request(session, connectHeaders(`localhost:${port}`))),
    );
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(server.clients.size, 20);
    assert.equal(sessions.size, 1, 'one HTTP/2 session');
  });
});

describe('extended CONNECT refused (RFC 8441 §4-5; every status: conformance/http2-handshake.ts)', () => {
  it("reports the client's fault with the stream's transport and request; the session goes on", async (t) => {
    const { server, port } = await startServer(t, {
      tls,
      http2: true,
      allowedOrigins: ['https://good.example'],
    });
    const clientErrors: unknown[][] = [];
    server.on('wsClientError', (...args) => clientErrors.push(args));
    const session = await openSession(t, `https://127.0.0.1:${port}`);
    const base = connectHeaders(`localhost:${port}`);
    const answer = await refused(session, { ...base, origin: 'https://evil.example' });
    assert.equal(answer.status, 403);
    assert.equal(answer.body, 'origin not allowed\n');
    const [error, socket, req] = clientErrors[0] as [{ status: number }, unknown, unknown];
    assert.equal(error.status, 403);
    assert.ok(socket instanceof Http2StreamTransport);
    assert.ok(req instanceof Http2UpgradeRequest);
    const good = await request(session, { ...base, origin: 'https://good.example' });
    assert.equal(good.status, 200, 'the same session still opens WebSockets');
  });

  it("the upgrade hook's refusal: any status, its headers and body (connection-specific ones left out)", async (t) => {
    const { port } = await startServer(t, {
      tls,
      http2: true,
      async upgrade(request) {
        await new Promise((resolve) => setImmediate(resolve));
        if (request.headers.authorization === 'Bearer good') return { user: 'ann' };
        return reject(401, 'missing or bad token\n', {
          'WWW-Authenticate': 'Bearer',
          Connection: 'close',
        });
      },
    });
    const session = await openSession(t, `https://127.0.0.1:${port}`);
    const answer = await refused(session, connectHeaders(`localhost:${port}`));
    assert.equal(answer.status, 401);
    assert.equal(answer.headers['www-authenticate'], 'Bearer');
    assert.equal(answer.body, 'missing or bad token\n');
    const good = await request(
      session,
      connectHeaders(`localhost:${port}`, '/', { authorization: 'Bearer good' }),
    );
    assert.equal(good.status, 200);
  });
});

describe('accepting over HTTP/2', () => {
  it('answers 200 with the subprotocol, compression, and lines added by `headers` listeners', async (t) => {
    const { server, port } = await startServer(t, {
      tls,
      http2: true,
      protocols: ['chat.v2', 'chat.v1'],
      perMessageDeflate: true,
      message: (ws, data, isBinary) => ws.send(data, { binary: isBinary }),
    });
    server.on('headers', (lines, req) => {
      assert.equal(lines[0], 'HTTP/2 200');
      assert.equal(req.httpVersion, '2.0');
      lines.push('Set-Cookie: session=abc');
    });
    const ws = await connect(`wss://localhost:${port}/`, {
      ca,
      http2: true,
      protocols: ['chat.v1', 'chat.v2'],
    });
    assert.equal(ws.protocol, 'chat.v1');
    assert.equal(
      ws.extensions,
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    );
    const session = await openSession(t, `https://127.0.0.1:${port}`);
    const raw = await request(session, connectHeaders(`localhost:${port}`));
    assert.equal(raw.headers['set-cookie']?.[0], 'session=abc');
    assert.equal(raw.headers['sec-websocket-accept'], undefined, 'no accept key (RFC 8441 §5)');
    const big = TEXT.repeat(20_000);
    const echoed = next(ws, 'message');
    ws.send(big);
    assert.equal(((await echoed)[0] as Buffer).toString(), big);
    ws.close();
  });

  it('handleStream: an application with its own HTTP/2 server hands extended CONNECTs over', async (t) => {
    const wss = new WebSocketServer({
      noServer: true,
      message: (ws, data) => ws.send(`echo: ${data}`),
    });
    t.after(() => wss.close());
    const h2 = createHttp2Server({ settings: { enableConnectProtocol: true } });
    h2.on(
      'stream',
      (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _f: number, raw: string[]) => {
        if (headers[':method'] === 'CONNECT') void wss.handleStream(stream, headers, raw);
        else stream.respond({ ':status': 204 }, { endStream: true });
      },
    );
    closeAtEnd(t, h2);
    h2.listen(0, '127.0.0.1');
    await once(h2, 'listening');
    const { port } = h2.address() as AddressInfo;
    const ws = await connect(`ws://127.0.0.1:${port}/`, { http2: true });
    const answer = next(ws, 'message');
    ws.send('hi');
    assert.equal(((await answer)[0] as Buffer).toString(), 'echo: hi');
    ws.close();
    await next(ws, 'close');
  });
});

describe('raw frames over an HTTP/2 stream', () => {
  it('reads frames, answers pings, and closes with END_STREAM after the closing handshake', async (t) => {
    const { server, port } = await startServer(t, {
      tls,
      http2: true,
      message: (ws, data, isBinary) => ws.send(data, { binary: isBinary }),
    });
    const closed = next(server, 'connection').then(([ws]) => next(ws as never, 'close'));
    const session = await openSession(t, `https://127.0.0.1:${port}`);
    const answer = await request(session, connectHeaders(`localhost:${port}`));
    const peer = new Peer(new Http2StreamTransport(answer.stream));
    peer.send(
      clientFrame({ opcode: Op.TEXT, payload: TEXT, fin: false }),
      clientFrame({ opcode: Op.PING, payload: 'p' }),
      clientFrame({ opcode: Op.CONT, payload: '!' }),
    );
    await peer.expectFramesPongsAnywhere([
      [Op.PONG, 'p'],
      [Op.TEXT, `${TEXT}!`],
    ]);
    peer.send(clientFrame({ opcode: Op.CLOSE, payload: Uint8Array.of(0x03, 0xe8) }));
    await peer.expectClose(1000);
    assert.deepEqual((await closed)[0], 1000);
    assert.equal(answer.stream.rstCode, constants.NGHTTP2_NO_ERROR, 'no reset');
  });

  it('a reset stream is an abnormal close (1006)', async (t) => {
    const { server, port } = await startServer(t, { tls, http2: true });
    const closed = next(server, 'connection').then(([ws]) => next(ws as never, 'close'));
    const session = await openSession(t, `https://127.0.0.1:${port}`);
    const answer = await request(session, connectHeaders(`localhost:${port}`));
    answer.stream.close(constants.NGHTTP2_CANCEL);
    assert.deepEqual(await closed, [1006, '']);
  });
});

describe('options', () => {
  it('throws a UsageError for what does not go together', () => {
    const bad: Record<string, unknown>[] = [
      { noServer: true, http2: true },
      { noServer: true, http2: {} },
      { port: 0, allowHTTP1: true },
      { port: 0, http2: false, allowHTTP1: true },
      { port: 0, http2: true, allowHTTP1: 'yes' },
      { port: 0, http2: 'yes' },
      { port: 0, http2: { bogus: 1 } },
      { server: createHttp2Server(), http2: {} },
      { server: createHttp2Server(), allowHTTP1: true },
      { server: new (class {})() as never, http2: true },
    ];
    for (const options of bad) {
      assert.throws(
        () => new WebSocketServer(options as never),
        UsageError,
        JSON.stringify(options),
      );
    }
  });
});

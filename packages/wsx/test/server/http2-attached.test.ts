/**
 * WebSocketServers attached to an application's `node:http2` server (`{ server }`): with and
 * without a `request` handler (Node's compatibility layer answers CONNECT 405 unless someone
 * listens on `connect`: the trap), beside the application's pages and its HTTP/1.1 upgrades
 * (`allowHTTP1`), several by path, and the settings that allow extended CONNECT.
 */

import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { connect } from '../../src/client/connect.js';
import { Http2UpgradeRequest } from '../../src/server/http2-request.js';
import { WebSocketServer } from '../../src/server/websocket-server.js';
import {
  body,
  closeAtEnd,
  connectHeaders,
  openSession,
  refused,
  request,
} from '../helpers/http2.js';
import { next, tlsFixtures, within } from '../helpers/net.js';

const ca = tlsFixtures.ca;

/** An application's HTTP/2 server (TLS, HTTP/1.1 allowed) on 127.0.0.1:0, closed at the end. */
async function appServer(
  t: TestContext,
  onRequest?: (req: Http2ServerRequest, res: Http2ServerResponse) => void,
): Promise<{ h2: Http2SecureServer; port: number }> {
  const h2 = createSecureServer({ key: tlsFixtures.key, cert: tlsFixtures.cert, allowHTTP1: true });
  if (onRequest !== undefined) h2.on('request', onRequest);
  closeAtEnd(t, h2);
  h2.listen(0, '127.0.0.1');
  await once(h2, 'listening');
  return { h2, port: (h2.address() as AddressInfo).port };
}

/** Serves the page at / (any other request: 404). */
function page(req: Http2ServerRequest, res: Http2ServerResponse): void {
  res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/plain' });
  res.end(req.url === '/' ? `page over HTTP/${req.httpVersion}` : '');
}

/** A WebSocketServer on `h2` answering `tag: <message>`, closed at the end. */
function attach(t: TestContext, h2: Http2SecureServer, tag: string, path?: string) {
  const wss = new WebSocketServer({
    server: h2,
    ...(path === undefined ? {} : { path }),
    message: (ws, data) => ws.send(`${tag}: ${data}`),
  });
  t.after(() => wss.close());
  return wss;
}

async function roundTrip(url: string, options: { http2?: boolean } = {}): Promise<string> {
  const ws = await connect(url, { ca, ...options });
  const answer = next(ws, 'message');
  ws.send('hi');
  const [data] = await answer;
  ws.close();
  return (data as Buffer).toString();
}

describe('attached to an application http2 server', () => {
  for (const order of ['request handler first', 'wsx first'] as const) {
    it(`with a request handler (${order}): WebSockets over HTTP/2 and HTTP/1.1, pages still served`, async (t) => {
      const { h2, port } = await appServer(t, order === 'request handler first' ? page : undefined);
      const wss = attach(t, h2, 'ws');
      if (order === 'wsx first') h2.on('request', page);
      const arrived = next(wss, 'connection');
      assert.equal(await roundTrip(`wss://localhost:${port}/`, { http2: true }), 'ws: hi');
      assert.ok((await arrived)[1] instanceof Http2UpgradeRequest);
      assert.equal(await roundTrip(`wss://localhost:${port}/`), 'ws: hi', 'HTTP/1.1 upgrade');
      const session = await openSession(t, `https://127.0.0.1:${port}`);
      assert.equal(session.remoteSettings.enableConnectProtocol, true);
      const got = await request(session, { ':path': '/' });
      assert.equal(got.status, 200);
      assert.equal(await body(got.stream), 'page over HTTP/2.0');
    });
  }

  it('a plain CONNECT (no :protocol) still gets the 405 Node answers', async (t) => {
    const { h2, port } = await appServer(t, page);
    attach(t, h2, 'ws');
    const session = await openSession(t, `https://127.0.0.1:${port}`);
    const answer = await request(session, { ':method': 'CONNECT', ':authority': 'example:443' });
    assert.equal(answer.status, 405);
  });

  it('without a request handler; an extended CONNECT no WebSocketServer takes gets 404', async (t) => {
    const { h2, port } = await appServer(t);
    attach(t, h2, 'ws', '/ws');
    assert.equal(await roundTrip(`wss://localhost:${port}/ws`, { http2: true }), 'ws: hi');
    const session = await openSession(t, `https://127.0.0.1:${port}`);
    const answer = await refused(session, connectHeaders(`localhost:${port}`, '/nope'));
    assert.equal(answer.status, 404);
  });

  it('several WebSocketServers by path; a closed one leaves its path', async (t) => {
    const { h2, port } = await appServer(t, page);
    const a = attach(t, h2, 'a', '/a');
    attach(t, h2, 'b', '/b');
    assert.equal(await roundTrip(`wss://localhost:${port}/a`, { http2: true }), 'a: hi');
    assert.equal(await roundTrip(`wss://localhost:${port}/b`, { http2: true }), 'b: hi');
    await a.close();
    const session = await openSession(t, `https://127.0.0.1:${port}`);
    assert.equal((await refused(session, connectHeaders(`localhost:${port}`, '/a'))).status, 404);
    assert.equal(await roundTrip(`wss://localhost:${port}/b`, { http2: true }), 'b: hi');
  });

  it('a closed WebSocketServer leaves extended CONNECTs to Node (405); its sockets close, the application goes on', async (t) => {
    const { h2, port } = await appServer(t, page);
    const wss = attach(t, h2, 'ws');
    const session = await openSession(t, `https://127.0.0.1:${port}`);
    const open = await request(session, connectHeaders(`localhost:${port}`));
    assert.equal(open.status, 200);
    const closing = wss.close();
    // Detached: nobody takes extended CONNECTs any more, and Node's own answer is 405.
    const after = await refused(session, connectHeaders(`localhost:${port}`));
    assert.equal(after.status, 405);
    open.stream.close();
    await within(closing, 5000, 'the WebSocketServer to close');
  });

  it('http2: false serves only the HTTP/1.1 upgrades of an http2 server', async (t) => {
    const { h2, port } = await appServer(t, page);
    const wss = new WebSocketServer({ server: h2, http2: false, message: (ws) => ws.send('x') });
    t.after(() => wss.close());
    assert.equal(await roundTrip(`wss://localhost:${port}/`), 'x');
    await assert.rejects(
      connect(`wss://localhost:${port}/`, { ca, http2: true }),
      /do not allow extended CONNECT/,
    );
  });
});

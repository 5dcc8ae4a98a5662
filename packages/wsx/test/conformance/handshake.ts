/** RFC 6455 §4: the opening handshake, accepted and refused, over a real socket. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reject } from '../../src/server/rejection.js';
import { clientFrame } from '../helpers/frames.js';
import { startEcho, type Transport } from './harness.js';
import { acceptFor, Op, type RequestSpec, upgradeRequest } from './wire.js';

interface Refusal {
  readonly name: string;
  readonly request: string;
  readonly status: number;
  /** Headers the answer must carry (lower-case names, exact values). */
  readonly headers?: Readonly<Record<string, string>>;
}

const BIG_HEADER = 'x'.repeat(17 * 1024);

const REFUSALS: readonly Refusal[] = [
  {
    name: 'a POST (not GET)',
    request: upgradeRequest({ method: 'POST' }),
    status: 405,
    headers: { allow: 'GET' },
  },
  { name: 'HTTP/1.0', request: upgradeRequest({ version: 'HTTP/1.0' }), status: 400 },
  { name: 'no Host', request: upgradeRequest({ drop: ['Host'] }), status: 400 },
  {
    name: 'no Upgrade (a plain GET)',
    request: upgradeRequest({ drop: ['Upgrade'] }),
    status: 426,
    headers: { upgrade: 'websocket' },
  },
  { name: 'Upgrade: h2c', request: upgradeRequest({ set: { Upgrade: 'h2c' } }), status: 400 },
  {
    name: 'Connection without upgrade',
    request: upgradeRequest({ set: { Connection: 'keep-alive' } }),
    status: 400,
  },
  {
    name: 'a key that is not base64',
    request: upgradeRequest({ set: { 'Sec-WebSocket-Key': 'not a key!' } }),
    status: 400,
  },
  {
    name: 'a key of 15 bytes',
    request: upgradeRequest({ set: { 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAA' } }),
    status: 400,
  },
  { name: 'no key', request: upgradeRequest({ drop: ['Sec-WebSocket-Key'] }), status: 400 },
  {
    name: 'version 8',
    request: upgradeRequest({ set: { 'Sec-WebSocket-Version': '8' } }),
    status: 426,
    headers: { 'sec-websocket-version': '13' },
  },
  {
    name: 'no version',
    request: upgradeRequest({ drop: ['Sec-WebSocket-Version'] }),
    status: 400,
    headers: { 'sec-websocket-version': '13' },
  },
  {
    // Node's HTTP parser refuses a head over its 16 KiB limit before wsx sees it.
    name: 'headers over 16 KiB',
    request: upgradeRequest({ set: { 'X-Big': BIG_HEADER } }),
    status: 431,
  },
];

export function handshakeCases(transport: Transport): void {
  describe('§4 opening handshake', () => {
    it('answers a valid request with 101 and the right Sec-WebSocket-Accept (§4.2.2)', async (t) => {
      const h = await startEcho(t, transport);
      const key = 'x3JJHMbDL1EzLkh9GBhXDw==';
      const peer = await h.open();
      // permessage-deflate is offered but this version negotiates no extension.
      const response = await peer.handshake({
        set: { 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Extensions': 'permessage-deflate' },
      });
      assert.equal(response.headers.get('sec-websocket-accept'), acceptFor(key));
      assert.equal(response.headers.get('sec-websocket-accept'), 'HSmrc0sMlYUkAGmm5OPpG2HaGWk=');
      assert.equal(response.headers.get('upgrade')?.toLowerCase(), 'websocket');
      assert.equal(response.headers.get('connection')?.toLowerCase(), 'upgrade');
      assert.equal(response.headers.has('sec-websocket-protocol'), false);
      assert.equal(response.headers.has('sec-websocket-extensions'), false);
      assert.equal(response.body.length, 0);
      peer.send(clientFrame({ opcode: Op.TEXT, payload: 'after 101' }));
      await peer.expectFrame(Op.TEXT, 'after 101');
    });

    it('reads frames that arrive in the same write as the request', async (t) => {
      const h = await startEcho(t, transport);
      const peer = await h.open();
      peer.send(
        Buffer.from(upgradeRequest(), 'latin1'),
        clientFrame({ opcode: Op.TEXT, payload: 'early' }),
        clientFrame({ opcode: Op.PING, payload: 'p' }),
      );
      const response = await peer.readResponse();
      assert.equal(response.status, 101);
      await peer.expectFramesPongsAnywhere([
        [Op.TEXT, 'early'],
        [Op.PONG, 'p'],
      ]);
    });

    for (const refusal of REFUSALS) {
      it(`refuses ${refusal.name} with ${refusal.status} and closes the connection`, async (t) => {
        const h = await startEcho(t, transport);
        const peer = await h.open();
        peer.send(Buffer.from(refusal.request, 'latin1'));
        const response = await peer.readResponse();
        assert.equal(response.status, refusal.status, response.statusLine);
        for (const [name, value] of Object.entries(refusal.headers ?? {})) {
          assert.equal(response.headers.get(name), value, `header ${name}`);
        }
        assert.match(response.headers.get('connection') ?? '', /\bclose\b/i);
        await peer.expectServerClosed();
      });
    }

    it('still serves everyone else after refusing bad requests', async (t) => {
      const h = await startEcho(t, transport);
      const before = await h.connect();
      await Promise.all(
        REFUSALS.map(async (refusal) => {
          const bad = await h.open();
          bad.send(Buffer.from(refusal.request, 'latin1'));
          assert.equal((await bad.readResponse()).status, refusal.status);
          await bad.expectServerClosed();
        }),
      );
      before.send(clientFrame({ opcode: Op.TEXT, payload: 'still here' }));
      await before.expectFrame(Op.TEXT, 'still here');
      const after = await h.connect();
      after.send(clientFrame({ opcode: Op.BINARY, payload: 'new client' }));
      await after.expectFrame(Op.BINARY, 'new client');
    });

    it('answers 404 for a path it does not serve (the `path` option)', async (t) => {
      const h = await startEcho(t, transport, { path: '/chat' });
      const bad = await h.open();
      bad.send(Buffer.from(upgradeRequest({ path: '/other' }), 'latin1'));
      assert.equal((await bad.readResponse()).status, 404);
      await bad.expectServerClosed();
      const good = await h.connect({ path: '/chat?room=1' });
      good.send(clientFrame({ opcode: Op.TEXT, payload: 'on /chat' }));
      await good.expectFrame(Op.TEXT, 'on /chat');
    });

    it('answers 403 for an origin not in `allowedOrigins`', async (t) => {
      const h = await startEcho(t, transport, { allowedOrigins: ['https://good.example'] });
      const bad = await h.open();
      bad.send(Buffer.from(upgradeRequest({ set: { Origin: 'https://evil.example' } }), 'latin1'));
      assert.equal((await bad.readResponse()).status, 403);
      await bad.expectServerClosed();
      await h.connect({ set: { Origin: 'https://good.example' } });
      await h.connect(); // no Origin: not a browser, allowed
    });

    it('selects the first offered subprotocol it speaks (§4.2.2 /subprotocol/)', async (t) => {
      const h = await startEcho(t, transport, { protocols: ['chat.v2', 'chat.v1'] });
      const cases: [RequestSpec, string | undefined][] = [
        [{ set: { 'Sec-WebSocket-Protocol': 'chat.v1, chat.v2' } }, 'chat.v1'],
        [{ set: { 'Sec-WebSocket-Protocol': 'other, chat.v2' } }, 'chat.v2'],
        [{ set: { 'Sec-WebSocket-Protocol': 'other' } }, undefined],
        [{}, undefined],
      ];
      for (const [spec, expected] of cases) {
        const peer = await h.open();
        const response = await peer.handshake(spec);
        assert.equal(response.headers.get('sec-websocket-protocol'), expected);
      }
    });

    it('lets the `upgrade` hook refuse with 401, headers and a body', async (t) => {
      const h = await startEcho(t, transport, {
        async upgrade(request) {
          await new Promise((resolve) => setImmediate(resolve));
          if (request.headers.authorization === 'Bearer good') return { user: 'ann' };
          return reject(401, 'missing or bad token\n', { 'WWW-Authenticate': 'Bearer' });
        },
      });
      const bad = await h.open();
      bad.send(Buffer.from(upgradeRequest(), 'latin1'));
      const response = await bad.readResponse();
      assert.equal(response.statusLine, 'HTTP/1.1 401 Unauthorized');
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
      assert.equal(response.body.toString('utf8'), 'missing or bad token\n');
      await bad.expectServerClosed();
      const good = await h.connect({ set: { Authorization: 'Bearer good' } });
      good.send(clientFrame({ opcode: Op.TEXT, payload: 'authorized' }));
      await good.expectFrame(Op.TEXT, 'authorized');
    });
  });
}

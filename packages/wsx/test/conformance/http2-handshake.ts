/**
 * RFC 8441 §4-5: the opening handshake over HTTP/2, an extended CONNECT, accepted and refused.
 * The HTTP/2 counterpart of handshake.ts: every refusal is a complete answer (status, headers,
 * body) ending the stream, and the session goes on serving.
 */

import assert from 'node:assert/strict';
import type { OutgoingHttpHeaders } from 'node:http2';
import { describe, it } from 'node:test';
import { Http2StreamTransport } from '../../src/node/http2-transport.js';
import { reject } from '../../src/server/rejection.js';
import { clientFrame } from '../helpers/frames.js';
import { refused, request } from '../helpers/http2.js';
import { Peer, type Transport } from './harness.js';
import { connectFields, http2Server } from './http2-transport.js';
import { Op } from './wire.js';

interface Refusal {
  readonly name: string;
  /** Fields changed from a valid extended CONNECT; '' removes one. */
  readonly fields: Readonly<Record<string, string>>;
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
}

const REFUSALS: readonly Refusal[] = [
  {
    name: 'a GET (no extended CONNECT)',
    fields: { ':method': 'GET', ':protocol': '' },
    status: 405,
    headers: { allow: 'CONNECT' },
  },
  { name: ':protocol other than websocket', fields: { ':protocol': 'connect-udp' }, status: 501 },
  {
    name: 'version 8',
    fields: { 'sec-websocket-version': '8' },
    status: 426,
    headers: { 'sec-websocket-version': '13' },
  },
  {
    name: 'no version',
    fields: { 'sec-websocket-version': '' },
    status: 400,
    headers: { 'sec-websocket-version': '13' },
  },
  { name: 'repeated subprotocols', fields: { 'sec-websocket-protocol': 'a, a' }, status: 400 },
  {
    name: 'malformed extensions',
    fields: { 'sec-websocket-extensions': 'permessage-deflate; =' },
    status: 400,
  },
];

function changed(base: OutgoingHttpHeaders, fields: Readonly<Record<string, string>>) {
  const out = { ...base };
  for (const [name, value] of Object.entries(fields)) {
    if (value === '') delete out[name];
    else out[name] = value;
  }
  return out;
}

export function http2HandshakeCases(transport: Transport): void {
  describe(`RFC 8441 §4-5 opening handshake (${transport.name})`, () => {
    it('answers 200 with no Sec-WebSocket-Accept, and the stream carries frames', async (t) => {
      const { session, authority } = await http2Server(t, {});
      const answer = await request(
        session,
        connectFields(authority, { set: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } }),
      );
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['sec-websocket-accept'], undefined);
      assert.equal(answer.headers['sec-websocket-protocol'], undefined);
      assert.equal(answer.headers['sec-websocket-extensions'], undefined, 'compression is off');
      const peer = new Peer(new Http2StreamTransport(answer.stream));
      peer.send(clientFrame({ opcode: Op.TEXT, payload: 'after 200' }));
      await peer.expectFrame(Op.TEXT, 'after 200');
      peer.destroy();
    });

    it('reads frames sent right after the request, before the 200 arrived', async (t) => {
      const { session, authority } = await http2Server(t, {});
      const stream = session.request(connectFields(authority), { endStream: false });
      stream.write(clientFrame({ opcode: Op.TEXT, payload: 'early' }));
      const peer = new Peer(new Http2StreamTransport(stream));
      await peer.expectFrame(Op.TEXT, 'early');
      peer.destroy();
    });

    for (const refusal of REFUSALS) {
      it(`refuses ${refusal.name} with ${refusal.status} and ends the stream`, async (t) => {
        const { session, authority } = await http2Server(t, {});
        const answer = await refused(session, changed(connectFields(authority), refusal.fields));
        assert.equal(answer.status, refusal.status, answer.body);
        for (const [name, value] of Object.entries(refusal.headers ?? {})) {
          assert.equal(answer.headers[name], value, `header ${name}`);
        }
        assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
      });
    }

    it('still serves everyone on the session after refusing bad requests', async (t) => {
      const { session, authority } = await http2Server(t, {});
      const before = await request(session, connectFields(authority));
      await Promise.all(
        REFUSALS.map(async (refusal) => {
          const answer = await refused(session, changed(connectFields(authority), refusal.fields));
          assert.equal(answer.status, refusal.status);
        }),
      );
      const peer = new Peer(new Http2StreamTransport(before.stream));
      peer.send(clientFrame({ opcode: Op.TEXT, payload: 'still here' }));
      await peer.expectFrame(Op.TEXT, 'still here');
      const after = await request(session, connectFields(authority));
      assert.equal(after.status, 200);
      peer.destroy();
      after.stream.destroy();
    });

    it('answers 404 for a path it does not serve, 403 for an origin not allowed', async (t) => {
      const { session, authority } = await http2Server(t, {
        path: '/chat',
        allowedOrigins: ['https://good.example'],
      });
      const path = await refused(session, connectFields(authority, { path: '/other' }));
      assert.equal(path.status, 404);
      const origin = await refused(
        session,
        connectFields(authority, { path: '/chat', set: { Origin: 'https://evil.example' } }),
      );
      assert.equal(origin.status, 403);
      for (const set of [{ Origin: 'https://good.example' }, {}]) {
        const ok = await request(session, connectFields(authority, { path: '/chat?x=1', set }));
        assert.equal(ok.status, 200);
        ok.stream.destroy();
      }
    });

    it('selects the first offered subprotocol it speaks', async (t) => {
      const { session, authority } = await http2Server(t, { protocols: ['chat.v2', 'chat.v1'] });
      const cases: [string | undefined, string | undefined][] = [
        ['chat.v1, chat.v2', 'chat.v1'],
        ['other, chat.v2', 'chat.v2'],
        ['other', undefined],
        [undefined, undefined],
      ];
      for (const [offered, expected] of cases) {
        const set = offered === undefined ? {} : { 'Sec-WebSocket-Protocol': offered };
        const answer = await request(session, connectFields(authority, { set }));
        assert.equal(answer.status, 200);
        assert.equal(answer.headers['sec-websocket-protocol'], expected);
        answer.stream.destroy();
      }
    });

    it('lets the `upgrade` hook refuse with 401, headers and a body', async (t) => {
      const { session, authority } = await http2Server(t, {
        async upgrade(req) {
          await new Promise((resolve) => setImmediate(resolve));
          if (req.headers.authorization === 'Bearer good') return { user: 'ann' };
          return reject(401, 'missing or bad token\n', { 'WWW-Authenticate': 'Bearer' });
        },
      });
      const bad = await refused(session, connectFields(authority));
      assert.equal(bad.status, 401);
      assert.equal(bad.headers['www-authenticate'], 'Bearer');
      assert.equal(bad.body, 'missing or bad token\n');
      const good = await request(
        session,
        connectFields(authority, { set: { Authorization: 'Bearer good' } }),
      );
      assert.equal(good.status, 200);
      good.stream.destroy();
    });
  });
}

/**
 * The conformance suite's HTTP/2 transport: a standalone wsx server with `http2` over TLS (HTTP/2
 * only), one `node:http2` session per test, and every peer a stream of it opened with an
 * extended CONNECT (RFC 8441), read and written like a TCP connection. The server's END_STREAM is
 * the FIN the cases wait for.
 */

import assert from 'node:assert/strict';
import type { OutgoingHttpHeaders } from 'node:http2';
import { Http2StreamTransport } from '../../src/node/http2-transport.js';
import { connectHeaders, openSession, request } from '../helpers/http2.js';
import { startServer, tlsFixtures } from '../helpers/net.js';
import type { EchoOptions, Transport } from './harness.js';
import type { RequestSpec } from './wire.js';

/** The header fields of an extended CONNECT for `spec` (`set` and `drop` name HTTP/1.1 fields). */
export function connectFields(authority: string, spec: RequestSpec = {}): OutgoingHttpHeaders {
  assert.ok(spec.method === undefined && spec.version === undefined, 'not over HTTP/2');
  const fields: OutgoingHttpHeaders = connectHeaders(authority, spec.path ?? '/');
  for (const name of spec.drop ?? []) delete fields[name.toLowerCase()];
  for (const [name, value] of Object.entries(spec.set ?? {})) fields[name.toLowerCase()] = value;
  return fields;
}

export const http2Transport: Transport = {
  name: 'http2',
  handshake: 'http2',
  async start(t, options) {
    const { server, port } = await startServer(t, {
      ...(options as EchoOptions),
      tls: { key: tlsFixtures.key, cert: tlsFixtures.cert },
      http2: true,
      allowHTTP1: false,
    });
    const session = await openSession(t, `https://127.0.0.1:${port}`);
    const authority = `localhost:${port}`;
    return {
      server,
      open() {
        throw new Error('HTTP/2 peers open streams, not raw HTTP/1.1 connections');
      },
      async connect(spec) {
        const answer = await request(session, connectFields(authority, spec));
        assert.equal(answer.status, 200);
        return new Http2StreamTransport(answer.stream);
      },
    };
  },
};

/** The session and authority of a started HTTP/2 server, for the handshake cases. */
export async function http2Server(t: Parameters<Transport['start']>[0], options: EchoOptions) {
  const { server, port } = await startServer(t, {
    message(ws, data, isBinary) {
      ws.send(data, { binary: isBinary });
    },
    ...options,
    tls: { key: tlsFixtures.key, cert: tlsFixtures.cert },
    http2: true,
    allowHTTP1: false,
  });
  const session = await openSession(t, `https://127.0.0.1:${port}`);
  return { server, session, authority: `localhost:${port}` };
}

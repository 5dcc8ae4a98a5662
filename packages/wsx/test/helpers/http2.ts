/**
 * Helpers for tests over HTTP/2 on loopback: a `node:http2` client session to a server (the test
 * CA trusted), and extended CONNECT streams on it, read as transports.
 */

import assert from 'node:assert/strict';
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type Http2SecureServer,
  type Http2Server,
  connect as http2Connect,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
} from 'node:http2';
import type { TestContext } from 'node:test';
import { tlsFixtures, within } from './net.js';

/**
 * Closes `server` when the test ends, its sessions first (a session a test left open would keep
 * `close()` waiting).
 */
export function closeAtEnd(t: TestContext, server: Http2Server | Http2SecureServer): void {
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  t.after(async () => {
    for (const session of sessions) session.destroy();
    await within(
      new Promise((resolve) => server.close(resolve)),
      5000,
      'the HTTP/2 server to close',
    );
  });
}

/** An HTTP/2 session to `origin` (`https://` or `http://` for h2c), destroyed when the test ends. */
export async function openSession(t: TestContext, origin: string): Promise<ClientHttp2Session> {
  const session = http2Connect(origin, { ca: tlsFixtures.ca, servername: 'localhost' });
  session.on('error', () => {});
  t.after(() => session.destroy());
  await within(
    new Promise((resolve) => session.once('remoteSettings', resolve)),
    5000,
    "the server's SETTINGS",
  );
  return session;
}

/** The extended CONNECT of RFC 8441 §5.1 for `path`, with `extra` fields (lower-case names). */
export function connectHeaders(
  authority: string,
  path = '/',
  extra: OutgoingHttpHeaders = {},
): OutgoingHttpHeaders {
  return {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'https',
    ':path': path,
    ':authority': authority,
    'sec-websocket-version': '13',
    ...extra,
  };
}

export interface Answer {
  readonly stream: ClientHttp2Stream;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/** Sends `headers` on a new stream and waits for the answer's head. */
export async function request(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
): Promise<Answer> {
  const stream = session.request(headers, { endStream: false });
  stream.on('error', () => {});
  const responseHeaders = await within(
    new Promise<IncomingHttpHeaders>((resolve) => stream.once('response', (h) => resolve(h))),
    5000,
    'the answer to the extended CONNECT',
  );
  return { stream, status: Number(responseHeaders[':status']), headers: responseHeaders };
}

/** Reads a stream to the server's END_STREAM (a refusal's body), then closes our side. */
export async function body(stream: ClientHttp2Stream): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  if (!stream.readableEnded) {
    await within(
      new Promise((resolve) => stream.once('end', resolve)),
      5000,
      'the end of the answer',
    );
  }
  stream.close();
  return Buffer.concat(chunks).toString('utf8');
}

/** A refused extended CONNECT: its status, a header, and its body. */
export async function refused(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const answer = await request(session, headers);
  assert.notEqual(answer.status, 200, 'refused');
  return { status: answer.status, headers: answer.headers, body: await body(answer.stream) };
}

/**
 * The TCP (or TLS) server a standalone `WebSocketServer` listens with: it reads each
 * connection's request head with the core's HTTP parser and hands upgrades over, without Node's
 * HTTP machinery (no llhttp parser, IncomingMessage or ServerResponse per connection): faster
 * handshakes and smaller connections. Anything but an upgrade gets a complete HTTP answer (426
 * for a plain request, the right 4xx for a malformed one) and the connection is closed; a client
 * that does not finish its request head within the handshake timeout is dropped.
 */

import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { HandshakeError } from '../core/errors.js';
import { includesIgnoreCase, splitList } from '../core/header-values.js';
import { type HttpHeaders, type HttpRequestHead, parseRequestHead } from '../core/http-head.js';
import { buildRejectResponse, rejectionFor } from '../core/server-handshake.js';
import type { Clock, TimerHandle } from '../node/clock.js';
import { readHead } from '../node/head-io.js';
import type { Transport } from '../node/transport.js';
import { answer } from './http1-upgrade.js';
import type { Http2Sessions } from './http2-sessions.js';
import type { TlsServerOptions } from './options.js';
import { UpgradeHttpRequest } from './upgrade-http-request.js';

export type UpgradeHandler = (req: UpgradeHttpRequest, socket: Transport, head: Buffer) => void;

const PLAIN_BODY = 'Upgrade Required: this endpoint speaks WebSocket (RFC 6455)\n';

/** Creates the server; `tls` makes it TLS. Each connection's request head goes to `onUpgrade`. */
export function createStandaloneServer(
  tls: TlsServerOptions | undefined,
  handshakeTimeout: number,
  clock: Clock,
  onUpgrade: UpgradeHandler,
  http2?: Http2Sessions,
): Server {
  const accept = (socket: Transport): void =>
    serveConnection(socket, handshakeTimeout, clock, onUpgrade);
  // With HTTP/2, each connection is routed first (ALPN, or the cleartext preface).
  const connection = http2 === undefined ? accept : (socket: Socket) => http2.route(socket, accept);
  if (tls === undefined) return createNetServer({ noDelay: true }, connection);
  return createTlsServer(
    http2 === undefined ? tls : { ...tls, ALPNProtocols: http2.alpn },
    connection,
  );
}

/**
 * Serves one raw HTTP/1.1 connection: reads the request head, answers and closes anything that
 * is not a valid upgrade request, hands upgrades to `onUpgrade`.
 */
export function serveConnection(
  socket: Transport,
  timeout: number,
  clock: Clock,
  onUpgrade: UpgradeHandler,
): void {
  let timer: TimerHandle | null = null;
  const done = (): void => {
    reading.stop();
    socket.off('error', onError).off('close', done);
    if (timer !== null) clock.clearTimeout(timer);
  };
  const onError = (): void => {
    socket.destroy();
  };
  const reading = readHead(socket, 'request', {
    head(bytes, rest) {
      done();
      let head: HttpRequestHead;
      try {
        const parsed = parseRequestHead(bytes);
        if (!parsed.complete) throw new Error('a collected head is complete');
        head = parsed.head;
      } catch (error) {
        answer(socket, rejectionFor(error as HandshakeError));
        return;
      }
      if (!isUpgrade(head.headers)) answer(socket, plainAnswer(head.headers));
      else onUpgrade(new UpgradeHttpRequest(head, socket), socket, rest);
    },
    invalid(error) {
      done();
      answer(socket, rejectionFor(error));
    },
  });
  socket.on('error', onError).on('close', done);
  if (timeout > 0) timer = clock.setTimeout(() => socket.destroy(), timeout);
}

/** Whether the request asks for a protocol switch (anything else is a plain HTTP request). */
function isUpgrade(headers: HttpHeaders): boolean {
  if (!headers.has('Upgrade')) return false;
  return includesIgnoreCase(splitList(headers.get('Connection') ?? ''), 'upgrade');
}

/**
 * A request that is not an upgrade: 426 with `Upgrade: websocket` (as `ws` answers), or 400 when
 * it carries an `Upgrade` header without `Connection: upgrade` (a broken handshake).
 */
function plainAnswer(headers: HttpHeaders): Uint8Array {
  if (headers.has('Upgrade')) {
    return buildRejectResponse(400, { body: "Connection header must contain 'Upgrade'\n" });
  }
  return buildRejectResponse(426, { body: PLAIN_BODY, headers: { Upgrade: 'websocket' } });
}

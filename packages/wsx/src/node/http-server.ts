/**
 * The HTTP(S) server a standalone `WebSocketServer` listens with. Requests that are not upgrades
 * get 426 Upgrade Required, as `ws` answers them (400 when they carry an `Upgrade` header), and
 * the connection closes, as after every refused handshake.
 */

import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';

/** Key, certificate and the rest of `tls.createServer`'s options, for `wss://`. */
export type TlsServerOptions = HttpsOptions;

const BODY = 'Upgrade Required: this endpoint speaks WebSocket (RFC 6455)\n';
const BROKEN_BODY = "Connection header must contain 'Upgrade'\n";

/**
 * Creates the server; `tls` makes it HTTPS. A client must complete its request head within
 * `handshakeTimeout` ms of connecting (0: Node's defaults), checked every second, so silent or
 * slow clients do not hold sockets.
 */
export function createStandaloneServer(tls?: TlsServerOptions, handshakeTimeout = 0): HttpServer {
  const timeouts =
    handshakeTimeout > 0
      ? {
          headersTimeout: handshakeTimeout,
          requestTimeout: handshakeTimeout,
          connectionsCheckingInterval: Math.min(1000, handshakeTimeout),
        }
      : {};
  const server =
    tls === undefined ? createHttpServer(timeouts) : createHttpsServer({ ...tls, ...timeouts });
  server.on('request', (req, res) => {
    // Node emits 'upgrade' only when `Connection` names `upgrade` too: an `Upgrade` header
    // without it is a broken handshake (400, RFC 6455 §4.2.1), not a plain HTTP request.
    const broken = req.headers.upgrade !== undefined;
    const body = broken ? BROKEN_BODY : BODY;
    res.writeHead(broken ? 400 : 426, {
      ...(broken ? {} : { Upgrade: 'websocket' }),
      // RFC 7230 §6.6: with "close", the server closes the connection after the response.
      Connection: broken ? 'close' : 'Upgrade, close',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  return server;
}

/**
 * The HTTP(S) server a standalone `WebSocketServer` listens with. Requests that are not upgrades
 * get 426 Upgrade Required, as `ws` answers them.
 */

import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';

/** Key, certificate and the rest of `tls.createServer`'s options, for `wss://`. */
export type TlsServerOptions = HttpsOptions;

const BODY = 'Upgrade Required: this endpoint speaks WebSocket (RFC 6455)\n';

/** Creates the server; `tls` makes it HTTPS. */
export function createStandaloneServer(tls?: TlsServerOptions): HttpServer {
  const server = tls === undefined ? createHttpServer() : createHttpsServer(tls);
  server.on('request', (_req, res) => {
    res.writeHead(426, {
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(BODY),
    });
    res.end(BODY);
  });
  return server;
}

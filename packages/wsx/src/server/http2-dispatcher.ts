/**
 * WebSocketServers attached to an application's `node:http2` server (`{ server }`): one pair of
 * listeners per HTTP/2 server, shared by every WebSocketServer on it (several per server, by
 * `path`), as dispatcher.ts does for HTTP/1.1 upgrades.
 *
 * Extended CONNECT streams (RFC 8441) arrive on `stream`. The trap: once the server has a
 * `request` listener (any application serving pages), Node's compatibility layer also turns every
 * CONNECT into a `connect` event and answers 405 when nobody listens there; Chromium then fails
 * the WebSocket and does not fall back. So the dispatcher listens on both, and takes each stream
 * once, from whichever comes first; a plain CONNECT (no `:protocol`) is still answered 405 when
 * nobody else listens for it, as Node would.
 *
 * Attaching turns on SETTINGS_ENABLE_CONNECT_PROTOCOL for the server's new sessions (RFC 8441
 * §3: without it clients may not send an extended CONNECT); sessions opened before keep the
 * settings they were given.
 */

import type {
  Http2SecureServer,
  Http2Server,
  Http2ServerRequest,
  Http2ServerResponse,
  IncomingHttpHeaders,
  ServerHttp2Stream,
} from 'node:http2';
import { Http2UpgradeRequest } from './http2-request.js';
import { answerStream } from './http2-upgrade.js';

export type AnyHttp2Server = Http2Server | Http2SecureServer;

/** What the dispatcher needs of a WebSocketServer attached to an HTTP/2 server. */
export interface StreamTarget {
  /** Whether this server takes the request (its path matches). */
  shouldHandle(req: Http2UpgradeRequest): boolean;
  serve(req: Http2UpgradeRequest): void;
}

interface Route {
  readonly targets: StreamTarget[];
  readonly taken: WeakSet<ServerHttp2Stream>;
  readonly onStream: (
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    flags: number,
    rawHeaders: string[],
  ) => void;
  readonly onConnect: (req: Http2ServerRequest, res: Http2ServerResponse) => void;
}

const routes = new WeakMap<AnyHttp2Server, Route>();

export function attachToHttp2Server(server: AnyHttp2Server, target: StreamTarget): void {
  let route = routes.get(server);
  if (route === undefined) {
    route = createRoute(server);
    routes.set(server, route);
    server.on('stream', route.onStream);
    server.on('connect', route.onConnect);
    server.updateSettings({ enableConnectProtocol: true });
  }
  route.targets.push(target);
}

export function detachFromHttp2Server(server: AnyHttp2Server, target: StreamTarget): void {
  const route = routes.get(server);
  if (route === undefined) return;
  const i = route.targets.indexOf(target);
  if (i !== -1) route.targets.splice(i, 1);
  if (route.targets.length === 0) {
    server.off('stream', route.onStream);
    server.off('connect', route.onConnect);
    routes.delete(server);
    // SETTINGS_ENABLE_CONNECT_PROTOCOL stays on: RFC 8441 §3 forbids sending 0 after 1.
  }
}

function createRoute(server: AnyHttp2Server): Route {
  const targets: StreamTarget[] = [];
  const taken = new WeakSet<ServerHttp2Stream>();
  const dispatch = (
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    rawHeaders: readonly string[],
  ): void => {
    if (taken.has(stream)) return; // seen on 'stream' and on 'connect'
    taken.add(stream);
    const req = new Http2UpgradeRequest(stream, headers, rawHeaders);
    const target = targets.find((t) => t.shouldHandle(req));
    if (target !== undefined) target.serve(req);
    else if (nobodyElseListens(server)) {
      answerStream(stream, 404, { body: 'no WebSocket endpoint at this path\n' });
    }
  };
  return {
    targets,
    taken,
    onStream(stream, headers, _flags, rawHeaders) {
      if (isExtendedConnect(headers)) dispatch(stream, headers, rawHeaders);
    },
    onConnect(req, res) {
      if (isExtendedConnect(req.headers)) {
        dispatch(req.stream, req.headers, req.rawHeaders);
      } else if (server.listenerCount('connect') === 1) {
        res.statusCode = 405; // what Node answers a CONNECT nobody listens for
        res.end();
      }
    },
  };
}

/** A CONNECT with `:protocol` (any: a WebSocketServer refuses the others with 501). */
function isExtendedConnect(headers: IncomingHttpHeaders): boolean {
  return headers[':method'] === 'CONNECT' && headers[':protocol'] !== undefined;
}

/**
 * Whether no other listener of the server may answer a stream no WebSocketServer takes: then it
 * gets 404. Ours are one `stream` and one `connect` listener; with a `request` listener, Node's
 * compatibility layer adds a `stream` listener of its own.
 */
function nobodyElseListens(server: AnyHttp2Server): boolean {
  const compat = server.listenerCount('request') > 0 ? 1 : 0;
  return (
    server.listenerCount('stream') - 1 - compat <= 0 && server.listenerCount('connect') - 1 <= 0
  );
}

/**
 * One `upgrade` listener per HTTP server, shared by every `WebSocketServer` attached to it, so
 * several can serve one HTTP server on different paths. An upgrade no WebSocket server claims is
 * answered 404, unless another `upgrade` listener on the HTTP server may want it.
 */

import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { buildRejectResponse } from '../core/server-handshake.js';
import type { UpgradeSource } from './upgrade-request.js';

/** What the dispatcher needs of a WebSocket server attached to an HTTP server. */
export interface UpgradeTarget {
  shouldHandle(req: UpgradeSource): boolean;
  handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): unknown;
}

interface Route {
  readonly servers: UpgradeTarget[];
  readonly listener: (req: IncomingMessage, socket: Socket, head: Buffer) => void;
}

const routes = new WeakMap<HttpServer, Route>();

export function attachToServer(http: HttpServer, wss: UpgradeTarget): void {
  let route = routes.get(http);
  if (route === undefined) {
    const servers: UpgradeTarget[] = [];
    const listener = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
      const target = servers.find((s) => s.shouldHandle(req));
      if (target !== undefined) {
        void target.handleUpgrade(req, socket, head);
      } else if (http.listenerCount('upgrade') === 1) {
        socket.on('error', () => socket.destroy());
        socket.end(buildRejectResponse(404, { body: 'no WebSocket endpoint at this path\n' }));
      }
    };
    route = { servers, listener };
    routes.set(http, route);
    http.on('upgrade', listener);
  }
  route.servers.push(wss);
}

export function detachFromServer(http: HttpServer, wss: UpgradeTarget): void {
  const route = routes.get(http);
  if (route === undefined) return;
  const i = route.servers.indexOf(wss);
  if (i !== -1) route.servers.splice(i, 1);
  if (route.servers.length === 0) {
    http.off('upgrade', route.listener);
    routes.delete(http);
  }
}

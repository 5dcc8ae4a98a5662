/**
 * TCP and TLS sockets as transports. A `net.Socket` already is a {@link Transport}; these are the
 * settings wsx gives it before a WebSocket runs over it.
 */

import { Socket } from 'node:net';
import type { Transport } from './transport.js';

/**
 * Prepares `socket` to carry a WebSocket: no Nagle delay (frames are small and interactive), no
 * idle timeout left by an HTTP server (wsx has its own), and no half-open state (when the peer
 * ends its side, ours ends too, so `close` always follows).
 */
export function prepareSocket(transport: Transport): void {
  if (!(transport instanceof Socket)) return;
  const socket = transport;
  // Only clear a timeout that exists: setTimeout(0) on a socket that has none would still add a
  // `timeout` property to every socket.
  if (socket.timeout) socket.setTimeout(0);
  socket.setNoDelay(true);
  socket.allowHalfOpen = false;
}

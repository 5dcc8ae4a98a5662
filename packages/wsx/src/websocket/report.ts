/**
 * The one reporter of errors for a connection: the `error` handler of the route if there is one,
 * else the facade's `error` listeners. An error from application code with nowhere to go is
 * printed, never thrown: the process keeps serving everyone else.
 */

import type { DriverHost } from './driver-state.js';
import type { Handlers } from './handlers.js';

export function reportError<Peer extends DriverHost>(
  handlers: Handlers<Peer> | null,
  ws: Peer,
  error: Error,
  fromApplication: boolean,
): void {
  try {
    const handler = handlers?.error;
    if (handler !== undefined) handler(ws, error);
    else if (ws.listenerCount('error') > 0) ws.emit('error', error);
    else if (fromApplication) {
      console.error('wsx: error in a WebSocket handler (connection closed with 1011):', error);
    }
  } catch (secondary) {
    console.error('wsx: error in an error handler:', secondary);
  }
}

/** `connect()`: open a client connection and wait for it. */

import type { ClientOptions } from '../node/client-options.js';
import { WebSocket } from '../node/websocket.js';

/**
 * Connects to `url` (`ws://` or `wss://`) and resolves once the opening handshake is complete,
 * or rejects with the reason it failed: a `HandshakeError` naming the status the server answered
 * with, "connection closed before the handshake completed", a timeout, or a network error.
 *
 * ```js
 * const ws = await connect('wss://example.com/chat', { protocols: ['chat.v1'] });
 * ws.send('hello');
 * for await (const message of ws) console.log(message);
 * ```
 */
export function connect<Data = unknown>(
  url: string | URL,
  options: ClientOptions = {},
): Promise<WebSocket<Data>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket<Data>(url, options);
    const onOpen = (): void => {
      ws.off('error', onError);
      resolve(ws);
    };
    const onError = (error: Error): void => {
      ws.off('open', onOpen);
      reject(error);
    };
    ws.once('open', onOpen);
    ws.once('error', onError);
  });
}

/** `connect()`: open a client connection and wait for it. */

import type { ClientOptions } from '../websocket/client-options.js';
import { WebSocket } from '../websocket/websocket.js';
// Installs the client opening that `new WebSocket(url)` uses.
import './opening.js';
import {
  type ReconnectingOptions,
  ReconnectingWebSocket,
  type ReconnectOptions,
} from './reconnecting.js';

/** Options of `connect()`: the client's, and `reconnect` for a {@link ReconnectingWebSocket}. */
export interface ConnectOptions extends ClientOptions {
  /** `true` or {@link ReconnectOptions}: resolve with a client that reconnects. Default false. */
  reconnect?: boolean | ReconnectOptions;
}

/**
 * Connects to `url` (`ws://`, `wss://` or `ws+unix:`) and resolves once the opening handshake is
 * complete, or rejects with the reason it failed: a `HandshakeError` naming the status the
 * server answered with, "connection closed before the handshake completed", a timeout, or a
 * network error.
 *
 * ```js
 * const ws = await connect('wss://example.com/chat', { protocols: ['chat.v1'] });
 * ws.send('hello');
 * for await (const message of ws) console.log(message);
 * ```
 *
 * With `reconnect`, resolves with a {@link ReconnectingWebSocket} once its first connection is
 * open (retrying as its policy says), or rejects if it gives up before.
 */
export function connect(
  url: string | URL,
  options: ReconnectingOptions & { reconnect: true | ReconnectOptions },
): Promise<ReconnectingWebSocket>;
export function connect<Data = unknown>(
  url: string | URL,
  options?: ClientOptions & { reconnect?: false },
): Promise<WebSocket<Data>>;
export function connect(
  url: string | URL,
  options?: ConnectOptions,
): Promise<WebSocket | ReconnectingWebSocket>;
export function connect(
  url: string | URL,
  options: ConnectOptions = {},
): Promise<WebSocket | ReconnectingWebSocket> {
  const { reconnect = false, ...client } = options;
  return new Promise((resolve, reject) => {
    const ws =
      reconnect === false
        ? new WebSocket(url, client)
        : new ReconnectingWebSocket(url, { ...client, reconnect });
    const onOpen = (): void => {
      ws.off('error', onError).off('close', onClose);
      resolve(ws);
    };
    // A plain WebSocket's first error is its failure; a reconnecting one may retry after errors
    // and gives up with a `close` carrying the last one.
    const onError = (error: Error): void => {
      ws.off('open', onOpen).off('close', onClose);
      reject(error);
    };
    const onClose = (_code: number, _reason: string, error?: Error): void => {
      ws.off('open', onOpen);
      reject(error ?? new Error('the connection closed before it opened'));
    };
    if (ws instanceof WebSocket) ws.once('open', onOpen).once('error', onError);
    else ws.once('open', onOpen).once('close', onClose);
  });
}

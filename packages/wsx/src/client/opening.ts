/**
 * Opening a client WebSocket: what `new WebSocket(url)` does. The options are resolved, the
 * handshake runs over a socket (client-handshake.ts), and once the server's 101 is checked the
 * socket is bound to the WebSocket's driver with the connection the handshake agreed. Installed
 * as the WebSocket class's opener when this module loads (see websocket/client-opener.ts).
 */

import { Connection } from '../core/connection.js';
import { prepareSocket } from '../node/net-transport.js';
import { alloc, allocUnsafe, isUtf8, random } from '../node/runtime.js';
import { installClientOpener } from '../websocket/client-opener.js';
import type { ClientOptions } from '../websocket/client-options.js';
import type { ClientCompression } from '../websocket/compression.js';
import { Driver } from '../websocket/driver.js';
import type { DriverHost } from '../websocket/driver-state.js';
import { resolveSettings } from '../websocket/settings.js';
import type { WebSocketOptions } from '../websocket/types.js';
import { sweepWebSocket } from '../websocket/websocket.js';
import { type HandshakeResult, openHandshake } from './client-handshake.js';
import { resolveClientOptions } from './client-options.js';

/** Creates the driver of client WebSocket `ws` and starts its opening handshake. */
export function openClient(ws: DriverHost, address: string | URL, options: ClientOptions): Driver {
  const resolved = resolveClientOptions(address, options);
  const settings = resolveSettings<DriverHost>(resolved.connection, {
    visit: sweepWebSocket as (ws: never, now: number) => void,
  });
  const driver = new Driver(ws, settings);
  if (resolved.binaryType !== undefined) driver.binaryType = resolved.binaryType;
  driver.rare.url = resolved.request.url.href;
  driver.rare.abortOpening = openHandshake(resolved.request, (error, result) => {
    driver.rare.abortOpening = null;
    // Always after the caller's turn: close() during CONNECTING must not emit synchronously.
    if (error !== null) process.nextTick(failed, driver, error);
    else opened(driver, result!, resolved.connection, resolved.compression);
  });
  return driver;
}

function failed(driver: Driver, error: Error): void {
  driver.openingFailed(error);
}

function opened(
  driver: Driver,
  result: HandshakeResult,
  limits: WebSocketOptions,
  compression: ClientCompression | null,
): void {
  const codecs =
    result.deflate === null || compression === null
      ? null
      : compression.connection(result.deflate, result.extensions);
  const connection = new Connection({
    role: 'client',
    random,
    isUtf8,
    alloc,
    allocUnsafe,
    compression: codecs !== null,
    endAfterClosing: result.http2,
    ...(limits.maxMessageSize === undefined ? {} : { maxMessageSize: limits.maxMessageSize }),
    ...(limits.maxFrameSize === undefined ? {} : { maxFrameSize: limits.maxFrameSize }),
  });
  driver.rare.url = result.url.href;
  prepareSocket(result.socket);
  driver.bind(result.socket, connection, result.head, codecs, result.protocol);
  // Frames that came with the 101 are read on the next turn, after `await connect()` resumes
  // (or earlier, if the socket ends first).
  setImmediate(beginReading, driver);
  driver.emitSafely('upgrade', result.response, result.request);
  driver.emitSafely('open');
}

function beginReading(driver: Driver): void {
  driver.startReading();
}

installClientOpener(openClient);

/**
 * How `new WebSocket(url)` opens a client connection. The opening itself (URL, proxy, TLS,
 * redirects, the handshake over a socket) is the client layer's, which sits above this one: it
 * installs its opener here when it loads (client/opening.ts), so the WebSocket class does not
 * depend on it. Every entry point of the package that exports `WebSocket` loads the client layer.
 */

import type { ClientOptions } from './client-options.js';
import type { Driver } from './driver.js';
import type { DriverHost } from './driver-state.js';

/** Creates the driver of a client WebSocket and starts opening it. */
export type ClientOpener = (
  ws: DriverHost,
  address: string | URL,
  options: ClientOptions,
) => Driver;

let installed: ClientOpener | null = null;

export function installClientOpener(opener: ClientOpener): void {
  installed = opener;
}

export function clientOpener(): ClientOpener {
  if (installed === null) {
    throw new Error(
      'wsx: the client layer is not loaded: use the WebSocket class of the package entry point',
    );
  }
  return installed;
}

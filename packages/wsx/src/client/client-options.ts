/** Options of `new WebSocket(url, protocols, options)` and `connect(url, options)`, resolved. */

import { UsageError } from '../core/errors.js';
import type { HeaderInit } from '../core/http-head.js';
import { systemClock } from '../node/clock.js';
import type { ClientOptions, ClientTlsOptions } from '../websocket/client-options.js';
import { ClientCompression } from '../websocket/compression.js';
import { CONNECTION_OPTIONS, checkConnectionOptions } from '../websocket/settings.js';
import type { BinaryType, WebSocketOptions } from '../websocket/types.js';
import type { HandshakeRequest, RedirectPolicy } from './client-handshake.js';
import { parseWebSocketUrl } from './client-url.js';
import type { Http2Setting } from './http2-opening.js';
import { type ProxySetting, parseProxyUrl } from './proxy.js';

/** A handshake is one round trip plus TLS: 10 s allows for slow links, not for dead servers. */
const HANDSHAKE_TIMEOUT = 10_000;
/** What browsers and `ws` allow: enough for any sane chain, and it stops a loop. */
const MAX_REDIRECTS = 10;

const TLS_OPTIONS = [
  'ca',
  'cert',
  'key',
  'passphrase',
  'pfx',
  'rejectUnauthorized',
  'servername',
  'checkServerIdentity',
  'minVersion',
  'ciphers',
] as const;

const KNOWN = new Set<string>([
  ...CONNECTION_OPTIONS,
  ...TLS_OPTIONS,
  'protocols',
  'headers',
  'origin',
  'handshakeTimeout',
  'maxPayload',
  'binaryType',
  'perMessageDeflate',
  'followRedirects',
  'maxRedirects',
  'allowInsecureRedirects',
  'proxy',
  'http2',
]);

export interface ResolvedClientOptions {
  readonly request: HandshakeRequest;
  /** How to build the connection's codecs once compression is agreed; null when not offered. */
  readonly compression: ClientCompression | null;
  readonly binaryType: BinaryType | undefined;
  /** Limits and timeouts for the connection once open (`maxPayload` folded in). */
  readonly connection: WebSocketOptions;
}

/** Checks the options (unknown ones throw) and resolves what the handshake needs. */
export function resolveClientOptions(
  address: string | URL,
  options: ClientOptions,
): ResolvedClientOptions {
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new UsageError(`unknown client option '${key}'`);
  }
  const deflate = options.perMessageDeflate ?? true;
  const compression = deflate === false ? null : new ClientCompression(deflate);
  checkConnectionOptions(options);
  const url = parseWebSocketUrl(address);
  const tls: Record<string, unknown> = {};
  for (const key of TLS_OPTIONS) if (options[key] !== undefined) tls[key] = options[key];
  const { maxPayload, ...rest } = options;
  const connection: WebSocketOptions = { ...rest };
  if (options.maxMessageSize === undefined && maxPayload !== undefined)
    connection.maxMessageSize = maxPayload;
  return {
    request: {
      url,
      protocols: protocolList(options.protocols),
      headers: options.headers as HeaderInit | undefined,
      origin: options.origin,
      timeout: options.handshakeTimeout ?? HANDSHAKE_TIMEOUT,
      tls: tls as ClientTlsOptions,
      proxy: proxySetting(options.proxy),
      redirects: redirectPolicy(options),
      deflate: compression?.policy ?? null,
      clock: options.clock ?? systemClock,
      http2: http2Setting(options.http2),
    },
    compression,
    binaryType: options.binaryType,
    connection,
  };
}

function proxySetting(proxy: ClientOptions['proxy']): ProxySetting {
  if (proxy === undefined || proxy === false) return proxy;
  if (typeof proxy !== 'string' && !(proxy instanceof URL)) {
    throw new UsageError(`'proxy' is a URL string, a URL or false (got ${String(proxy)})`);
  }
  return parseProxyUrl(proxy, "the 'proxy' option");
}

function http2Setting(value: ClientOptions['http2']): Http2Setting {
  if (value === undefined) return false;
  if (value === true || value === false || value === 'auto') return value;
  throw new UsageError(`'http2' is true, false or 'auto' (got ${String(value)})`);
}

function redirectPolicy(options: ClientOptions): RedirectPolicy {
  const max = options.maxRedirects ?? MAX_REDIRECTS;
  if (!Number.isInteger(max) || max < 0) {
    throw new UsageError(`'maxRedirects' must be a non-negative integer (got ${String(max)})`);
  }
  return {
    follow: options.followRedirects === true,
    max,
    allowInsecure: options.allowInsecureRedirects === true,
  };
}

function protocolList(protocols: string | readonly string[] | undefined): string[] {
  if (protocols === undefined) return [];
  return typeof protocols === 'string' ? [protocols] : [...protocols];
}

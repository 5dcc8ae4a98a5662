/** Options of `new WebSocket(url, protocols, options)` and `connect(url, options)`, resolved. */

import { UsageError } from '../core/errors.js';
import type { HeaderInit } from '../core/http-head.js';
import type { ClientTlsOptions, HandshakeRequest, RedirectPolicy } from './client-handshake.js';
import { parseWebSocketUrl } from './client-url.js';
import { ClientCompression, type ClientCompressionOptions } from './compression.js';
import { type ProxySetting, parseProxyUrl } from './proxy.js';
import { CONNECTION_OPTIONS, checkConnectionOptions } from './settings.js';
import type { BinaryType, WebSocketOptions } from './types.js';

export interface ClientOptions extends WebSocketOptions, ClientTlsOptions {
  /** Subprotocols to offer, most preferred first. */
  protocols?: string | readonly string[];
  /** Extra request headers (`Authorization`, `Cookie`, ...). */
  headers?: Record<string, string> | readonly (readonly [string, string])[];
  /** The `Origin` header to send (browsers always send one; other clients rarely). */
  origin?: string;
  /** Time allowed for the whole opening: connection, TLS, proxy CONNECT, redirects. Default 10 s. */
  handshakeTimeout?: number;
  /** `ws` name of `maxMessageSize`. */
  maxPayload?: number;
  /** How binary messages reach `message` listeners. Default 'nodebuffer'. */
  binaryType?: BinaryType;
  /**
   * permessage-deflate (RFC 7692): offered by default, as browsers do (`client_max_window_bits`);
   * `false` to not offer it, or options (see docs/compression.md).
   */
  perMessageDeflate?: boolean | ClientCompressionOptions;
  /** Follow 301/302/303/307/308 redirects to their `Location`. Default false. */
  followRedirects?: boolean;
  /** With `followRedirects`: how many redirects in a row are followed. Default 10. */
  maxRedirects?: number;
  /** With `followRedirects`: follow a redirect from `wss:` to `ws:`. Default false. */
  allowInsecureRedirects?: boolean;
  /**
   * An `http://` or `https://` proxy to tunnel through (`CONNECT`), with optional `user:pass@`;
   * `false` for none. Default: `HTTPS_PROXY` / `HTTP_PROXY` and `NO_PROXY` from the environment.
   */
  proxy?: string | URL | false;
}

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

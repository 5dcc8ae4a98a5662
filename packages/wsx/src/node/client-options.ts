/** Options of `new WebSocket(url, protocols, options)` and `connect(url, options)`, resolved. */

import { UsageError } from '../core/errors.js';
import type { HeaderInit } from '../core/http-head.js';
import {
  type ClientTlsOptions,
  type HandshakeRequest,
  parseWebSocketUrl,
} from './client-handshake.js';
import { CONNECTION_OPTIONS, checkConnectionOptions } from './settings.js';
import type { BinaryType, WebSocketOptions } from './types.js';

export interface ClientOptions extends WebSocketOptions, ClientTlsOptions {
  /** Subprotocols to offer, most preferred first. */
  protocols?: string | readonly string[];
  /** Extra request headers (`Authorization`, `Cookie`, ...). */
  headers?: Record<string, string> | readonly (readonly [string, string])[];
  /** The `Origin` header to send (browsers always send one; other clients rarely). */
  origin?: string;
  /** Time allowed for the TCP/TLS connection and the opening handshake. Default 10 s. */
  handshakeTimeout?: number;
  /** `ws` name of `maxMessageSize`. */
  maxPayload?: number;
  /** How binary messages reach `message` listeners. Default 'nodebuffer'. */
  binaryType?: BinaryType;
  /** Compression is not negotiated by this version; only `false` is accepted. */
  perMessageDeflate?: false;
}

/** A handshake is one round trip plus TLS: 10 s allows for slow links, not for dead servers. */
const HANDSHAKE_TIMEOUT = 10_000;

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
]);

export interface ResolvedClientOptions {
  readonly request: HandshakeRequest;
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
  if (options.perMessageDeflate) {
    throw new UsageError('perMessageDeflate is not supported by this version of wsx');
  }
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
    },
    binaryType: options.binaryType,
    connection,
  };
}

function protocolList(protocols: string | readonly string[] | undefined): string[] {
  if (protocols === undefined) return [];
  return typeof protocols === 'string' ? [protocols] : [...protocols];
}

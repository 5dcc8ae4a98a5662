/**
 * The options of a client connection (`new WebSocket(url, protocols, options)`, `connect(url,
 * options)`): their types, which the public WebSocket class needs. Resolving them (defaults,
 * checks) is the client layer's work: see client/client-options.ts.
 */

import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { ClientCompressionOptions } from './compression.js';
import type { BinaryType, WebSocketOptions } from './types.js';

/** TLS settings for `wss://`, passed to `tls.connect`. */
export type ClientTlsOptions = Pick<
  TlsConnectionOptions,
  | 'ca'
  | 'cert'
  | 'key'
  | 'passphrase'
  | 'pfx'
  | 'rejectUnauthorized'
  | 'servername'
  | 'checkServerIdentity'
  | 'minVersion'
  | 'ciphers'
>;

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
  /**
   * Open the WebSocket over HTTP/2 (RFC 8441, an extended CONNECT stream): `true` to require it
   * (ALPN `h2` for `wss:`, cleartext h2c with prior knowledge for `ws:`), `'auto'` to use it when
   * a `wss:` server negotiates HTTP/2 and allows it, else HTTP/1.1. WebSockets to one origin share
   * one HTTP/2 connection. Default false (HTTP/1.1). See docs/http2.md.
   */
  http2?: boolean | 'auto';
}

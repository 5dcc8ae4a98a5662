/** Options of a `WebSocketServer`, their defaults, and their validation. */

import type { Server as HttpServer } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import { UsageError } from '../core/errors.js';
import type { ServerCompressionOptions } from '../websocket/compression.js';
import type { MemoryBudget } from '../websocket/memory-budget.js';
import { CONNECTION_OPTIONS, checkConnectionOptions } from '../websocket/settings.js';
import type { WebSocketOptions } from '../websocket/types.js';
import type { ConnectionHandlers } from '../websocket/websocket.js';
import type { Http2ServerOptions } from './http2-sessions.js';
import type { AllowedOrigins } from './origins.js';
import type { Rejection } from './rejection.js';
import type { Topics } from './topics.js';
import type { UpgradeRequest, UpgradeSource } from './upgrade-request.js';

/** Key, certificate and the rest of `tls.createServer`'s options, for `wss://`. */
export type TlsServerOptions = TlsOptions;

/** What the `upgrade` hook returns: the connection's `data`, or a rejection. */
export type UpgradeResult<Data> = Data | Rejection;

/** The route's handlers: the uWebSockets-style behavior, with typed per-connection data. */
export interface ServerHandlers<Data> extends ConnectionHandlers<Data> {
  /**
   * Decides whether to accept an upgrade, before the 101 is sent: return the connection's data
   * (available as `ws.data`), or `reject(status, body)`. May be async. Throwing answers 500.
   */
  upgrade?(request: UpgradeRequest): UpgradeResult<Data> | Promise<UpgradeResult<Data>>;
}

export interface ServerOptions<Data = unknown> extends ServerHandlers<Data>, WebSocketOptions {
  /** Listen on this port (0: any free port); the server creates its own HTTP(S) server. */
  port?: number;
  /** Address to listen on with `port`. Default: all interfaces. */
  host?: string;
  backlog?: number;
  /** With `port`: serve `wss://` with these TLS options (`key`, `cert`, ...). */
  tls?: TlsServerOptions;
  /**
   * Attach to an existing HTTP(S) server; its other routes keep working. A `node:http2` server
   * (`http2.createSecureServer`) also serves WebSockets over HTTP/2 (RFC 8441), with or without
   * a `request` handler; with its `allowHTTP1`, HTTP/1.1 upgrades too.
   */
  server?: HttpServer | HttpsServer | Http2SecureServer | Http2Server;
  /**
   * With `port`: also serve WebSockets over HTTP/2 (RFC 8441 extended CONNECT): over TLS when
   * the client negotiates `h2`, in cleartext (h2c) when it opens with the HTTP/2 preface. `true`
   * or HTTP/2 settings. With `server`, an HTTP/2 server is detected; `false` serves only its
   * HTTP/1.1 upgrades. See docs/http2.md.
   */
  http2?: boolean | Http2ServerOptions;
  /**
   * With `port` and `http2`: keep serving HTTP/1.1 upgrades on the same port. Default true: a
   * browser opens a WebSocket over HTTP/2 only on a connection it already has to the origin.
   */
  allowHTTP1?: boolean;
  /** Create no server: call `handleUpgrade()` from your own `upgrade` listener. */
  noServer?: boolean;
  /** Accept upgrades only for this path (query string ignored). Default: every path. */
  path?: string;
  /**
   * Subprotocols this server speaks: the first one the client offers that is in this list is
   * selected (the client lists them by preference, RFC 6455 §4.1). Or a function that picks one
   * (or null for none).
   */
  protocols?:
    | readonly string[]
    | ((offered: readonly string[], request: UpgradeRequest) => string | null);
  /** `ws`'s form of `protocols`: return the protocol, or false for none. */
  handleProtocols?: (protocols: Set<string>, request: UpgradeSource) => string | false;
  /**
   * Origins allowed to connect (`https://example.com`), or a predicate. Others get 403. A request
   * without `Origin` (not from a browser) is allowed: the check protects against cross-site
   * WebSocket hijacking, which only browsers can be made to do.
   */
  allowedOrigins?: AllowedOrigins;
  /** `ws` name of `maxMessageSize`. */
  maxPayload?: number;
  /** Keep `server.clients`, the set of open connections. Default true. */
  clientTracking?: boolean;
  /**
   * Time allowed from the TCP connection (standalone server) or the `upgrade` event (attached
   * server) to the 101: slow or silent clients, and `upgrade` hooks that never finish, are cut
   * off (503 for a hook). Default 10 s.
   */
  handshakeTimeout?: number;
  /**
   * permessage-deflate (RFC 7692): off by default (compression costs CPU and, with context
   * takeover, memory per connection); `true` for shared compressors, or options
   * (docs/compression.md).
   */
  perMessageDeflate?: boolean | ServerCompressionOptions;
  /**
   * The most memory the server's connections may hold together: output buffered for peers that
   * do not read, and large messages being inflated. Past it, new upgrades are refused with 503
   * and the connections holding the most are closed (1008 when they do not read, 1013 otherwise).
   * A number of bytes (default 256 MiB), a `MemoryBudget` shared with other servers, or 0 for
   * none.
   */
  memoryBudget?: number | MemoryBudget;
  /**
   * The topics registry: to share one between servers (e.g. several paths of one HTTP server) or
   * to carry publishes to other processes (a `Topics` with a pub/sub adapter). Default: the
   * server's own, this process only.
   */
  topics?: Topics;
}

const KNOWN = new Set([
  ...CONNECTION_OPTIONS,
  'handshakeTimeout',
  'port',
  'host',
  'backlog',
  'tls',
  'http2',
  'allowHTTP1',
  'server',
  'noServer',
  'path',
  'protocols',
  'handleProtocols',
  'allowedOrigins',
  'maxPayload',
  'clientTracking',
  'perMessageDeflate',
  'memoryBudget',
  'topics',
  'upgrade',
  'open',
  'message',
  'drain',
  'ping',
  'pong',
  'close',
  'error',
]);

/** Options of `ws` that wsx answers differently: a pointer to what to use instead. */
const INSTEAD: Record<string, string> = {
  verifyClient: "use the 'upgrade' hook (it may be async, and reject with any status)",
  skipUTF8Validation: 'text is always validated (RFC 6455 §8.1); send binary to skip it',
  WebSocket: 'subclassing the WebSocket class is not supported',
  autoPong: 'pings are always answered (RFC 6455 §5.5.2)',
  allowSynchronousEvents: 'events are always dispatched as soon as a read is parsed',
};

/** Checks the options; throws a UsageError naming the first problem. */
export function validateServerOptions(options: ServerOptions<unknown>): void {
  for (const key of Object.keys(options)) {
    if (key in INSTEAD) throw new UsageError(`option '${key}' is not supported: ${INSTEAD[key]}`);
    if (!KNOWN.has(key)) throw new UsageError(`unknown WebSocketServer option '${key}'`);
  }
  const modes = [
    options.port !== undefined,
    options.server !== undefined,
    options.noServer === true,
  ];
  if (modes.filter(Boolean).length !== 1) {
    throw new UsageError("give exactly one of 'port', 'server' or 'noServer: true'");
  }
  if (options.tls !== undefined && options.port === undefined) {
    throw new UsageError("'tls' goes with 'port'; with 'server', pass an https.Server");
  }
  checkHttp2Options(options);
  if (options.protocols !== undefined && options.handleProtocols !== undefined) {
    throw new UsageError("give 'protocols' or 'handleProtocols', not both");
  }
  if (options.path !== undefined && !options.path.startsWith('/')) {
    throw new UsageError(`'path' must start with '/' (got '${options.path}')`);
  }
  checkConnectionOptions(options);
  for (const key of ['maxPayload', 'handshakeTimeout'] as const) {
    const value = options[key];
    if (value !== undefined && !(typeof value === 'number' && value >= 0)) {
      throw new UsageError(`'${key}' must be a non-negative number (got ${String(value)})`);
    }
  }
}

/** Whether `server` is a `node:http2` server (they alone can update their settings). */
export function isHttp2Server(server: unknown): server is Http2Server | Http2SecureServer {
  return typeof (server as { updateSettings?: unknown } | null)?.updateSettings === 'function';
}

/** `http2` and `allowHTTP1`: what goes with what. */
function checkHttp2Options(options: ServerOptions<unknown>): void {
  const { http2, allowHTTP1 } = options;
  if (
    http2 !== undefined &&
    typeof http2 !== 'boolean' &&
    (typeof http2 !== 'object' || http2 === null)
  ) {
    throw new UsageError(`'http2' is a boolean or HTTP/2 options (got ${String(http2)})`);
  }
  if (http2 !== undefined && http2 !== false && options.noServer === true) {
    throw new UsageError(
      "'http2' does not go with 'noServer': hand extended CONNECT streams to handleStream()",
    );
  }
  if (typeof http2 === 'object') {
    if (options.port === undefined) {
      throw new UsageError("HTTP/2 options go with 'port'; with 'server', set them on your server");
    }
    for (const key of Object.keys(http2)) {
      if (key !== 'settings' && key !== 'maxSessionMemory') {
        throw new UsageError(`unknown 'http2' option '${key}' (settings, maxSessionMemory)`);
      }
    }
  }
  if (http2 === true && options.server !== undefined && !isHttp2Server(options.server)) {
    throw new UsageError(
      "'http2: true' needs an HTTP/2 server ('server' is not one: use http2.createSecureServer)",
    );
  }
  if (allowHTTP1 !== undefined) {
    if (options.port === undefined || http2 === undefined || http2 === false) {
      throw new UsageError(
        "'allowHTTP1' goes with 'port' and 'http2'; with 'server', set it on your HTTP/2 server",
      );
    }
    if (typeof allowHTTP1 !== 'boolean') {
      throw new UsageError(`'allowHTTP1' is a boolean (got ${String(allowHTTP1)})`);
    }
  }
}

/** Options of a `WebSocketServer`, their defaults, and their validation. */

import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import { UsageError } from '../core/errors.js';
import type { ServerCompressionOptions } from '../websocket/compression.js';
import type { MemoryBudget } from '../websocket/memory-budget.js';
import { CONNECTION_OPTIONS, checkConnectionOptions } from '../websocket/settings.js';
import type { WebSocketOptions } from '../websocket/types.js';
import type { ConnectionHandlers } from '../websocket/websocket.js';
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
  /** Attach to an existing HTTP(S) server; its other routes keep working. */
  server?: HttpServer | HttpsServer;
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

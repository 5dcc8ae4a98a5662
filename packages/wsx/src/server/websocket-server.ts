/**
 * `WebSocketServer`: accepts upgrades and turns them into `WebSocket`s. Three ways to run, as in
 * `ws`: standalone (`{ port }`), attached to an existing HTTP(S) server (`{ server }`, several
 * per server by `path`), or `{ noServer: true }` with `handleUpgrade()` called from your own
 * `upgrade` listener (Express, Fastify, Koa).
 *
 * The opening handshake is validated by the core's pure functions; what this file adds is the
 * policy around it (path, origin, subprotocol, the async `upgrade` hook) and the socket work.
 */

import { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { Connection, ConnectionConfig } from '../core/connection.js';
import { CloseCode } from '../core/constants.js';
import { ErrorCode, HandshakeError } from '../core/errors.js';
import { formatExtensionHeader } from '../core/extension-header.js';
import type { PreparedMessage } from '../core/frame-writer.js';
import { HttpHeaders } from '../core/http-head.js';
import {
  buildRejectResponse,
  type ClientHandshake,
  formatAcceptResponse,
  rejectionFor,
  selectSubprotocol,
  validateRequest,
} from '../core/server-handshake.js';
import { negotiateDeflate } from '../extensions/permessage-deflate.js';
import type { Clock } from '../node/clock.js';
import { type ConnectionCompression, ServerCompression } from '../node/compression.js';
import { alloc, allocUnsafe, isUtf8 } from '../node/runtime.js';
import type { SendData } from '../node/send-data.js';
import { type ConnectionSettings, resolveSettings } from '../node/settings.js';
import { createStandaloneServer } from '../node/standalone-server.js';
import { type Publication, type PublishOptions, TopicRegistry } from '../node/topics.js';
import { kAttach, kDeliver, kStart, kSweep, WebSocket } from '../node/websocket.js';
import { attachToServer, detachFromServer } from './dispatcher.js';
import { type ServerHandlers, type ServerOptions, validateServerOptions } from './options.js';
import { type OriginPredicate, resolveAllowedOrigins } from './origins.js';
import { Rejection } from './rejection.js';
import { UpgradeRequest, type UpgradeSource } from './upgrade-request.js';

/** A handshake is one round trip (plus TLS); 10 s allows slow links, not silent clients. */
const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

type UpgradeCallback<Data> = (ws: WebSocket<Data>, req: UpgradeSource) => void;

export class WebSocketServer<Data = unknown> extends EventEmitter {
  readonly options: Readonly<ServerOptions<Data>>;
  /** Open connections (unless `clientTracking: false`). */
  readonly clients: Set<WebSocket<Data>>;
  readonly #handlers: ServerHandlers<Data>;
  readonly #settings: ConnectionSettings<Data>;
  readonly #topics: TopicRegistry<WebSocket<Data>>;
  /** The HTTP server attached to (`server` option), if any. */
  readonly #httpServer: HttpServer | null;
  /** The server listening for a standalone WebSocketServer (`port` option), if any. */
  readonly #listener: NetServer | null;
  readonly #handshakeTimeout: number;
  /** permessage-deflate, when enabled (off by default on a server). */
  readonly #compression: ServerCompression | null;
  /** Every open connection (`clients` is this set unless `clientTracking` is false). */
  readonly #connections = new Set<WebSocket<Data>>();
  readonly #configs: (ConnectionConfig | undefined)[] = [];
  /** `allowedOrigins`, resolved: null when every origin may connect. */
  readonly #originCheck: OriginPredicate | null;
  #closing = false;
  #closed: Promise<void> | null = null;

  constructor(options: ServerOptions<Data>, callback?: () => void) {
    super();
    validateServerOptions(options as ServerOptions<unknown>);
    this.options = options;
    this.clients = options.clientTracking === false ? new Set() : this.#connections;
    this.#handlers = options;
    this.#handshakeTimeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    this.#originCheck =
      options.allowedOrigins === undefined ? null : resolveAllowedOrigins(options.allowedOrigins);
    const deflate = options.perMessageDeflate ?? false;
    this.#compression = deflate === false ? null : new ServerCompression(deflate);
    this.#topics = new TopicRegistry<WebSocket<Data>>(deliver);
    this.#settings = resolveSettings<Data>(options, {
      handlers: hasConnectionHandlers(options) ? options : null,
      topics: this.#topics as TopicRegistry,
      onClosed: this.#forget as (ws: never) => void,
      visit: sweep as (ws: never, now: number) => void,
      // The sweep visits the server's own set of connections: no second entry per connection.
      members: this.#connections as Set<never>,
    });
    this.#httpServer = (options.server as HttpServer | undefined) ?? null;
    this.#listener = null;
    if (options.port !== undefined) {
      this.#listener = createStandaloneServer(
        options.tls,
        this.#handshakeTimeout,
        this.#settings.clock,
        (req, socket, head) => void this.handleUpgrade(req, socket, head),
      );
      this.#listener.listen(options.port, options.host, options.backlog, callback);
    }
    const server = this.#listener ?? this.#httpServer;
    if (server !== null) {
      server.on('listening', () => this.emit('listening'));
      server.on('error', (error) => this.emit('error', error));
    }
    if (this.#httpServer !== null) {
      attachToServer(this.#httpServer, this as unknown as WebSocketServer<unknown>);
    }
  }

  /** The address the HTTP server listens on (`{ port }` tells which port `port: 0` got). */
  address(): AddressInfo | string | null {
    const server = this.#listener ?? this.#httpServer;
    if (server === null) throw new Error("a 'noServer' WebSocketServer has no address");
    return server.address();
  }

  /**
   * Publishes `data` to every connection subscribed to `topic` (`ws.subscribe(topic)`): framed
   * once, the same bytes queued on each, written at the end of the tick. A subscriber over its
   * `maxBackpressure` does not get it (its `droppedMessages` counts it). Returns how many
   * subscribers it was queued for.
   */
  publish(
    topic: string,
    data: SendData | PreparedMessage,
    options?: PublishOptions<WebSocket<Data>>,
  ): number {
    return this.#topics.publish(topic, data, options);
  }

  /** How many connections are subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.#topics.subscriberCount(topic);
  }

  /** Whether this server handles `req` (its path matches). */
  shouldHandle(req: UpgradeSource): boolean {
    const path = this.options.path;
    if (path === undefined) return true;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    return (q === -1 ? url : url.slice(0, q)) === path;
  }

  /**
   * Completes (or rejects) an upgrade. `cb` receives the accepted WebSocket, as in `ws` (which
   * leaves emitting `connection` to the caller). Without `cb`, `connection` is emitted. The
   * promise resolves to the WebSocket, or null when the upgrade was rejected; it never rejects.
   */
  handleUpgrade(
    req: UpgradeSource,
    socket: Socket,
    head: Buffer,
    cb?: UpgradeCallback<Data>,
  ): Promise<WebSocket<Data> | null> {
    socket.on('error', destroySocket); // nothing may crash the process before the WebSocket exists
    let handshake: ClientHandshake;
    try {
      handshake = this.#validate(req);
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.emit('wsClientError', error, socket, req);
      answer(socket, rejectionFor(error));
      return Promise.resolve(null);
    }
    const request = new UpgradeRequest(req, handshake.protocols, handshake.origin);
    const hook = this.#handlers.upgrade;
    if (hook === undefined) {
      return Promise.resolve(
        this.#accept(req, socket, head, handshake, request, undefined as Data, cb),
      );
    }
    const finish = (result: Data | Rejection): WebSocket<Data> | null => {
      if (result instanceof Rejection) {
        answer(socket, buildRejectResponse(result.status, rejectOptions(result)));
        return null;
      }
      // The client may have given up while the hook ran.
      if (socket.destroyed) return null;
      return this.#accept(req, socket, head, handshake, request, result, cb);
    };
    let decided: unknown;
    try {
      decided = hook(request);
    } catch (error) {
      return Promise.resolve(finish(this.#hookFailed(error)));
    }
    // A synchronous hook decides at once: no promise, no timer.
    if (!isPromise(decided)) return Promise.resolve(finish(decided as Data | Rejection));
    return this.#awaitHook(decided as Promise<Data | Rejection>, socket).then(finish);
  }

  /**
   * Stops accepting, sends 1001 (going away) to every client, waits for them to close (each is
   * dropped after `closeTimeout`), and closes the HTTP server if this server created it.
   */
  close(callback?: (error?: Error) => void): Promise<void> {
    if (this.#closed === null) {
      this.#closing = true;
      if (this.#httpServer !== null)
        detachFromServer(this.#httpServer, this as unknown as WebSocketServer<unknown>);
      const clientsClosed = [...this.#connections].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.close(CloseCode.GOING_AWAY, 'server shutting down');
          }),
      );
      const listener = this.#listener;
      const serverClosed = listener?.listening
        ? new Promise<void>((resolve) => listener.close(() => resolve()))
        : Promise.resolve();
      this.#closed = Promise.all([...clientsClosed, serverClosed]).then(() => {
        this.emit('close');
      });
    }
    if (callback !== undefined) this.#closed.then(() => callback(), callback);
    return this.#closed;
  }

  // ---- The upgrade pipeline ----------------------------------------------------------------

  /** RFC 6455 §4.2.1 checks, then path and origin policy. Throws HandshakeError. */
  #validate(req: UpgradeSource): ClientHandshake {
    if (this.#closing) {
      throw new HandshakeError(ErrorCode.SERVER_CLOSING, 503, 'the server is shutting down');
    }
    if (!this.shouldHandle(req)) {
      throw new HandshakeError(ErrorCode.UNKNOWN_PATH, 404, 'no WebSocket endpoint at this path');
    }
    const handshake = validateRequest({
      method: req.method ?? '',
      version: `HTTP/${req.httpVersion}`,
      headers: new HttpHeaders(req.rawHeaders),
    });
    const allowed = this.#originCheck;
    if (allowed !== null && handshake.origin !== undefined) {
      if (!allowed(handshake.origin, req)) {
        throw new HandshakeError(ErrorCode.FORBIDDEN_ORIGIN, 403, 'origin not allowed');
      }
    }
    return handshake;
  }

  /** An `upgrade` hook threw: a rejection it threw is answered, anything else is a 500. */
  #hookFailed(error: unknown): Rejection {
    if (error instanceof Rejection) return error;
    this.#reportError(error);
    return new Rejection(500, 'Internal Server Error\n');
  }

  /**
   * Waits for an asynchronous `upgrade` hook: 503 when it takes longer than `handshakeTimeout`;
   * a client that gives up meanwhile gets nothing (its socket is gone). Leaves no listener or
   * timer behind.
   */
  #awaitHook(decision: Promise<Data | Rejection>, socket: Socket): Promise<Data | Rejection> {
    return new Promise((resolve) => {
      const clock = this.#settings.clock;
      let timer: ReturnType<Clock['setTimeout']> | null = null;
      const settle = (result: Data | Rejection): void => {
        if (timer !== null) clock.clearTimeout(timer);
        timer = null;
        socket.off('close', onClose);
        resolve(result);
      };
      const onClose = (): void => settle(new Rejection(499, 'client closed the connection\n'));
      socket.once('close', onClose);
      if (this.#handshakeTimeout > 0) {
        timer = clock.setTimeout(() => {
          settle(new Rejection(503, 'the server did not decide in time\n'));
        }, this.#handshakeTimeout);
      }
      decision.then(settle, (error: unknown) => settle(this.#hookFailed(error)));
    });
  }

  #selectProtocol(offered: readonly string[], request: UpgradeRequest, req: UpgradeSource): string {
    const { protocols, handleProtocols } = this.options;
    if (handleProtocols !== undefined) {
      if (offered.length === 0) return '';
      const chosen = handleProtocols(new Set(offered), req);
      return chosen === false ? '' : chosen;
    }
    if (protocols === undefined || offered.length === 0) return '';
    if (typeof protocols === 'function') return protocols(offered, request) ?? '';
    return selectSubprotocol([...offered], protocols) ?? '';
  }

  #accept(
    req: UpgradeSource,
    socket: Socket,
    head: Buffer,
    handshake: ClientHandshake,
    request: UpgradeRequest,
    data: Data,
    cb: UpgradeCallback<Data> | undefined,
  ): WebSocket<Data> | null {
    let protocol: string;
    try {
      protocol = this.#selectProtocol(handshake.protocols, request, req);
      if (protocol !== '' && !handshake.protocols.includes(protocol)) {
        throw new Error(`the selected subprotocol '${protocol}' was not offered by the client`);
      }
    } catch (error) {
      this.#reportError(error);
      answer(socket, buildRejectResponse(500));
      return null;
    }
    const compression = this.#negotiateCompression(handshake);
    // As text: Node writes a short latin1 string from the stack, with no buffer per handshake.
    const response = this.#response(handshake.key, protocol, compression?.extensions ?? null, req);
    socket.write(response, 'latin1');
    const ws = new WebSocket<Data>(null);
    ws[kAttach]({
      socket,
      connection: new Connection(this.#config(compression !== null)),
      protocol,
      data,
      settings: this.#settings,
      head,
      compression,
    });
    socket.off('error', destroySocket);
    this.#connections.add(ws);
    this.#open(ws, req, cb);
    ws[kStart]();
    return ws;
  }

  /** The connection config shared by every connection (one with compression, one without). */
  #config(compression: boolean): ConnectionConfig {
    const index = compression ? 1 : 0;
    let config = this.#configs[index];
    if (config === undefined) {
      config = new ConnectionConfig({
        role: 'server',
        isUtf8,
        alloc,
        allocUnsafe,
        compression,
        ...limits(this.options),
      });
      this.#configs[index] = config;
    }
    return config;
  }

  /** RFC 7692: accepts the first acceptable permessage-deflate offer, when compression is on. */
  #negotiateCompression(handshake: ClientHandshake): ConnectionCompression | null {
    const compression = this.#compression;
    if (compression === null || handshake.extensions.length === 0) return null;
    const agreed = negotiateDeflate(handshake.extensions, compression.policy);
    if (agreed === null) return null;
    return compression.connection(agreed.params, formatExtensionHeader([agreed.response]));
  }

  #response(key: string, protocol: string, extensions: string | null, req: UpgradeSource): string {
    const head = formatAcceptResponse({
      key,
      protocol: protocol === '' ? null : protocol,
      extensions,
    });
    if (this.listenerCount('headers') === 0) return head;
    // `ws`'s 'headers' event: listeners may append header lines to the response.
    const lines = head.split('\r\n').filter((l) => l !== '');
    this.emit('headers', lines, req);
    for (const line of lines) {
      if (line.includes('\r') || line.includes('\n'))
        throw new TypeError(`a header line may not contain CR or LF: ${line}`);
    }
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  #open(ws: WebSocket<Data>, req: UpgradeSource, cb: UpgradeCallback<Data> | undefined): void {
    try {
      const opened: unknown = this.#handlers.open?.(ws);
      if (opened instanceof Promise)
        opened.catch((error: unknown) => this.#failConnection(ws, error));
      if (cb !== undefined) cb(ws, req);
      else this.emit('connection', ws, req);
    } catch (error) {
      this.#failConnection(ws, error);
    }
  }

  /** An error in application code for one connection: report it, close that one with 1011. */
  #failConnection(ws: WebSocket<Data>, error: unknown): void {
    this.#reportError(error, ws);
    if (ws.readyState === WebSocket.OPEN) ws.close(CloseCode.INTERNAL_ERROR);
  }

  #reportError(error: unknown, ws: WebSocket<Data> | null = null): void {
    const err = error instanceof Error ? error : new Error(String(error));
    try {
      if (this.#handlers.error !== undefined && ws !== null) this.#handlers.error(ws, err);
      else if (this.listenerCount('error') > 0) this.emit('error', err);
      else console.error('wsx: error in a WebSocketServer handler:', err);
    } catch (secondary) {
      console.error('wsx: error in an error handler:', secondary);
    }
  }

  readonly #forget = (ws: WebSocket<Data>): void => {
    this.#connections.delete(ws);
  };
}

function deliver<Data>(ws: WebSocket<Data>, message: Publication) {
  return ws[kDeliver](message);
}

function sweep<Data>(ws: WebSocket<Data>, now: number): void {
  ws[kSweep](now);
}

function hasConnectionHandlers<Data>(h: ServerHandlers<Data>): boolean {
  return (
    h.open !== undefined ||
    h.message !== undefined ||
    h.drain !== undefined ||
    h.ping !== undefined ||
    h.pong !== undefined ||
    h.close !== undefined ||
    h.error !== undefined
  );
}

function limits(options: {
  readonly maxMessageSize?: number;
  readonly maxPayload?: number;
  readonly maxFrameSize?: number;
}): { maxMessageSize?: number; maxFrameSize?: number } {
  const maxMessageSize = options.maxMessageSize ?? options.maxPayload;
  return {
    ...(maxMessageSize === undefined ? {} : { maxMessageSize }),
    ...(options.maxFrameSize === undefined ? {} : { maxFrameSize: options.maxFrameSize }),
  };
}

function rejectOptions(rejection: Rejection) {
  return {
    ...(rejection.body === undefined ? {} : { body: rejection.body }),
    ...(rejection.headers === undefined ? {} : { headers: rejection.headers }),
  };
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}

function destroySocket(this: Socket): void {
  this.destroy();
}

/** Writes an HTTP answer and closes the socket once it is flushed. */
function answer(socket: Socket, response: Uint8Array): void {
  if (socket.destroyed) return;
  socket.once('finish', destroySocket);
  socket.end(response);
}

/**
 * `WebSocketServer`: accepts upgrades and turns them into `WebSocket`s. Three ways to run, as in
 * `ws`: standalone (`{ port }`), attached to an existing HTTP(S) server (`{ server }`, several
 * per server by `path`), or `{ noServer: true }` with `handleUpgrade()` called from your own
 * `upgrade` listener (Express, Fastify, Koa).
 *
 * An upgrade goes through three steps: the transport's own validation (HTTP/1.1 here:
 * http1-upgrade.ts), the decision (decision.ts: path, origin, hook, subprotocol, extensions,
 * whatever the transport), and the answer in the transport's terms (the 101, or a refusal). This
 * file ties them together and owns the connections, their shared settings and the topics.
 */

import { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { Connection, ConnectionConfig } from '../core/connection.js';
import { CloseCode } from '../core/constants.js';
import { HandshakeError } from '../core/errors.js';
import type { PreparedMessage } from '../core/frame-writer.js';
import { rejectionFor } from '../core/server-handshake.js';
import { prepareSocket } from '../node/net-transport.js';
import { alloc, allocUnsafe, isUtf8 } from '../node/runtime.js';
import type { Transport } from '../node/transport.js';
import { ServerCompression } from '../websocket/compression.js';
import { MemoryBudget } from '../websocket/memory-budget.js';
import type { SendData } from '../websocket/send-data.js';
import { type ConnectionSettings, resolveSettings } from '../websocket/settings.js';
import type { PublishOptions } from '../websocket/topic-hub.js';
import { acceptedWebSocket, driverOf, sweepWebSocket, WebSocket } from '../websocket/websocket.js';
import { type Decision, type DecisionPolicy, decideUpgrade } from './decision.js';
import { attachToServer, detachFromServer } from './dispatcher.js';
import {
  acceptResponse,
  answer,
  destroySocket,
  refuse,
  validateHttp1Request,
} from './http1-upgrade.js';
import {
  type AnyHttp2Server,
  attachToHttp2Server,
  detachFromHttp2Server,
  type StreamTarget,
} from './http2-dispatcher.js';
import { Http2UpgradeRequest } from './http2-request.js';
import { Http2Sessions } from './http2-sessions.js';
import { acceptStream, answerStream, refuseStream, validateHttp2Request } from './http2-upgrade.js';
import {
  isHttp2Server,
  type ServerHandlers,
  type ServerOptions,
  validateServerOptions,
} from './options.js';
import { type OriginPredicate, resolveAllowedOrigins } from './origins.js';
import { createStandaloneServer, serveConnection } from './standalone-server.js';
import { Topics } from './topics.js';
import type { UpgradeSource } from './upgrade-request.js';

/** No bytes came with an HTTP/2 handshake: the stream's own data follows the 200. */
const EMPTY = Buffer.alloc(0);

/** A handshake is one round trip (plus TLS); 10 s allows slow links, not silent clients. */
const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** A listener of an event this class does not type. */
type Listener = (...args: never[]) => unknown;

type UpgradeCallback<Data> = (ws: WebSocket<Data>, req: UpgradeSource) => void;

/** The events of a {@link WebSocketServer} and their arguments. */
export interface WebSocketServerEvents<Data> {
  /** A connection was accepted (not emitted when `handleUpgrade` is given a callback, as `ws`). */
  connection: [ws: WebSocket<Data>, req: UpgradeSource];
  listening: [];
  /** An error of the listening server, or of application code with no `error` handler. */
  error: [error: Error];
  /** The server is closed and every connection is gone. */
  close: [];
  /** The 101's header lines, before they are sent: push lines to add headers (`ws`'s event). */
  headers: [headers: string[], req: UpgradeSource];
  /** An upgrade was refused for a fault of the client's (bad request, path, origin). */
  wsClientError: [error: HandshakeError, socket: Transport, req: UpgradeSource];
}

export class WebSocketServer<Data = unknown> extends EventEmitter {
  readonly options: Readonly<ServerOptions<Data>>;
  /** Open connections (unless `clientTracking: false`). */
  readonly clients: Set<WebSocket<Data>>;
  /** The topics of this server's connections (shared with other servers when given). */
  readonly topics: Topics;
  readonly #settings: ConnectionSettings<WebSocket<Data>>;
  /** The HTTP server attached to (`server` option), if any. */
  readonly #httpServer: HttpServer | null;
  /** The server listening for a standalone WebSocketServer (`port` option), if any. */
  readonly #listener: NetServer | null;
  /** A standalone server's HTTP/2 sessions (`http2` option), if any. */
  readonly #http2: Http2Sessions | null = null;
  /** How the dispatcher of an attached HTTP/2 server reaches this server, if attached to one. */
  readonly #streamTarget: StreamTarget | null = null;
  readonly #policy: DecisionPolicy<Data>;
  /** Every open connection (`clients` is this set unless `clientTracking` is false). */
  readonly #connections = new Set<WebSocket<Data>>();
  readonly #configs: (ConnectionConfig | undefined)[] = [];
  #closing = false;
  #closed: Promise<void> | null = null;

  constructor(options: ServerOptions<Data>, callback?: () => void) {
    super();
    validateServerOptions(options as ServerOptions<unknown>);
    this.options = options;
    this.clients = options.clientTracking === false ? new Set() : this.#connections;
    this.topics = options.topics ?? new Topics();
    const budget = resolveBudget(options.memoryBudget);
    this.#settings = resolveSettings<WebSocket<Data>>(options as never, {
      handlers: hasConnectionHandlers(options) ? options : null,
      topics: this.topics as never,
      budget,
      onClosed: this.#forget,
      visit: sweepWebSocket as (ws: never, now: number) => void,
      // The sweep visits the server's own set of connections: no second entry per connection.
      members: this.#connections as Set<never>,
    });
    this.#policy = this.#decisionPolicy(options, budget);
    this.#httpServer = (options.server as HttpServer | undefined) ?? null;
    this.#listener = null;
    if (options.port !== undefined) {
      const http2 = options.http2 ?? false;
      if (http2 !== false) {
        this.#http2 = new Http2Sessions({
          allowHttp1: options.allowHTTP1 ?? true,
          idleTimeout: this.#policy.handshakeTimeout,
          clock: this.#settings.clock,
          http2: http2 === true ? {} : http2,
          onStream: (stream, headers, raw) => void this.handleStream(stream, headers, raw),
        });
      }
      this.#listener = createStandaloneServer(
        options.tls,
        this.#policy.handshakeTimeout,
        this.#settings.clock,
        (req, socket, head) => void this.handleUpgrade(req, socket, head),
        this.#http2 ?? undefined,
      );
      this.#listener.listen(options.port, options.host, options.backlog, callback);
    }
    const server = this.#listener ?? this.#httpServer;
    if (server !== null) server.on('listening', () => this.emit('listening'));
    // A standalone server's listen errors (EADDRINUSE) are this server's. An attached HTTP
    // server's errors are its owner's: passed on only to whoever listens here, never thrown as
    // an unhandled 'error' of the WebSocketServer when the application handles them itself.
    this.#listener?.on('error', (error) => this.emit('error', error));
    this.#httpServer?.on('error', (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
    if (this.#httpServer !== null) {
      attachToServer(this.#httpServer, this);
      if (isHttp2Server(this.#httpServer) && options.http2 !== false) {
        this.#streamTarget = {
          shouldHandle: (req) => this.shouldHandle(req),
          serve: (req) => void this.#serveStream(req, undefined),
        };
        attachToHttp2Server(this.#httpServer, this.#streamTarget);
      }
    }
  }

  #decisionPolicy(options: ServerOptions<Data>, budget: MemoryBudget | null): DecisionPolicy<Data> {
    const deflate = options.perMessageDeflate ?? false;
    const originCheck: OriginPredicate | null =
      options.allowedOrigins === undefined ? null : resolveAllowedOrigins(options.allowedOrigins);
    return {
      options,
      handlers: options as ServerHandlers<Data>,
      originCheck,
      compression: deflate === false ? null : new ServerCompression(deflate),
      budget,
      handshakeTimeout: options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
      clock: this.#settings.clock,
      isClosing: () => this.#closing,
      shouldHandle: (req) => this.shouldHandle(req),
      report: (error) => this.#reportError(error),
    };
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
    return this.topics.publish(topic, data, options as PublishOptions<WebSocket<unknown>>);
  }

  /** How many connections are subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.topics.subscriberCount(topic);
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
    socket: Transport,
    head: Buffer,
    cb?: UpgradeCallback<Data>,
  ): Promise<WebSocket<Data> | null> {
    socket.on('error', destroySocket); // nothing may crash the process before the WebSocket exists
    let handshake: ReturnType<typeof validateHttp1Request>;
    try {
      handshake = validateHttp1Request(req);
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.emit('wsClientError', error, socket, req);
      answer(socket, rejectionFor(error));
      return Promise.resolve(null);
    }
    const respond = (decision: Decision<Data>): WebSocket<Data> | null => {
      if (!decision.accepted) {
        if (decision.error !== undefined) this.emit('wsClientError', decision.error, socket, req);
        refuse(socket, decision);
        return null;
      }
      // The client may have given up while the hook ran.
      if (socket.destroyed) return null;
      return this.#accept(req, socket, head, handshake.key, decision, cb);
    };
    const decided = decideUpgrade(this.#policy, req, handshake, (gone) => {
      socket.once('close', gone);
      return () => socket.off('close', gone);
    });
    if (decided instanceof Promise) return decided.then(respond);
    return Promise.resolve(respond(decided));
  }

  /**
   * Completes (or refuses) a WebSocket over HTTP/2 (RFC 8441): `stream` is an extended CONNECT
   * from your own `node:http2` server's `stream` event (`headers` and `rawHeaders` as that event
   * gives them). Validated, decided and answered like {@link handleUpgrade} (same hook, origins,
   * subprotocols, compression and limits); `:status` 200 accepts it. Resolves to the WebSocket,
   * or null when refused; never rejects.
   */
  handleStream(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    rawHeaders?: readonly string[],
    cb?: UpgradeCallback<Data>,
  ): Promise<WebSocket<Data> | null> {
    return this.#serveStream(new Http2UpgradeRequest(stream, headers, rawHeaders), cb);
  }

  #serveStream(
    req: Http2UpgradeRequest,
    cb: UpgradeCallback<Data> | undefined,
  ): Promise<WebSocket<Data> | null> {
    const { stream, socket } = req;
    let handshake: ReturnType<typeof validateHttp2Request>;
    try {
      handshake = validateHttp2Request(req);
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.emit('wsClientError', error, socket, req);
      answerStream(stream, error.status, { headers: error.headers, body: `${error.message}\n` });
      return Promise.resolve(null);
    }
    const respond = (decision: Decision<Data>): WebSocket<Data> | null => {
      if (!decision.accepted) {
        if (decision.error !== undefined) this.emit('wsClientError', decision.error, socket, req);
        refuseStream(stream, decision);
        return null;
      }
      if (stream.destroyed || stream.closed) return null; // the client gave up meanwhile
      try {
        acceptStream(
          stream,
          decision.protocol,
          decision.compression?.extensions ?? null,
          this.#editHeaders(req),
        );
      } catch (error) {
        this.#reportError(error);
        refuseStream(stream, { accepted: false, status: 500 });
        return null;
      }
      return this.#adopt(req, socket, EMPTY, decision, cb);
    };
    const decided = decideUpgrade(this.#policy, req, handshake, (gone) => {
      stream.once('close', gone);
      return () => stream.off('close', gone);
    });
    if (decided instanceof Promise) return decided.then(respond);
    return Promise.resolve(respond(decided));
  }

  /**
   * Serves one raw HTTP/1.1 connection, as the standalone server does for each TCP connection:
   * reads its request head (within `handshakeTimeout`), answers a plain request with 426 and a
   * malformed one with its 4xx, and completes an upgrade like {@link handleUpgrade}. For sockets
   * from your own `net.Server`, or any {@link Transport} (an in-memory pair in tests).
   */
  handleConnection(transport: Transport): void {
    serveConnection(
      transport,
      this.#policy.handshakeTimeout,
      this.#settings.clock,
      (req, socket, head) => void this.handleUpgrade(req, socket, head),
    );
  }

  /**
   * Stops accepting, sends 1001 (going away) to every client, waits for them to close (each is
   * dropped after `closeTimeout`, or a moment after the closing handshake if its TCP stays
   * open), and closes the HTTP server if this server created it.
   */
  close(callback?: (error?: Error) => void): Promise<void> {
    if (this.#closed === null) {
      this.#closing = true;
      if (this.#httpServer !== null) detachFromServer(this.#httpServer, this);
      if (this.#streamTarget !== null) {
        detachFromHttp2Server(this.#httpServer as unknown as AnyHttp2Server, this.#streamTarget);
      }
      const clientsClosed = [...this.#connections].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.close(CloseCode.GOING_AWAY, 'server shutting down');
          }),
      );
      this.#http2?.close(); // GOAWAY, after the 1001s
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

  // ---- Accepting ----------------------------------------------------------------------------

  #accept(
    req: UpgradeSource,
    socket: Transport,
    head: Buffer,
    key: string,
    decision: Decision<Data> & { accepted: true },
    cb: UpgradeCallback<Data> | undefined,
  ): WebSocket<Data> | null {
    const { protocol, compression } = decision;
    let response: string;
    try {
      response = acceptResponse(
        key,
        protocol,
        compression?.extensions ?? null,
        this.#editHeaders(req),
      );
    } catch (error) {
      this.#reportError(error);
      refuse(socket, { accepted: false, status: 500 });
      return null;
    }
    socket.write(response, 'latin1');
    return this.#adopt(req, socket, head, decision, cb);
  }

  /** The `headers` listeners, as a function that shows them the answer's lines; null if none. */
  #editHeaders(req: UpgradeSource): ((lines: string[]) => void) | null {
    return this.listenerCount('headers') === 0
      ? null
      : (lines: string[]) => this.emit('headers', lines, req);
  }

  /** Binds an accepted upgrade's transport to a new WebSocket, whatever carried the upgrade. */
  #adopt(
    req: UpgradeSource,
    socket: Transport,
    head: Buffer,
    decision: Decision<Data> & { accepted: true },
    cb: UpgradeCallback<Data> | undefined,
  ): WebSocket<Data> {
    const { protocol, compression } = decision;
    const ws = acceptedWebSocket(this.#settings, decision.data);
    const driver = driverOf(ws);
    prepareSocket(socket);
    driver.bind(
      socket,
      new Connection(this.#config(compression !== null)),
      head,
      compression,
      protocol,
    );
    socket.off('error', destroySocket);
    this.#connections.add(ws);
    this.#open(ws, req, cb);
    driver.startReading();
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

  /**
   * The `open` handler, then `connection` (or the callback). An exception in either, or a
   * rejected `open` promise, fails that connection with 1011 at once, like any handler's.
   */
  #open(ws: WebSocket<Data>, req: UpgradeSource, cb: UpgradeCallback<Data> | undefined): void {
    const driver = driverOf(ws);
    try {
      const opened: unknown = this.options.open?.(ws);
      if (opened instanceof Promise) opened.catch((error: unknown) => driver.fail(error));
      if (cb !== undefined) cb(ws, req);
      else this.emit('connection', ws, req);
    } catch (error) {
      driver.fail(error);
    }
  }

  /** An error of application code outside a connection (an `upgrade` hook, a subprotocol pick). */
  #reportError(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    try {
      if (this.listenerCount('error') > 0) this.emit('error', err);
      else console.error('wsx: error in a WebSocketServer handler:', err);
    } catch (secondary) {
      console.error('wsx: error in an error handler:', secondary);
    }
  }

  readonly #forget = (ws: WebSocket<Data>): void => {
    this.#connections.delete(ws);
  };

  // Events typed with this server's `Data`; other event names stay untyped, as on any emitter.
  override on<K extends keyof WebSocketServerEvents<Data>>(
    event: K,
    listener: (...args: WebSocketServerEvents<Data>[K]) => void,
  ): this;
  override on(event: string | symbol, listener: Listener): this;
  override on(event: string | symbol, listener: Listener): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof WebSocketServerEvents<Data>>(
    event: K,
    listener: (...args: WebSocketServerEvents<Data>[K]) => void,
  ): this;
  override once(event: string | symbol, listener: Listener): this;
  override once(event: string | symbol, listener: Listener): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  override addListener<K extends keyof WebSocketServerEvents<Data>>(
    event: K,
    listener: (...args: WebSocketServerEvents<Data>[K]) => void,
  ): this;
  override addListener(event: string | symbol, listener: Listener): this;
  override addListener(event: string | symbol, listener: Listener): this {
    return super.addListener(event, listener as (...args: unknown[]) => void);
  }

  override emit<K extends keyof WebSocketServerEvents<Data>>(
    event: K,
    ...args: WebSocketServerEvents<Data>[K]
  ): boolean;
  override emit(event: string | symbol, ...args: unknown[]): boolean;
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    return super.emit(event, ...args);
  }
}

/** The `memoryBudget` option: a number of bytes, a shared budget, or 0 for none. */
function resolveBudget(option: number | MemoryBudget | undefined): MemoryBudget | null {
  if (option instanceof MemoryBudget) return option;
  if (option === 0) return null;
  return new MemoryBudget(option);
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

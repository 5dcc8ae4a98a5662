/**
 * Puts the chat together: store, broker, service, the HTTP routes and the WebSocket endpoint on
 * one node:http(s) server. `startChatServer()` resolves once it listens; `close()` shuts it down
 * gracefully: new messages are refused, those being stored are committed and acknowledged,
 * clients get 1001 (they reconnect and resume elsewhere or later), then the store closes.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { WebSocketServer } from 'wsx';
import { openBroker, openStore } from './backends.js';
import type { RoomBroker } from './broker/room-broker.js';
import type { ChatConfig } from './config.js';
import { createRoutes, type RouteContext } from './http/routes.js';
import { StaticFiles } from './http/static-files.js';
import { createLogger } from './logger.js';
import { ChatMetrics } from './metrics.js';
import { Accounts, hashToken } from './service/accounts.js';
import { ChatService } from './service/chat-service.js';
import { Fanout } from './service/fanout.js';
import { Messaging } from './service/messaging.js';
import {
  AttemptLimiter,
  type AttemptLimits,
  DEFAULT_ATTEMPT_LIMITS,
} from './service/sign-in-limiter.js';
import type { Now } from './service/token-bucket.js';
import type { MessageStore } from './store/message-store.js';
import type { ChatConnection } from './ws/chat-connection.js';
import { type ChatSocketOptions, createChatSocket } from './ws/chat-socket.js';

export interface ChatServerParts {
  /** Replaces the configured store (given the metrics' commit observer). */
  readonly store?: (
    observeCommit: (seconds: number, count: number) => void,
  ) => MessageStore | Promise<MessageStore>;
  /** Replaces the configured broker. */
  readonly broker?: RoomBroker;
  /** How long a gap in a room's seqs waits for the missing message before the store is read. */
  readonly gapGraceMs?: number;
  readonly logger?: Logger;
  readonly now?: Now;
  readonly attemptLimits?: AttemptLimits;
  /** A resume that missed more than this many messages gets the latest page (default 5000). */
  readonly maxResume?: number;
}

export interface ChatServer {
  readonly url: string;
  readonly port: number;
  readonly http: Server;
  readonly wss: WebSocketServer<ChatConnection>;
  readonly store: MessageStore;
  readonly logger: Logger;
  close(): Promise<void>;
}

/** Requests carry at most a message of `maxTextLength` characters (4 bytes each in UTF-8). */
const requestBytes = (config: ChatConfig) => 4 * config.maxTextLength + 1024;
/** A resume that missed more than this gets the latest page instead (PROTOCOL.md §3). */
const MAX_RESUME = 5000;

export async function startChatServer(
  config: ChatConfig,
  parts: ChatServerParts = {},
): Promise<ChatServer> {
  const now = parts.now ?? Date.now;
  const logger = parts.logger ?? createLogger(config.logLevel);
  // The WebSocket server comes last (it needs the service); fan-out and metrics read it late.
  let wss: WebSocketServer<ChatConnection> | null = null;
  // Commits happen only once clients send, after `metrics` below exists.
  const observe = (seconds: number, count: number) => metrics.observeCommit(seconds, count);
  const store = await (parts.store?.(observe) ?? openStore(config, observe, logger));
  let broker: RoomBroker;
  try {
    broker = parts.broker ?? (await openBroker(config, logger));
  } catch (error) {
    await store.close();
    throw error;
  }
  const fanout = new Fanout({
    publish: (topic, frame) => wss?.publish(topic, frame) ?? 0,
    broker,
    readAfter: async (room, after, limit) => store.messagesAfter(room, after, limit),
    ...(parts.gapGraceMs !== undefined && { gapGraceMs: parts.gapGraceMs }),
    onError: (err) => logger.warn({ err }, 'reading missed messages failed: retrying'),
  });
  const limits = { maxTextLength: config.maxTextLength, maxResume: parts.maxResume ?? MAX_RESUME };
  const chat = new ChatService(store, broker, fanout, limits);
  const messaging = new Messaging(chat, now, (err) => logger.error({ err }, 'publish failed'));
  const metrics = new ChatMetrics({
    connections: () => wss?.clients.size ?? 0,
    activeRooms: () => activeRooms(wss),
    messagesReceived: () => messaging.received,
    messagesStored: () => messaging.stored,
    duplicates: () => messaging.duplicates,
    deliveries: () => fanout.deliveries,
    fetched: () => fanout.streams.fetched,
  });
  const limiter = new AttemptLimiter(parts.attemptLimits ?? DEFAULT_ATTEMPT_LIMITS, now);
  const accounts = new Accounts(store, limiter, now);
  const http = createHttp(config);
  const web = { config, accounts, chat, store, http, logger, metrics };
  http.on('request', createRoutes(routeContext(web, () => wss)));
  wss = createChatSocket(socketOptions(web, messaging, now));
  await listen(http, config);
  const port = (http.address() as AddressInfo).port;
  const url = `${config.tls === null ? 'http' : 'https'}://${displayHost(config.host)}:${port}/`;
  const socket = wss;
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= shutdown({ chat, messaging, wss: socket, http, broker, store, logger });
    return closing;
  };
  return { url, port, http, wss: socket, store, logger, close };
}

interface WebParts {
  readonly config: ChatConfig;
  readonly accounts: Accounts;
  readonly chat: ChatService;
  readonly store: MessageStore;
  readonly http: Server;
  readonly logger: Logger;
  readonly metrics: ChatMetrics;
}

function createHttp(config: ChatConfig): Server {
  const { tls } = config;
  const http =
    tls === null ? createHttpServer() : createHttpsServer({ cert: tls.cert, key: tls.key });
  http.headersTimeout = 10_000; // a request head takes one round trip
  http.requestTimeout = 15_000; // account requests are tiny
  return http;
}

function routeContext(
  p: WebParts,
  wss: () => WebSocketServer<ChatConnection> | null,
): RouteContext {
  const { config, chat, store, http } = p;
  return {
    accounts: p.accounts,
    files: new StaticFiles(),
    logger: p.logger,
    metrics: () => p.metrics.scrape(),
    ready: async () => !chat.closing && http.listening && (await store.isReady()),
    originAllowed: (origin, host) => isAllowedOrigin(config, origin, host),
    clientAddress: (req) => clientAddress(config, req),
    signedOut: (token) => {
      const session = hashToken(token);
      for (const ws of wss()?.clients ?? [])
        if (ws.data.session === session) ws.close(4401, 'signed out');
    },
    secure: (req) =>
      config.tls !== null || (config.trustProxy && req.headers['x-forwarded-proto'] === 'https'),
  };
}

function socketOptions(p: WebParts, messaging: Messaging, now: Now): ChatSocketOptions {
  const { config, chat, logger, metrics } = p;
  return {
    server: p.http,
    accounts: p.accounts,
    dispatch: {
      chat,
      messaging,
      maxRequestBytes: requestBytes(config),
      onInternalError: (err, request) =>
        logger.error({ err, type: request.type }, 'request failed'),
      onAbuse: (conn, reason) =>
        logger.warn({ user: conn.user.name, reason }, 'connection closed for abuse'),
    },
    limits: { ratePerSecond: config.ratePerSecond, burst: config.burst, strikes: 50 },
    originAllowed: (origin, host) => isAllowedOrigin(config, origin, host),
    maxFrameBytes: 4 * requestBytes(config),
    now,
    closing: () => chat.closing,
    onError: (err) => {
      if ((err as NodeJS.ErrnoException).syscall !== 'listen')
        logger.error({ err }, 'server error');
    },
    onOpen: (conn) => logger.debug({ user: conn.user.name, connection: conn.id }, 'connected'),
    onClose: (conn, ws) => {
      if (ws.droppedMessages > 0) {
        metrics.droppedMessages.inc(ws.droppedMessages);
        metrics.slowConsumers.inc();
      }
      logger.debug({ user: conn.user.name, connection: conn.id }, 'disconnected');
      chat.goodbye(conn).catch((err: unknown) => logger.error({ err }, 'leaving presence failed'));
    },
  };
}

interface ShutdownParts {
  chat: ChatService;
  messaging: Messaging;
  wss: WebSocketServer<ChatConnection>;
  http: Server;
  broker: RoomBroker;
  store: MessageStore;
  logger: Logger;
}

async function shutdown(p: ShutdownParts): Promise<void> {
  p.logger.info('shutting down: finishing what was received, then closing connections with 1001');
  p.chat.closing = true;
  await p.messaging.settled(); // every message received is committed, acknowledged, published
  await p.wss.close();
  await new Promise<void>((resolve) => {
    p.http.close(() => resolve());
    p.http.closeAllConnections();
  });
  await p.broker.close();
  await p.store.close();
  p.logger.info('stopped');
}

function listen(http: Server, config: ChatConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
}

function isAllowedOrigin(config: ChatConfig, origin: string, host: string | undefined): boolean {
  if (config.origins.includes(origin)) return true;
  try {
    // The page's own origin: same host and port as the request it makes.
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function clientAddress(config: ChatConfig, req: IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-for'];
  if (config.trustProxy && typeof forwarded === 'string') return forwarded.split(',')[0]!.trim();
  return req.socket.remoteAddress ?? 'unknown';
}

function displayHost(host: string): string {
  return ['0.0.0.0', '::', '127.0.0.1', '::1', ''].includes(host)
    ? 'localhost'
    : host.includes(':')
      ? `[${host}]`
      : host;
}

function activeRooms(wss: WebSocketServer<ChatConnection> | null): number {
  const rooms = new Set<number>();
  for (const ws of wss?.clients ?? []) for (const room of ws.data.rooms) rooms.add(room);
  return rooms.size;
}

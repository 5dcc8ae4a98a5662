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
import { LocalBroker } from './broker/local-broker.js';
import type { RoomBroker } from './broker/room-broker.js';
import type { ChatConfig } from './config.js';
import { createRoutes } from './http/routes.js';
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
import { SqliteStore } from './store/sqlite-store.js';
import type { ChatConnection } from './ws/chat-connection.js';
import { createChatSocket } from './ws/chat-socket.js';

export interface ChatServerParts {
  /** Replaces the SQLite store (given the metrics' commit observer). */
  readonly store?: (observeCommit: (seconds: number, count: number) => void) => MessageStore;
  readonly broker?: RoomBroker;
  readonly logger?: Logger;
  readonly now?: Now;
  readonly attemptLimits?: AttemptLimits;
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

export async function startChatServer(
  config: ChatConfig,
  parts: ChatServerParts = {},
): Promise<ChatServer> {
  const now = parts.now ?? Date.now;
  const logger = parts.logger ?? createLogger(config.logLevel);
  let wss: WebSocketServer<ChatConnection> | null = null;
  let fanout: Fanout | null = null;
  let messaging: Messaging | null = null;
  const metrics = new ChatMetrics({
    connections: () => wss?.clients.size ?? 0,
    activeRooms: () => activeRooms(wss),
    messagesReceived: () => messaging?.received ?? 0,
    messagesStored: () => messaging?.stored ?? 0,
    duplicates: () => messaging?.duplicates ?? 0,
    deliveries: () => fanout?.deliveries ?? 0,
  });
  const observe = (seconds: number, count: number) => metrics.observeCommit(seconds, count);
  const store =
    parts.store?.(observe) ??
    new SqliteStore({ dataDir: config.dataDir, sync: config.sync, observeCommit: observe });
  const broker = parts.broker ?? new LocalBroker();
  const http =
    config.tls === null
      ? createHttpServer()
      : createHttpsServer({ cert: config.tls.cert, key: config.tls.key });
  http.headersTimeout = 10_000;
  http.requestTimeout = 15_000;
  wss = null;
  const fanoutRef = new Fanout((topic, frame) => wss!.publish(topic, frame));
  fanout = fanoutRef;
  const chat = new ChatService(store, broker, fanoutRef, {
    maxTextLength: config.maxTextLength,
    maxResume: 5000,
  });
  messaging = new Messaging(chat, now);
  const accounts = new Accounts(
    store,
    new AttemptLimiter(parts.attemptLimits ?? DEFAULT_ATTEMPT_LIMITS, now),
    now,
  );
  const originAllowed = (origin: string, host: string | undefined) =>
    isAllowedOrigin(config, origin, host);
  http.on(
    'request',
    createRoutes({
      accounts,
      files: new StaticFiles(),
      logger,
      metrics: () => metrics.scrape(),
      ready: async () => !chat.closing && http.listening && (await store.isReady()),
      originAllowed,
      clientAddress: (req) => clientAddress(config, req),
      signedOut: (token) => {
        const session = hashToken(token);
        for (const ws of wss?.clients ?? [])
          if (ws.data.session === session) ws.close(4401, 'signed out');
      },
      secure: (req) =>
        config.tls !== null || (config.trustProxy && req.headers['x-forwarded-proto'] === 'https'),
    }),
  );
  wss = createChatSocket({
    server: http,
    accounts,
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
    originAllowed,
    maxFrameBytes: 4 * requestBytes(config),
    now,
    closing: () => chat.closing,
    onOpen: (conn) => logger.debug({ user: conn.user.name, connection: conn.id }, 'connected'),
    onClose: (conn, ws) => {
      if (ws.droppedMessages > 0) {
        metrics.droppedMessages.inc(ws.droppedMessages);
        metrics.slowConsumers.inc();
      }
      logger.debug({ user: conn.user.name, connection: conn.id }, 'disconnected');
      chat.goodbye(conn).catch((err: unknown) => logger.error({ err }, 'leaving presence failed'));
    },
  });
  await listen(http, config);
  const port = (http.address() as AddressInfo).port;
  const url = `${config.tls === null ? 'http' : 'https'}://${displayHost(config.host)}:${port}/`;
  const wssRef = wss;
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= shutdown({ chat, messaging: messaging!, wss: wssRef, http, broker, store, logger });
    return closing;
  };
  return { url, port, http, wss: wssRef, store, logger, close };
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

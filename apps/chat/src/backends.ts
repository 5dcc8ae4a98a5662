/**
 * The store and the broker the configuration names: SQLite and the in-process broker for one
 * node (the default), PostgreSQL and Redis for several. Connection URLs carry passwords: they
 * are never logged, nor put in an error message.
 */
import type { Logger } from 'pino';
import { LocalBroker } from './broker/local-broker.js';
import { RedisBroker } from './broker/redis-broker.js';
import type { RoomBroker } from './broker/room-broker.js';
import { type ChatConfig, redactUrl } from './config.js';
import type { MessageStore } from './store/message-store.js';
import { PostgresStore } from './store/pg-store.js';
import { SqliteStore } from './store/sqlite-store.js';

type ObserveCommit = (seconds: number, count: number) => void;

export async function openStore(
  config: ChatConfig,
  observeCommit: ObserveCommit,
  logger: Logger,
): Promise<MessageStore> {
  const { store } = config;
  if (store.kind === 'sqlite')
    return new SqliteStore({
      dataDir: config.dataDir,
      sync: config.sync,
      observeCommit,
      onError: (err) => logger.error({ err }, 'checkpoint thread failed'),
    });
  try {
    return await PostgresStore.open({
      url: store.url,
      observeCommit,
      onError: (err) => logger.warn({ err }, 'PostgreSQL'),
    });
  } catch (error) {
    throw new Error(`PostgreSQL at ${redactUrl(store.url)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export async function openBroker(config: ChatConfig, logger: Logger): Promise<RoomBroker> {
  const { broker } = config;
  if (broker.kind === 'local') return new LocalBroker();
  try {
    return await RedisBroker.connect({
      url: broker.url,
      timeoutMs: config.brokerTimeoutMs,
      log: logger,
    });
  } catch (error) {
    throw new Error(`Redis at ${redactUrl(broker.url)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

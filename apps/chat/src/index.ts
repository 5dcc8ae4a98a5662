/**
 * wsx-chat as a library: start a chat server in your own process, or build on its seams (a
 * MessageStore, a RoomBroker) to run it on other storage or fan-out.
 */
export { LocalBroker } from './broker/local-broker.js';
export { type BrokerLog, RedisBroker, type RedisBrokerOptions } from './broker/redis-broker.js';
export type {
  BrokerEvent,
  DeliverHandler,
  RoomBroker,
  RoomEvent,
  UserEvent,
} from './broker/room-broker.js';
export { type ChatServer, type ChatServerParts, startChatServer } from './chat-server.js';
export {
  type BrokerConfig,
  type ChatConfig,
  ConfigError,
  loadConfig,
  type StoreConfig,
  usage,
} from './config.js';
export { ChatError, ErrorCode } from './protocol/errors.js';
export { parseRequest, type Request } from './protocol/requests.js';
export type { MessageStore } from './store/message-store.js';
export { PostgresStore, type PostgresStoreOptions } from './store/pg-store.js';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite-store.js';
export type * from './store/types.js';

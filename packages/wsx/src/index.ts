/**
 * wsx: a WebSocket toolkit for Node.js. RFC 6455 from scratch, server and client, no runtime
 * dependencies. The sans-I/O protocol core is also available on its own as `wsx/core`.
 */

export { type ConnectOptions, connect } from './client/connect.js';
export {
  type DisconnectInfo,
  defaultShouldReconnect,
  type ReconnectingInfo,
  type ReconnectingOptions,
  ReconnectingWebSocket,
  type ReconnectingWebSocketEvents,
  type ReconnectOptions,
  reconnecting,
} from './client/reconnecting.js';
export { PreparedMessage, prepareMessage } from './core/frame-writer.js';
export * from './core/index.js';
export type { Clock, TimerHandle } from './node/clock.js';
export { Http2StreamTransport } from './node/http2-transport.js';
export { MemoryTransport } from './node/memory-transport.js';
export type { Transport } from './node/transport.js';
export { Http2UpgradeRequest } from './server/http2-request.js';
export type { Http2ServerOptions } from './server/http2-sessions.js';
export type {
  ServerHandlers,
  ServerOptions,
  TlsServerOptions,
  UpgradeResult,
} from './server/options.js';
export { Rejection, reject } from './server/rejection.js';
export {
  type PubSubAdapter,
  type TopicMessage,
  Topics,
  type TopicsOptions,
} from './server/topics.js';
export { UpgradeHttpRequest } from './server/upgrade-http-request.js';
export { UpgradeRequest, type UpgradeSource } from './server/upgrade-request.js';
export { WebSocketServer, type WebSocketServerEvents } from './server/websocket-server.js';
export type { ClientOptions, ClientTlsOptions } from './websocket/client-options.js';
export type {
  ClientCompressionOptions,
  ServerCompressionOptions,
} from './websocket/compression.js';
export { MemoryBudget } from './websocket/memory-budget.js';
export type { Message } from './websocket/message-queue.js';
export type { SendData } from './websocket/send-data.js';
export type { PublishOptions } from './websocket/topic-hub.js';
export {
  type BinaryType,
  type SendOptions,
  SendStatus,
  type WebSocketOptions,
} from './websocket/types.js';
export {
  type ConnectionHandlers,
  type RawData,
  WebSocket,
  type WebSocketEvents,
} from './websocket/websocket.js';

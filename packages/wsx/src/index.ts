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
  type ReconnectOptions,
  reconnecting,
} from './client/reconnecting.js';
export { PreparedMessage, prepareMessage } from './core/frame-writer.js';
export * from './core/index.js';
export type { ClientOptions } from './node/client-options.js';
export type { Clock, TimerHandle } from './node/clock.js';
export type { Message } from './node/message-queue.js';
export type { SendData } from './node/send-data.js';
export { type TlsServerOptions, UpgradeHttpRequest } from './node/standalone-server.js';
export type { PublishOptions } from './node/topics.js';
export {
  type BinaryType,
  type ConnectionHandlers,
  ReadyState,
  type SendOptions,
  SendStatus,
  type WebSocketOptions,
} from './node/types.js';
export { WebSocket } from './node/websocket.js';
export type { ServerHandlers, ServerOptions, UpgradeResult } from './server/options.js';
export { Rejection, reject } from './server/rejection.js';
export { UpgradeRequest, type UpgradeSource } from './server/upgrade-request.js';
export { WebSocketServer } from './server/websocket-server.js';

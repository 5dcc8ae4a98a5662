/**
 * wsx: a WebSocket toolkit for Node.js. RFC 6455 from scratch, server and client, no runtime
 * dependencies. The sans-I/O protocol core is also available on its own as `wsx/core`.
 */

export { connect } from './client/connect.js';
export * from './core/index.js';
export type { TlsServerOptions } from './node/http-server.js';
export type { Message } from './node/message-queue.js';
export type { SendData } from './node/send-data.js';
export {
  type BinaryType,
  type ClientOptions,
  type ConnectionHandlers,
  type ConnectionLimits,
  ReadyState,
  SendStatus,
  WebSocket,
} from './node/websocket.js';
export type { ServerHandlers, ServerOptions, UpgradeResult } from './server/options.js';
export { Rejection, reject } from './server/rejection.js';
export { UpgradeRequest } from './server/upgrade-request.js';
export { WebSocketServer } from './server/websocket-server.js';

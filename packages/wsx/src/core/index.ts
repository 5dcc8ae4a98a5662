/**
 * `wsx/core`: the sans-I/O WebSocket protocol (RFC 6455). Bytes in, events out; calls in, bytes
 * out. No sockets, no timers, no randomness of its own: use it to drive WebSockets over any
 * transport, or to test protocol behaviour without one.
 */

export {
  buildRequest,
  generateKey,
  type OfferedHandshake,
  type RequestOptions,
  type ServerHandshake,
  validateResponse,
} from './client-handshake.js';
export { type CloseFrame, encodeClosePayload, parseClosePayload } from './close.js';
export {
  buildConnectRequest,
  type ConnectAcceptOptions,
  type ConnectHandshake,
  type ConnectRefusal,
  type ConnectRequestOptions,
  connectAcceptFields,
  connectRefusal,
  type OfferedConnect,
  validateConnectRequest,
  validateConnectResponse,
} from './connect-handshake.js';
export { Connection, type ConnectionOptions, type Role, SEND_EOF } from './connection.js';
export {
  CloseCode,
  isValidWireCloseCode,
  MAX_CLOSE_REASON_BYTES,
  MAX_CONTROL_PAYLOAD,
  Opcode,
  WEBSOCKET_GUID,
  WEBSOCKET_VERSION,
} from './constants.js';
export {
  type CloseInfo,
  ConnectionClosedError,
  ErrorCode,
  HandshakeError,
  InvalidStateError,
  ProtocolError,
  type RefusedResponse,
  UsageError,
  WebSocketError,
} from './errors.js';
export type {
  BinaryEvent,
  CloseEvent,
  ConnectionEvent,
  ErrorEvent,
  PingEvent,
  PongEvent,
  TextEvent,
} from './events.js';
export {
  type ExtensionOffer,
  formatExtensionHeader,
  parseExtensionHeader,
} from './extension-header.js';
export type { Allocator, RandomFill } from './frame-writer.js';
export { type CollectedHead, HeadReader } from './head-reader.js';
export {
  DEFAULT_MAX_HEAD_SIZE,
  DEFAULT_MAX_HEADER_COUNT,
  findHeadEnd,
  type HeaderInit,
  type HeadLimits,
  type HeadParseResult,
  HttpHeaders,
  type HttpRequestHead,
  type HttpResponseHead,
  parseRequestHead,
  parseResponseHead,
} from './http-head.js';
export { Phase, ReadyState, State } from './lifecycle.js';
export {
  type AcceptOptions,
  buildAcceptResponse,
  buildRejectResponse,
  type ClientHandshake,
  computeAccept,
  formatAcceptResponse,
  type HandshakeOffer,
  type RejectOptions,
  type RequestHeadLike,
  rejectionFor,
  selectSubprotocol,
  validateRequest,
} from './server-handshake.js';
export { isValidUtf8, type Utf8Check } from './utf8.js';

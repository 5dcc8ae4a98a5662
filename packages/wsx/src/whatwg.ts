/**
 * `wsx/whatwg`: the WHATWG `WebSocket` (https://websockets.spec.whatwg.org/) for Node, so code
 * written for browsers runs unchanged: `import { WebSocket } from 'wsx/whatwg'`.
 */

export {
  type BinaryType,
  CloseEvent,
  type CloseEventInit,
  type EventHandler,
  WebSocket,
  type WebSocketNodeOptions,
} from './client/whatwg.js';

/** Public types and constants of a WebSocket, shared by the server and the client. */

import type { Clock } from '../node/clock.js';

export { ReadyState } from '../core/lifecycle.js';

/**
 * What `send()` and `publish()` report, as uWebSockets does: SUCCESS, the data was queued and the
 * connection's buffer is under the socket's high-water mark; BACKPRESSURE, queued but over it
 * (wait for `drain`, or use `sendAsync`); DROPPED, nothing was queued (the connection is not
 * open, or a topic message met a subscriber over `maxBackpressure`).
 */
export const SendStatus = {
  BACKPRESSURE: 0,
  SUCCESS: 1,
  DROPPED: 2,
} as const;
export type SendStatus = (typeof SendStatus)[keyof typeof SendStatus];

/** How binary messages reach `message` listeners. */
export type BinaryType = 'nodebuffer' | 'arraybuffer';

/** Options of `send()`. */
export interface SendOptions {
  /** Send as binary (default: strings as text, everything else as binary). */
  binary?: boolean;
  /** false: this is not the last fragment of the message; continue it with the next `send()`. */
  fin?: boolean;
  /** `false`: send this message uncompressed even when permessage-deflate is in use. */
  compress?: false;
}

/** Limits, timeouts and the slow-consumer policy, for both sides. Defaults in docs/server.md. */
export interface WebSocketOptions {
  /** Largest message accepted, in bytes (1009 beyond). Default 1 MiB. */
  maxMessageSize?: number;
  /** Largest frame accepted, in bytes. Default: `maxMessageSize`. */
  maxFrameSize?: number;
  /** Time allowed for the peer to complete the closing handshake. Default 10 s. */
  closeTimeout?: number;
  /** Ping a peer after this long without hearing from it (0: never). Default 30 s. */
  pingInterval?: number;
  /** After a ping, time allowed to hear anything back before the peer is dropped (1006). Default 30 s. */
  pongTimeout?: number;
  /** Close with 1001 after this long without a message either way (0: never). Default 0. */
  idleTimeout?: number;
  /** Above this many buffered bytes, topic messages to the connection are dropped. Default 1 MiB. */
  maxBackpressure?: number;
  /** A connection that stays above `maxBackpressure` this long is closed with 1008. Default 30 s. */
  backpressureTimeout?: number;
  /** A connection whose buffer exceeds this is closed with 1008 at once. Default 64 MiB. */
  backpressureLimit?: number;
  /** The time source of every timer (default: the system clock); tests pass a manual one. */
  clock?: Clock;
}

/**
 * What a {@link Connection} reports from the bytes it received: an immutable discriminated union
 * on `type`.
 *
 * Message data is the raw payload: for `text` it has been validated as UTF-8 (RFC 6455 §8.1) and
 * is left undecoded, so the layer above chooses between a string and bytes. Data may be a view of
 * the buffer passed to `receiveData`.
 */

import type { ProtocolError } from './errors.js';

/** A complete text message (RFC 6455 §5.6); `data` is valid UTF-8. */
export interface TextEvent {
  readonly type: 'text';
  readonly data: Uint8Array;
}

/** A complete binary message (RFC 6455 §5.6). */
export interface BinaryEvent {
  readonly type: 'binary';
  readonly data: Uint8Array;
}

/** A ping arrived; the connection has already queued the pong (RFC 6455 §5.5.2). */
export interface PingEvent {
  readonly type: 'ping';
  readonly data: Uint8Array;
}

/** A pong arrived (RFC 6455 §5.5.3). */
export interface PongEvent {
  readonly type: 'pong';
  readonly data: Uint8Array;
}

/**
 * The peer's close frame arrived (RFC 6455 §5.5.1). `code` is 1005 when the frame had no code.
 * If we had not sent a close frame, the answer is already queued.
 */
export interface CloseEvent {
  readonly type: 'close';
  readonly code: number;
  readonly reason: string;
}

/** The peer broke the protocol; the connection has been failed with `error.closeCode`. */
export interface ErrorEvent {
  readonly type: 'error';
  readonly error: ProtocolError;
}

export type ConnectionEvent =
  | TextEvent
  | BinaryEvent
  | PingEvent
  | PongEvent
  | CloseEvent
  | ErrorEvent;

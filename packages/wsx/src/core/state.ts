/**
 * Every state transition of a connection lives in this file (one place to read the lifecycle).
 *
 * RFC 6455 §4.1 and §7 describe the life of a connection once the opening handshake is done:
 *
 *   OPEN ──(close sent, close received, or connection failed)──▶ CLOSING ──(TCP closed)──▶ CLOSED
 *
 * CLOSING covers both directions of the closing handshake (RFC 6455 §7.1.2: "Start the WebSocket
 * Closing Handshake", §7.1.3: "The WebSocket Closing Handshake is Started"). The connection is
 * CLOSED once the transport reports end of stream (RFC 6455 §7.1.4: "The WebSocket Connection is
 * Closed" when "the underlying TCP connection is closed").
 */

export const State = {
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
} as const;
export type State = (typeof State)[keyof typeof State];

/** What can happen to a connection's lifecycle. */
export const Transition = {
  /** We sent a close frame (our own initiative or in answer to the peer's). */
  CLOSE_SENT: 'close-sent',
  /** The peer's close frame arrived. */
  CLOSE_RECEIVED: 'close-received',
  /** We failed the connection (RFC 6455 §7.1.7). */
  FAILED: 'failed',
  /** The transport reported end of stream. */
  EOF_RECEIVED: 'eof-received',
} as const;
export type Transition = (typeof Transition)[keyof typeof Transition];

/** The state after `transition` happens in `state`. */
export function nextState(state: State, transition: Transition): State {
  if (transition === Transition.EOF_RECEIVED) return State.CLOSED;
  return state === State.OPEN ? State.CLOSING : state;
}

/** A connection whose close frames have both been exchanged (or that failed) stops reading. */
export interface CloseProgress {
  readonly closeSent: boolean;
  readonly closeReceived: boolean;
  readonly failed: boolean;
}

/**
 * Whether the server should now close its side of the TCP connection. RFC 6455 §7.1.1: "The
 * underlying TCP connection, in most normal cases, SHOULD be closed first by the server"; it does
 * so once the closing handshake is complete, or at once when it failed the connection (§7.1.7).
 * A client waits for the server to do it (and arms a timer, see `closeExpected`).
 */
export function serverShouldSendEof(progress: CloseProgress): boolean {
  return progress.failed || (progress.closeSent && progress.closeReceived);
}

/**
 * The per-connection handlers of a server route (the uWebSockets "behavior"), over any peer
 * type: the public `ConnectionHandlers<Data>` is `Handlers<WebSocket<Data>>`. Kept apart from the
 * WebSocket class so that the driver, which calls them, does not depend on the class.
 */

/** Per-connection handlers of a server route (the uWebSockets "behavior"). */
export interface Handlers<Peer> {
  /** The connection is open. May return a promise: a rejection closes it with 1011. */
  open?(ws: Peer): unknown;
  /**
   * A message: text (`isBinary` false, valid UTF-8) or binary. May return a promise: until it
   * settles, the connection's next messages wait and its socket is not read (read-side
   * backpressure); a rejection closes the connection with 1011.
   */
  message?(ws: Peer, data: Buffer, isBinary: boolean): unknown;
  /** The connection's buffer fell back under the high-water mark after BACKPRESSURE. */
  drain?(ws: Peer): void;
  ping?(ws: Peer, data: Buffer): void;
  pong?(ws: Peer, data: Buffer): void;
  close?(ws: Peer, code: number, reason: string): void;
  /** A handler threw (the connection is then closed with 1011), or the peer broke the protocol. */
  error?(ws: Peer, error: Error): void;
}

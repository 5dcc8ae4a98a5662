/**
 * The transport seam: what the driver needs from the byte stream under one WebSocket.
 *
 * A TCP or TLS socket (`net.Socket`, `tls.TLSSocket`) is a `Transport` as it is, with no wrapper
 * object per connection (see net-transport.ts for the socket settings wsx applies first); the
 * in-memory pair (memory-transport.ts) is one for tests; an HTTP/2 stream becomes one through an
 * adapter. To add a transport, implement this interface and hand the driver an open instance.
 *
 * The contract, beyond the method signatures:
 * - `data` delivers bytes in order; `pause()` stops `data` until `resume()`.
 * - `write()` returns false once the transport buffers more than `writableHighWaterMark`, and
 *   `drain` follows when the buffer is empty again.
 * - `end()` closes our sending side once what was written is flushed (TCP FIN, HTTP/2
 *   END_STREAM). When the peer ends its side, the transport ends ours too (no half-open
 *   connections: `allowHalfOpen` false), then emits `close`.
 * - `close` is emitted exactly once, when both sides are done or the transport was destroyed;
 *   `error` may come before it, and is never the last event.
 */
export interface Transport {
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  /** Text as latin1 (an HTTP head: Node writes a short string without a buffer per call). */
  write(chunk: string, encoding: 'latin1', callback?: (error?: Error | null) => void): boolean;
  /** Gathers the writes that follow into one, until `uncork()`. */
  cork(): void;
  uncork(): void;
  /** Closes our sending side, after `chunk` when given. */
  end(): void;
  end(chunk: Uint8Array): void;
  destroy(): void;
  pause(): void;
  resume(): void;
  isPaused(): boolean;
  /** Bytes written and not yet handed to the operating system (or the peer). */
  readonly writableLength: number;
  readonly writableHighWaterMark: number;
  readonly destroyed: boolean;
  /** Whether the peer's end of stream has been read. */
  readonly readableEnded: boolean;
  /** The peer's address and port, when the transport has them. */
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'close' | 'drain' | 'end', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  once(event: 'close' | 'drain' | 'end' | 'finish', listener: () => void): this;
  off(event: 'data', listener: (chunk: Buffer) => void): this;
  off(event: 'close' | 'drain' | 'end' | 'finish', listener: () => void): this;
  off(event: 'error', listener: (error: Error) => void): this;
}

/**
 * Reading one HTTP/1.1 head off a socket: the one place that does it, for the standalone
 * server's requests and the client's responses. Bytes are scanned once as they arrive (see the
 * core's HeadReader); once the head is complete the socket is paused and the head handed over
 * with whatever followed it (the first WebSocket frames, or a body).
 */

import type { HandshakeError } from '../core/errors.js';
import { HeadReader } from '../core/head-reader.js';
import type { HeadLimits } from '../core/http-head.js';
import type { Transport } from './transport.js';

export interface HeadListener {
  /** The complete head, and the bytes after it. The socket is paused. */
  head(head: Uint8Array, rest: Buffer): void;
  /** The head is malformed or too large (400/431 for a request, status 0 for a response). */
  invalid(error: HandshakeError): void;
}

/**
 * Starts reading a head from `socket`. Returns the reader (its `size` says how much arrived) and
 * a function that stops reading early.
 */
export function readHead(
  socket: Transport,
  side: 'request' | 'response',
  listener: HeadListener,
  limits?: HeadLimits,
): { readonly reader: HeadReader; stop(): void } {
  const reader = new HeadReader(side, limits);
  const stop = (): void => {
    socket.off('data', onData);
  };
  const onData = (chunk: Buffer): void => {
    let collected: ReturnType<HeadReader['push']>;
    try {
      collected = reader.push(chunk);
    } catch (error) {
      stop();
      listener.invalid(error as HandshakeError);
      return;
    }
    if (collected === null) return;
    stop();
    socket.pause();
    listener.head(collected.head, chunk.subarray(collected.restOffset));
  };
  socket.on('data', onData);
  socket.resume();
  return { reader, stop };
}

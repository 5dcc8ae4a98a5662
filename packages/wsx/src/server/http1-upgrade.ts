/**
 * The HTTP/1.1 side of an upgrade (RFC 6455 §4.2): validating the request, and writing the
 * decision as HTTP/1.1 bytes on the socket: the 101 that switches protocols, or a complete
 * answer refusing it, after which the socket is closed. Deciding is decision.ts's, whatever the
 * transport.
 */

import { HttpHeaders } from '../core/http-head.js';
import {
  buildRejectResponse,
  type ClientHandshake,
  formatAcceptResponse,
  validateRequest,
} from '../core/server-handshake.js';
import type { Transport } from '../node/transport.js';
import type { Refusal } from './decision.js';
import type { UpgradeSource } from './upgrade-request.js';

/**
 * RFC 6455 §4.2.1: checks the request (method, version, `Upgrade`, `Connection`, key, version).
 *
 * @throws {HandshakeError} carrying the status to answer with (400, 405, 426, ...).
 */
export function validateHttp1Request(req: UpgradeSource): ClientHandshake {
  return validateRequest({
    method: req.method ?? '',
    version: `HTTP/${req.httpVersion}`,
    headers: new HttpHeaders(req.rawHeaders),
  });
}

/**
 * The 101 as latin1 text (Node writes a short string from the stack: no buffer per handshake).
 * `editHeaders`, when given, sees the header lines and may add to them (`ws`'s 'headers' event).
 */
export function acceptResponse(
  key: string,
  protocol: string,
  extensions: string | null,
  editHeaders: ((lines: string[]) => void) | null,
): string {
  const head = formatAcceptResponse({
    key,
    protocol: protocol === '' ? null : protocol,
    extensions,
  });
  if (editHeaders === null) return head;
  const lines = head.split('\r\n').filter((l) => l !== '');
  editHeaders(lines);
  for (const line of lines) {
    if (line.includes('\r') || line.includes('\n')) {
      throw new TypeError(`a header line may not contain CR or LF: ${line}`);
    }
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Answers a refused upgrade and closes the socket once the answer is flushed. */
export function refuse(socket: Transport, refusal: Refusal): void {
  answer(
    socket,
    buildRejectResponse(refusal.status, {
      ...(refusal.body === undefined ? {} : { body: refusal.body }),
      ...(refusal.headers === undefined ? {} : { headers: refusal.headers }),
    }),
  );
}

/** Writes an HTTP answer and closes the socket once it is flushed. */
export function answer(socket: Transport, response: Uint8Array): void {
  if (socket.destroyed) return;
  socket.on('error', destroySocket);
  socket.once('finish', destroySocket);
  socket.end(response);
}

export function destroySocket(this: Transport): void {
  this.destroy();
}

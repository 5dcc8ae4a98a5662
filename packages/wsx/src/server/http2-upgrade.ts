/**
 * The HTTP/2 side of an upgrade (RFC 8441 §5): validating an extended CONNECT, and answering the
 * decision on its stream: `:status` 200 with the subprotocol and extensions agreed, after which
 * the stream carries the WebSocket; or a complete refusal (status, headers, body) that ends the
 * stream. The sibling of http1-upgrade.ts; deciding is decision.ts's, whatever the transport.
 */

import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import {
  type ConnectHandshake,
  connectAcceptFields,
  connectRefusal,
  validateConnectRequest,
} from '../core/connect-handshake.js';
import { UsageError } from '../core/errors.js';
import { HttpHeaders } from '../core/http-head.js';
import type { Refusal } from './decision.js';
import type { Http2UpgradeRequest } from './http2-request.js';

/**
 * RFC 8441 §4-5: checks the extended CONNECT (`:method`, `:protocol`, `:scheme`, `:path`,
 * `:authority`, version, subprotocols, extensions).
 *
 * @throws {HandshakeError} carrying the status to answer with (400, 405, 426, 501, ...).
 */
export function validateHttp2Request(req: Http2UpgradeRequest): ConnectHandshake {
  return validateConnectRequest(new HttpHeaders(req.rawHeaders));
}

/**
 * Accepts the WebSocket: `:status` 200, without ending the stream. `editHeaders`, when given,
 * sees the answer as header lines (`HTTP/2 200` first, then `name: value`), as the HTTP/1.1
 * 101's lines are shown to the server's `headers` listeners, and may add to them.
 *
 * @throws {UsageError} when an edited line is not a valid header field.
 */
export function acceptStream(
  stream: ServerHttp2Stream,
  protocol: string,
  extensions: string | null,
  editHeaders: ((lines: string[]) => void) | null,
): void {
  let fields = connectAcceptFields({ protocol: protocol === '' ? null : protocol, extensions });
  if (editHeaders !== null) {
    const lines = ['HTTP/2 200', ...fields.slice(1).map(([name, value]) => `${name}: ${value}`)];
    editHeaders(lines);
    fields = [[':status', '200'], ...parseLines(lines.slice(1))];
  }
  stream.respond(headerObject(fields), { endStream: false });
}

/** Answers a refused upgrade on its stream and ends the stream. */
export function refuseStream(stream: ServerHttp2Stream, refusal: Refusal): void {
  answerStream(stream, refusal.status, {
    ...(refusal.body === undefined ? {} : { body: refusal.body }),
    ...(refusal.headers === undefined ? {} : { headers: refusal.headers }),
  });
}

/**
 * Writes a complete answer and ends the stream. Node then resets the stream (RST_STREAM with
 * NO_ERROR) unless the client has ended its side: RFC 9113 §8.1 allows exactly that after a
 * complete response, and it stops the client from sending more on a stream nobody reads.
 */
export function answerStream(
  stream: ServerHttp2Stream,
  status: number,
  options: Parameters<typeof connectRefusal>[1],
): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const { fields, body } = connectRefusal(status, options);
  stream.respond(headerObject(fields), { endStream: false });
  stream.end(body);
}

/** `node:http2`'s header object: a repeated name (set-cookie) becomes a list. */
function headerObject(fields: readonly [string, string][]): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = Object.create(null);
  for (const [name, value] of fields) {
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else headers[name] = [...(Array.isArray(previous) ? previous : [String(previous)]), value];
  }
  return headers;
}

/** `name: value` lines (as `headers` listeners write them) to fields; connection ones dropped. */
function parseLines(lines: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new UsageError(`a header line is 'name: value' (got ${JSON.stringify(line)})`);
    pairs.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  // The reserved names are the handshake's own: edited lines may repeat them as they were.
  const own = pairs.filter(([name]) => name.startsWith('sec-websocket-'));
  const extra = pairs.filter(([name]) => !name.startsWith('sec-websocket-'));
  const protocol = own.find(([name]) => name === 'sec-websocket-protocol')?.[1] ?? null;
  const extensions = own.find(([name]) => name === 'sec-websocket-extensions')?.[1] ?? null;
  return connectAcceptFields({ protocol, extensions, headers: extra }).slice(1);
}

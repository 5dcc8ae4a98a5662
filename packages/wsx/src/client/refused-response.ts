/**
 * The body of a refused upgrade. A server that answers 401, 403 or 404 instead of 101 usually
 * says why in its body (`use /room/<name>`); the client reads the start of it, bounded in size and
 * time, so the error can show it.
 */

import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { HandshakeError, type RefusedResponse } from '../core/errors.js';
import { isDigits, quoteInput } from '../core/header-values.js';
import type { HttpResponseHead } from '../core/http-head.js';
import type { Clock } from '../node/clock.js';

/** How much of a refusal's body is kept: enough for any explanation meant for a human. */
export const MAX_REFUSAL_BODY = 4096;
/** How long the body may take after the head: the status alone already says the upgrade failed. */
const BODY_WAIT = 1000;

/**
 * Reads the body that follows `head` on `socket` (`rest` is what already came with the head;
 * `socket` may be the stream of an HTTP/2 answer),
 * until its length, the end of its chunks, the server's close, {@link MAX_REFUSAL_BODY} bytes or
 * {@link BODY_WAIT} ms, whichever comes first; then calls `done` once.
 */
export function readRefusal(
  socket: Readable,
  head: HttpResponseHead,
  rest: Buffer,
  clock: Clock,
  done: (response: RefusedResponse) => void,
): void {
  const length = contentLength(head);
  const chunked = (head.headers.get('Transfer-Encoding') ?? '').toLowerCase().includes('chunked');
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clock.clearTimeout(timer);
    socket.off('data', onData).off('end', finish).off('close', finish);
    const raw = Buffer.concat(chunks, size);
    const body = chunked
      ? dechunk(raw).body
      : raw.subarray(0, Math.min(raw.length, length ?? raw.length));
    done({
      status: head.status,
      reason: head.reason,
      headers: head.headers,
      body: Buffer.from(body.subarray(0, MAX_REFUSAL_BODY)),
      truncated: body.length > MAX_REFUSAL_BODY || (length ?? 0) > MAX_REFUSAL_BODY,
    });
  };
  const enough = (): boolean => {
    if (chunked)
      return size > 2 * MAX_REFUSAL_BODY || dechunk(Buffer.concat(chunks, size)).complete;
    if (length !== null) return size >= Math.min(length, MAX_REFUSAL_BODY);
    return size > MAX_REFUSAL_BODY;
  };
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    size += chunk.length;
    if (enough()) finish();
  };
  const timer = clock.setTimeout(finish, BODY_WAIT);
  if (rest.length > 0) onData(rest);
  if (finished || length === 0 || head.status === 204 || head.status === 304) {
    finish();
    return;
  }
  socket.on('data', onData).once('end', finish).once('close', finish);
  socket.resume();
}

/** `Content-Length` as a number, or null when absent or malformed. */
function contentLength(head: HttpResponseHead): number | null {
  const value = head.headers.get('Content-Length')?.trim();
  return value !== undefined && isDigits(value) ? Number(value) : null;
}

/**
 * Decodes as much of a chunked body (RFC 9112 §7.1) as `raw` holds; `complete` once the last
 * (zero-size) chunk was seen. Extensions after the size are ignored; trailers are not read.
 */
export function dechunk(raw: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol === -1) break;
    const sizeText = raw.toString('latin1', at, eol).split(';')[0]!.trim();
    const size = Number.parseInt(sizeText, 16);
    if (!Number.isFinite(size) || sizeText === '') break;
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    const start = eol + 2;
    parts.push(raw.subarray(start, Math.min(start + size, raw.length)));
    if (start + size + 2 > raw.length) break;
    at = start + size + 2;
  }
  return { body: Buffer.concat(parts), complete: false };
}

/** Statuses whose `Location` is followed (RFC 9110 §15.4). */
export const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** A redirect that is not followed fails as any other status, its `Location` named. */
export function redirectHint(error: HandshakeError, head: HttpResponseHead): HandshakeError {
  const location = head.headers.get('Location');
  if (head.status < 300 || head.status >= 400 || location === undefined) return error;
  const { code, message } = error;
  const detail = `${message}, Location: ${location}${REDIRECTS.has(head.status) ? ' (set followRedirects to follow it)' : ''}`;
  return new HandshakeError(code, head.status, detail, { cause: error });
}

/** `error` (a refused status) with the server's answer attached, its body's first line quoted. */
export function withResponse(error: HandshakeError, response: RefusedResponse): HandshakeError {
  const said = firstLine(response.body);
  const message = said === '' ? error.message : `${error.message}: ${quoteInput(said)}`;
  return new HandshakeError(error.code, error.status, message, { cause: error, response });
}

/** The body's first line, when it is short UTF-8 text. */
function firstLine(body: Uint8Array): string {
  const end = body.indexOf(0x0a);
  const line = body.subarray(0, end === -1 ? body.length : end);
  if (line.length === 0 || line.length > 200 || !isUtf8(line)) return '';
  return Buffer.from(line).toString('utf8').trimEnd();
}

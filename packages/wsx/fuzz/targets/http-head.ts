/**
 * Fuzz target: the HTTP head parsers (src/core/http-head.ts) and what reads their result on each
 * side: `validateRequest` and the 101 it leads to, `validateResponse`. Checked: only a
 * `HandshakeError` ever escapes (with a status the server can answer: 400, 405, 426 or 431 for
 * a request; the received status for a response); a prefix of the input never fails where the
 * whole input completes, and every prefix past the head's end parses the same; a request that
 * validates gets a 101 that the client side accepts.
 *
 * Input: the bytes as received, parsed as a request and as a response.
 */
import { validateResponse } from '../../src/core/client-handshake.js';
import { ErrorCode, HandshakeError } from '../../src/core/errors.js';
import { formatExtensionHeader } from '../../src/core/extension-header.js';
import {
  type HeadParseResult,
  type HttpRequestHead,
  type HttpResponseHead,
  parseRequestHead,
  parseResponseHead,
} from '../../src/core/http-head.js';
import { formatAcceptResponse, validateRequest } from '../../src/core/server-handshake.js';
import {
  DEFAULT_SERVER_DEFLATE_POLICY,
  negotiateDeflate,
} from '../../src/extensions/permessage-deflate.js';
import { check, type FuzzTarget, PropertyFailure, tokens } from '../engine/target.js';

const REQUEST_STATUSES = new Set([400, 405, 426, 431]);
const HEAD_LIMITS = { maxHeadSize: 2048, maxHeaderCount: 20 };
const OFFERED_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

type Outcome<T> = { result: HeadParseResult<T> } | { error: HandshakeError };

/** Runs `fn`; a HandshakeError is an outcome, anything else escapes as a finding. */
function attempt<T>(fn: () => T): { value: T } | { error: HandshakeError } {
  try {
    return { value: fn() };
  } catch (error) {
    if (error instanceof HandshakeError) return { error };
    if (error instanceof PropertyFailure) throw error;
    throw new PropertyFailure(`not a HandshakeError: ${(error as Error)?.stack ?? error}`);
  }
}

function parseAs<T>(parse: () => HeadParseResult<T>): Outcome<T> {
  const outcome = attempt(parse);
  return 'value' in outcome ? { result: outcome.value } : outcome;
}

function summary(outcome: Outcome<unknown>): string {
  if ('error' in outcome) return `error ${outcome.error.code}`;
  if (!outcome.result.complete) return 'incomplete';
  const { head, bodyOffset } = outcome.result as {
    head: { headers: { raw: readonly string[] } };
  } & {
    bodyOffset: number;
  };
  const { headers, ...line } = head;
  return `complete ${bodyOffset} ${JSON.stringify(line)} ${JSON.stringify(headers.raw)}`;
}

/** Cut points to try: every byte of a short input, a sample of a long one, and the head's end. */
function cutPoints(length: number, end: number): number[] {
  const step = length <= 64 ? 1 : Math.ceil(length / 48);
  const cuts = new Set<number>();
  for (let i = 0; i <= length; i += step) cuts.add(i);
  for (const c of [end - 2, end - 1, end, end + 1]) if (c >= 0 && c <= length) cuts.add(c);
  return [...cuts];
}

function checkPrefixes<T>(input: Uint8Array, parse: (b: Uint8Array) => HeadParseResult<T>): void {
  const whole = parseAs(() => parse(input));
  const end = 'result' in whole && whole.result.complete ? whole.result.bodyOffset : -1;
  for (const cut of cutPoints(input.length, end)) {
    const part = parseAs(() => parse(input.subarray(0, cut)));
    if (end !== -1 && cut >= end) {
      check(summary(part) === summary(whole), `the prefix of ${cut} bytes parses differently`);
    } else if (end !== -1) {
      check(summary(part) === 'incomplete', `a prefix of ${cut} bytes: ${summary(part)}`);
    } else if ('error' in part) {
      check('error' in whole, `a prefix of ${cut} bytes fails but the whole does not`);
    }
  }
}

function checkRequest(input: Uint8Array): void {
  const parsed = parseAs(() => parseRequestHead(input, HEAD_LIMITS));
  if ('error' in parsed) {
    check(REQUEST_STATUSES.has(parsed.error.status), `request parse status ${parsed.error.status}`);
    return;
  }
  if (!parsed.result.complete) return;
  const head: HttpRequestHead = parsed.result.head;
  check(!/[\r\n]/.test(head.method + head.target + head.version), 'CR or LF in the request line');
  const validated = attempt(() => validateRequest(head));
  if ('error' in validated) {
    check(REQUEST_STATUSES.has(validated.error.status), `status ${validated.error.status}`);
    return;
  }
  const client = validated.value;
  const deflate = negotiateDeflate(client.extensions, DEFAULT_SERVER_DEFLATE_POLICY);
  const protocol = client.protocols[0] ?? null;
  const response = formatAcceptResponse({
    key: client.key,
    protocol,
    extensions: deflate === null ? null : formatExtensionHeader([deflate.response]),
  });
  const bytes = Uint8Array.from(response, (c) => c.charCodeAt(0));
  const answer = parseResponseHead(bytes);
  check(answer.complete && answer.bodyOffset === bytes.length, 'our own 101 does not parse');
  const agreed = validateResponse(answer.head, {
    key: client.key,
    protocols: client.protocols,
    extensions: client.extensions,
  });
  check(agreed.protocol === protocol, 'the client reads another subprotocol than was chosen');
}

function checkResponse(input: Uint8Array): void {
  const parsed = parseAs(() => parseResponseHead(input, HEAD_LIMITS));
  if ('error' in parsed) {
    check(parsed.error.status === 0, 'a response parse error with a status to answer');
    return;
  }
  if (!parsed.result.complete) return;
  const head: HttpResponseHead = parsed.result.head;
  const validated = attempt(() =>
    validateResponse(head, {
      key: OFFERED_KEY,
      protocols: ['chat', 'superchat'],
      extensions: [{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] }],
    }),
  );
  if ('error' in validated) {
    check(validated.error.status === head.status, 'a response error without its status');
    check(validated.error.code !== ErrorCode.MALFORMED_HTTP, 'validated but malformed');
  }
}

function run(input: Uint8Array): void {
  checkRequest(input);
  checkResponse(input);
  checkPrefixes(input, (b) => parseRequestHead(b, HEAD_LIMITS));
  checkPrefixes(input, (b) => parseResponseHead(b, HEAD_LIMITS));
}

const REQUEST =
  'GET /chat?room=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n' +
  'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n' +
  'Sec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n';
const RESPONSE =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n' +
  'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n\r\n';

export const httpHeadTarget: FuzzTarget = {
  name: 'http-head',
  description: 'HTTP heads: only HandshakeErrors, prefix-consistent, 101 round trip',
  maxLength: 2400,
  dictionary: tokens(
    'GET ',
    ' HTTP/1.1\r\n',
    'HTTP/1.1 101 Switching Protocols\r\n',
    'HTTP/1.0 ',
    '\r\n',
    '\r\n\r\n',
    '\n',
    ': ',
    ' \t',
    'Host: a\r\n',
    'Upgrade: websocket\r\n',
    'Connection: keep-alive, Upgrade\r\n',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n',
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n',
    'Sec-WebSocket-Version: 13\r\n',
    'Sec-WebSocket-Protocol: ',
    'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n',
    'server_no_context_takeover',
    '"',
    '\\',
    '%',
    '\x00',
    '\x7f',
    'é',
  ),
  seeds: () => tokens(REQUEST, RESPONSE, 'GET / HTTP/1.1\r\nHost: a\r\n\r\nextra'),
  run,
};

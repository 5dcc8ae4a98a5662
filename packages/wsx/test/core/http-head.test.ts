import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, HandshakeError, UsageError } from '../../src/core/errors.js';
import {
  assertHeaderField,
  DEFAULT_MAX_HEAD_SIZE,
  decodeLatin1,
  encodeHead,
  extraHeaderFields,
  findHeadEnd,
  type HeadParseResult,
  HttpHeaders,
  type HttpRequestHead,
  type HttpResponseHead,
  parseRequestHead,
  parseResponseHead,
} from '../../src/core/http-head.js';

/** Chars -> bytes 1:1, like the wire. */
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

function assertHandshakeError(fn: () => unknown, code: string, status: number): HandshakeError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof HandshakeError, `expected a HandshakeError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.status, status, caught.message);
  return caught;
}

function expectComplete<T>(result: HeadParseResult<T>): { head: T; bodyOffset: number } {
  assert.ok(result.complete, 'expected a complete head');
  return result;
}

/** A masked text frame "Hello" (RFC 6455 §5.7), standing for bytes that follow the head. */
const TRAILER = Uint8Array.of(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);

/**
 * Parses `text` whole, as growing prefixes (incomplete until the last byte), and followed by
 * trailing bytes (bodyOffset at the end of the head, the trailer intact); returns the head.
 */
function parseThreeWays<T extends { headers: HttpHeaders }>(
  parse: (bytes: Uint8Array) => HeadParseResult<T>,
  text: string,
): T {
  const input = latin1(text);
  const whole = expectComplete(parse(input));
  assert.equal(whole.bodyOffset, input.length);
  for (let n = 0; n < input.length; n++) {
    assert.equal(parse(input.subarray(0, n)).complete, false, `prefix of ${n} bytes`);
  }
  const withTrailer = concat(input, TRAILER);
  const trailed = expectComplete(parse(withTrailer));
  assert.equal(trailed.bodyOffset, input.length);
  assert.deepEqual(withTrailer.subarray(trailed.bodyOffset), TRAILER);
  assert.deepEqual(trailed.head.headers.raw, whole.head.headers.raw);
  assert.deepEqual({ ...trailed.head, headers: null }, { ...whole.head, headers: null });
  return whole.head;
}

const RFC_REQUEST = [
  'GET /chat HTTP/1.1',
  'Host: server.example.com',
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Origin: http://example.com',
  'Sec-WebSocket-Protocol: chat, superchat',
  'Sec-WebSocket-Version: 13',
  '',
  '',
].join('\r\n');

const RFC_RESPONSE = [
  'HTTP/1.1 101 Switching Protocols',
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
  'Sec-WebSocket-Protocol: chat',
  '',
  '',
].join('\r\n');

const request = (...lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;
const parseRequest = (text: string) => parseRequestHead(latin1(text));
const parseResponse = (text: string) => parseResponseHead(latin1(text));

describe('RFC 7230 §3 request head (RFC 6455 §1.2 example)', () => {
  it('parses the example request whole, byte by byte and with trailing data', () => {
    const head: HttpRequestHead = parseThreeWays(parseRequestHead, RFC_REQUEST);
    assert.equal(head.method, 'GET');
    assert.equal(head.target, '/chat');
    assert.equal(head.version, 'HTTP/1.1');
    assert.equal(head.headers.get('host'), 'server.example.com');
    assert.equal(head.headers.get('SEC-WEBSOCKET-KEY'), 'dGhlIHNhbXBsZSBub25jZQ==');
    assert.equal(head.headers.get('Sec-WebSocket-Protocol'), 'chat, superchat');
    assert.equal(head.headers.raw.length, 14);
    assert.equal(head.headers.raw[0], 'Host');
  });

  it('keeps the target as sent, query included', () => {
    const head = expectComplete(
      parseRequest(request('GET /a/b?x=1&y=%20 HTTP/1.1', 'Host: h')),
    ).head;
    assert.equal(head.target, '/a/b?x=1&y=%20');
  });

  it('accepts other methods and versions (the handshake validator judges them)', () => {
    const head = expectComplete(parseRequest(request('POST * HTTP/1.0'))).head;
    assert.deepEqual([head.method, head.target, head.version], ['POST', '*', 'HTTP/1.0']);
  });

  it('parses a head with no header field', () => {
    const head = parseThreeWays(parseRequestHead, request('GET / HTTP/1.1'));
    assert.deepEqual(head.headers.raw, []);
  });
});

describe('RFC 7230 §3.2 header fields', () => {
  it('trims optional whitespace around values', () => {
    const head = expectComplete(
      parseRequest(request('GET / HTTP/1.1', 'A: \t x y \t', 'B:z', 'C:')),
    ).head;
    assert.deepEqual(head.headers.raw, ['A', 'x y', 'B', 'z', 'C', '']);
  });

  it('keeps HTAB inside a value', () => {
    const head = expectComplete(parseRequest(request('GET / HTTP/1.1', 'A: x\ty'))).head;
    assert.equal(head.headers.get('a'), 'x\ty');
  });

  it('decodes obs-text as latin1, one char per byte', () => {
    const head = expectComplete(
      parseRequest(request('GET / HTTP/1.1', 'X-Name: caf\xe9 \x80\xff')),
    ).head;
    assert.equal(head.headers.get('x-name'), 'caf\u00e9 \u0080\u00ff');
  });

  it('keeps repeated fields, in order', () => {
    const text = request('GET / HTTP/1.1', 'P: a', 'Q: x', 'p: b, c');
    const head = expectComplete(parseRequest(text)).head;
    assert.deepEqual(head.headers.getAll('P'), ['a', 'b, c']);
    assert.equal(head.headers.get('p'), 'a, b, c');
  });
});

describe('RFC 7230 §3 malformed request heads -> 400', () => {
  const cases: [string, string][] = [
    ['request line with two parts', request('GET /chat', 'Host: h')],
    ['request line with four parts', request('GET /chat HTTP/1.1 x', 'Host: h')],
    ['double space in the request line', request('GET  /chat HTTP/1.1', 'Host: h')],
    ['trailing space in the request line', request('GET /chat HTTP/1.1 ', 'Host: h')],
    ['method that is not a token', request('G(T /chat HTTP/1.1', 'Host: h')],
    ['version without a minor number', request('GET /chat HTTP/1', 'Host: h')],
    ['lower-case version', request('GET /chat http/1.1', 'Host: h')],
    ['control character in the target', request('GET /ch\x01at HTTP/1.1', 'Host: h')],
    ['non-ASCII target', request('GET /caf\xe9 HTTP/1.1', 'Host: h')],
    ['empty request line (leading CRLF)', `\r\n${request('GET / HTTP/1.1')}`],
    ['empty head', '\r\n\r\n'],
    ['header line without a colon', request('GET / HTTP/1.1', 'Host h')],
    ['space between name and colon', request('GET / HTTP/1.1', 'Host : h')],
    ['tab between name and colon', request('GET / HTTP/1.1', 'Host\t: h')],
    ['empty header name', request('GET / HTTP/1.1', ': h')],
    ['space inside a header name', request('GET / HTTP/1.1', 'Ho st: h')],
    ['delimiter in a header name', request('GET / HTTP/1.1', '(Host): h')],
    ['non-ASCII header name', request('GET / HTTP/1.1', 'H\xf6st: h')],
    ['obsolete line folding (space)', request('GET / HTTP/1.1', 'X-A: a', ' b')],
    ['obsolete line folding (tab)', request('GET / HTTP/1.1', 'X-A: a', '\tb')],
    ['bare LF between fields', request('GET / HTTP/1.1', 'Host: h\nX: y')],
    ['bare CR inside a value', request('GET / HTTP/1.1', 'Host: h\rX: y')],
    ['NUL in a value', request('GET / HTTP/1.1', 'X: a\x00b')],
    ['ESC in a value', request('GET / HTTP/1.1', 'X: a\x1b[31mb')],
    ['DEL in a value', request('GET / HTTP/1.1', 'X: a\x7fb')],
  ];
  for (const [why, text] of cases) {
    it(`rejects ${why}`, () => {
      assertHandshakeError(() => parseRequest(text), ErrorCode.MALFORMED_HTTP, 400);
    });
  }

  it('rejects bare LF line endings at once, before the head could end', () => {
    assertHandshakeError(() => parseRequest('GET / HTTP/1.1\n'), ErrorCode.MALFORMED_HTTP, 400);
  });

  it('waits when the head ends with a CR that may precede an LF', () => {
    assert.equal(parseRequest('GET / HTTP/1.1\r').complete, false);
    assert.equal(parseRequest('GET / HTTP/1.1\r\nHost: h\r\n\r').complete, false);
  });

  it('does not echo more than ~100 characters of the input', () => {
    const error = assertHandshakeError(
      () => parseRequest(request(`GET /${'a'.repeat(5000)}`)),
      ErrorCode.MALFORMED_HTTP,
      400,
    );
    assert.ok(error.message.length < 150, error.message);
  });
});

describe('RFC 7230 §3 head limits -> 431', () => {
  it('waits up to maxHeadSize bytes, then throws HEAD_TOO_LARGE', () => {
    const partial = latin1(`GET / HTTP/1.1\r\nX: ${'a'.repeat(DEFAULT_MAX_HEAD_SIZE)}`);
    assert.equal(parseRequestHead(partial.subarray(0, DEFAULT_MAX_HEAD_SIZE)).complete, false);
    const tooLong = partial.subarray(0, DEFAULT_MAX_HEAD_SIZE + 1);
    assertHandshakeError(() => parseRequestHead(tooLong), ErrorCode.HEAD_TOO_LARGE, 431);
  });

  it('accepts a head of exactly maxHeadSize bytes, even with more data after it', () => {
    const text = request('GET / HTTP/1.1', 'X: abc');
    const input = concat(latin1(text), TRAILER);
    const result = expectComplete(parseRequestHead(input, { maxHeadSize: text.length }));
    assert.equal(result.bodyOffset, text.length);
  });

  it('rejects a complete head one byte over maxHeadSize', () => {
    const text = request('GET / HTTP/1.1', 'X: abc');
    const parse = () => parseRequestHead(latin1(text), { maxHeadSize: text.length - 1 });
    assertHandshakeError(parse, ErrorCode.HEAD_TOO_LARGE, 431);
  });

  it('accepts 100 header fields and rejects 101 with TOO_MANY_HEADERS', () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: ${i}`);
    assert.ok(parseRequest(request('GET / HTTP/1.1', ...fields(100))).complete);
    const parse = () => parseRequest(request('GET / HTTP/1.1', ...fields(101)));
    assertHandshakeError(parse, ErrorCode.TOO_MANY_HEADERS, 431);
  });

  it('honours a custom maxHeaderCount', () => {
    const input = latin1(request('GET / HTTP/1.1', 'A: 1', 'B: 2', 'C: 3'));
    assert.ok(parseRequestHead(input, { maxHeaderCount: 3 }).complete);
    const parse = () => parseRequestHead(input, { maxHeaderCount: 2 });
    assertHandshakeError(parse, ErrorCode.TOO_MANY_HEADERS, 431);
  });
});

describe('RFC 7230 §3.1.2 response head (RFC 6455 §1.2 example)', () => {
  it('parses the example response whole, byte by byte and with trailing data', () => {
    const head: HttpResponseHead = parseThreeWays(parseResponseHead, RFC_RESPONSE);
    assert.deepEqual(
      [head.version, head.status, head.reason],
      ['HTTP/1.1', 101, 'Switching Protocols'],
    );
    assert.equal(head.headers.get('sec-websocket-accept'), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('accepts an empty reason phrase, with or without its space', () => {
    for (const line of ['HTTP/1.1 101', 'HTTP/1.1 101 ']) {
      const head = expectComplete(parseResponse(request(line))).head;
      assert.deepEqual([head.status, head.reason], [101, '']);
    }
  });

  it('keeps a reason phrase with spaces and obs-text', () => {
    const head = expectComplete(parseResponse(request('HTTP/1.1 404 Not  Found \xe9'))).head;
    assert.deepEqual([head.status, head.reason], [404, 'Not  Found \u00e9']);
  });

  const malformed: [string, string][] = [
    ['two-digit status', 'HTTP/1.1 10 Switching'],
    ['four-digit status', 'HTTP/1.1 1011 Switching'],
    ['double space before the status', 'HTTP/1.1  101 Switching'],
    ['no space before the status', 'HTTP/1.1101 Switching'],
    ['no space before the reason', 'HTTP/1.1 101Switching'],
    ['bad version', 'HTTP/11 101 Switching'],
    ['other protocol', 'ICY/1.1 101 Switching'],
    ['control character in the reason', 'HTTP/1.1 101 Swi\x00tching'],
    ['empty status line', ''],
  ];
  for (const [why, line] of malformed) {
    it(`rejects a ${why} with status 0`, () => {
      assertHandshakeError(() => parseResponse(request(line)), ErrorCode.MALFORMED_HTTP, 0);
    });
  }

  it('rejects malformed fields and oversized heads with status 0 (there is no one to answer)', () => {
    const fold = () => parseResponse(request('HTTP/1.1 101 OK', 'Upgrade: a', ' b'));
    assertHandshakeError(fold, ErrorCode.MALFORMED_HTTP, 0);
    const bareLf = () => parseResponse('HTTP/1.1 101 OK\nUpgrade: websocket\n\n');
    assertHandshakeError(bareLf, ErrorCode.MALFORMED_HTTP, 0);
    const big = () => parseResponseHead(latin1('HTTP/1.1 101 OK\r\nX: aaaa'), { maxHeadSize: 20 });
    assertHandshakeError(big, ErrorCode.HEAD_TOO_LARGE, 0);
    const many = () =>
      parseResponseHead(latin1(request('HTTP/1.1 101 OK', 'A: 1', 'B: 2')), { maxHeaderCount: 1 });
    assertHandshakeError(many, ErrorCode.TOO_MANY_HEADERS, 0);
  });
});

describe('finding the end of the head', () => {
  it('returns the index after the blank line, or -1', () => {
    const input = latin1('GET / HTTP/1.1\r\n\r\nrest');
    assert.equal(findHeadEnd(input), 18);
    assert.equal(findHeadEnd(input.subarray(0, 17)), -1);
    assert.equal(findHeadEnd(latin1('')), -1);
  });

  it('resumes from a later offset without missing a terminator split across reads', () => {
    const input = latin1('GET / HTTP/1.1\r\n\r\n');
    assert.equal(findHeadEnd(input, 17 - 3), 18);
    assert.equal(findHeadEnd(input, 15), -1);
  });
});

describe('HttpHeaders (RFC 7230 §3.2, §3.2.2)', () => {
  const headers = new HttpHeaders(['Host', 'h', 'X-A', '1', 'x-a', '2', 'Empty', '']);

  it('looks names up case-insensitively', () => {
    assert.equal(headers.get('HOST'), 'h');
    assert.ok(headers.has('host'));
    assert.equal(headers.has('missing'), false);
    assert.equal(headers.get('missing'), undefined);
  });

  it('joins repeated fields with ", " and lists them with getAll', () => {
    assert.equal(headers.get('x-a'), '1, 2');
    assert.deepEqual(headers.getAll('X-A'), ['1', '2']);
    assert.deepEqual(headers.getAll('missing'), []);
  });

  it('distinguishes an empty value from an absent header', () => {
    assert.equal(headers.get('empty'), '');
    assert.ok(headers.has('Empty'));
  });

  it('returns copies from getAll and keeps its own copy of the raw list', () => {
    headers.getAll('x-a').push('3');
    assert.deepEqual(headers.getAll('x-a'), ['1', '2']);
    const raw = ['A', '1'];
    const copied = new HttpHeaders(raw);
    raw[1] = 'changed';
    assert.equal(copied.get('a'), '1');
    assert.deepEqual(copied.raw, ['A', '1']);
  });

  it('builds from a record or from pairs', () => {
    assert.deepEqual(HttpHeaders.from({ A: '1', B: '2' }).raw, ['A', '1', 'B', '2']);
    assert.deepEqual(
      HttpHeaders.from([
        ['A', '1'],
        ['a', '2'],
      ]).getAll('A'),
      ['1', '2'],
    );
  });

  it('rejects a raw list of odd length', () => {
    assert.throws(() => new HttpHeaders(['A']), UsageError);
  });

  it('counts the lines of a field', () => {
    assert.equal(headers.count('X-A'), 2);
    assert.equal(headers.count('host'), 1);
    assert.equal(headers.count('missing'), 0);
  });

  it('folds only A-Z: token symbols one bit apart stay distinct', () => {
    // '^' (0x5e) and '~' (0x7e), '@' is no tchar but '`' (0x60) is: a case fold by OR-ing 0x20
    // would merge them.
    const symbols = new HttpHeaders(['A^B', '1', 'a~b', '2', 'X`', '3']);
    assert.equal(symbols.get('a^b'), '1');
    assert.equal(symbols.get('A~B'), '2');
    assert.equal(symbols.count('A^B'), 1);
    assert.equal(symbols.has('X@'), false);
    assert.equal(symbols.get('x`'), '3');
  });

  it('keeps the head it parsed: the fields as they came, looked up case-insensitively', () => {
    const text = 'GET / HTTP/1.1\r\nHost: a\r\nX-Dup: 1\r\nx-dup:  2 \r\n\r\n';
    const parsed = parseRequestHead(new TextEncoder().encode(text));
    assert.ok(parsed.complete);
    assert.deepEqual(parsed.head.headers.raw, ['Host', 'a', 'X-Dup', '1', 'x-dup', '2']);
    assert.equal(parsed.head.headers.get('X-DUP'), '1, 2');
  });
});

describe('serializing a head', () => {
  it('writes the start line, the fields and the blank line', () => {
    const bytes = encodeHead('HTTP/1.1 101 Switching Protocols', [['Upgrade', 'websocket']]);
    assert.equal(
      decodeLatin1(bytes),
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n',
    );
  });

  it('writes obs-text as single bytes', () => {
    const bytes = encodeHead('GET / HTTP/1.1', [['X', 'caf\u00e9']]);
    assert.equal(bytes[bytes.length - 5], 0xe9);
  });

  it('refuses CRLF injection and other control characters in values', () => {
    for (const value of ['a\r\nX-Evil: 1', 'a\nb', 'a\rb', 'a\x00', 'a\x7f']) {
      assert.throws(
        () => encodeHead('GET / HTTP/1.1', [['X', value]]),
        UsageError,
        JSON.stringify(value),
      );
    }
  });

  it('refuses names that are not tokens, and characters above U+00FF', () => {
    assert.throws(() => assertHeaderField('X-Evil\r\nA', 'v'), UsageError);
    assert.throws(() => assertHeaderField('', 'v'), UsageError);
    assert.throws(() => assertHeaderField('X', '\u20ac'), UsageError);
    assert.doesNotThrow(() => assertHeaderField('X', '\tv w'));
  });

  it('refuses extra headers that a handshake sets itself', () => {
    const reserved = new Set(['upgrade']);
    assert.throws(() => extraHeaderFields({ UPGRADE: 'x' }, reserved), /UPGRADE/);
    assert.deepEqual(extraHeaderFields([['A', '1']], reserved), [['A', '1']]);
    assert.deepEqual(extraHeaderFields(undefined, reserved), []);
  });

  it('decodes long byte runs as latin1', () => {
    const bytes = Uint8Array.from({ length: 20_000 }, (_, i) => i & 0xff);
    const text = decodeLatin1(bytes);
    assert.equal(text.length, 20_000);
    assert.equal(text.charCodeAt(19_999), 19_999 & 0xff);
  });
});

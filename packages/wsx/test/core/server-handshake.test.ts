import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, HandshakeError, UsageError } from '../../src/core/errors.js';
import {
  decodeLatin1,
  HttpHeaders,
  parseRequestHead,
  parseResponseHead,
} from '../../src/core/http-head.js';
import {
  buildAcceptResponse,
  buildRejectResponse,
  computeAccept,
  formatAcceptResponse,
  rejectionFor,
  selectSubprotocol,
  validateRequest,
} from '../../src/core/server-handshake.js';

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** RFC 6455 §1.2: the example client handshake. */
const RFC_REQUEST =
  'GET /chat HTTP/1.1\r\n' +
  'Host: server.example.com\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Origin: http://example.com\r\n' +
  'Sec-WebSocket-Protocol: chat, superchat\r\n' +
  'Sec-WebSocket-Version: 13\r\n' +
  '\r\n';

/** RFC 6455 §1.2: the example server handshake. */
const RFC_RESPONSE =
  'HTTP/1.1 101 Switching Protocols\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n' +
  'Sec-WebSocket-Protocol: chat\r\n' +
  '\r\n';

const VALID: [string, string][] = [
  ['Host', 'server.example.com'],
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ['Sec-WebSocket-Version', '13'],
];

type Changes = { method?: string; version?: string; drop?: string[]; add?: [string, string][] };

/** The minimal valid request, with some headers dropped (by name) and some added. */
function requestWith(changes: Changes = {}) {
  const drop = new Set((changes.drop ?? []).map((n) => n.toLowerCase()));
  const fields = VALID.filter(([name]) => !drop.has(name.toLowerCase())).concat(changes.add ?? []);
  return {
    method: changes.method ?? 'GET',
    version: changes.version ?? 'HTTP/1.1',
    headers: HttpHeaders.from(fields),
  };
}

/** Replaces a header of the minimal request. */
const replacing = (name: string, ...values: string[]): Changes => ({
  drop: [name],
  add: values.map((v): [string, string] => [name, v]),
});

function assertRejected(
  changes: Changes,
  code: string,
  status: number,
  headers: Record<string, string> = {},
): HandshakeError {
  let caught: unknown;
  try {
    validateRequest(requestWith(changes));
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof HandshakeError, `expected a HandshakeError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.status, status, caught.message);
  assert.deepEqual(caught.headers, headers);
  return caught;
}

/** Splits a serialized response into its parsed head and its body as text. */
function readResponse(bytes: Uint8Array) {
  const result = parseResponseHead(bytes);
  assert.ok(result.complete);
  const body = new TextDecoder().decode(bytes.subarray(result.bodyOffset));
  return { head: result.head, body };
}

describe('RFC 6455 §4.2.1 reading the client handshake', () => {
  it('accepts the RFC 6455 §1.2 example request', () => {
    const parsed = parseRequestHead(latin1(RFC_REQUEST));
    assert.ok(parsed.complete);
    assert.deepEqual(validateRequest(parsed.head), {
      key: 'dGhlIHNhbXBsZSBub25jZQ==',
      host: 'server.example.com',
      origin: 'http://example.com',
      protocols: ['chat', 'superchat'],
      extensions: [],
    });
  });

  it('returns no origin, protocols or extensions when none were sent', () => {
    const handshake = validateRequest(requestWith());
    assert.equal(handshake.origin, undefined);
    assert.deepEqual(handshake.protocols, []);
    assert.deepEqual(handshake.extensions, []);
  });

  it('compares Upgrade and Connection ASCII case-insensitively, within lists', () => {
    const changes: Changes = {
      drop: ['Upgrade', 'Connection'],
      add: [
        ['upgrade', 'HTTP/2.0, WebSocket'],
        ['connection', 'keep-alive, UPGRADE'],
      ],
    };
    assert.equal(validateRequest(requestWith(changes)).key, 'dGhlIHNhbXBsZSBub25jZQ==');
  });

  it('combines several Sec-WebSocket-Protocol headers, in order', () => {
    const changes: Changes = {
      add: [
        ['Sec-WebSocket-Protocol', 'chat'],
        ['Sec-WebSocket-Protocol', ' , superchat'],
      ],
    };
    assert.deepEqual(validateRequest(requestWith(changes)).protocols, ['chat', 'superchat']);
  });

  it('parses Sec-WebSocket-Extensions, across several headers', () => {
    const changes: Changes = {
      add: [
        ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits'],
        ['Sec-WebSocket-Extensions', 'x-foo'],
      ],
    };
    assert.deepEqual(validateRequest(requestWith(changes)).extensions, [
      { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
      { name: 'x-foo', params: [] },
    ]);
  });
});

describe('RFC 6455 §4.2.1 / §4.2.2 rejecting the client handshake', () => {
  it('405 INVALID_METHOD with Allow: GET for another method', () => {
    assertRejected({ method: 'POST' }, ErrorCode.INVALID_METHOD, 405, { Allow: 'GET' });
    assertRejected({ method: 'get' }, ErrorCode.INVALID_METHOD, 405, { Allow: 'GET' });
  });

  it('400 INVALID_HTTP_VERSION for anything but HTTP/1.1', () => {
    for (const version of ['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2']) {
      assertRejected({ version }, ErrorCode.INVALID_HTTP_VERSION, 400);
    }
  });

  it('400 MISSING_HOST when Host is missing, repeated or empty (RFC 7230 §5.4)', () => {
    assertRejected({ drop: ['Host'] }, ErrorCode.MISSING_HOST, 400);
    assertRejected(replacing('Host', 'a', 'b'), ErrorCode.MISSING_HOST, 400);
    assertRejected(replacing('Host', ''), ErrorCode.MISSING_HOST, 400);
  });

  it('426 UPGRADE_REQUIRED with Upgrade/Connection headers for a plain HTTP request', () => {
    assertRejected({ drop: ['Upgrade'] }, ErrorCode.UPGRADE_REQUIRED, 426, {
      Upgrade: 'websocket',
      Connection: 'Upgrade',
    });
  });

  it('400 INVALID_UPGRADE_HEADER when Upgrade does not contain websocket', () => {
    for (const value of ['h2c', 'websockets', 'web socket', '']) {
      assertRejected(replacing('Upgrade', value), ErrorCode.INVALID_UPGRADE_HEADER, 400);
    }
  });

  it('400 INVALID_CONNECTION_HEADER when Connection lacks the upgrade token', () => {
    assertRejected({ drop: ['Connection'] }, ErrorCode.INVALID_CONNECTION_HEADER, 400);
    for (const value of ['keep-alive', 'upgraded', 'Upgrade;', '']) {
      assertRejected(replacing('Connection', value), ErrorCode.INVALID_CONNECTION_HEADER, 400);
    }
  });

  it('426 UNSUPPORTED_VERSION with Sec-WebSocket-Version: 13 for another version (§4.4)', () => {
    for (const value of ['8', '12', '013', '13, 8', 'x']) {
      const versionHeader = { 'Sec-WebSocket-Version': '13' };
      assertRejected(
        replacing('Sec-WebSocket-Version', value),
        ErrorCode.UNSUPPORTED_VERSION,
        426,
        versionHeader,
      );
    }
  });

  it('400 UNSUPPORTED_VERSION (still naming 13) when the version is missing or repeated', () => {
    const versionHeader = { 'Sec-WebSocket-Version': '13' };
    assertRejected(
      { drop: ['Sec-WebSocket-Version'] },
      ErrorCode.UNSUPPORTED_VERSION,
      400,
      versionHeader,
    );
    const repeated = replacing('Sec-WebSocket-Version', '13', '13');
    assertRejected(repeated, ErrorCode.UNSUPPORTED_VERSION, 400, versionHeader);
  });

  it('400 INVALID_KEY when the key is missing or repeated', () => {
    assertRejected({ drop: ['Sec-WebSocket-Key'] }, ErrorCode.INVALID_KEY, 400);
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    assertRejected(replacing('Sec-WebSocket-Key', key, key), ErrorCode.INVALID_KEY, 400);
  });

  it('400 INVALID_KEY when the key is not 16 bytes of base64', () => {
    const keys = [
      'abc',
      '',
      'AAAAAAAAAAAAAAAAAAAA', // 15 bytes
      'AAAAAAAAAAAAAAAAAAAAAAA=', // 17 bytes
      'dGhlIHNhbXBsZSBub25jZQ', // unpadded
      'dGhlIHNhbXBsZSBub25jZQ-=', // URL-safe alphabet
      'dGhlIHNhbXBsZSBub25jZR==', // non-zero pad bits
    ];
    for (const key of keys) {
      assertRejected(replacing('Sec-WebSocket-Key', key), ErrorCode.INVALID_KEY, 400);
    }
  });

  it('names the bad key in the message', () => {
    const error = assertRejected(replacing('Sec-WebSocket-Key', 'abc'), ErrorCode.INVALID_KEY, 400);
    assert.equal(error.message, "Sec-WebSocket-Key must be 16 bytes, base64-encoded (got 'abc')");
  });

  it('400 INVALID_PROTOCOL_HEADER for a list that is empty, repeats, or holds a non-token', () => {
    for (const value of ['chat, super chat', '', ' , ', 'chat, chat', '"chat"']) {
      const changes: Changes = { add: [['Sec-WebSocket-Protocol', value]] };
      assertRejected(changes, ErrorCode.INVALID_PROTOCOL_HEADER, 400);
    }
  });

  it('400 INVALID_EXTENSIONS_HEADER for a malformed extension list', () => {
    const changes: Changes = { add: [['Sec-WebSocket-Extensions', 'permessage-deflate;']] };
    assertRejected(changes, ErrorCode.INVALID_EXTENSIONS_HEADER, 400);
  });

  it('never echoes more than ~100 characters of a header', () => {
    const error = assertRejected(
      replacing('Upgrade', 'x'.repeat(10_000)),
      ErrorCode.INVALID_UPGRADE_HEADER,
      400,
    );
    assert.ok(error.message.length < 150, error.message);
  });
});

describe('RFC 6455 §4.2.1 check order: the most specific status wins', () => {
  it('method before everything', () => {
    const changes: Changes = { method: 'PUT', version: 'HTTP/1.0', drop: VALID.map(([n]) => n) };
    assertRejected(changes, ErrorCode.INVALID_METHOD, 405, { Allow: 'GET' });
  });

  it('HTTP version before the headers', () => {
    assertRejected(
      { version: 'HTTP/1.0', drop: ['Host', 'Upgrade'] },
      ErrorCode.INVALID_HTTP_VERSION,
      400,
    );
  });

  it('Host before Upgrade', () => {
    assertRejected({ drop: ['Host', 'Upgrade'] }, ErrorCode.MISSING_HOST, 400);
  });

  it('a missing Upgrade (426) before Connection and the WebSocket headers', () => {
    const changes: Changes = {
      drop: ['Upgrade', 'Connection', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version'],
    };
    assertRejected(changes, ErrorCode.UPGRADE_REQUIRED, 426, {
      Upgrade: 'websocket',
      Connection: 'Upgrade',
    });
  });

  it('Connection before the version', () => {
    assertRejected(
      { drop: ['Connection', 'Sec-WebSocket-Version'] },
      ErrorCode.INVALID_CONNECTION_HEADER,
      400,
    );
  });

  it('the version before the key, so an old client learns to retry with 13', () => {
    const changes: Changes = {
      drop: ['Sec-WebSocket-Version', 'Sec-WebSocket-Key'],
      add: [
        ['Sec-WebSocket-Version', '8'],
        ['Sec-WebSocket-Key', 'bad'],
      ],
    };
    assertRejected(changes, ErrorCode.UNSUPPORTED_VERSION, 426, { 'Sec-WebSocket-Version': '13' });
  });

  it('the key before subprotocols, subprotocols before extensions', () => {
    const badBoth: Changes = {
      drop: ['Sec-WebSocket-Key'],
      add: [
        ['Sec-WebSocket-Key', 'bad'],
        ['Sec-WebSocket-Protocol', 'a b'],
        ['Sec-WebSocket-Extensions', ';'],
      ],
    };
    assertRejected(badBoth, ErrorCode.INVALID_KEY, 400);
    const badLists: Changes = {
      add: [
        ['Sec-WebSocket-Protocol', 'a b'],
        ['Sec-WebSocket-Extensions', ';'],
      ],
    };
    assertRejected(badLists, ErrorCode.INVALID_PROTOCOL_HEADER, 400);
  });
});

describe('RFC 6455 §4.2.2 Sec-WebSocket-Accept', () => {
  it('computes the RFC 6455 §1.3 example', () => {
    assert.equal(computeAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('computes the RFC 6455 §1.2 example (same key)', () => {
    const accept = computeAccept('dGhlIHNhbXBsZSBub25jZQ==');
    assert.ok(RFC_RESPONSE.includes(`\r\nSec-WebSocket-Accept: ${accept}\r\n`));
  });

  it('agrees with node:crypto', async () => {
    const { createHash } = await import('node:crypto');
    const key = 'x3JJHMbDL1EzLkh9GBhXDw==';
    const expected = createHash('sha1')
      .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    assert.equal(computeAccept(key), expected);
    assert.equal(expected, 'HSmrc0sMlYUkAGmm5OPpG2HaGWk=');
  });
});

describe('RFC 6455 §4.2.2 /subprotocol/ selection', () => {
  it("picks the client's most preferred protocol that the server supports", () => {
    assert.equal(selectSubprotocol(['superchat', 'chat'], ['chat', 'superchat']), 'superchat');
    assert.equal(selectSubprotocol(['v1', 'chat'], ['chat']), 'chat');
  });

  it('returns null when nothing matches or nothing was offered', () => {
    assert.equal(selectSubprotocol(['a'], ['b']), null);
    assert.equal(selectSubprotocol([], ['b']), null);
    assert.equal(selectSubprotocol(['a'], []), null);
  });

  it('matches case-sensitively', () => {
    assert.equal(selectSubprotocol(['Chat'], ['chat']), null);
  });
});

describe('RFC 6455 §4.2.2 item 5: the 101 response', () => {
  it('reproduces the RFC 6455 §1.2 example response byte for byte', () => {
    const bytes = buildAcceptResponse({ key: 'dGhlIHNhbXBsZSBub25jZQ==', protocol: 'chat' });
    assert.equal(decodeLatin1(bytes), RFC_RESPONSE);
  });

  it('formatAcceptResponse gives the same response as latin1 text, with the same checks', () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    assert.equal(formatAcceptResponse({ key, protocol: 'chat' }), RFC_RESPONSE);
    assert.throws(() => formatAcceptResponse({ key, protocol: 'not a token' }), {
      code: 'WSX_ERR_INVALID_ARGUMENT',
    });
  });

  it('omits Sec-WebSocket-Protocol and Sec-WebSocket-Extensions when null or absent', () => {
    const text = decodeLatin1(
      buildAcceptResponse({ key: 'dGhlIHNhbXBsZSBub25jZQ==', protocol: null, extensions: null }),
    );
    assert.doesNotMatch(text, /Sec-WebSocket-(Protocol|Extensions)/);
    assert.ok(text.endsWith('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n'));
  });

  it('adds extensions and extra headers after the handshake headers', () => {
    const bytes = buildAcceptResponse({
      key: 'dGhlIHNhbXBsZSBub25jZQ==',
      extensions: 'permessage-deflate; server_no_context_takeover',
      headers: [
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ],
    });
    const { head, body } = readResponse(bytes);
    assert.equal(head.status, 101);
    assert.equal(
      head.headers.get('Sec-WebSocket-Extensions'),
      'permessage-deflate; server_no_context_takeover',
    );
    assert.deepEqual(head.headers.getAll('set-cookie'), ['a=1', 'b=2']);
    assert.equal(body, '');
  });

  it('accepts extra headers as a record', () => {
    const bytes = buildAcceptResponse({
      key: 'dGhlIHNhbXBsZSBub25jZQ==',
      headers: { 'X-Id': '7' },
    });
    assert.equal(readResponse(bytes).head.headers.get('x-id'), '7');
  });

  it('refuses header injection and handshake header overrides', () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    assert.throws(
      () => buildAcceptResponse({ key, headers: { 'X-A': 'a\r\nX-Evil: 1' } }),
      UsageError,
    );
    assert.throws(
      () => buildAcceptResponse({ key, headers: { 'X-A\r\nX-Evil': '1' } }),
      UsageError,
    );
    assert.throws(() => buildAcceptResponse({ key, extensions: 'a\r\n\r\n<html>' }), UsageError);
    assert.throws(
      () => buildAcceptResponse({ key, headers: { 'sec-websocket-accept': 'x' } }),
      /'sec-websocket-accept' is set by the handshake/,
    );
    assert.throws(() => buildAcceptResponse({ key, protocol: 'a b' }), UsageError);
  });
});

describe('RFC 6455 §4.2.2 refusing the handshake', () => {
  it('builds a complete response with Connection: close and a default body', () => {
    const text = new TextDecoder().decode(buildRejectResponse(403));
    assert.equal(
      text,
      'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 14\r\n\r\n403 Forbidden\n',
    );
  });

  it('knows the reason phrases of the usual statuses', () => {
    const reasons: [number, string][] = [
      [400, 'Bad Request'],
      [401, 'Unauthorized'],
      [403, 'Forbidden'],
      [404, 'Not Found'],
      [405, 'Method Not Allowed'],
      [426, 'Upgrade Required'],
      [429, 'Too Many Requests'],
      [431, 'Request Header Fields Too Large'],
      [500, 'Internal Server Error'],
      [503, 'Service Unavailable'],
      [418, 'Client Error'],
      [599, 'Server Error'],
    ];
    for (const [status, reason] of reasons) {
      const { head, body } = readResponse(buildRejectResponse(status));
      assert.deepEqual([head.status, head.reason, body], [status, reason, `${status} ${reason}\n`]);
    }
  });

  it('counts Content-Length in UTF-8 bytes', () => {
    const { head, body } = readResponse(buildRejectResponse(401, { body: 'café ☕' }));
    assert.equal(head.headers.get('content-length'), '9'); // 3 + 2 (é) + 1 + 3 (☕)
    assert.equal(body, 'café ☕');
  });

  it('sends a byte body without a default Content-Type, and keeps a custom one', () => {
    const binary = readResponse(buildRejectResponse(400, { body: Uint8Array.of(1, 2, 3) })).head;
    assert.equal(binary.headers.has('content-type'), false);
    assert.equal(binary.headers.get('content-length'), '3');
    const json = buildRejectResponse(400, {
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.deepEqual(readResponse(json).head.headers.getAll('content-type'), ['application/json']);
  });

  it('uses a custom reason and extra headers', () => {
    const bytes = buildRejectResponse(429, {
      reason: 'Slow Down',
      headers: { 'Retry-After': '5' },
    });
    const { head } = readResponse(bytes);
    assert.deepEqual([head.reason, head.headers.get('retry-after')], ['Slow Down', '5']);
  });

  it('refuses bad statuses, reasons with line breaks, and header injection or framing overrides', () => {
    for (const status of [0, 101, 199, 600, 403.5, Number.NaN]) {
      assert.throws(() => buildRejectResponse(status), UsageError, String(status));
    }
    assert.throws(() => buildRejectResponse(403, { reason: 'No\r\nX-Evil: 1' }), UsageError);
    assert.throws(() => buildRejectResponse(403, { headers: { 'X-A': 'a\nb' } }), UsageError);
    assert.throws(
      () => buildRejectResponse(403, { headers: { 'Content-Length': '0' } }),
      UsageError,
    );
    const chunked = { 'Transfer-Encoding': 'chunked' };
    assert.throws(() => buildRejectResponse(403, { headers: chunked }), UsageError);
    assert.throws(() => buildRejectResponse(403, { headers: { Connection: 'a b' } }), UsageError);
  });

  it('merges a Connection header with close, dropping keep-alive', () => {
    const bytes = buildRejectResponse(403, { headers: { connection: 'keep-alive, X-Opt' } });
    assert.deepEqual(readResponse(bytes).head.headers.getAll('connection'), ['X-Opt, close']);
  });

  it('turns a HandshakeError into its response: status, headers and message', () => {
    const error = assertRejected(
      replacing('Sec-WebSocket-Version', '8'),
      ErrorCode.UNSUPPORTED_VERSION,
      426,
      {
        'Sec-WebSocket-Version': '13',
      },
    );
    const { head, body } = readResponse(rejectionFor(error));
    assert.deepEqual([head.status, head.reason], [426, 'Upgrade Required']);
    assert.equal(head.headers.get('sec-websocket-version'), '13');
    assert.equal(body, `${error.message}\n`);
    assert.equal(Number(head.headers.get('content-length')), new TextEncoder().encode(body).length);
  });

  it('answers a plain HTTP request with 426, Upgrade: websocket and Connection: Upgrade, close', () => {
    const error = assertRejected({ drop: ['Upgrade'] }, ErrorCode.UPGRADE_REQUIRED, 426, {
      Upgrade: 'websocket',
      Connection: 'Upgrade',
    });
    const { head } = readResponse(rejectionFor(error));
    assert.equal(head.status, 426);
    assert.equal(head.headers.get('upgrade'), 'websocket');
    assert.deepEqual(head.headers.getAll('connection'), ['Upgrade, close']);
  });

  it('builds a response for every rejection validateRequest can produce', () => {
    const rejections: Changes[] = [
      { method: 'POST' },
      { version: 'HTTP/1.0' },
      { drop: ['Host'] },
      { drop: ['Upgrade'] },
      replacing('Upgrade', 'h2c'),
      { drop: ['Connection'] },
      replacing('Sec-WebSocket-Version', '8'),
      { drop: ['Sec-WebSocket-Version'] },
      replacing('Sec-WebSocket-Key', 'x\r\ny'),
      { add: [['Sec-WebSocket-Protocol', 'a b']] },
      { add: [['Sec-WebSocket-Extensions', '"\u00ff']] },
    ];
    for (const changes of rejections) {
      let error: unknown;
      try {
        validateRequest(requestWith(changes));
      } catch (caught) {
        error = caught;
      }
      assert.ok(error instanceof HandshakeError);
      const { head, body } = readResponse(rejectionFor(error));
      assert.equal(head.status, error.status);
      assert.equal(body, `${error.message}\n`);
    }
  });

  it('answers a wrong method with 405 and Allow: GET', () => {
    const error = assertRejected({ method: 'POST' }, ErrorCode.INVALID_METHOD, 405, {
      Allow: 'GET',
    });
    const { head } = readResponse(rejectionFor(error));
    assert.deepEqual([head.status, head.headers.get('allow')], [405, 'GET']);
  });

  it('keeps hostile input out of the response head', () => {
    const error = assertRejected(
      replacing('Upgrade', 'x\u0085y'),
      ErrorCode.INVALID_UPGRADE_HEADER,
      400,
    );
    const bytes = rejectionFor(error);
    assert.ok(readResponse(bytes).body.includes("'x\\x85y'"));
  });
});

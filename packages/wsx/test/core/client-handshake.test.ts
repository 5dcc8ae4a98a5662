import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeBase64 } from '../../src/core/base64.js';
import {
  buildRequest,
  generateKey,
  type OfferedHandshake,
  validateResponse,
} from '../../src/core/client-handshake.js';
import { ErrorCode, HandshakeError, UsageError } from '../../src/core/errors.js';
import { type ExtensionOffer, formatExtensionHeader } from '../../src/core/extension-header.js';
import {
  decodeLatin1,
  HttpHeaders,
  type HttpResponseHead,
  parseRequestHead,
  parseResponseHead,
} from '../../src/core/http-head.js';
import {
  buildAcceptResponse,
  selectSubprotocol,
  validateRequest,
} from '../../src/core/server-handshake.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

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

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

const BASE: [string, string][] = [
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Accept', ACCEPT],
];

/** A 101 response (or `status`) with the base headers, some dropped, some added. */
function response(
  changes: { status?: number; drop?: string[]; add?: [string, string][] } = {},
): HttpResponseHead {
  const drop = new Set(changes.drop ?? []);
  const fields = BASE.filter(([name]) => !drop.has(name)).concat(changes.add ?? []);
  const status = changes.status ?? 101;
  const reason = status === 101 ? 'Switching Protocols' : 'Forbidden';
  return { version: 'HTTP/1.1', status, reason, headers: HttpHeaders.from(fields) };
}

const offered = (extra: Partial<OfferedHandshake> = {}): OfferedHandshake => ({
  key: KEY,
  protocols: [],
  ...extra,
});

function assertFails(
  head: HttpResponseHead,
  offer: OfferedHandshake,
  code: string,
  status = head.status,
): HandshakeError {
  let caught: unknown;
  try {
    validateResponse(head, offer);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof HandshakeError, `expected a HandshakeError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.status, status, caught.message);
  return caught;
}

const deflate: ExtensionOffer = {
  name: 'permessage-deflate',
  params: [['client_max_window_bits', true]],
};

describe('RFC 6455 §4.1 the client key', () => {
  it('base64-encodes 16 bytes from the injected random source', () => {
    let calls = 0;
    const key = generateKey((buf) => {
      calls++;
      assert.equal(buf.length, 16);
      for (let i = 0; i < buf.length; i++) buf[i] = i;
    });
    assert.equal(calls, 1);
    assert.equal(key, 'AAECAwQFBgcICQoLDA0ODw==');
  });

  it('produces a valid key from crypto randomness', () => {
    assert.equal(decodeBase64(generateKey((buf) => randomFillSync(buf)))?.length, 16);
  });
});

describe('RFC 6455 §4.1 building the client handshake', () => {
  it('reproduces the RFC 6455 §1.2 example request byte for byte', () => {
    const bytes = buildRequest({
      host: 'server.example.com',
      path: '/chat',
      key: KEY,
      protocols: ['chat', 'superchat'],
      origin: 'http://example.com',
    });
    assert.equal(decodeLatin1(bytes), RFC_REQUEST);
  });

  it('sends only the required headers by default', () => {
    const text = decodeLatin1(buildRequest({ host: 'h:8080', path: '/?q=1', key: KEY }));
    assert.equal(
      text,
      'GET /?q=1 HTTP/1.1\r\nHost: h:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });

  it('adds extensions and extra headers (record or pairs)', () => {
    const bytes = buildRequest({
      host: 'h',
      path: '/',
      key: KEY,
      extensions: formatExtensionHeader([deflate]),
      headers: [
        ['Cookie', 'a=1'],
        ['Authorization', 'Bearer x'],
      ],
    });
    const parsed = parseRequestHead(bytes);
    assert.ok(parsed.complete);
    const { headers } = parsed.head;
    assert.equal(
      headers.get('sec-websocket-extensions'),
      'permessage-deflate; client_max_window_bits',
    );
    assert.deepEqual([headers.get('cookie'), headers.get('authorization')], ['a=1', 'Bearer x']);
    const withRecord = decodeLatin1(
      buildRequest({ host: 'h', path: '/', key: KEY, headers: { 'X-A': '1' } }),
    );
    assert.match(withRecord, /\r\nX-A: 1\r\n\r\n$/);
  });

  it('lets Origin come from the extra headers when the option is absent', () => {
    const text = decodeLatin1(
      buildRequest({ host: 'h', path: '/', key: KEY, headers: { Origin: 'https://o' } }),
    );
    assert.match(text, /\r\nOrigin: https:\/\/o\r\n/);
  });

  it('refuses a path that is not origin-form, or holds spaces or line breaks', () => {
    for (const path of ['', 'chat', 'http://h/chat', '/a b', '/a\r\nX-Evil: 1', '/caf\u00e9']) {
      assert.throws(
        () => buildRequest({ host: 'h', path, key: KEY }),
        UsageError,
        JSON.stringify(path),
      );
    }
  });

  it('refuses an invalid key and an empty or injected host', () => {
    assert.throws(() => buildRequest({ host: 'h', path: '/', key: 'abc' }), UsageError);
    assert.throws(() => buildRequest({ host: '', path: '/', key: KEY }), UsageError);
    assert.throws(() => buildRequest({ host: 'h\r\nX-Evil: 1', path: '/', key: KEY }), UsageError);
  });

  it('refuses subprotocols that are not tokens or are repeated (RFC 6455 §4.1)', () => {
    for (const protocols of [['a b'], [''], ['a,b'], ['chat', 'chat']]) {
      assert.throws(() => buildRequest({ host: 'h', path: '/', key: KEY, protocols }), UsageError);
    }
  });

  it('refuses malformed or injected extensions and origins', () => {
    const base = { host: 'h', path: '/', key: KEY };
    assert.throws(() => buildRequest({ ...base, extensions: 'foo;' }), UsageError);
    assert.throws(() => buildRequest({ ...base, extensions: 'foo\r\nX-Evil: 1' }), UsageError);
    assert.throws(() => buildRequest({ ...base, origin: 'http://o\r\nX-Evil: 1' }), UsageError);
  });

  it('refuses CRLF injection in extra headers', () => {
    const base = { host: 'h', path: '/', key: KEY };
    assert.throws(
      () => buildRequest({ ...base, headers: { 'X-A': 'a\r\nX-Evil: 1' } }),
      UsageError,
    );
    assert.throws(() => buildRequest({ ...base, headers: { 'X-A\r\nX-Evil': '1' } }), UsageError);
    assert.throws(() => buildRequest({ ...base, headers: [['X-A', 'a\nb']] }), UsageError);
  });

  it('refuses extra headers that would override the handshake, naming them', () => {
    const base = { host: 'h', path: '/', key: KEY };
    const names = [
      'Host',
      'upgrade',
      'CONNECTION',
      'Sec-WebSocket-Key',
      'sec-websocket-version',
      'Sec-WebSocket-Protocol',
      'Sec-WebSocket-Extensions',
      'Content-Length',
    ];
    for (const name of names) {
      assert.throws(
        () => buildRequest({ ...base, headers: { [name]: 'x' } }),
        (error: unknown) => error instanceof UsageError && error.message.includes(`'${name}'`),
      );
    }
    assert.throws(
      () => buildRequest({ ...base, origin: 'https://a', headers: { origin: 'https://b' } }),
      UsageError,
    );
  });
});

describe('RFC 6455 §4.1 validating the server handshake', () => {
  it('accepts the RFC 6455 §1.2 example response', () => {
    const parsed = parseResponseHead(latin1(RFC_RESPONSE));
    assert.ok(parsed.complete);
    const result = validateResponse(parsed.head, offered({ protocols: ['chat', 'superchat'] }));
    assert.deepEqual(result, { protocol: 'chat', extensions: [] });
  });

  it('fails with UNEXPECTED_STATUS and the received status when it is not 101', () => {
    for (const status of [200, 302, 403, 426, 500]) {
      const error = assertFails(
        response({ status }),
        offered(),
        ErrorCode.UNEXPECTED_STATUS,
        status,
      );
      assert.match(error.message, new RegExp(`'HTTP/1.1 ${status} Forbidden'`));
    }
  });

  it('accepts Upgrade: websocket in any case, and Connection lists containing upgrade', () => {
    const head = response({
      drop: ['Upgrade', 'Connection'],
      add: [
        ['upgrade', 'WebSocket'],
        ['connection', 'keep-alive, upgrade'],
      ],
    });
    assert.deepEqual(validateResponse(head, offered()), { protocol: null, extensions: [] });
  });

  it('fails with INVALID_UPGRADE_HEADER unless Upgrade is exactly websocket', () => {
    assertFails(response({ drop: ['Upgrade'] }), offered(), ErrorCode.INVALID_UPGRADE_HEADER, 101);
    for (const value of ['h2c', 'websocket, h2c', 'web socket', '']) {
      const head = response({ drop: ['Upgrade'], add: [['Upgrade', value]] });
      assertFails(head, offered(), ErrorCode.INVALID_UPGRADE_HEADER, 101);
    }
  });

  it('fails with INVALID_CONNECTION_HEADER when Connection lacks upgrade', () => {
    assertFails(
      response({ drop: ['Connection'] }),
      offered(),
      ErrorCode.INVALID_CONNECTION_HEADER,
      101,
    );
    for (const value of ['keep-alive', 'close', 'upgrade;']) {
      const head = response({ drop: ['Connection'], add: [['Connection', value]] });
      assertFails(head, offered(), ErrorCode.INVALID_CONNECTION_HEADER, 101);
    }
  });

  it('fails with INVALID_ACCEPT when Sec-WebSocket-Accept is missing, wrong or repeated', () => {
    const noAccept = response({ drop: ['Sec-WebSocket-Accept'] });
    assertFails(noAccept, offered(), ErrorCode.INVALID_ACCEPT, 101);
    const wrong = response({
      drop: ['Sec-WebSocket-Accept'],
      add: [['Sec-WebSocket-Accept', 'x'.repeat(28)]],
    });
    assertFails(wrong, offered(), ErrorCode.INVALID_ACCEPT, 101);
    const repeated = response({ add: [['Sec-WebSocket-Accept', ACCEPT]] });
    assertFails(repeated, offered(), ErrorCode.INVALID_ACCEPT, 101);
    assertFails(
      response(),
      offered({ key: 'AAECAwQFBgcICQoLDA0ODw==' }),
      ErrorCode.INVALID_ACCEPT,
      101,
    );
  });

  it('returns the selected subprotocol, or null when the server selected none', () => {
    const offer = offered({ protocols: ['chat', 'superchat'] });
    const head = response({ add: [['Sec-WebSocket-Protocol', 'superchat']] });
    assert.equal(validateResponse(head, offer).protocol, 'superchat');
    assert.equal(validateResponse(response(), offer).protocol, null);
  });

  it('fails with UNEXPECTED_PROTOCOL for a protocol not offered, none offered, or several', () => {
    const chat = response({ add: [['Sec-WebSocket-Protocol', 'chat']] });
    assertFails(chat, offered({ protocols: ['superchat'] }), ErrorCode.UNEXPECTED_PROTOCOL, 101);
    assertFails(chat, offered(), ErrorCode.UNEXPECTED_PROTOCOL, 101);
    const offer = offered({ protocols: ['chat', 'superchat'] });
    const list = response({ add: [['Sec-WebSocket-Protocol', 'chat, superchat']] });
    assertFails(list, offer, ErrorCode.UNEXPECTED_PROTOCOL, 101);
    const twice = response({
      add: [
        ['Sec-WebSocket-Protocol', 'chat'],
        ['Sec-WebSocket-Protocol', 'chat'],
      ],
    });
    assertFails(twice, offer, ErrorCode.UNEXPECTED_PROTOCOL, 101);
    const empty = response({ add: [['Sec-WebSocket-Protocol', '']] });
    assertFails(empty, offer, ErrorCode.UNEXPECTED_PROTOCOL, 101);
  });

  it('returns accepted extensions as parsed, parameters unchecked', () => {
    const head = response({
      add: [['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits=10; bogus']],
    });
    assert.deepEqual(validateResponse(head, offered({ extensions: [deflate] })).extensions, [
      {
        name: 'permessage-deflate',
        params: [
          ['client_max_window_bits', '10'],
          ['bogus', true],
        ],
      },
    ]);
  });

  it('fails with UNEXPECTED_EXTENSION for an extension that was not offered', () => {
    const head = response({ add: [['Sec-WebSocket-Extensions', 'x-foo']] });
    assertFails(head, offered(), ErrorCode.UNEXPECTED_EXTENSION, 101);
    assertFails(head, offered({ extensions: [deflate] }), ErrorCode.UNEXPECTED_EXTENSION, 101);
  });

  it('fails with INVALID_EXTENSIONS_HEADER (status 101) for a malformed header', () => {
    const head = response({ add: [['Sec-WebSocket-Extensions', 'permessage-deflate;']] });
    const error = assertFails(
      head,
      offered({ extensions: [deflate] }),
      ErrorCode.INVALID_EXTENSIONS_HEADER,
      101,
    );
    assert.ok(error.cause instanceof HandshakeError);
  });
});

describe('RFC 6455 §4 the whole opening handshake', () => {
  it('round-trips request -> server -> response -> client, with trailing frames on both sides', () => {
    const key = generateKey((buf) => randomFillSync(buf));
    const request = buildRequest({
      host: 'example.com:8080',
      path: '/socket?room=1',
      key,
      protocols: ['v2.chat', 'v1.chat'],
      extensions: formatExtensionHeader([deflate, { name: 'permessage-deflate', params: [] }]),
      origin: 'https://example.com',
    });
    const frame = Uint8Array.of(0x81, 0x80, 1, 2, 3, 4);
    const clientBytes = new Uint8Array([...request, ...frame]);
    const parsedRequest = parseRequestHead(clientBytes);
    assert.ok(parsedRequest.complete);
    assert.deepEqual(clientBytes.subarray(parsedRequest.bodyOffset), frame);
    assert.equal(parsedRequest.head.target, '/socket?room=1');

    const handshake = validateRequest(parsedRequest.head);
    assert.equal(handshake.origin, 'https://example.com');
    assert.equal(handshake.extensions.length, 2);
    const protocol = selectSubprotocol(handshake.protocols, ['v1.chat', 'v2.chat']);
    assert.equal(protocol, 'v2.chat');
    const accept = buildAcceptResponse({
      key: handshake.key,
      protocol,
      extensions: 'permessage-deflate',
    });

    const serverBytes = new Uint8Array([...accept, 0x81, 0x00]);
    const parsedResponse = parseResponseHead(serverBytes);
    assert.ok(parsedResponse.complete);
    assert.deepEqual(serverBytes.subarray(parsedResponse.bodyOffset), Uint8Array.of(0x81, 0x00));
    const result = validateResponse(parsedResponse.head, {
      key,
      protocols: ['v2.chat', 'v1.chat'],
      extensions: [deflate],
    });
    assert.deepEqual(result, {
      protocol: 'v2.chat',
      extensions: [{ name: 'permessage-deflate', params: [] }],
    });
  });

  it('round-trips random keys and protocol lists (property)', () => {
    const protocol = fc.constantFrom('chat', 'superchat', 'v1', 'v2', 'mqtt', 'graphql-ws');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uniqueArray(protocol, { maxLength: 4 }),
        fc.uniqueArray(protocol, { maxLength: 4 }),
        (nonce, offeredProtocols, supported) => {
          const key = generateKey((buf) => buf.set(nonce));
          const request = parseRequestHead(
            buildRequest({ host: 'h', path: '/', key, protocols: offeredProtocols }),
          );
          assert.ok(request.complete);
          const handshake = validateRequest(request.head);
          const selected = selectSubprotocol(handshake.protocols, supported);
          const response = parseResponseHead(
            buildAcceptResponse({ key: handshake.key, protocol: selected }),
          );
          assert.ok(response.complete);
          const result = validateResponse(response.head, { key, protocols: offeredProtocols });
          assert.equal(result.protocol, selected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

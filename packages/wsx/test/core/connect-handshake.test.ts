import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildConnectRequest,
  connectAcceptFields,
  connectRefusal,
  validateConnectRequest,
  validateConnectResponse,
} from '../../src/core/connect-handshake.js';
import { ErrorCode, HandshakeError, UsageError } from '../../src/core/errors.js';
import { HttpHeaders, type HttpResponseHead } from '../../src/core/http-head.js';

/** RFC 8441 §5.1: the example extended CONNECT. */
const RFC_EXAMPLE: [string, string][] = [
  [':method', 'CONNECT'],
  [':protocol', 'websocket'],
  [':scheme', 'https'],
  [':path', '/chat'],
  [':authority', 'server.example.com'],
  ['sec-websocket-protocol', 'chat, superchat'],
  ['sec-websocket-extensions', 'permessage-deflate'],
  ['sec-websocket-version', '13'],
  ['origin', 'http://www.example.com'],
];

type Changes = { drop?: string[]; set?: Record<string, string>; add?: [string, string][] };

/** The RFC's example with fields dropped, replaced (in place) or added. */
function request(changes: Changes = {}): HttpHeaders {
  const drop = new Set(changes.drop ?? []);
  const fields = RFC_EXAMPLE.filter(([name]) => !drop.has(name)).map(
    ([name, value]): [string, string] => [name, changes.set?.[name] ?? value],
  );
  return new HttpHeaders([...fields, ...(changes.add ?? [])].flat());
}

function refusal(changes: Changes): HandshakeError {
  try {
    validateConnectRequest(request(changes));
  } catch (error) {
    assert.ok(error instanceof HandshakeError, String(error));
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(changes)}`);
}

describe('validateConnectRequest (RFC 8441 §4-5)', () => {
  it('accepts the RFC 8441 §5.1 example', () => {
    const offer = validateConnectRequest(request());
    assert.equal(offer.scheme, 'https');
    assert.equal(offer.path, '/chat');
    assert.equal(offer.host, 'server.example.com');
    assert.equal(offer.origin, 'http://www.example.com');
    assert.deepEqual(offer.protocols, ['chat', 'superchat']);
    assert.deepEqual(offer.extensions, [{ name: 'permessage-deflate', params: [] }]);
  });

  it('accepts what Chromium sends: no origin needed, http scheme, a query, :protocol in any case', () => {
    const offer = validateConnectRequest(
      request({
        drop: ['origin', 'sec-websocket-protocol', 'sec-websocket-extensions'],
        set: { ':scheme': 'http', ':path': '/ws?room=1', ':protocol': 'WebSocket' },
      }),
    );
    assert.equal(offer.origin, undefined);
    assert.deepEqual(offer.protocols, []);
    assert.deepEqual(offer.extensions, []);
    assert.equal(offer.path, '/ws?room=1');
  });

  it('ignores a Sec-WebSocket-Key: RFC 8441 §5 does not use it', () => {
    assert.doesNotThrow(() =>
      validateConnectRequest(request({ add: [['sec-websocket-key', 'not checked']] })),
    );
  });

  const cases: [string, Changes, number, ErrorCode, Record<string, string>?][] = [
    ['a repeated :path', { add: [[':path', '/other']] }, 400, ErrorCode.INVALID_PSEUDO_HEADER],
    ['a repeated :method', { add: [[':method', 'CONNECT']] }, 400, ErrorCode.INVALID_PSEUDO_HEADER],
    ['a GET with :protocol', { set: { ':method': 'GET' } }, 400, ErrorCode.INVALID_PSEUDO_HEADER],
    [
      'a GET (no :protocol)',
      { set: { ':method': 'GET' }, drop: [':protocol'] },
      405,
      ErrorCode.INVALID_METHOD,
      { Allow: 'CONNECT' },
    ],
    ['a plain CONNECT', { drop: [':protocol'] }, 400, ErrorCode.INVALID_PSEUDO_HEADER],
    [
      ':protocol connect-udp',
      { set: { ':protocol': 'connect-udp' } },
      501,
      ErrorCode.UNSUPPORTED_CONNECT_PROTOCOL,
    ],
    ['no :scheme', { drop: [':scheme'] }, 400, ErrorCode.INVALID_PSEUDO_HEADER],
    [':scheme wss', { set: { ':scheme': 'wss' } }, 400, ErrorCode.INVALID_PSEUDO_HEADER],
    ['no :path', { drop: [':path'] }, 400, ErrorCode.INVALID_PSEUDO_HEADER],
    ['an asterisk :path', { set: { ':path': '*' } }, 400, ErrorCode.INVALID_PSEUDO_HEADER],
    ['no :authority', { drop: [':authority'] }, 400, ErrorCode.MISSING_HOST],
    ['an empty :authority', { set: { ':authority': '' } }, 400, ErrorCode.MISSING_HOST],
    [
      'version 8',
      { set: { 'sec-websocket-version': '8' } },
      426,
      ErrorCode.UNSUPPORTED_VERSION,
      { 'Sec-WebSocket-Version': '13' },
    ],
    [
      'no version',
      { drop: ['sec-websocket-version'] },
      400,
      ErrorCode.UNSUPPORTED_VERSION,
      { 'Sec-WebSocket-Version': '13' },
    ],
    [
      'a repeated version',
      { add: [['sec-websocket-version', '13']] },
      400,
      ErrorCode.UNSUPPORTED_VERSION,
    ],
    [
      'repeated subprotocols',
      { set: { 'sec-websocket-protocol': 'chat, chat' } },
      400,
      ErrorCode.INVALID_PROTOCOL_HEADER,
    ],
    [
      'malformed extensions',
      { set: { 'sec-websocket-extensions': 'permessage-deflate; =' } },
      400,
      ErrorCode.INVALID_EXTENSIONS_HEADER,
    ],
  ];
  for (const [name, changes, status, code, headers] of cases) {
    it(`refuses ${name} with ${status} (${code})`, () => {
      const error = refusal(changes);
      assert.equal(error.status, status, error.message);
      assert.equal(error.code, code);
      for (const [header, value] of Object.entries(headers ?? {})) {
        assert.equal(error.headers[header], value, header);
      }
    });
  }

  it('checks the method before the rest: a GET with nothing else is a 405', () => {
    const error = refusal({
      drop: RFC_EXAMPLE.map(([n]) => n).filter((n) => n !== ':method'),
      set: { ':method': 'GET' },
    });
    assert.equal(error.status, 405);
  });

  it('quotes what it refuses safely (bounded, escaped)', () => {
    const error = refusal({ set: { ':protocol': `x\u0000${'y'.repeat(500)}` } });
    assert.ok(error.message.length < 200, error.message);
    assert.ok(!error.message.includes('\u0000'));
  });
});

describe('connectAcceptFields', () => {
  it('is :status 200 with the subprotocol and extensions, names lower-case', () => {
    assert.deepEqual(
      connectAcceptFields({
        protocol: 'chat',
        extensions: 'permessage-deflate; server_no_context_takeover',
        headers: { 'Set-Cookie': 'a=b' },
      }),
      [
        [':status', '200'],
        ['sec-websocket-protocol', 'chat'],
        ['sec-websocket-extensions', 'permessage-deflate; server_no_context_takeover'],
        ['set-cookie', 'a=b'],
      ],
    );
    assert.deepEqual(connectAcceptFields(), [[':status', '200']]);
  });

  it('leaves out connection-specific fields (RFC 9113 §8.2.2) and refuses bad ones', () => {
    assert.deepEqual(connectAcceptFields({ headers: { Connection: 'close', 'X-A': '1' } }), [
      [':status', '200'],
      ['x-a', '1'],
    ]);
    assert.throws(() => connectAcceptFields({ protocol: 'a b' }), UsageError);
    assert.throws(() => connectAcceptFields({ headers: { 'X-A': 'a\r\nb: c' } }), UsageError);
    assert.throws(
      () => connectAcceptFields({ headers: { 'Sec-WebSocket-Protocol': 'x' } }),
      UsageError,
    );
  });
});

describe('connectRefusal', () => {
  it('frames a text body with its length and type; keeps headers minus connection-specific ones', () => {
    const { fields, body } = connectRefusal(401, {
      body: 'no token\n',
      headers: { 'WWW-Authenticate': 'Bearer', Connection: 'close' },
    });
    assert.deepEqual(fields, [
      [':status', '401'],
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', '9'],
      ['www-authenticate', 'Bearer'],
    ]);
    assert.equal(new TextDecoder().decode(body), 'no token\n');
  });

  it('has a default body naming the status, and a binary body is sent as is', () => {
    assert.equal(new TextDecoder().decode(connectRefusal(403).body), '403 Forbidden\n');
    const { fields, body } = connectRefusal(503, { body: Uint8Array.of(1, 2, 3) });
    assert.deepEqual(fields, [
      [':status', '503'],
      ['content-length', '3'],
    ]);
    assert.deepEqual(body, Uint8Array.of(1, 2, 3));
  });

  it('refuses a 2xx (it would open the tunnel) and statuses out of range', () => {
    for (const status of [200, 204, 101, 600, 1.5]) {
      assert.throws(() => connectRefusal(status), UsageError, String(status));
    }
  });
});

describe('buildConnectRequest', () => {
  it('builds the RFC 8441 §5.1 example, pseudo-header fields first', () => {
    assert.deepEqual(
      buildConnectRequest({
        scheme: 'https',
        authority: 'server.example.com',
        path: '/chat',
        protocols: ['chat', 'superchat'],
        origin: 'http://www.example.com',
        extensions: 'permessage-deflate; client_max_window_bits',
        headers: [['Authorization', 'Bearer x']],
      }),
      [
        [':method', 'CONNECT'],
        [':protocol', 'websocket'],
        [':scheme', 'https'],
        [':path', '/chat'],
        [':authority', 'server.example.com'],
        ['origin', 'http://www.example.com'],
        ['sec-websocket-protocol', 'chat, superchat'],
        ['sec-websocket-version', '13'],
        ['sec-websocket-extensions', 'permessage-deflate; client_max_window_bits'],
        ['authorization', 'Bearer x'],
      ],
    );
  });

  it('what it builds is what the server side accepts', () => {
    const fields = buildConnectRequest({ scheme: 'http', authority: 'a:81', path: '/x?y' });
    const offer = validateConnectRequest(new HttpHeaders(fields.flat()));
    assert.equal(offer.host, 'a:81');
    assert.equal(offer.path, '/x?y');
  });

  it('refuses a bad path, protocol, extension or header, and connection-specific fields', () => {
    const base = { scheme: 'https', authority: 'a', path: '/' } as const;
    const bad = [
      { ...base, path: 'x' },
      { ...base, authority: '' },
      { ...base, protocols: ['a', 'a'] },
      { ...base, protocols: ['a b'] },
      { ...base, extensions: 'permessage-deflate; =' },
      { ...base, headers: { Connection: 'keep-alive' } },
      { ...base, headers: { Upgrade: 'websocket' } },
      { ...base, headers: { Host: 'a' } },
      { ...base, headers: { 'Sec-WebSocket-Key': 'a' } },
      { ...base, headers: { 'X-A': 'a\nb' } },
      { ...base, headers: { ':path': '/' } },
      { ...base, origin: 'a\r\nb' },
    ];
    for (const options of bad) {
      assert.throws(() => buildConnectRequest(options), UsageError, JSON.stringify(options));
    }
  });
});

describe('validateConnectResponse', () => {
  const head = (status: number, fields: [string, string][] = []): HttpResponseHead => ({
    version: 'HTTP/2',
    status,
    reason: '',
    headers: new HttpHeaders(fields.flat()),
  });

  it('accepts any 2xx with what was offered', () => {
    assert.deepEqual(validateConnectResponse(head(200), { protocols: [] }), {
      protocol: null,
      extensions: [],
    });
    const agreed = validateConnectResponse(
      head(200, [
        ['sec-websocket-protocol', 'chat'],
        ['sec-websocket-extensions', 'permessage-deflate'],
      ]),
      { protocols: ['chat'], extensions: [{ name: 'permessage-deflate', params: [] }] },
    );
    assert.equal(agreed.protocol, 'chat');
    assert.equal(agreed.extensions[0]?.name, 'permessage-deflate');
  });

  it('fails with the status for anything else, and for what was not offered', () => {
    for (const status of [101, 301, 403, 404, 501]) {
      assert.throws(
        () => validateConnectResponse(head(status), { protocols: [] }),
        (e: HandshakeError) => e.code === ErrorCode.UNEXPECTED_STATUS && e.status === status,
      );
    }
    assert.throws(
      () =>
        validateConnectResponse(head(200, [['sec-websocket-protocol', 'x']]), { protocols: ['y'] }),
      (e: HandshakeError) => e.code === ErrorCode.UNEXPECTED_PROTOCOL,
    );
    assert.throws(
      () =>
        validateConnectResponse(head(200, [['sec-websocket-extensions', 'x-other']]), {
          protocols: [],
        }),
      (e: HandshakeError) => e.code === ErrorCode.UNEXPECTED_EXTENSION,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, HandshakeError, UsageError } from '../../src/core/errors.js';
import {
  type ExtensionOffer,
  formatExtensionHeader,
  parseExtensionHeader,
} from '../../src/core/extension-header.js';
import { HttpHeaders } from '../../src/core/http-head.js';

const offer = (name: string, ...params: [string, string | true][]): ExtensionOffer => ({
  name,
  params,
});

function assertInvalid(value: string): HandshakeError {
  let caught: unknown;
  try {
    parseExtensionHeader(value);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof HandshakeError, `expected ${JSON.stringify(value)} to be rejected`);
  assert.equal(caught.code, ErrorCode.INVALID_EXTENSIONS_HEADER);
  assert.equal(caught.status, 400);
  return caught;
}

describe('RFC 6455 §9.1 parsing Sec-WebSocket-Extensions', () => {
  it('parses a bare extension', () => {
    assert.deepEqual(parseExtensionHeader('permessage-deflate'), [offer('permessage-deflate')]);
  });

  it('parses parameters with and without values', () => {
    assert.deepEqual(
      parseExtensionHeader('permessage-deflate; client_max_window_bits; server_max_window_bits=10'),
      [
        offer(
          'permessage-deflate',
          ['client_max_window_bits', true],
          ['server_max_window_bits', '10'],
        ),
      ],
    );
  });

  it('parses several offers in one header, duplicates included, in order', () => {
    const value =
      'permessage-deflate; server_no_context_takeover; client_max_window_bits=10, permessage-deflate, x-foo';
    assert.deepEqual(parseExtensionHeader(value), [
      offer(
        'permessage-deflate',
        ['server_no_context_takeover', true],
        ['client_max_window_bits', '10'],
      ),
      offer('permessage-deflate'),
      offer('x-foo'),
    ]);
  });

  it('keeps repeated parameters, so a negotiator can reject them', () => {
    assert.deepEqual(parseExtensionHeader('foo; a; a=1'), [offer('foo', ['a', true], ['a', '1'])]);
  });

  it('parses several header lines once joined by HttpHeaders', () => {
    const headers = new HttpHeaders([
      'Sec-WebSocket-Extensions',
      'foo; a=1',
      'sec-websocket-extensions',
      'bar',
    ]);
    assert.deepEqual(parseExtensionHeader(headers.get('Sec-WebSocket-Extensions')!), [
      offer('foo', ['a', '1']),
      offer('bar'),
    ]);
  });

  it('allows optional whitespace around every delimiter', () => {
    assert.deepEqual(parseExtensionHeader(' \tfoo ;a = 1\t; b ,\tbar ; c= "2" '), [
      offer('foo', ['a', '1'], ['b', true]),
      offer('bar', ['c', '2']),
    ]);
  });

  it('ignores empty list elements (RFC 7230 §7)', () => {
    assert.deepEqual(parseExtensionHeader(', foo,, ,bar ,'), [offer('foo'), offer('bar')]);
  });

  it('keeps names and values as sent (no case folding)', () => {
    assert.deepEqual(parseExtensionHeader('Foo; A=B'), [offer('Foo', ['A', 'B'])]);
  });
});

describe('RFC 6455 §9.1 quoted-string parameter values', () => {
  it('unquotes a quoted token', () => {
    assert.deepEqual(parseExtensionHeader('foo; bits="10"'), [offer('foo', ['bits', '10'])]);
  });

  it('unescapes quoted-pairs', () => {
    assert.deepEqual(parseExtensionHeader('foo; a="b\\c\\dd"'), [offer('foo', ['a', 'bcdd'])]);
    assert.deepEqual(parseExtensionHeader('foo; a="\\1\\0"'), [offer('foo', ['a', '10'])]);
  });

  it('reads past commas and semicolons inside quotes, then requires a token', () => {
    for (const value of ['foo; a="x,y", bar', 'foo; a="x;y"; b', 'foo; a="x\\"y"']) {
      const error = assertInvalid(value);
      assert.match(error.message, /not a token once unquoted at offset 7/, value);
    }
  });

  it('parses what follows a quoted value', () => {
    assert.deepEqual(parseExtensionHeader('foo; a="1"; b="2", bar; c'), [
      offer('foo', ['a', '1'], ['b', '2']),
      offer('bar', ['c', true]),
    ]);
  });
});

describe('RFC 6455 §9.1 malformed Sec-WebSocket-Extensions -> 400', () => {
  const cases: [string, string][] = [
    ['', 'an empty value (1#extension needs one)'],
    [' , ,', 'only empty elements'],
    ['foo;', 'a semicolon without a parameter'],
    ['foo; ', 'a semicolon followed by whitespace only'],
    ['foo;;a', 'an empty parameter'],
    ['foo bar', 'two tokens without a delimiter'],
    ['foo; a b', 'a parameter followed by a token'],
    ['foo=1', 'a value on the extension name'],
    ['foo; =1', 'a value without a name'],
    ['foo; a=', 'a missing value'],
    ['foo; a= ,bar', 'a missing value before a comma'],
    ['foo; a==1', 'a doubled equals sign'],
    ['foo; a=b=c', 'a value with an equals sign'],
    ['foo; a=b c', 'a value with a space'],
    ['"foo"', 'a quoted extension name'],
    ['foo; "a"=1', 'a quoted parameter name'],
    ['foo; a="1', 'an unterminated quoted string'],
    ['foo; a="1\\', 'a backslash at the end'],
    ['foo; a="1\\\x01"', 'an escaped control character'],
    ['foo; a=""', 'an empty quoted string'],
    ['foo; a="1 2"', 'a quoted value that is not a token'],
    ['foo; a="\x01"', 'a control character in quotes'],
    ['foo; a="1"x', 'text after a quoted string'],
    ['fo@o', 'a separator in a name'],
    ['foo, ;a', 'a parameter without an extension'],
    ['foo\x00', 'a NUL'],
    ['caf\u00e9', 'a non-ASCII name'],
  ];
  for (const [value, why] of cases) {
    it(`rejects ${why}: ${JSON.stringify(value)}`, () => {
      assertInvalid(value);
    });
  }

  it('quotes at most ~60 characters of the value in its message', () => {
    const error = assertInvalid(`${'a'.repeat(10_000)} b`);
    assert.ok(error.message.length < 200, error.message);
  });
});

describe('RFC 6455 §9.1 formatting Sec-WebSocket-Extensions', () => {
  it('formats offers and parameters', () => {
    const value = formatExtensionHeader([
      offer(
        'permessage-deflate',
        ['client_max_window_bits', true],
        ['server_max_window_bits', '10'],
      ),
      offer('permessage-deflate'),
    ]);
    assert.equal(
      value,
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate',
    );
  });

  it('refuses names and values that are not tokens, and empty lists', () => {
    assert.throws(() => formatExtensionHeader([]), UsageError);
    assert.throws(() => formatExtensionHeader([offer('a b')]), UsageError);
    assert.throws(() => formatExtensionHeader([offer('a', ['b\r\nX', true])]), UsageError);
    assert.throws(() => formatExtensionHeader([offer('a', ['b', 'c,d'])]), UsageError);
    assert.throws(() => formatExtensionHeader([offer('a', ['b', ''])]), UsageError);
  });
});

const TCHARS =
  "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('');
const token = fc
  .array(fc.constantFrom(...TCHARS), { minLength: 1, maxLength: 10 })
  .map((a) => a.join(''));
const param = fc.tuple(token, fc.oneof(fc.constant<true>(true), token));
const offers = fc.array(
  // fc.record builds null-prototype objects; deepStrictEqual wants plain ones.
  fc
    .record({ name: token, params: fc.array(param, { maxLength: 4 }) })
    .map(({ name, params }): ExtensionOffer => ({ name, params })),
  { minLength: 1, maxLength: 4 },
);
const ows = fc.constantFrom('', ' ', '\t', ' \t ');

/** Renders offers with random OWS, random empty elements and random quoting with escapes. */
const noisyRendering = offers.chain((list) =>
  fc
    .array(fc.tuple(ows, ows, fc.boolean(), fc.boolean()), { minLength: 64, maxLength: 64 })
    .map((noise) => {
      let n = 0;
      const next = () => noise[n++ % noise.length]!;
      const quote = (v: string, escapeAll: boolean) =>
        `"${[...v].map((c) => (escapeAll || c === '"' || c === '\\' ? `\\${c}` : c)).join('')}"`;
      const render = (o: ExtensionOffer) =>
        o.name +
        o.params
          .map(([name, value]) => {
            const [a, b, quoted, escapeAll] = next();
            if (value === true) return `${a};${b}${name}`;
            return `${a};${b}${name}${a}=${b}${quoted ? quote(value, escapeAll) : value}`;
          })
          .join('');
      const [lead, trail, emptyFirst] = next();
      const body = list.map(render).join(`${trail},${lead}`);
      return { list, value: `${emptyFirst ? ' ,' : ''}${lead}${body}${trail}` };
    }),
);

describe('RFC 6455 §9.1 round trips (property)', () => {
  it('parseExtensionHeader(formatExtensionHeader(offers)) deep-equals offers', () => {
    fc.assert(
      fc.property(offers, (list) => {
        assert.deepEqual(parseExtensionHeader(formatExtensionHeader(list)), list);
      }),
      { numRuns: 500 },
    );
  });

  it('parses renderings with any OWS, quoting and escaping to the same offers', () => {
    fc.assert(
      fc.property(noisyRendering, ({ list, value }) => {
        assert.deepEqual(parseExtensionHeader(value), list);
      }),
      { numRuns: 500 },
    );
  });
});

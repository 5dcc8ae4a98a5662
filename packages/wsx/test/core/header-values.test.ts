import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  includesIgnoreCase,
  isToken,
  parseTokenList,
  parseUpgradeList,
  quoteInput,
  sliceTrimmed,
  splitList,
  trimOws,
} from '../../src/core/header-values.js';

describe('RFC 7230 §3.2.6 tokens', () => {
  it('accepts every tchar', () => {
    assert.ok(
      isToken("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    );
  });

  it('accepts usual tokens', () => {
    for (const s of ['websocket', 'Upgrade', 'chat.v2', 'permessage-deflate', 'x']) {
      assert.ok(isToken(s), s);
    }
  });

  it('rejects the empty string, delimiters, whitespace, controls and non-ASCII', () => {
    const bad = [
      '',
      'a b',
      'a,b',
      'a;b',
      'a=b',
      '"a"',
      'a/b',
      'a:b',
      'a\tb',
      'a\x00',
      'a\x7f',
      'caf\u00e9',
    ];
    for (const s of '()<>@[]{}?\\'.split('')) bad.push(`a${s}`);
    for (const s of bad) assert.equal(isToken(s), false, JSON.stringify(s));
  });
});

describe('RFC 7230 §7 list syntax', () => {
  it('splits on commas and trims OWS', () => {
    assert.deepEqual(splitList(' a ,\tb,c\t'), ['a', 'b', 'c']);
  });

  it('ignores empty elements', () => {
    assert.deepEqual(splitList(', ,a,,  ,b,'), ['a', 'b']);
    assert.deepEqual(splitList(''), []);
    assert.deepEqual(parseTokenList(' , '), []);
  });

  it('parses a 1#token list', () => {
    assert.deepEqual(parseTokenList('keep-alive, Upgrade'), ['keep-alive', 'Upgrade']);
    assert.deepEqual(parseTokenList('chat, superchat'), ['chat', 'superchat']);
  });

  it('returns null when an element is not a token', () => {
    assert.equal(parseTokenList('chat, super chat'), null);
    assert.equal(parseTokenList('chat, "quoted"'), null);
    assert.equal(parseTokenList('a/b'), null);
  });

  it('checks membership ASCII case-insensitively', () => {
    assert.ok(includesIgnoreCase(['keep-alive', 'UPGRADE'], 'upgrade'));
    assert.equal(includesIgnoreCase(['keep-alive'], 'upgrade'), false);
  });
});

describe('RFC 7230 §6.7 Upgrade list', () => {
  it('accepts protocol names with and without versions', () => {
    assert.deepEqual(parseUpgradeList('HTTP/2.0, websocket'), ['HTTP/2.0', 'websocket']);
  });

  it('rejects malformed elements', () => {
    for (const value of ['web socket', 'a/', '/b', 'a/b/c', 'a;b']) {
      assert.equal(parseUpgradeList(value), null, value);
    }
  });
});

describe('RFC 7230 §3.2.3 optional whitespace', () => {
  it('trims SP and HTAB only', () => {
    assert.equal(trimOws(' \t a b \t '), 'a b');
    assert.equal(trimOws('\u00a0a\u00a0'), '\u00a0a\u00a0');
    assert.equal(trimOws('   '), '');
  });

  it('trims a range of a string (a header line after its colon)', () => {
    const line = 'Name: \t value  \t';
    assert.equal(sliceTrimmed(line, 5, line.length), 'value');
    assert.equal(sliceTrimmed(line, 0, 4), 'Name');
    assert.equal(sliceTrimmed('X:', 2, 2), '');
  });
});

describe('quoting untrusted input in messages', () => {
  it('wraps short input in single quotes', () => {
    assert.equal(quoteInput('abc'), "'abc'");
  });

  it('escapes quotes, backslashes, controls and non-ASCII', () => {
    assert.equal(quoteInput("a'b\\c"), "'a\\'b\\\\c'");
    assert.equal(quoteInput('a\r\nb\x00'), "'a\\x0d\\x0ab\\x00'");
    assert.equal(quoteInput('\u00e9\u2028'), "'\\xe9\\u2028'");
  });

  it('never repeats more than 60 characters of a long input', () => {
    const quoted = quoteInput('x'.repeat(100_000));
    assert.ok(quoted.length < 100, quoted);
    assert.match(quoted, /\(100000 chars\)$/);
  });
});

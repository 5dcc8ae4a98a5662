import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isValidUtf8,
  UTF8_ACCEPT,
  UTF8_REJECT,
  utf8Validate,
  utf8ValidateWith,
} from '../../src/core/utf8.js';
import { bytes, hex } from '../helpers/frames.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
function decoderAccepts(data: Uint8Array): boolean {
  try {
    fatal.decode(data);
    return true;
  } catch {
    return false;
  }
}

describe('RFC 3629 §4 UTF-8 syntax', () => {
  const valid: Record<string, string> = {
    ascii: '48656c6c6f',
    'two-byte (é)': 'c3a9',
    'three-byte (中)': 'e4b8ad',
    'four-byte (😀)': 'f09f9880',
    'U+FFFF': 'efbfbf',
    'U+10FFFF': 'f48fbfbf',
    'U+D7FF (below surrogates)': 'ed9fbf',
    'U+E000 (above surrogates)': 'ee8080',
    empty: '',
  };
  const invalid: Record<string, string> = {
    'lone continuation': '80',
    'overlong 2-byte (C0 80)': 'c080',
    'overlong C1': 'c1bf',
    'overlong 3-byte (E0 80 80)': 'e08080',
    'overlong 4-byte (F0 80 80 80)': 'f0808080',
    'surrogate U+D800': 'eda080',
    'surrogate U+DFFF': 'edbfbf',
    'above U+10FFFF (F4 90)': 'f4908080',
    'F5 lead': 'f5808080',
    'FF byte': 'ff',
    'truncated 3-byte': 'e4b8',
    'truncated 4-byte': 'f09f98',
    'lead followed by ASCII': 'e441',
  };
  for (const [name, h] of Object.entries(valid)) {
    it(`accepts ${name}`, () => assert.equal(isValidUtf8(hex(h)), true));
  }
  for (const [name, h] of Object.entries(invalid)) {
    it(`rejects ${name}`, () => assert.equal(isValidUtf8(hex(h)), false));
  }
});

describe('incremental validation (RFC 6455 §8.1 across fragments and reads)', () => {
  it('carries a character split across pieces: 中 as e4 | b8 ad', () => {
    const data = bytes('中');
    const s1 = utf8Validate(UTF8_ACCEPT, data, 0, 1);
    assert.notEqual(s1, UTF8_ACCEPT);
    assert.notEqual(s1, UTF8_REJECT);
    assert.equal(utf8Validate(s1, data, 1, 3), UTF8_ACCEPT);
  });

  it('rejects at the first byte that cannot continue, before the rest arrives', () => {
    // F4 90: the second byte already proves a code point above U+10FFFF.
    assert.equal(utf8Validate(UTF8_ACCEPT, hex('f490'), 0, 2), UTF8_REJECT);
    // ED A0: the second byte already proves a surrogate.
    assert.equal(utf8Validate(UTF8_ACCEPT, hex('eda0'), 0, 2), UTF8_REJECT);
    // A valid prefix followed by one bad byte, then more: rejected without reading further.
    assert.equal(utf8Validate(UTF8_ACCEPT, hex('414243ff'), 0, 4), UTF8_REJECT);
  });

  it('stays rejected', () => {
    assert.equal(utf8Validate(UTF8_REJECT, bytes('abc'), 0, 3), UTF8_REJECT);
  });

  it('agrees with TextDecoder (fatal) on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        assert.equal(isValidUtf8(data), decoderAccepts(data));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with TextDecoder on random text with random corruption', () => {
    const corrupted = fc
      .tuple(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
      )
      .map(([s, at, b]) => {
        const data = bytes(s);
        if (data.length > 0) data[at % data.length] = b;
        return data;
      });
    fc.assert(
      fc.property(corrupted, (data) => {
        assert.equal(isValidUtf8(data), decoderAccepts(data));
      }),
      { numRuns: 5000 },
    );
  });

  it('gives the same verdict for any split into pieces', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 48 }),
        fc.array(fc.nat({ max: 48 }), { maxLength: 6 }),
        (data, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
          let state = UTF8_ACCEPT;
          let prev = 0;
          for (const c of [...points, data.length]) {
            state = utf8Validate(state, data, prev, c);
            prev = c;
          }
          assert.equal(state === UTF8_ACCEPT, decoderAccepts(data));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('utf8ValidateWith (native check on the part ending on a boundary)', () => {
  const check = (d: Uint8Array) => isUtf8(d);

  it('handles a large piece ending mid-character', () => {
    const text = bytes('中文'.repeat(200)); // 1200 bytes, 3 per character
    const s = utf8ValidateWith(check, UTF8_ACCEPT, text, 0, 1000); // 1000 = 333 chars + 1 byte
    assert.notEqual(s, UTF8_REJECT);
    assert.notEqual(s, UTF8_ACCEPT);
    assert.equal(utf8ValidateWith(check, s, text, 1000, 1200), UTF8_ACCEPT);
  });

  it('rejects invalid bytes inside a large piece', () => {
    const data = bytes('a'.repeat(1000));
    data[500] = 0xff;
    assert.equal(utf8ValidateWith(check, UTF8_ACCEPT, data, 0, 1000), UTF8_REJECT);
  });

  it('agrees with the byte loop on random large pieces and splits', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 200, maxLength: 600 }),
        fc.nat(),
        fc.boolean(),
        (s, cut, corrupt) => {
          const data = bytes(s);
          if (corrupt) data[cut % data.length] = 0xc0;
          const at = cut % (data.length + 1);
          const a = utf8ValidateWith(check, UTF8_ACCEPT, data, 0, at);
          const b = utf8ValidateWith(check, a, data, at, data.length);
          assert.equal(b === UTF8_ACCEPT, decoderAccepts(data));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

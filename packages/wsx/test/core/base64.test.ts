import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { base64ByteLength, decodeBase64, encodeBase64 } from '../../src/core/base64.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('RFC 4648 §10 test vectors', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ];
  for (const [plain, encoded] of vectors) {
    it(`encodes ${JSON.stringify(plain)} as ${JSON.stringify(encoded)}`, () => {
      assert.equal(encodeBase64(ascii(plain)), encoded);
    });
    it(`decodes ${JSON.stringify(encoded)}`, () => {
      assert.deepEqual(decodeBase64(encoded), ascii(plain));
    });
  }

  it('uses + and / for 62 and 63', () => {
    assert.equal(encodeBase64(Uint8Array.of(0xfb, 0xff, 0xbf)), '+/+/');
    assert.deepEqual(decodeBase64('+/+/'), Uint8Array.of(0xfb, 0xff, 0xbf));
  });

  it('decodes the RFC 6455 §1.3 sample key to 16 bytes', () => {
    assert.deepEqual(decodeBase64('dGhlIHNhbXBsZSBub25jZQ=='), ascii('the sample nonce'));
  });
});

describe('RFC 4648 §3 strict decoding', () => {
  const invalid: [string, string][] = [
    ['Zg', 'missing padding (§3.2)'],
    ['Zg=', 'length not a multiple of 4'],
    ['Z===', 'three padding characters'],
    ['====', 'only padding'],
    ['Zm9v====', 'a whole quantum of padding'],
    ['Zm=v', 'padding in the middle of a quantum'],
    ['Zg==Zm9v', 'padding before the end'],
    ['Zm 9', 'whitespace (§3.3)'],
    ['Zm9v\n', 'a line feed'],
    ['-_-_', 'the URL-safe alphabet (§5)'],
    ['Zm9\u00e9', 'a non-ASCII character'],
    ['Zh==', 'non-zero pad bits (§3.5)'],
    ['Zm9=', 'non-zero pad bits in a 2-byte group'],
  ];
  for (const [input, why] of invalid) {
    it(`rejects ${JSON.stringify(input)}: ${why}`, () => {
      assert.equal(decodeBase64(input), null);
    });
  }
});

describe('base64 against Buffer (property)', () => {
  it('encodes like Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assert.equal(encodeBase64(bytes), Buffer.from(bytes).toString('base64'));
      }),
    );
  });

  it('encodes an input longer than one String.fromCharCode call takes (8,192 codes)', () => {
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff);
    assert.equal(encodeBase64(bytes), Buffer.from(bytes).toString('base64'));
  });

  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assert.deepEqual(decodeBase64(encodeBase64(bytes)), bytes);
      }),
    );
  });

  it('accepts only canonical strings, and then agrees with Buffer', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ '.split(
      '',
    );
    const candidate = fc
      .array(fc.constantFrom(...alphabet), { maxLength: 16 })
      .map((a) => a.join(''));
    fc.assert(
      fc.property(candidate, (s) => {
        const decoded = decodeBase64(s);
        // base64ByteLength checks the same rules without decoding.
        assert.equal(base64ByteLength(s), decoded === null ? -1 : decoded.length);
        if (decoded === null) return;
        assert.deepEqual(decoded, new Uint8Array(Buffer.from(s, 'base64')));
        assert.equal(encodeBase64(decoded), s);
      }),
      { numRuns: 2000 },
    );
  });
});

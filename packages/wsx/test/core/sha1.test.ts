import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sha1, sha1OfText } from '../../src/core/sha1.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const nodeSha1 = (bytes: Uint8Array): string => createHash('sha1').update(bytes).digest('hex');

describe('FIPS 180-4 SHA-1 known answers', () => {
  const vectors: [string, string][] = [
    ['', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    ],
    ['The quick brown fox jumps over the lazy dog', '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12'],
  ];
  for (const [input, digest] of vectors) {
    it(`hashes ${JSON.stringify(input.slice(0, 20))}`, () => {
      assert.equal(hex(sha1(ascii(input))), digest);
    });
  }

  it('hashes one million "a"', () => {
    const input = new Uint8Array(1_000_000).fill(0x61);
    assert.equal(hex(sha1(input)), '34aa973cd4c4daa4f61eeb2bdbad27316534016f');
  });

  it('returns 20 bytes', () => {
    assert.equal(sha1(new Uint8Array(0)).length, 20);
  });
});

describe('FIPS 180-4 §5.1.1 padding boundaries', () => {
  it('agrees with node:crypto for every length from 0 to 200', () => {
    for (let length = 0; length <= 200; length++) {
      const input = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
      assert.equal(hex(sha1(input)), nodeSha1(input), `length ${length}`);
    }
  });

  it('hashes a subarray view, not its whole buffer', () => {
    const buffer = ascii('xxabcxx');
    assert.equal(hex(sha1(buffer.subarray(2, 5))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  });
});

describe('SHA-1 against node:crypto (property)', () => {
  it('agrees on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (input) => {
        assert.equal(hex(sha1(input)), nodeSha1(input));
      }),
      { numRuns: 300 },
    );
  });
});

describe('sha1OfText: the digest of a string as UTF-8', () => {
  it('hashes a handshake key and the GUID (ASCII, written without encoding)', () => {
    const text = 'dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
    assert.equal(hex(sha1OfText(text)), nodeSha1(ascii(text)));
  });

  it('agrees with node:crypto on any string, ASCII or not, long after short', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })),
        (text) => {
          assert.equal(hex(sha1OfText(text)), nodeSha1(ascii(text)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

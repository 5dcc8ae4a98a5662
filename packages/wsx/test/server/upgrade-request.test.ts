import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { UpgradeSource } from '../../src/server/upgrade-request.js';
import { isPlainPath, UpgradeRequest } from '../../src/server/upgrade-request.js';

function requestFor(target: string): UpgradeRequest {
  const req = {
    url: target,
    headers: { host: 'example.com' },
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as UpgradeSource;
  return new UpgradeRequest(req, [], undefined);
}

describe('UpgradeRequest.path', () => {
  it('returns a plain path as it is, without the query', () => {
    assert.equal(requestFor('/rooms/general?x=1').path, '/rooms/general');
    assert.equal(requestFor("/a-b_c~!$&'()*+,;=:@/d").path, "/a-b_c~!$&'()*+,;=:@/d");
  });

  it('normalises dot segments, percent-encoding and empty segments through the URL', () => {
    assert.equal(requestFor('/a/./b/../c').path, '/a/c');
    assert.equal(requestFor('/%7Euser').path, '/%7Euser');
    assert.equal(requestFor('/a//b').path, '/a//b');
    assert.equal(requestFor('/caf\u00e9').path, '/caf%C3%A9');
  });

  // Regression, issue 11 #1 (ReDoS on the upgrade path): the path used to be matched by a regular
  // expression with a nested quantifier, and '/' + 'a' * 30 + '%' blocked the event loop for
  // seconds (each extra character doubled it). With a linear scan, 16 KiB of such input costs
  // microseconds; were the backtracking pattern back, this test would never finish (and fail on
  // the runner's timeout).
  it('regression: adversarial 16 KiB request targets are scanned in linear time (ReDoS)', () => {
    const n = 16 * 1024;
    for (const tail of ['%', '.', '"', '%20', '\u00ff', '//']) {
      const target = `/${'a'.repeat(n)}${tail}`;
      const path = requestFor(target).path;
      assert.equal(path.slice(0, 10), '/aaaaaaaaa');
      assert.equal(isPlainPath(target), false);
    }
    const segments = `/${'a/'.repeat(n / 2)}`;
    assert.equal(requestFor(segments).path, segments);
  });

  it('isPlainPath only accepts what the URL parser leaves unchanged', () => {
    const pathChars = fc.constantFrom(...'abcXYZ019-_~!$&\'()*+,;=:@/.%"é ?#'.split(''));
    fc.assert(
      fc.property(fc.array(pathChars, { maxLength: 30 }), (chars) => {
        const path = `/${chars.join('')}`;
        if (isPlainPath(path)) {
          assert.equal(new URL(path, 'ws://example.com').pathname, path);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

/** Which WebSockets may share an HTTP/2 session: the pool key. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { targetOf } from '../../src/client/client-url.js';
import { parseProxyUrl } from '../../src/client/proxy.js';
import { poolKey } from '../../src/client/session-pool.js';

const target = (url: string) => targetOf(new URL(url));

describe('poolKey', () => {
  it('is the same for the same origin and settings, whatever the path', () => {
    const ca = Buffer.from('ca');
    assert.equal(
      poolKey(target('wss://example.com/a'), null, { ca, rejectUnauthorized: true }),
      poolKey(target('wss://example.com:443/b?x=1'), null, { rejectUnauthorized: true, ca }),
    );
  });

  it('differs by origin, proxy (and its credentials) and TLS settings', () => {
    const base = poolKey(target('wss://example.com/'), null, {});
    const others = [
      poolKey(target('wss://example.com:8443/'), null, {}),
      poolKey(target('ws://example.com/'), null, {}),
      poolKey(target('wss://example.org/'), null, {}),
      poolKey(target('wss://example.com/'), parseProxyUrl('http://proxy:3128', 'test'), {}),
      poolKey(target('wss://example.com/'), parseProxyUrl('http://a:b@proxy:3128', 'test'), {}),
      poolKey(target('wss://example.com/'), null, { rejectUnauthorized: false }),
      poolKey(target('wss://example.com/'), null, { ca: Buffer.from('ca') }),
    ];
    assert.equal(new Set([base, ...others]).size, others.length + 1);
    // Object values count by identity: another buffer with the same bytes is another CA option.
    assert.notEqual(
      poolKey(target('wss://example.com/'), null, { ca: Buffer.from('ca') }),
      poolKey(target('wss://example.com/'), null, { ca: Buffer.from('ca') }),
    );
  });
});

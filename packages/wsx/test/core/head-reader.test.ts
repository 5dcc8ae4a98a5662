import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, HandshakeError } from '../../src/core/errors.js';
import { HeadReader } from '../../src/core/head-reader.js';

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array): string => String.fromCharCode(...b);

const HEAD = 'GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\r\n';
const AFTER = '\x81\x05hello';

/** Feeds `chunks` in order; returns the head and the bytes after it, or null. */
function feed(reader: HeadReader, chunks: Uint8Array[]): { head: string; rest: string } | null {
  for (let i = 0; i < chunks.length; i++) {
    const done = reader.push(chunks[i]!);
    if (done !== null) {
      const rest = [chunks[i]!.subarray(done.restOffset), ...chunks.slice(i + 1)];
      return { head: text(done.head), rest: rest.map(text).join('') };
    }
  }
  return null;
}

function thrown(fn: () => unknown): HandshakeError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof HandshakeError);
    return error;
  }
  assert.fail('expected a HandshakeError');
}

describe('HeadReader: collecting a head from chunks (RFC 7230 §3)', () => {
  const bytes = latin1(HEAD + AFTER);

  it('whole, byte by byte, and split at every position give the same head and rest', () => {
    const expected = { head: HEAD, rest: AFTER };
    assert.deepEqual(feed(new HeadReader('request'), [bytes]), expected);
    const bytewise = Array.from(bytes, (b) => Uint8Array.of(b));
    assert.deepEqual(feed(new HeadReader('request'), bytewise), expected);
    for (let cut = 1; cut < bytes.length; cut++) {
      const parts = [bytes.subarray(0, cut), bytes.subarray(cut)];
      assert.deepEqual(feed(new HeadReader('request'), parts), expected, `cut at ${cut}`);
    }
  });

  it('returns null until the blank line, and a view (no copy) when the head is in one chunk', () => {
    const reader = new HeadReader('request');
    assert.equal(reader.push(latin1('GET / HTTP/1.1\r\n')), null);
    assert.equal(reader.size, 16);
    const single = new HeadReader('request').push(bytes)!;
    assert.equal(single.head.buffer, bytes.buffer);
  });

  it('fails at a bare LF at once, long before the size limit', () => {
    const reader = new HeadReader('request');
    reader.push(latin1('GET / HTTP/1.1\r\n'));
    const error = thrown(() => reader.push(latin1('Host: x\n')));
    assert.equal(error.code, ErrorCode.MALFORMED_HTTP);
    assert.equal(error.status, 400);
    assert.match(error.message, /bare LF at byte 23/);
  });

  it('fails at a bare CR, also when the CR ends one chunk and the next does not start with LF', () => {
    const reader = new HeadReader('request');
    reader.push(latin1('GET / HTTP/1.1\r'));
    assert.match(thrown(() => reader.push(latin1('Host'))).message, /bare CR at byte 14/);
    assert.match(thrown(() => new HeadReader('request').push(latin1('A\r\rB'))).message, /bare CR/);
  });

  it('fails with 431 as soon as more than maxHeadSize bytes arrive without the end', () => {
    const reader = new HeadReader('request', { maxHeadSize: 64 });
    assert.equal(reader.push(latin1(`GET / HTTP/1.1\r\nX: ${'a'.repeat(40)}`)), null);
    const error = thrown(() => reader.push(latin1('a'.repeat(20))));
    assert.equal(error.code, ErrorCode.HEAD_TOO_LARGE);
    assert.equal(error.status, 431);
    // A head that ends exactly at the limit is fine.
    const exact = `GET / HTTP/1.1\r\nX: ${'a'.repeat(64 - 23)}\r\n\r\n`;
    assert.equal(exact.length, 64);
    assert.notEqual(new HeadReader('request', { maxHeadSize: 64 }).push(latin1(exact)), null);
  });

  it('on the response side, errors carry status 0 (there is nobody to answer)', () => {
    const error = thrown(() => new HeadReader('response').push(latin1('HTTP/1.1 101\n')));
    assert.equal(error.status, 0);
  });

  it('a 16 KiB head sent one byte per chunk completes', () => {
    const big = `GET / HTTP/1.1\r\nX-Pad: ${'p'.repeat(16 * 1024 - 27)}\r\n\r\n`;
    assert.equal(big.length, 16 * 1024);
    const reader = new HeadReader('request');
    let done = null;
    for (const c of big) done = reader.push(latin1(c));
    assert.equal(done?.head.length, 16 * 1024);
  });
});

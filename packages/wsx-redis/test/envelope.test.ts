/** The envelope: every payload arrives as published; anything else is refused with a reason. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeEnvelope,
  encodeEnvelope,
  isFrom,
  MAX_TOPIC_BYTES,
  MalformedEnvelopeError,
  topicBytes,
} from '../src/envelope.js';

const ORIGIN = Buffer.alloc(16, 0xab);

function roundTrip(topic: string, binary: boolean, data: Uint8Array) {
  return decodeEnvelope(encodeEnvelope(topicBytes(topic), ORIGIN, binary, data));
}

describe('envelope', () => {
  it('carries topic, kind, origin and payload unchanged', () => {
    const text = Buffer.from('你好 😀 — chat', 'utf8');
    const got = roundTrip('房间/1', false, text);
    assert.equal(got.topic, '房间/1');
    assert.equal(got.binary, false);
    assert.deepEqual(Buffer.from(got.origin), ORIGIN);
    assert.deepEqual(Buffer.from(got.data), text);
    const empty = roundTrip('', true, new Uint8Array());
    assert.equal(empty.topic, '');
    assert.equal(empty.binary, true);
    assert.equal(empty.data.length, 0);
  });

  it('any topic and any bytes, binary, arrive as they were (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.uint8Array(),
        (topic, data) => {
          const got = roundTrip(topic, true, data);
          assert.equal(got.topic, topic);
          assert.deepEqual(new Uint8Array(got.data), data);
        },
      ),
    );
  });

  it('tells its own messages from others', () => {
    const mine = encodeEnvelope(topicBytes('t'), ORIGIN, true, Buffer.from([1]));
    assert.equal(isFrom(mine, ORIGIN), true);
    assert.equal(isFrom(mine, Buffer.alloc(16, 1)), false);
    assert.equal(isFrom(Buffer.from('short'), ORIGIN), false);
  });

  it('refuses a topic longer than the length field can say', () => {
    assert.doesNotThrow(() => topicBytes('x'.repeat(MAX_TOPIC_BYTES)));
    assert.throws(() => topicBytes('x'.repeat(MAX_TOPIC_BYTES + 1)), RangeError);
  });

  it('refuses what is not an envelope, saying why', () => {
    const good = encodeEnvelope(topicBytes('room'), ORIGIN, false, Buffer.from('hi'));
    const cases: [string, Buffer, RegExp][] = [
      ['too short', good.subarray(0, 20), /too short/],
      ['bad magic', Buffer.concat([Buffer.from([0]), good.subarray(1)]), /magic/],
      [
        'version',
        Buffer.concat([good.subarray(0, 1), Buffer.from([9]), good.subarray(2)]),
        /version 9/,
      ],
      [
        'flags',
        Buffer.concat([good.subarray(0, 2), Buffer.from([6]), good.subarray(3)]),
        /flags 6/,
      ],
      ['overrun', good.subarray(0, 23), /overruns/],
      [
        'text not UTF-8',
        encodeEnvelope(topicBytes('room'), ORIGIN, false, Buffer.from([0xe4, 0xbd])),
        /not UTF-8/,
      ],
    ];
    for (const [what, bytes, reason] of cases) {
      assert.throws(
        () => decodeEnvelope(bytes),
        (e: unknown) => e instanceof MalformedEnvelopeError && reason.test(e.message),
        what,
      );
    }
    // The same bytes as binary are fine: only text must be UTF-8.
    const binary = encodeEnvelope(topicBytes('room'), ORIGIN, true, Buffer.from([0xe4, 0xbd]));
    assert.deepEqual(Buffer.from(decodeEnvelope(binary).data), Buffer.from([0xe4, 0xbd]));
  });
});

/** The envelope: every payload arrives as published; anything else is refused with a reason. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  countMessages,
  decodeEnvelope,
  EnvelopeWriter,
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
    assert.deepEqual(Buffer.from(got.origin), ORIGIN);
    assert.equal(got.messages.length, 1);
    assert.equal(got.messages[0]!.binary, false);
    assert.deepEqual(Buffer.from(got.messages[0]!.data), text);
    const empty = roundTrip('', true, new Uint8Array());
    assert.equal(empty.topic, '');
    assert.deepEqual(empty.messages, [{ binary: true, data: Buffer.alloc(0) }]);
  });

  it('carries a burst of messages in order, each copied when added', () => {
    const writer = new EnvelopeWriter(topicBytes('room'), ORIGIN);
    const reused = Buffer.from('first');
    writer.add(false, reused);
    reused.write('XXXXX'); // the caller may reuse its buffer at once
    writer.add(true, Buffer.alloc(70_000, 9)); // grows past the first allocation
    writer.add(false, Buffer.from('third'));
    const bytes = writer.finish();
    assert.equal(countMessages(bytes), 3);
    const { messages } = decodeEnvelope(bytes);
    assert.deepEqual(
      messages.map((m) => [m.binary, m.data.length, Buffer.from(m.data.subarray(0, 5)).toString()]),
      [
        [false, 5, 'first'],
        [true, 70_000, '\t\t\t\t\t'],
        [false, 5, 'third'],
      ],
    );
  });

  it('any topic and any messages arrive as they were (property)', () => {
    const message = fc.record({ binary: fc.constant(true), data: fc.uint8Array() });
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.array(message, { minLength: 1, maxLength: 5 }),
        (topic, messages) => {
          const writer = new EnvelopeWriter(topicBytes(topic), ORIGIN);
          for (const m of messages) writer.add(m.binary, m.data);
          const got = decodeEnvelope(writer.finish());
          assert.equal(got.topic, topic);
          assert.deepEqual(
            got.messages.map((m) => new Uint8Array(m.data)),
            messages.map((m) => m.data),
          );
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
    const header = good.subarray(0, 24); // up to the first message
    const cases: [string, Buffer, RegExp][] = [
      ['too short', good.subarray(0, 19), /too short/],
      ['bad magic', Buffer.concat([Buffer.from([0]), good.subarray(1)]), /magic/],
      [
        'version',
        Buffer.concat([good.subarray(0, 1), Buffer.from([9]), good.subarray(2)]),
        /version 9/,
      ],
      [
        'topic overrun',
        Buffer.concat([good.subarray(0, 18), Buffer.from([0xff, 0xff])]),
        /topic overruns/,
      ],
      ['no message', header, /no message/],
      ['flags', Buffer.concat([header, Buffer.from([6, 0, 0, 0, 0])]), /flags 6/],
      ['truncated', good.subarray(0, good.length - 4), /overruns|truncated/],
      ['message overrun', Buffer.concat([header, Buffer.from([1, 0, 0, 0, 9, 1])]), /overruns/],
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
    assert.deepEqual(
      Buffer.from(decodeEnvelope(binary).messages[0]!.data),
      Buffer.from([0xe4, 0xbd]),
    );
  });
});

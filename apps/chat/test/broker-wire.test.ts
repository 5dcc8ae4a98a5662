/**
 * The Redis broker's pure parts: how events travel between nodes (every kind round-trips,
 * anything else is refused as malformed), and the stall watch on a manual clock (publishes
 * waiting with no reply for the limit: stalled; a reply, or nothing waiting: resumed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeEvent,
  encodeHead,
  encodeRoomEvent,
  encodeUserEvent,
  MalformedEventError,
  roomTopic,
  userTopic,
} from '../src/broker/broker-wire.js';
import { StallWatch } from '../src/broker/stall-watch.js';

test('every event round-trips: messages, other room events, heads, user events, everyone', () => {
  const frame = '{"type":"message","text":"第一行\\n第二行 🎉"}';
  assert.deepEqual(decodeEvent(roomTopic(7), encodeRoomEvent(frame, 42)), {
    kind: 'room',
    event: { room: 7, frame, seq: 42 },
  });
  assert.deepEqual(decodeEvent(roomTopic(7), encodeRoomEvent('{"type":"typing"}', undefined)), {
    kind: 'room',
    event: { room: 7, frame: '{"type":"typing"}' },
  });
  assert.deepEqual(decodeEvent(roomTopic(7), encodeHead(99)), { kind: 'head', room: 7, seq: 99 });
  const user = { user: 3, frame: '{"type":"room"}', joinRoom: 7 };
  assert.deepEqual(decodeEvent(userTopic(3), encodeUserEvent(user)), { kind: 'user', event: user });
  assert.deepEqual(decodeEvent('all', '{"type":"room.created"}'), {
    kind: 'all',
    frame: '{"type":"room.created"}',
  });
});

test('what no node sends is refused as malformed', () => {
  const bad: [string, string][] = [
    ['room:x', '1\n{}'],
    ['room:0', '1\n{}'],
    ['thing:1', '{}'],
    ['room:1', 'no newline'],
    ['room:1', '-1\n{}'],
    ['room:1', 'h'],
    ['room:1', '12345678901234567\n{}'],
    ['user:1', 'not json'],
    ['user:1', '{"user":2,"frame":"{}"}'],
    ['user:1', '{"user":1}'],
    ['user:1', '{"user":1,"frame":"{}","joinRoom":"7"}'],
  ];
  for (const [topic, text] of bad)
    assert.throws(() => decodeEvent(topic, text), MalformedEventError, `${topic} ${text}`);
});

test('the stall watch: publishes unanswered for the limit are a stall; a reply ends it', () => {
  let now = 0;
  const counters = { pending: 0, envelopes: 0 };
  const watch = new StallWatch(
    () => counters,
    500,
    () => now,
  );
  assert.equal(watch.check(), null);
  counters.pending = 3; // sent, waiting
  now = 499;
  assert.equal(watch.check(), null);
  counters.envelopes = 1; // a reply: Redis answers, slowly
  now = 900;
  assert.equal(watch.check(), null);
  now = 1399;
  assert.equal(watch.check(), null, 'not yet 500 ms since the last reply');
  now = 1400;
  assert.equal(watch.check(), 'stalled');
  assert.equal(watch.stalled, true);
  now = 5000;
  assert.equal(watch.check(), null, 'said once');
  counters.pending = 0; // the connection was torn down: what waited failed
  assert.equal(watch.check(), 'resumed');
  assert.equal(watch.stalled, false);
});

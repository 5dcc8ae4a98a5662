/** The protocol's pure parts, without sockets: request parsing and the name and text rules. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatError } from '../src/protocol/errors.js';
import { ackFrame, messageFrame } from '../src/protocol/frames.js';
import {
  checkMessageText,
  checkName,
  nameKey,
  ROOM_NAME,
  USER_NAME,
} from '../src/protocol/names.js';
import { parseRequest } from '../src/protocol/requests.js';

const code = (text: string) => {
  try {
    parseRequest(text);
    return 'ok';
  } catch (error) {
    return (error as ChatError).code;
  }
};

test('parseRequest: valid requests, and the code of each kind of invalid one', () => {
  assert.deepEqual(
    parseRequest('{"type":"send","id":1,"room":2,"clientMsgId":"c","text":"你好"}'),
    {
      type: 'send',
      id: 1,
      room: 2,
      clientMsgId: 'c',
      text: '你好',
    },
  );
  const hello = parseRequest('{"type":"hello","id":"h","resume":{"3":7}}');
  assert.deepEqual(hello.type === 'hello' && [...hello.resume], [[3, 7]]);
  assert.deepEqual(parseRequest('{"type":"history","id":1,"room":1}'), {
    type: 'history',
    id: 1,
    room: 1,
    before: null,
    after: null,
    limit: 50,
  });
  assert.equal(code('nope'), 'bad_json');
  assert.equal(code('null'), 'bad_json');
  assert.equal(code('{"type":"ping"}'), 'bad_request');
  assert.equal(code(`{"type":"ping","id":"${'x'.repeat(65)}"}`), 'bad_request');
  assert.equal(code('{"type":"ping","id":1.5}'), 'bad_request');
  assert.equal(code('{"type":"toString","id":1}'), 'unknown_type');
  assert.equal(code('{"type":"join","id":1,"room":0}'), 'bad_request');
  assert.equal(code('{"type":"hello","id":1,"resume":{"01":1}}'), 'bad_request');
  assert.equal(code('{"type":"hello","id":1,"resume":{"1":-1}}'), 'bad_request');
  assert.equal(
    code(`{"type":"send","id":1,"room":1,"clientMsgId":"${'c'.repeat(65)}","text":"t"}`),
    'bad_request',
  );
});

test('names: NFC, Unicode and emoji welcome, controls and edge spaces refused, case-insensitive keys', () => {
  const decomposed = 'Ame\u0301lie';
  assert.deepEqual(checkName(decomposed, USER_NAME), { ok: true, name: 'Amélie' });
  assert.deepEqual(checkName('👨‍👩‍👧 家', USER_NAME), { ok: true, name: '👨‍👩‍👧 家' });
  assert.equal(checkName('a', USER_NAME).ok, false);
  assert.equal(checkName('😀'.repeat(32), USER_NAME).ok, true, 'length counts characters');
  assert.equal(checkName('😀'.repeat(33), USER_NAME).ok, false);
  assert.equal(checkName(' padded', ROOM_NAME).ok, false);
  assert.equal(checkName('new\nline', ROOM_NAME).ok, false);
  assert.equal(checkName('zero\u200bwidth', ROOM_NAME).ok, false);
  assert.equal(checkName(42, ROOM_NAME).ok, false);
  assert.equal(nameKey('Alice'), nameKey('aLICE'));
  assert.equal(nameKey('Ame\u0301lie'), nameKey('AMÉLIE'));
});

test('message text: newlines and tabs allowed, other controls and lone surrogates refused', () => {
  assert.deepEqual(checkMessageText('line 1\n\tline 2', 100), {
    ok: true,
    name: 'line 1\n\tline 2',
  });
  assert.equal(checkMessageText('\u0000', 100).ok, false);
  assert.equal(checkMessageText('\ud83d', 100).ok, false);
  assert.equal(checkMessageText('', 100).ok, false);
  assert.equal(checkMessageText('x'.repeat(101), 100).ok, false);
});

test('the hot-path frames are the JSON the object form would give', () => {
  const m = {
    room: 3,
    seq: 9,
    from: { id: 2, name: '小明 "q"' },
    text: 'a\n"b"\u2028😀',
    ts: 1700000000000,
    clientMsgId: 'c-1',
  };
  assert.deepEqual(JSON.parse(messageFrame(m)), { type: 'message', ...m });
  assert.deepEqual(JSON.parse(ackFrame('r"1', m, true)), {
    type: 'ack',
    id: 'r"1',
    room: 3,
    seq: 9,
    clientMsgId: 'c-1',
    ts: 1700000000000,
    duplicate: true,
  });
});

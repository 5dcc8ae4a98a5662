/**
 * Limits and bad input over real sockets: every kind of bad frame gets a clear error with a
 * stable code, the connection keeps working, and only continued abuse is closed (1008). Time
 * is an injected clock that never moves, so the rate limits are exact.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { createRoom, say, signUp, startChat, TestClient } from './helpers.js';

const T0 = Date.now();
const frozen = () => T0;

test('malformed frames: each gets its error code, and the connection goes on', async (t) => {
  const chat = await startChat(t, { flags: ['--max-text', '100'], parts: { now: frozen } });
  const client = await TestClient.open(chat, await signUp(chat, 'alice'));
  const error = () => client.next((f) => f.type === 'error');
  assert.equal((await client.request('rooms')).code, 'not_ready', 'hello comes first');
  await client.request('hello');
  assert.equal((await client.request('hello')).code, 'not_ready', 'and only once');
  const room = await createRoom(client, 'r');

  client.sendRaw('{not json');
  assert.deepEqual(await error(), {
    type: 'error',
    code: 'bad_json',
    message: 'the message is not valid JSON',
  });
  client.sendRaw('[1,2]');
  assert.equal((await error()).code, 'bad_json');
  client.sendRaw('{"type":"rooms"}');
  assert.equal((await error()).code, 'bad_request', 'no id');
  client.sendRaw(Buffer.from([1, 2, 3]));
  assert.equal((await error()).code, 'bad_json', 'binary frames');
  const unknown = await client.request('shout', {});
  assert.equal(unknown.code, 'unknown_type');
  assert.equal((await client.request('__proto__')).code, 'unknown_type');
  assert.equal(
    (await client.request('send', { room: 'one', text: 'x', clientMsgId: 'a' })).code,
    'bad_request',
  );
  assert.equal(
    (await client.request('send', { room, text: 42, clientMsgId: 'a' })).code,
    'bad_request',
  );
  assert.equal((await client.request('history', { room, limit: -1 })).code, 'bad_request');
  assert.equal((await client.request('hello', { resume: { x: 1 } })).code, 'bad_request');

  const invalid = (fields: Record<string, unknown>) =>
    client.request('send', { room, clientMsgId: `${Math.random()}`, ...fields });
  assert.equal((await invalid({ text: 'x'.repeat(101) })).code, 'invalid_text');
  assert.equal((await invalid({ text: '   ' })).code, 'invalid_text');
  assert.equal((await invalid({ text: 'bell\u0007' })).code, 'invalid_text');
  assert.equal((await invalid({ text: 'lone \ud800 surrogate' })).code, 'invalid_text');
  assert.equal(
    (await invalid({ text: '😀'.repeat(100) })).type,
    'ack',
    '100 emoji are 100 characters',
  );
  assert.equal((await client.request('create', { name: 'x'.repeat(65) })).code, 'invalid_name');
  assert.equal((await client.request('create', { name: 'tab\there' })).code, 'invalid_name');
  assert.equal(
    (await client.request('create', { name: '\u202eevil' })).code,
    'invalid_name',
    'bidi override',
  );

  client.sendRaw(
    JSON.stringify({ type: 'send', id: 9, room, clientMsgId: 'big', text: 'y'.repeat(2000) }),
  );
  assert.deepEqual(await client.next((f) => f.type === 'error'), {
    type: 'error',
    code: 'too_large',
    message: 'requests are limited to 1424 bytes',
  });
  // Markup is text: stored and delivered as the characters it is.
  const xss = '<img src=x onerror=alert(1)>';
  await say(client, room, xss);
  assert.equal((await client.event('message', (f) => f.text === xss)).text, xss);
  assert.equal((await client.request('ping')).type, 'pong', 'still serving');
  client.close();
});

test('a frame over the hard limit closes that connection with 1009; others are not affected', async (t) => {
  const chat = await startChat(t, { flags: ['--max-text', '100'] });
  const alice = (await TestClient.signedIn(chat, await signUp(chat, 'alice'))).client;
  const bob = (await TestClient.signedIn(chat, await signUp(chat, 'bob'))).client;
  const closed = once(alice.ws, 'close');
  alice.sendRaw('z'.repeat(64 * 1024));
  assert.equal((await closed)[0], 1009);
  assert.equal((await bob.request('ping')).type, 'pong');
  bob.close();
});

test('flooding: rate_limited errors first, then 1008 when it goes on; other users keep chatting', async (t) => {
  const chat = await startChat(t, {
    flags: ['--rate', '5', '--burst', '10'],
    parts: { now: frozen },
  });
  const flooder = (await TestClient.signedIn(chat, await signUp(chat, 'flood'))).client;
  const alice = (await TestClient.signedIn(chat, await signUp(chat, 'alice'))).client;
  const room = await createRoom(alice, 'calm');
  const closed = once(flooder.ws, 'close');
  // hello took one token: 9 more requests are served, the 10th and later are refused.
  for (let i = 0; i < 9; i++) assert.equal((await flooder.request('ping')).type, 'pong');
  const limited = await flooder.request('ping');
  assert.equal(limited.code, 'rate_limited');
  assert.match(String(limited.message), /too many requests/);
  for (let i = 0; i < 100; i++) flooder.fire('ping');
  const [code, reason] = await closed;
  assert.equal(code, 1008);
  assert.equal(String(reason), 'rate limit exceeded repeatedly');
  const refusals = flooder.received.filter((f) => f.code === 'rate_limited').length;
  assert.equal(refusals, 50, 'one error per refused request until the 50 strikes are used');
  await say(alice, room, 'unaffected');
  alice.close();
});

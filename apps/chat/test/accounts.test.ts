/**
 * Accounts over HTTP and the WebSocket upgrade's checks: register, sign in, sessions, sign
 * out, the cookie's flags, rate-limited sign-in, origin refusal, subprotocol, health and metrics.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connect, HandshakeError } from 'wsx';
import { cookieOf, post, signUp, startChat, TestClient } from './helpers.js';

test('register, sign in, who am I, sign out; the session cookie is HttpOnly and SameSite=Lax', async (t) => {
  const chat = await startChat(t);
  const registered = await post(chat.base, '/api/register', {
    name: ' 李雷',
    password: 'secret123',
  });
  assert.equal(registered.status, 400, 'leading space refused');
  const created = await post(chat.base, '/api/register', { name: '李雷', password: 'secret123' });
  assert.equal(created.status, 201);
  const setCookie = created.headers.get('set-cookie')!;
  assert.match(
    setCookie,
    /^wsx_chat_session=[\w-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/,
  );
  assert.equal(
    (await post(chat.base, '/api/register', { name: '李雷', password: 'another12' })).status,
    409,
  );
  assert.equal(
    (await post(chat.base, '/api/register', { name: 'short', password: '1234567' })).status,
    400,
  );
  assert.equal(
    (await post(chat.base, '/api/register', { name: 'a\u0007b', password: '12345678' })).status,
    400,
  );

  const wrong = await post(chat.base, '/api/login', { name: '李雷', password: 'wrong-password' });
  assert.equal(wrong.status, 401);
  assert.deepEqual(await wrong.json(), {
    error: { code: 'bad_credentials', message: 'wrong user name or password' },
  });
  const unknown = await post(chat.base, '/api/login', {
    name: 'nobody',
    password: 'wrong-password',
  });
  assert.equal(unknown.status, 401, 'an unknown name gets the same answer');
  const login = await post(chat.base, '/api/login', { name: '李雷', password: 'secret123' });
  assert.equal(login.status, 200);
  const cookie = cookieOf(login);
  const me = await fetch(`${chat.base}/api/me`, { headers: { Cookie: cookie } });
  assert.deepEqual(await me.json(), { user: { id: 1, name: '李雷' } });

  const open = await TestClient.open(chat, cookie);
  const closed = once(open.ws, 'close');
  const out = await post(chat.base, '/api/logout', {}, { Cookie: cookie });
  assert.equal(out.status, 204);
  assert.deepEqual(
    (await closed).map(String),
    ['4401', 'signed out'],
    'its connections are closed',
  );
  assert.match(out.headers.get('set-cookie')!, /Max-Age=0/);
  assert.equal((await fetch(`${chat.base}/api/me`, { headers: { Cookie: cookie } })).status, 401);
  await assert.rejects(
    TestClient.open(chat, cookie),
    (e: unknown) => e instanceof HandshakeError && e.status === 401,
  );
});

test('bad requests to the API get specific answers', async (t) => {
  const chat = await startChat(t);
  const form = await fetch(`${chat.base}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'name=a',
  });
  assert.equal(form.status, 415);
  const badJson = await fetch(`${chat.base}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{',
  });
  assert.equal(badJson.status, 400);
  const big = await post(chat.base, '/api/register', { name: 'x'.repeat(10_000), password: 'y' });
  assert.equal(big.status, 413);
  assert.equal((await fetch(`${chat.base}/api/login`)).status, 405);
  assert.equal((await fetch(`${chat.base}/nothing`)).status, 404);
  const crossSite = await post(
    chat.base,
    '/api/login',
    { name: 'a', password: 'b' },
    { Origin: 'https://evil.example' },
  );
  assert.equal(crossSite.status, 403);
});

test('sign-in attempts are limited per user name and per address (429 with Retry-After)', async (t) => {
  const chat = await startChat(t, {
    parts: { now: () => 1_000_000, attemptLimits: { burst: 3, perMinute: 1 } },
  });
  await signUp(chat, 'target');
  for (let i = 0; i < 3; i++)
    assert.equal(
      (await post(chat.base, '/api/login', { name: 'target', password: 'guess-guess' })).status,
      401,
    );
  const limited = await post(chat.base, '/api/login', { name: 'target', password: 'guess-guess' });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '60');
  // The clock does not move: even the right password waits now.
  assert.equal(
    (await post(chat.base, '/api/login', { name: 'target', password: 'correct horse' })).status,
    429,
  );
});

test('the WebSocket upgrade: a session, an allowed origin and the chat.v1 subprotocol are required', async (t) => {
  const chat = await startChat(t, { flags: ['--origins', 'https://chat.example.com'] });
  const cookie = await signUp(chat, 'alice');
  const refused = async (options: Parameters<typeof connect>[1], status: number) =>
    assert.rejects(
      connect(chat.ws, options),
      (e: unknown) => e instanceof HandshakeError && e.status === status,
    );
  await refused({ protocols: ['chat.v1'], origin: chat.base }, 401);
  await refused(
    { protocols: ['chat.v1'], headers: { Cookie: 'wsx_chat_session=forged' }, origin: chat.base },
    401,
  );
  await refused(
    { protocols: ['chat.v1'], headers: { Cookie: cookie }, origin: 'https://evil.example' },
    403,
  );
  await refused({ protocols: ['chat.v2'], headers: { Cookie: cookie }, origin: chat.base }, 400);
  const listed = await connect(chat.ws, {
    protocols: ['chat.v1'],
    headers: { Cookie: cookie },
    origin: 'https://chat.example.com',
  });
  assert.equal(listed.protocol, 'chat.v1');
  listed.close();
  const own = await TestClient.open(chat, cookie);
  assert.equal(own.ws.protocol, 'chat.v1');
  own.close();
});

test('health, readiness and Prometheus metrics', async (t) => {
  const chat = await startChat(t);
  assert.equal(await (await fetch(`${chat.base}/healthz`)).text(), 'ok\n');
  assert.equal((await fetch(`${chat.base}/readyz`)).status, 200);
  const cookie = await signUp(chat, 'alice');
  const { client } = await TestClient.signedIn(chat, cookie);
  const room = (await client.request('create', { name: 'r' })).room as { id: number };
  await client.request('send', { room: room.id, text: 'hi', clientMsgId: '1' });
  const metrics = await (await fetch(`${chat.base}/metrics`)).text();
  assert.match(metrics, /^chat_connections 1$/m);
  assert.match(metrics, /^chat_messages_stored_total 1$/m);
  assert.match(metrics, /^chat_rooms_active 1$/m);
  assert.match(metrics, /^chat_store_commit_seconds_count 1$/m);
  assert.match(metrics, /^chat_dropped_messages_total 0$/m);
  assert.match(metrics, /^chat_slow_consumers_total 0$/m);
  assert.match(metrics, /^process_resident_memory_bytes \d+/m);
  client.close();
});

test('over TLS (--tls-cert, --tls-key): https and wss, and the session cookie is Secure', async (t) => {
  const fixtures = fileURLToPath(
    new URL('../../../packages/wsx/test/fixtures/tls/', import.meta.url),
  );
  const chat = await startChat(t, {
    flags: ['--tls-cert', `${fixtures}server.crt`, '--tls-key', `${fixtures}server.key`],
  });
  assert.match(chat.server.url, /^https:\/\/localhost:\d+\/$/);
  const ca = readFileSync(`${fixtures}ca.crt`);
  const port = chat.server.port;
  const response = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
    const body = JSON.stringify({ name: 'secure', password: 'correct horse' });
    const req = httpsRequest(
      {
        host: 'localhost',
        port,
        path: '/api/register',
        method: 'POST',
        ca,
        headers: { 'Content-Type': 'application/json' },
      },
      (res) => {
        res.resume();
        resolve({
          status: res.statusCode ?? 0,
          cookie: String(res.headers['set-cookie']?.[0] ?? ''),
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  assert.equal(response.status, 201);
  assert.match(response.cookie, /; HttpOnly; SameSite=Lax; Secure$/);
  const ws = await connect(`wss://localhost:${port}/ws`, {
    ca,
    protocols: ['chat.v1'],
    headers: { Cookie: response.cookie.split(';')[0]! },
    origin: `https://localhost:${port}`,
  });
  ws.send(JSON.stringify({ type: 'hello', id: 1 }));
  const [welcome] = await once(ws, 'message');
  assert.equal(JSON.parse(String(welcome)).type, 'welcome');
  ws.close();
});

test('the web UI is served with a Content-Security-Policy that allows only its own scripts', async (t) => {
  const chat = await startChat(t);
  const page = await fetch(`${chat.base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type')!, /^text\/html/);
  assert.match(
    page.headers.get('content-security-policy')!,
    /default-src 'none'; script-src 'self';/,
  );
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  assert.match(await page.text(), /<script type="module" src="\/app.js"><\/script>/);
  const script = await fetch(`${chat.base}/app.js`);
  assert.match(script.headers.get('content-type')!, /^text\/javascript/);
  assert.ok((await script.text()).length > 1000);
  const head = await fetch(`${chat.base}/app.css`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal((await fetch(`${chat.base}/app.js.map`)).status, 200, 'the source map');
  assert.equal((await fetch(`${chat.base}/chat.db`)).status, 404, 'only the UI files');
  assert.equal((await fetch(`${chat.base}/../package.json`)).status, 404);
});

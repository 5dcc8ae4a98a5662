/**
 * The runnable examples in examples/, each started as a child process (`node examples/x.mjs`,
 * PORT=0) and exercised over real loopback sockets. The port is read from the example's first
 * stdout line, `listening on <url>`. Every child is killed when its test ends, pass or fail.
 */

import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connect, HandshakeError, type Message, type WebSocket } from 'wsx';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const TIMEOUT = { timeout: 60_000 }; // per test; each takes well under a second on an idle machine
const WAIT = 20_000; // the longest any single step may take (a loaded machine starts Node slowly)

/** Rejects after `ms` with a message naming what was awaited, so no test hangs. */
function within<T>(promise: Promise<T>, what: string, ms = WAIT): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A child process with its output collected. */
class Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly exited: Promise<Exit>;
  stdout = '';
  stderr = '';

  constructor(t: TestContext, args: readonly string[], env: Record<string, string> = {}) {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete childEnv.NODE_TEST_CONTEXT; // the child is a program, not a test file
    this.process = spawn(process.execPath, args, { cwd: EXAMPLES, env: childEnv });
    this.process.stdout.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s;
    });
    this.process.stderr.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
    });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => resolve({ code, signal }));
    });
    t.after(async () => {
      if (this.process.exitCode === null && this.process.signalCode === null) {
        this.process.kill('SIGKILL');
      }
      await within(this.exited, 'the child process to exit');
    });
  }

  /** Waits until stdout holds `lines` complete lines; returns them. */
  async lines(count: number): Promise<string[]> {
    const ready = async (): Promise<string[]> => {
      while (this.stdout.split('\n').length <= count) {
        if (this.process.exitCode !== null || this.process.signalCode !== null) {
          throw new Error(`the child exited early; stderr: ${this.stderr}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      return this.stdout.split('\n').slice(0, count);
    };
    return within(ready(), `${count} lines on stdout (got ${JSON.stringify(this.stdout)})`);
  }

  /** Waits for the process to exit by itself. */
  exit(): Promise<Exit> {
    return within(this.exited, 'the child process to exit');
  }
}

/** Starts an example with PORT=0; resolves once it prints `listening on <url>`. */
async function startExample(t: TestContext, file: string): Promise<{ child: Child; port: number }> {
  const child = new Child(t, [file], { PORT: '0' });
  const [first] = await child.lines(1);
  const match = /^listening on (?:ws|http):\/\/[^/]+:(\d+)\/?$/.exec(first ?? '');
  assert.ok(match, `first line of ${file} should be 'listening on <url>', got ${first}`);
  return { child, port: Number(match[1]) };
}

/** A plain HTTP GET on loopback; resolves with the status and the body. */
function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => {
        body += s;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  return within(response, `GET ${path}`);
}

/** Connects a wsx client; the connection is closed when the test ends. */
async function open(t: TestContext, url: string, maxMessageSize?: number): Promise<WebSocket> {
  const ws = await within(
    connect(url, maxMessageSize === undefined ? {} : { maxMessageSize }),
    `a connection to ${url}`,
  );
  t.after(() => ws.terminate());
  return ws;
}

/** The next message the iterator yields. */
async function nextMessage(messages: AsyncIterator<Message>): Promise<Message> {
  const result = await within(messages.next(), 'a message');
  assert.equal(result.done, false, 'the connection ended before a message arrived');
  return result.value as Message;
}

/** Connects and expects the handshake to fail with `status`. */
async function assertRejected(url: string, status: number): Promise<void> {
  const error = await within(
    connect(url).then(
      () => null,
      (e: unknown) => e,
    ),
    `the handshake with ${url} to fail`,
  );
  assert.ok(error instanceof HandshakeError, `expected a HandshakeError, got ${String(error)}`);
  assert.equal(error.status, status);
}

/** A loopback port nothing listens on: one the OS just handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise((resolve) => server.close(resolve));
  return address.port;
}

const TEXT = 'Hello, 世界! 你好 😀🎉 — ünïcödé';
const BINARY = Buffer.from([0x00, 0xff, 0x80, 0x7f, 0xc3, 0x28, 0xf0, 0x9f]); // not UTF-8

/** Sends text and binary and expects each back, text as a string and binary as a Buffer. */
async function assertEchoes(ws: WebSocket, messages: AsyncIterator<Message>): Promise<void> {
  ws.send(TEXT);
  assert.equal(await nextMessage(messages), TEXT);
  ws.send(BINARY);
  const binary = await nextMessage(messages);
  assert.ok(Buffer.isBuffer(binary), 'a binary message comes back as binary');
  assert.deepEqual(binary, BINARY);
}

describe('examples/echo-server.mjs', { concurrency: true }, () => {
  test('echoes text (Chinese, emoji) as text and binary as binary', TIMEOUT, async (t) => {
    const { port } = await startExample(t, 'echo-server.mjs');
    const ws = await open(t, `ws://127.0.0.1:${port}`);
    const kinds: boolean[] = [];
    ws.on('message', (_data, isBinary) => kinds.push(isBinary));
    await assertEchoes(ws, ws[Symbol.asyncIterator]());
    assert.deepEqual(kinds, [false, true]);
  });

  test('accepts messages up to 16 MiB (more than the 1 MiB default)', TIMEOUT, async (t) => {
    const { port } = await startExample(t, 'echo-server.mjs');
    const ws = await open(t, `ws://127.0.0.1:${port}`, 16 * 1024 * 1024);
    const messages = ws[Symbol.asyncIterator]();
    const big = Buffer.alloc(4 * 1024 * 1024, 'wsx');
    ws.send(big);
    assert.ok(big.equals((await nextMessage(messages)) as Buffer));
  });

  test('SIGTERM closes every client with 1001, then exits 0', TIMEOUT, async (t) => {
    const { child, port } = await startExample(t, 'echo-server.mjs');
    const ws = await open(t, `ws://127.0.0.1:${port}`);
    const closed = once(ws, 'close');
    child.process.kill('SIGTERM');
    const [code, reason] = await within(closed, 'the close frame');
    assert.equal(code, 1001);
    assert.equal(reason, 'server shutting down');
    assert.deepEqual(await child.exit(), { code: 0, signal: null });
  });
});

describe('examples/echo-client.mjs', { concurrency: true }, () => {
  test(
    'sends each stdin line, prints each reply, exits 0 at the end of input',
    TIMEOUT,
    async (t) => {
      const { port } = await startExample(t, 'echo-server.mjs');
      const client = new Child(t, ['echo-client.mjs', `ws://127.0.0.1:${port}`]);
      const lines = ['hello', TEXT, '', 'the last line'];
      client.process.stdin.end(`${lines.join('\n')}\n`);
      const exit = await client.exit();
      assert.deepEqual(exit, { code: 0, signal: null }, client.stderr);
      assert.equal(client.stdout, `${lines.join('\n')}\n`);
      assert.equal(client.stderr, '');
    },
  );

  test('exits 1 with one line saying the connection was refused', TIMEOUT, async (t) => {
    const port = await closedPort();
    const client = new Child(t, ['echo-client.mjs', `ws://127.0.0.1:${port}`]);
    client.process.stdin.end('hello\n');
    assert.deepEqual(await client.exit(), { code: 1, signal: null });
    assert.match(client.stderr, /^echo-client: .*connection refused\n$/);
    assert.equal(client.stdout, '');
  });

  test('exits 1 naming the HTTP status when the server does not upgrade', TIMEOUT, async (t) => {
    const { port } = await startExample(t, 'express.mjs'); // no token: 401
    const client = new Child(t, ['echo-client.mjs', `ws://127.0.0.1:${port}/ws`]);
    client.process.stdin.end('hello\n');
    assert.deepEqual(await client.exit(), { code: 1, signal: null });
    assert.match(client.stderr, /^echo-client: .*HTTP 401.*\n$/);
  });
});

describe('examples/http-server.mjs', { concurrency: true }, () => {
  test('GET / still answers next to the WebSocket endpoint on /ws', TIMEOUT, async (t) => {
    const { port } = await startExample(t, 'http-server.mjs');
    assert.deepEqual(await httpGet(port, '/'), { status: 200, body: 'hello' });
    const ws = await open(t, `ws://127.0.0.1:${port}/ws`);
    const messages = ws[Symbol.asyncIterator]();
    assert.equal(await nextMessage(messages), 'welcome');
    await assertEchoes(ws, messages);
    assert.deepEqual(await httpGet(port, '/'), { status: 200, body: 'hello' });
    assert.equal((await httpGet(port, '/elsewhere')).status, 404);
  });

  test('an upgrade to another path is answered 404', TIMEOUT, async (t) => {
    const { port } = await startExample(t, 'http-server.mjs');
    await assertRejected(`ws://127.0.0.1:${port}/elsewhere`, 404);
  });
});

describe('examples/express.mjs', { concurrency: true }, () => {
  test('the Express route answers', TIMEOUT, async (t) => {
    const { port } = await startExample(t, 'express.mjs');
    assert.deepEqual(await httpGet(port, '/'), { status: 200, body: 'hello' });
  });

  test('an upgrade without a valid token is rejected with 401', TIMEOUT, async (t) => {
    const { port } = await startExample(t, 'express.mjs');
    await assertRejected(`ws://127.0.0.1:${port}/ws`, 401);
    await assertRejected(`ws://127.0.0.1:${port}/ws?token=wrong`, 401);
  });

  test('an upgrade with a token is accepted; ws.data holds the user', TIMEOUT, async (t) => {
    const { child, port } = await startExample(t, 'express.mjs');
    const ws = await open(t, `ws://127.0.0.1:${port}/ws?token=alice-token`);
    const messages = ws[Symbol.asyncIterator]();
    ws.send('hi 👋');
    assert.equal(await nextMessage(messages), 'alice: hi 👋');
    ws.send(BINARY);
    assert.deepEqual(await nextMessage(messages), BINARY);
    assert.match((await child.lines(2))[1] ?? '', /^alice connected from /);
  });

  test('an upgrade to another path is answered 404', TIMEOUT, async (t) => {
    const { port } = await startExample(t, 'express.mjs');
    await assertRejected(`ws://127.0.0.1:${port}/elsewhere?token=alice-token`, 404);
  });
});

describe('examples/fastify.mjs', { concurrency: true }, () => {
  test('the Fastify route answers and /ws echoes', TIMEOUT, async (t) => {
    const { port } = await startExample(t, 'fastify.mjs');
    assert.deepEqual(await httpGet(port, '/'), { status: 200, body: 'hello' });
    const ws = await open(t, `ws://127.0.0.1:${port}/ws`);
    await assertEchoes(ws, ws[Symbol.asyncIterator]());
    assert.deepEqual(await httpGet(port, '/'), { status: 200, body: 'hello' });
  });

  test('an upgrade to another path is answered 404', TIMEOUT, async (t) => {
    const { port } = await startExample(t, 'fastify.mjs');
    await assertRejected(`ws://127.0.0.1:${port}/elsewhere`, 404);
  });
});

describe('examples/broadcast-server.mjs', { concurrency: true }, () => {
  test('a message on /broadcast reaches everyone there; other paths echo', TIMEOUT, async (t) => {
    const { port } = await startExample(t, 'broadcast-server.mjs');
    const room = await Promise.all(
      [1, 2, 3].map(() => open(t, `ws://127.0.0.1:${port}/broadcast`)),
    );
    const inboxes = room.map((ws) => ws[Symbol.asyncIterator]());
    const echo = await open(t, `ws://127.0.0.1:${port}/echo`);
    const echoes = echo[Symbol.asyncIterator]();
    // Subscriptions happen in the server's `open`, before the first message can arrive.
    room[0]!.send(TEXT);
    for (const inbox of inboxes) assert.equal(await nextMessage(inbox), TEXT);
    room[2]!.send(BINARY);
    for (const inbox of inboxes) assert.deepEqual(await nextMessage(inbox), BINARY);
    echo.send('only me');
    assert.equal(await nextMessage(echoes), 'only me');
  });

  test('SIGTERM: every client gets 1001, then the process exits 0', TIMEOUT, async (t) => {
    const { child, port } = await startExample(t, 'broadcast-server.mjs');
    const clients = await Promise.all(
      [1, 2].map(() => open(t, `ws://127.0.0.1:${port}/broadcast`)),
    );
    const closes = clients.map((ws) => once(ws, 'close'));
    child.process.kill('SIGTERM');
    for (const [code] of await within(Promise.all(closes), 'the close frames'))
      assert.equal(code, 1001);
    assert.deepEqual(await child.exit(), { code: 0, signal: null });
  });
});

describe('examples/koa.mjs', { concurrency: true }, () => {
  test('Koa routes answer; the login cookie opens /ws as that user', TIMEOUT, async (t) => {
    const { port } = await startExample(t, 'koa.mjs');
    assert.deepEqual(await httpGet(port, '/'), { status: 200, body: 'hello' });
    assert.equal((await httpGet(port, '/login?name=Robert%27);')).status, 400);
    const login = await within(fetch(`http://127.0.0.1:${port}/login?name=ada`), 'GET /login');
    assert.equal(login.status, 200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.equal(cookie, 'user=ada');
    const ws = await within(
      connect(`ws://127.0.0.1:${port}/ws`, { headers: { Cookie: cookie } }),
      'a connection with the cookie',
    );
    t.after(() => ws.terminate());
    const messages = ws[Symbol.asyncIterator]();
    assert.equal(await nextMessage(messages), 'welcome, ada');
    ws.send('你好 👋');
    assert.equal(await nextMessage(messages), 'ada: 你好 👋');
    ws.send(BINARY);
    assert.deepEqual(await nextMessage(messages), BINARY);
  });

  test(
    'an upgrade without the cookie is rejected with 401, another path with 404',
    TIMEOUT,
    async (t) => {
      const { port } = await startExample(t, 'koa.mjs');
      await assertRejected(`ws://127.0.0.1:${port}/ws`, 401);
      await assertRejected(`ws://127.0.0.1:${port}/elsewhere`, 404);
    },
  );
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { connect } from '../../src/client/connect.js';
import {
  defaultShouldReconnect,
  type ReconnectingInfo,
  ReconnectingWebSocket,
  reconnecting,
} from '../../src/client/reconnecting.js';
import {
  ConnectionClosedError,
  ErrorCode,
  HandshakeError,
  UsageError,
} from '../../src/core/errors.js';
import { reject } from '../../src/server/rejection.js';
import { WebSocketServer } from '../../src/server/websocket-server.js';
import { ReadyState, SendStatus } from '../../src/websocket/types.js';
import { type WebSocket, WebSocket as WebSocketClass } from '../../src/websocket/websocket.js';
import { ManualClock } from '../helpers/clock.js';
import { eventually } from '../helpers/eventually.js';
import { next, startServer, within } from '../helpers/net.js';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await next(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Closes the client when the test ends, whatever happened. */
function track(t: TestContext, rws: ReconnectingWebSocket): ReconnectingWebSocket {
  t.after(() => rws.close());
  return rws;
}

/** Collects `reconnecting` events. */
function retries(rws: ReconnectingWebSocket): ReconnectingInfo[] {
  const seen: ReconnectingInfo[] = [];
  rws.on('reconnecting', (info: ReconnectingInfo) => seen.push(info));
  return seen;
}

/** Resolves with the final `close` event's arguments. */
function finalClose(rws: ReconnectingWebSocket, ms = 5000): Promise<[number, string, Error?]> {
  return next(rws, 'close', ms) as Promise<[number, string, Error?]>;
}

/** A chat-like server: 'subscribe' is answered 'subscribed', anything else is echoed. */
function chatServer(port: number, log: string[]): WebSocketServer {
  return new WebSocketServer({
    host: '127.0.0.1',
    port,
    message(ws, data) {
      const text = data.toString();
      log.push(text);
      ws.send(text === 'subscribe' ? 'subscribed' : `echo:${text}`);
    },
  });
}

describe('ReconnectingWebSocket: coming back after the server restarts', () => {
  it('reconnects to a new server on the same port; the hook resumes state; for await spans both', async (t) => {
    const firstLog: string[] = [];
    const first = chatServer(0, firstLog);
    t.after(() => first.close());
    await next(first, 'listening');
    const { port } = first.address() as AddressInfo;

    const rws = track(
      t,
      reconnecting(`ws://127.0.0.1:${port}`, {
        reconnect: { initialDelay: 20, maxDelay: 80, random: () => 0 },
      }),
    );
    // Application state (the subscription) is set up on every connection.
    rws.on('open', (ws: WebSocket) => ws.send('subscribe'));
    rws.on('reconnected', (ws: WebSocket) => ws.send('subscribe'));
    const seen = retries(rws);
    const received: string[] = [];
    const loop = (async () => {
      for await (const message of rws) received.push(message as string);
    })();

    await next(rws, 'open');
    assert.equal(rws.readyState, ReadyState.OPEN);
    await eventually(() => received.includes('subscribed'), 'the first subscription');

    const retrying = next(rws, 'reconnecting');
    await first.close(); // 1001 to the client, and the port is free
    await retrying;
    assert.equal(seen[0]?.code, 1001);
    assert.equal(rws.readyState, ReadyState.CONNECTING);
    assert.equal(rws.send('lost'), SendStatus.DROPPED, 'nothing is queued while disconnected');

    const secondLog: string[] = [];
    const second = chatServer(port, secondLog);
    t.after(() => second.close());
    await next(second, 'listening');
    const [ws] = (await next(rws, 'reconnected', 3000)) as [WebSocket];
    assert.equal(rws.ws, ws);
    assert.equal(rws.send('again'), SendStatus.SUCCESS);
    await eventually(() => received.includes('echo:again'), 'the echo from the second server');

    assert.deepEqual(firstLog, ['subscribe']);
    assert.deepEqual(secondLog, ['subscribe', 'again'], 'resubscribed, and "lost" was not sent');
    assert.deepEqual(received, ['subscribed', 'subscribed', 'echo:again']);
    // While the port was closed, attempts failed with ECONNREFUSED and the delays grew.
    for (const [i, info] of seen.entries()) {
      assert.equal(info.attempt, i + 1);
      assert.equal(info.delay, Math.min(80, 20 * 2 ** i));
    }

    rws.close();
    const [code] = await finalClose(rws);
    assert.equal(code, 1005);
    await within(loop, 2000, 'the for await loop to end cleanly after close()');
    assert.equal(rws.readyState, ReadyState.CLOSED);
  });
});

describe('ReconnectingWebSocket: backoff', () => {
  it('grows by factor, is capped at maxDelay, jitters, and gives up after maxRetries', async (t) => {
    const port = await closedPort();
    const url = `ws://127.0.0.1:${port}`;
    const policy = { initialDelay: 10, factor: 2, maxDelay: 40, maxRetries: 5 };
    const plain = track(t, reconnecting(url, { reconnect: { ...policy, random: () => 0 } }));
    const jittered = track(t, reconnecting(url, { reconnect: { ...policy, random: () => 0.5 } }));
    const plainSeen = retries(plain);
    const jitteredSeen = retries(jittered);
    const failure = (async () => {
      for await (const _ of plain) assert.fail('no message expected');
    })().then(
      () => assert.fail('the loop should throw why it gave up'),
      (error: NodeJS.ErrnoException) => error,
    );

    const [[code, , error], [jitteredCode]] = await Promise.all([
      finalClose(plain),
      finalClose(jittered),
    ]);
    assert.deepEqual(
      plainSeen.map((i) => i.delay),
      [10, 20, 40, 40, 40],
    );
    // jitter 0.5 with random 0.5: three quarters of each delay.
    assert.deepEqual(
      jitteredSeen.map((i) => i.delay),
      [8, 15, 30, 30, 30],
    );
    assert.deepEqual(
      plainSeen.map((i) => i.attempt),
      [1, 2, 3, 4, 5],
    );
    assert.equal((plainSeen[0]!.error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    assert.equal(code, 1006);
    assert.equal(jitteredCode, 1006);
    assert.equal((error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    assert.equal((await failure).code, 'ECONNREFUSED');
  });

  it('keeps backing off against a server that accepts and drops at once (minUptime)', async (t) => {
    let accepted = 0;
    const { url } = await startServer(t, {
      open(ws) {
        accepted++;
        ws.close(1012, 'restarting');
      },
    });
    const rws = track(
      t,
      reconnecting(url, { reconnect: { initialDelay: 10, maxRetries: 3, random: () => 0 } }),
    );
    const seen = retries(rws);
    let reconnected = 0;
    rws.on('reconnected', () => reconnected++);
    const [code, reason] = await finalClose(rws);
    assert.deepEqual(
      seen.map((i) => [i.code, i.delay]),
      [
        [1012, 10],
        [1012, 20],
        [1012, 40],
      ],
    );
    assert.equal(code, 1012, 'the last close is reported once retries are exhausted');
    assert.equal(reason, 'restarting');
    assert.equal(accepted, 4);
    assert.equal(reconnected, 3);
  });
});

describe('ReconnectingWebSocket: when not to reconnect', () => {
  it('stops after a normal 1000 close from the server; the loop ends cleanly', async (t) => {
    let connections = 0;
    const { url } = await startServer(t, {
      open() {
        connections++;
      },
      message(ws) {
        ws.close(1000, 'bye');
      },
    });
    const clock = new ManualClock();
    const rws = track(t, await connect(url, { clock, reconnect: { initialDelay: 10 } }));
    assert.ok(rws instanceof ReconnectingWebSocket);
    const seen = retries(rws);
    const loop = (async () => {
      for await (const _ of rws);
    })();
    rws.send('close me');
    const [code, reason, error] = await finalClose(rws);
    assert.deepEqual([code, reason, error], [1000, 'bye', undefined]);
    await within(loop, 2000, 'the loop to end');
    await clock.advance(60_000); // long past any retry delay
    assert.equal(seen.length, 0);
    assert.equal(connections, 1);
  });

  it('throws from the loop after a 1008 close, which is not retried', async (t) => {
    const { url } = await startServer(t, {
      open(ws) {
        ws.close(1008, 'banned');
      },
    });
    const rws = track(t, reconnecting(url, { reconnect: { initialDelay: 10 } }));
    const seen = retries(rws);
    const loop = (async () => {
      for await (const _ of rws);
    })();
    assert.equal((await finalClose(rws))[0], 1008);
    const error = await loop.then(
      () => assert.fail('expected a ConnectionClosedError'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConnectionClosedError);
    assert.equal(error.received?.code, 1008);
    assert.equal(seen.length, 0);
  });

  it('does not retry a 401; retries a 503 until the server accepts', async (t) => {
    let attempts = 0;
    const { url } = await startServer(t, {
      upgrade(req) {
        attempts++;
        if (req.url.pathname === '/private') return reject(401, 'log in first');
        return attempts < 3 ? reject(503, 'busy') : undefined;
      },
    });
    const error = await connect(`${url}/private`, { reconnect: { initialDelay: 10 } }).then(
      () => assert.fail('expected a 401'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.status, 401);
    assert.equal(attempts, 1);

    const rws = reconnecting(`${url}/public`, { reconnect: { initialDelay: 10, random: () => 0 } });
    track(t, rws);
    const seen = retries(rws);
    await next(rws, 'open');
    assert.deepEqual(
      seen.map((i) => (i.error as HandshakeError).status),
      [503],
    );
    assert.equal(attempts, 3);
  });

  it('close() stops reconnecting, while connected and while waiting to retry', async (t) => {
    let connections = 0;
    const { url } = await startServer(t, {
      open(ws) {
        connections++;
        if (connections === 1) ws.close(1013, 'try again later');
      },
    });
    const clock = new ManualClock();
    const rws = track(
      t,
      reconnecting(url, { clock, reconnect: { initialDelay: 100, random: () => 0 } }),
    );
    const [info] = (await next(rws, 'reconnecting')) as [ReconnectingInfo];
    assert.equal(info.code, 1013);
    rws.close(); // while the retry timer runs
    const [code] = await finalClose(rws);
    assert.equal(code, 1005);
    await clock.advance(60_000);
    assert.equal(connections, 1, 'the scheduled retry did not happen');

    const other = track(t, reconnecting(url, { reconnect: { initialDelay: 10 } }));
    await next(other, 'open');
    const seen = retries(other);
    other.close(1000, 'done'); // while connected
    assert.equal(other.readyState, ReadyState.CLOSING);
    assert.equal((await finalClose(other))[0], 1000);
    assert.equal(seen.length, 0);
    assert.equal(connections, 2);
  });
});

describe('ReconnectingWebSocket: options', () => {
  it('the default policy', () => {
    const retried = (info: Parameters<typeof defaultShouldReconnect>[0]) =>
      defaultShouldReconnect(info);
    for (const code of [1001, 1006, 1011, 1012, 1013, 1014])
      assert.ok(retried({ attempt: 1, code }));
    for (const code of [1000, 1002, 1005, 1008, 4000]) assert.ok(!retried({ attempt: 1, code }));
    const status = (s: number) => new HandshakeError(ErrorCode.UNEXPECTED_STATUS, s, 'x');
    for (const s of [0, 408, 429, 500, 502, 503])
      assert.ok(retried({ attempt: 1, error: status(s) }));
    for (const s of [101, 302, 400, 401, 403, 404, 407]) {
      assert.ok(!retried({ attempt: 1, error: status(s) }), String(s));
    }
    const network = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    assert.ok(retried({ attempt: 1, error: network }));
    assert.ok(!retried({ attempt: 1, error: new UsageError('bad') }));
  });

  it('a shouldReconnect override decides', async (t) => {
    const { url } = await startServer(t, {
      open(ws) {
        ws.close(4000, 'app says later');
      },
    });
    const infos: unknown[] = [];
    const rws = track(
      t,
      reconnecting(url, {
        reconnect: {
          initialDelay: 10,
          shouldReconnect: (info) => {
            infos.push(info);
            return info.code === 4000 && info.attempt < 2;
          },
        },
      }),
    );
    assert.equal((await finalClose(rws))[0], 4000);
    assert.deepEqual(infos, [
      { attempt: 1, code: 4000, reason: 'app says later' },
      { attempt: 2, code: 4000, reason: 'app says later' },
    ]);
  });

  it('refuses invalid options at once', () => {
    assert.throws(() => reconnecting('ftp://x'), /ws: or wss:/);
    assert.throws(
      () => reconnecting('ws://127.0.0.1:1', { reconnect: { factor: 0.5 } }),
      /'factor' must be a number in \[1,/,
    );
    assert.throws(
      () => reconnecting('ws://127.0.0.1:1', { reconnect: { bogus: 1 } as never }),
      /unknown reconnect option 'bogus'/,
    );
  });
});

describe('ReconnectingWebSocket: the process and the handshakes', () => {
  it("forwards each connection's 'upgrade' (response, request, ws), not only the first", async (t) => {
    let opened = 0;
    const { url } = await startServer(t, {
      open(ws) {
        if (++opened === 1) ws.close(1012, 'restart');
      },
    });
    const rws = track(t, reconnecting(url, { reconnect: { initialDelay: 10 } }));
    const seen: number[] = [];
    rws.on('upgrade', (response, request, ws) => {
      seen.push(response.status);
      assert.match(Buffer.from(request).toString('latin1'), /^GET \/ HTTP\/1\.1\r\n/);
      assert.ok(ws instanceof WebSocketClass);
    });
    await next(rws, 'reconnected');
    assert.deepEqual(seen, [101, 101]);
  });

  it('a retry to come keeps the process alive (the backoff timer is not unref’d)', async () => {
    const free = createServer();
    free.listen(0, '127.0.0.1');
    await next(free, 'listening');
    const port = (free.address() as AddressInfo).port;
    free.close(); // nothing listens there now: every attempt is refused
    const entry = new URL('../../dist/index.js', import.meta.url).href;
    const script = `
      const { reconnecting } = await import(${JSON.stringify(entry)});
      const rws = reconnecting('ws://127.0.0.1:${port}/', { reconnect: { initialDelay: 200, maxRetries: 2, random: () => 0 } });
      rws.on('close', (code, reason, error) => console.log('gave up:', error.code ?? error.message));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    const [code] = (await next(child, 'exit', 20_000)) as [number];
    assert.equal(code, 0);
    assert.match(out, /gave up: ECONNREFUSED/, 'it waited through both retries');
  });
});

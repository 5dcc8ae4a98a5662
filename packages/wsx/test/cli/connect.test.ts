/**
 * `wsx connect` when piped, run as a child process against wsx servers: messages both ways,
 * --once, --binary, headers and subprotocols, TLS, a proxy in its own process, and the exit
 * status of each way a connection can end or fail.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { reject } from '../../src/server/rejection.js';
import { eventually } from '../helpers/eventually.js';
import { next, startServer, tlsFixtures } from '../helpers/net.js';
import { connectProxy, FIXTURES, silentPeerServer, wsx } from './helpers.js';

const TIMEOUT = { timeout: 20_000 };

/**
 * An echo server that records each handshake's headers and offered subprotocols. With `closeAfter`
 * (bytes), it closes with 1000 once it has echoed that much: the client (--keep-open) then
 * exits on the server's close, which follows every echo. (Closing at the client's end of input
 * instead can lose the last echo: see the note in 'ends the connection at the end of input'.)
 */
async function echoServer(
  t: TestContext,
  options: Parameters<typeof startServer>[1] & { closeAfter?: number } = {},
) {
  const seen: { headers: Record<string, unknown>; protocols: readonly string[] }[] = [];
  const { closeAfter, ...serverOptions } = options;
  let echoed = 0;
  const started = await startServer(t, {
    maxMessageSize: 1 << 20,
    upgrade(request) {
      seen.push({ headers: { ...request.headers }, protocols: request.protocols });
      return undefined;
    },
    message(ws, data, isBinary) {
      ws.send(data, { binary: isBinary });
      echoed += data.length;
      if (closeAfter !== undefined && echoed >= closeAfter) ws.close(1000);
    },
    ...serverOptions,
  });
  return { ...started, seen };
}

const bytesOf = (text: string): number => Buffer.byteLength(text.replace(/\n/g, ''));

describe('wsx connect, piped', TIMEOUT, () => {
  it('sends each stdin line as a message and prints each reply as a line; exits 0', async (t) => {
    const input = 'hello\n你好 👋\n{"a":[1,2]}\n';
    const { url } = await echoServer(t, { closeAfter: bytesOf(input) });
    const run = await wsx(['connect', '--keep-open', url], { input });
    assert.equal(run.stdout.toString(), input);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /connected to ws:\/\/127\.0\.0\.1:\d+\//);
    assert.match(run.stderr, /closed 1000 \(normal closure\)/);
  });

  it('ends the connection with 1000 at the end of input', async (t) => {
    // The server answers a close frame as soon as it reads it: a message read together with
    // it is not answered (wsx's server drops sends once the peer's close frame is parsed), so
    // this test sends nothing and checks only the close.
    const codes: number[] = [];
    const { url } = await echoServer(t, { close: (_ws, code) => codes.push(code) });
    const run = await wsx(['connect', url], { input: '' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /closed 1000 \(normal closure\)/);
    // The server reports the close once its socket is gone, which may follow the client's exit.
    await eventually(() => codes.length > 0, 'the server to see the close');
    assert.deepEqual(codes, [1000]);
  });

  it('--json pretty-prints JSON messages; --quiet drops the status lines', async (t) => {
    const input = '{"a":[1,2]}\nplain\n';
    const { url } = await echoServer(t, { closeAfter: bytesOf(input) });
    const run = await wsx(['connect', '--json', '--quiet', '--keep-open', url], { input });
    assert.equal(run.stdout.toString(), '{\n  "a": [\n    1,\n    2\n  ]\n}\nplain\n');
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
  });

  it('--once sends the first line, prints the first reply and exits 0', async (t) => {
    const { url } = await startServer(t, {
      message(ws, data) {
        ws.send(`first:${data}`);
        ws.send('second'); // never printed
      },
    });
    const run = await wsx(['connect', '--once', url], { input: 'ping\nnot sent\n' });
    assert.equal(run.stdout.toString(), 'first:ping\n');
    assert.equal(run.code, 0, run.stderr);
  });

  it('--binary round-trips 300 KB of random bytes exactly', async (t) => {
    const { url } = await echoServer(t, { closeAfter: 300_000 });
    const bytes = randomBytes(300_000);
    const run = await wsx(['connect', '--binary', '--quiet', '--keep-open', url], { input: bytes });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.equals(bytes), `got ${run.stdout.length} bytes back`);
  });

  it('--binary --once sends all of stdin as one message', async (t) => {
    const sizes: number[] = [];
    const { url } = await startServer(t, {
      maxMessageSize: 1 << 20,
      message(ws, data) {
        sizes.push(data.length);
        ws.send(data.subarray(0, 4), { binary: true });
      },
    });
    const bytes = randomBytes(200_000);
    const run = await wsx(['connect', '-b', '-1', url], { input: bytes });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(sizes, [200_000]);
    assert.ok(run.stdout.equals(bytes.subarray(0, 4)));
  });

  it('without --binary, a binary message is a line of hex', async (t) => {
    const { url } = await startServer(t, {
      open: (ws) => ws.send(Buffer.from([0, 1, 0xfe, 0xff]), { binary: true }),
    });
    const run = await wsx(['connect', '--once', '--no-input', url]);
    assert.equal(run.stdout.toString(), '0001feff\n');
    assert.match(run.stderr, /binary messages are written as hex lines/);
    assert.equal(run.code, 0);
  });

  it('sends -H headers, --auth, --origin and credentials from the URL', async (t) => {
    const { url, port, seen } = await echoServer(t);
    await wsx([
      'connect',
      '-H',
      'X-Trace: 42',
      '--origin',
      'https://app.test',
      '--auth',
      'ada:pw',
      url,
    ]);
    await wsx(['connect', `ws://bob:s%40cret@127.0.0.1:${port}/`]);
    assert.equal(seen[0]!.headers['x-trace'], '42');
    assert.equal(seen[0]!.headers.origin, 'https://app.test');
    assert.equal(
      seen[0]!.headers.authorization,
      `Basic ${Buffer.from('ada:pw').toString('base64')}`,
    );
    assert.equal(
      seen[1]!.headers.authorization,
      `Basic ${Buffer.from('bob:s@cret').toString('base64')}`,
    );
  });

  it('--show-headers prints the request sent and the 101 received', async (t) => {
    const { url } = await echoServer(t, { protocols: ['chat.v1'] });
    const run = await wsx(['connect', '--show-headers', '-p', 'chat.v1', url]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^> GET \/ HTTP\/1\.1$/m);
    assert.match(run.stderr, /^> Sec-WebSocket-Protocol: chat\.v1$/m);
    assert.match(run.stderr, /^> Sec-WebSocket-Key: \S+$/m);
    assert.match(run.stderr, /^< HTTP\/1\.1 101 Switching Protocols$/m);
    assert.match(run.stderr, /^< Sec-WebSocket-Accept: \S+$/m);
    assert.match(run.stderr, /connected to .* \(subprotocol chat\.v1\)/);
  });

  it('offers -p subprotocols in order; none accepted is a handshake failure (exit 7)', async (t) => {
    const { url, seen } = await echoServer(t, { protocols: ['b'] });
    const agreed = await wsx(['connect', '-p', 'a', '-p', 'b', url]);
    assert.equal(agreed.code, 0, agreed.stderr);
    assert.deepEqual(seen[0]!.protocols, ['a', 'b']);
    const refused = await wsx(['connect', '-p', 'c', url]);
    assert.equal(refused.code, 7);
    assert.match(refused.stderr, /accepted none of the subprotocols offered \(c\)/);
    assert.match(refused.stderr, /hint: offer one the server speaks/);
  });
});

describe('wsx connect: exit status and one-line errors', { timeout: 40_000 }, () => {
  it('0 when the server closes normally', async (t) => {
    const { url } = await startServer(t, { message: (ws) => ws.close(1000, 'done') });
    const run = await wsx(['connect', '--keep-open', url], { input: 'x\n' });
    assert.equal(run.code, 0);
    assert.match(run.stderr, /closed 1000 \(normal closure\) "done"/);
  });

  it('9 when the server closes with an error code', async (t) => {
    const { url } = await startServer(t, { message: (ws) => ws.close(4000, 'go away') });
    const run = await wsx(['connect', '--keep-open', url], { input: 'x\n' });
    assert.equal(run.code, 9);
    assert.match(run.stderr, /closed 4000 \(application code\) "go away"/);
  });

  it('8 when the connection drops without a close frame', async (t) => {
    const { url } = await startServer(t, { message: (ws) => ws.terminate() });
    const run = await wsx(['connect', '--keep-open', url], { input: 'x\n' });
    assert.equal(run.code, 8);
    assert.match(run.stderr, /closed 1006 \(abnormal closure: no close frame\)/);
  });

  it('7 and the status, the body line and a hint when the handshake is refused', async (t) => {
    const { url } = await startServer(t, {
      upgrade: () => reject(401, 'token expired\nmore detail\n', { 'WWW-Authenticate': 'Bearer' }),
    });
    const run = await wsx(['connect', '--show-headers', url]);
    assert.equal(run.code, 7);
    assert.match(
      run.stderr,
      /^wsx: the server answered 401 Unauthorized instead of 101 Switching Protocols: token expired$/m,
    );
    assert.match(run.stderr, /hint: log in: --auth user:password/);
    assert.match(run.stderr, /^< WWW-Authenticate: Bearer$/m);
  });

  it('4 when the connection is refused', async (t) => {
    const port = await closedPort(t);
    const run = await wsx(['connect', `ws://127.0.0.1:${port}`]);
    assert.equal(run.code, 4);
    assert.match(run.stderr, /^wsx: connection refused by 127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/m);
    assert.match(run.stderr, /hint: is the server running/);
  });

  it('3 when the host name does not resolve', async () => {
    // .invalid never resolves (RFC 6761); without a reachable resolver, the lookup may take a
    // resolver timeout (EAI_AGAIN), hence the longer wait.
    const run = await wsx(['connect', 'ws://no-such-host.invalid/'], { ms: 25_000 });
    assert.equal(run.code, 3);
    assert.match(run.stderr, /cannot resolve the host name 'no-such-host\.invalid'/);
  });

  it('2 for invalid arguments, naming them', async () => {
    const unknown = await wsx(['connect', '--nope', 'ws://x']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--nope'\n {2}hint: see 'wsx connect --help'/);
    const header = await wsx(['connect', '-H', 'no colon', 'ws://x']);
    assert.equal(header.code, 2);
    assert.match(header.stderr, /--header must be 'Name: value'/);
    const url = await wsx(['connect', 'ftp://x']);
    assert.equal(url.code, 2);
    const missing = await wsx(['connect']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /a URL is needed/);
  });
});

describe('wsx connect over TLS and through a proxy', TIMEOUT, () => {
  it('trusts --ca, refuses an unknown CA with a hint (exit 5), and --insecure skips the check', async (t) => {
    const { url } = await echoServer(t, {
      tls: { key: tlsFixtures.key, cert: tlsFixtures.cert },
      closeAfter: 1,
    });
    const trusted = await wsx(['connect', '--keep-open', '--ca', `${FIXTURES}ca.crt`, url], {
      input: 'over tls\n',
    });
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.equal(trusted.stdout.toString(), 'over tls\n');
    const untrusted = await wsx(['connect', url], { input: 'x\n' });
    assert.equal(untrusted.code, 5);
    assert.match(untrusted.stderr, /^wsx: TLS: .*\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/m);
    assert.match(
      untrusted.stderr,
      /hint: trust the CA that signed it with --ca <file>, or skip verification with --insecure/,
    );
    const insecure = await wsx(['connect', '--keep-open', '--insecure', url], {
      input: 'anyway\n',
    });
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.equal(insecure.stdout.toString(), 'anyway\n');
  });

  it('wss:// to a server without TLS: exit 5, or 4 when it stays silent, with a hint about the scheme', async (t) => {
    const { url } = await echoServer(t);
    const answered = await wsx(['connect', url.replace('ws:', 'wss:')]);
    assert.equal(answered.code, 5, answered.stderr);
    assert.match(
      answered.stderr,
      /hint: the server does not speak TLS there: use ws:\/\/ rather than wss:\/\//,
    );
    const port = await muteServer(t);
    const run = await wsx(['connect', '--timeout', '300ms', `wss://127.0.0.1:${port}/`]);
    assert.equal(run.code, 4);
    assert.match(run.stderr, /timed out after 300 ms/);
    assert.match(
      run.stderr,
      /hint: no TLS answer: does the server speak TLS there\? \(ws:\/\/ rather than wss:\/\/\)/,
    );
  });

  it('tunnels through a CONNECT proxy process; its refusal is exit 6 with a hint', async (t) => {
    const { url } = await echoServer(t, { closeAfter: 1 });
    const { url: proxyUrl, proxy } = await connectProxy(t, 'ada:pw');
    const withCredentials = proxyUrl.replace('http://', 'http://ada:pw@');
    const tunnelled = await wsx(['connect', '--keep-open', '--proxy', withCredentials, url], {
      input: 'via proxy\n',
    });
    assert.equal(tunnelled.code, 0, tunnelled.stderr);
    assert.equal(tunnelled.stdout.toString(), 'via proxy\n');
    assert.match(proxy.stderr, /^CONNECT 127\.0\.0\.1:\d+ HTTP\/1\.1$/m);
    const refused = await wsx(['connect', '--proxy', proxyUrl, url]);
    assert.equal(refused.code, 6);
    assert.match(refused.stderr, /407/);
    assert.match(
      refused.stderr,
      /hint: the proxy wants credentials: --proxy http:\/\/user:password@host:port/,
    );
    const fromEnvironment = await wsx(
      ['connect', '--keep-open', url.replace('127.0.0.1', 'echo.test')],
      {
        input: 'env\n',
        env: { HTTP_PROXY: withCredentials },
      },
    );
    assert.equal(fromEnvironment.code, 0, fromEnvironment.stderr);
    assert.equal(proxy.stderr.match(/^CONNECT /gm)?.length, 3);
  });
});

/** A port nothing listens on: one a server just released. */
async function closedPort(t: TestContext): Promise<number> {
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await next(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  t.diagnostic(`port ${port} is closed`);
  return port;
}

describe('wsx connect: connection options', TIMEOUT, () => {
  it('--reconnect comes back after a drop, and ends on a normal close', async (t) => {
    let connections = 0;
    const { url } = await startServer(t, {
      open(ws) {
        if (++connections === 1) return ws.terminate();
        ws.send(`connection ${connections}`);
        ws.close(1000);
      },
    });
    const reconnected = await wsx(['connect', '--reconnect', '--no-input', url]);
    assert.equal(reconnected.code, 0, reconnected.stderr);
    assert.equal(reconnected.stdout.toString(), 'connection 2\n');
    assert.match(reconnected.stderr, /closed 1006 .*; reconnecting in \d\.\d s \(attempt 1\)/);
    assert.match(reconnected.stderr, /reconnected to ws:/);
  });

  it('--ping-interval drops a server that does not answer pings (exit 8)', async (t) => {
    const port = await silentPeerServer(t);
    const run = await wsx([
      'connect',
      '--no-input',
      '--ping-interval',
      '200ms',
      `ws://127.0.0.1:${port}/`,
    ]);
    assert.equal(run.code, 8);
    assert.match(run.stderr, /closed 1006/);
  });

  it('--max-payload closes with 1009 on a larger message (exit 8)', async (t) => {
    const { url } = await startServer(t, { open: (ws) => ws.send('x'.repeat(2048)) });
    const run = await wsx(['connect', '--no-input', '--max-payload', '1KiB', url]);
    assert.equal(run.code, 8);
    assert.match(run.stderr, /the peer broke the protocol: .*\(closed with 1009\)/);
  });

  it('--follow-redirects follows a 307; without it the Location is in the hint', async (t) => {
    const { url } = await startServer(t, {
      upgrade: (request) =>
        request.path === '/old' ? reject(307, '', { Location: '/new' }) : undefined,
      open: (ws) => ws.close(1000, ws.url),
    });
    const followed = await wsx(['connect', '-L', '--no-input', `${url}/old`]);
    assert.equal(followed.code, 0, followed.stderr);
    const refused = await wsx(['connect', '--no-input', `${url}/old`]);
    assert.equal(refused.code, 7);
    assert.match(
      refused.stderr,
      /hint: it redirects to \/new: connect there, or pass --follow-redirects/,
    );
  });

  it('offers permessage-deflate unless --no-compression', async (t) => {
    const { url, seen } = await echoServer(t);
    await wsx(['connect', url]);
    await wsx(['connect', '--no-compression', url]);
    assert.match(String(seen[0]!.headers['sec-websocket-extensions']), /permessage-deflate/);
    assert.equal(seen[1]!.headers['sec-websocket-extensions'], undefined);
  });
});

/** Accepts connections and never sends a byte (no TLS answer, no HTTP answer). */
async function muteServer(t: TestContext): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await next(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

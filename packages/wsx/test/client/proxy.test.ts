import assert from 'node:assert/strict';
import {
  type AddressInfo,
  createServer as createNetServer,
  connect as netConnect,
  type Server,
  type Socket,
} from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { targetOf } from '../../src/client/client-url.js';
import { connect } from '../../src/client/connect.js';
import { bypassesProxy, parseProxyUrl, selectProxy } from '../../src/client/proxy.js';
import type { HandshakeError } from '../../src/core/errors.js';
import { next, startServer, tlsFixtures } from '../helpers/net.js';

interface ProxyRequest {
  readonly method: string;
  readonly target: string;
  readonly host: string | undefined;
  readonly authorization: string | undefined;
}

interface TestProxy {
  readonly url: string;
  readonly port: number;
  /** Every request the proxy received. */
  readonly seen: ProxyRequest[];
  /** Drops every connection, tunnels included. */
  drop(): void;
}

/**
 * A CONNECT proxy on 127.0.0.1:0: reads the request head, answers 407 unless the expected
 * `Proxy-Authorization` came (when `credentials` is set), then connects to the target (localhost
 * is 127.0.0.1) and pipes both ways. With `tls`, clients speak TLS to the proxy itself.
 */
async function startProxy(
  t: TestContext,
  options: { credentials?: string; tls?: boolean; silent?: boolean; hangUp?: boolean } = {},
): Promise<TestProxy> {
  const seen: ProxyRequest[] = [];
  const sockets = new Set<Socket>();
  const expected =
    options.credentials === undefined
      ? undefined
      : `Basic ${Buffer.from(options.credentials).toString('base64')}`;
  const onClient = (client: Socket): void => {
    sockets.add(client);
    client.on('error', () => {});
    if (options.hangUp) return void client.destroy();
    let received = Buffer.alloc(0);
    client.on('data', function onData(chunk: Buffer) {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      client.pause();
      const [requestLine = '', ...lines] = received
        .subarray(0, end)
        .toString('latin1')
        .split('\r\n');
      const headers = new Map(
        lines.map((l) => [
          l.slice(0, l.indexOf(':')).toLowerCase(),
          l.slice(l.indexOf(':') + 1).trim(),
        ]),
      );
      const [method = '', target = ''] = requestLine.split(' ');
      seen.push({
        method,
        target,
        host: headers.get('host'),
        authorization: headers.get('proxy-authorization'),
      });
      if (options.silent) return;
      if (method !== 'CONNECT') return void client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
      if (expected !== undefined && headers.get('proxy-authorization') !== expected) {
        return void client.end(
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n',
        );
      }
      const colon = target.lastIndexOf(':');
      const host = target.slice(0, colon).replace(/^\[|\]$/g, '');
      const upstream = netConnect({
        // localhost and *.test names resolve here, so env-proxied tests need no loopback target.
        host: host === 'localhost' || host.endsWith('.test') ? '127.0.0.1' : host,
        port: Number(target.slice(colon + 1)),
      });
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('connect', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(received.subarray(end + 4));
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    });
  };
  const server: Server = options.tls
    ? createTlsServer({ cert: tlsFixtures.cert, key: tlsFixtures.key }, onClient)
    : createNetServer(onClient);
  server.listen(0, '127.0.0.1');
  await next(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const drop = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  return { url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`, port, seen, drop };
}

/** An echo server that records the Host header of each upgrade. */
async function echoServer(t: TestContext, tls = false) {
  const hosts: (string | undefined)[] = [];
  /** The TLS server name (SNI) each secure client sent. */
  const servernames: unknown[] = [];
  const started = await startServer(t, {
    ...(tls ? { tls: { cert: tlsFixtures.cert, key: tlsFixtures.key } } : {}),
    upgrade(req) {
      hosts.push(req.req.headers.host);
      if (tls) servernames.push((req.req.socket as TLSSocket).servername);
      return undefined;
    },
    message(ws, data) {
      ws.send(`echo:${data}`);
    },
  });
  return { ...started, hosts, servernames };
}

async function echoes(url: string, options: Parameters<typeof connect>[1] = {}): Promise<void> {
  const ws = await connect(url, options);
  ws.send('hi');
  const [data] = await next(ws, 'message');
  assert.equal(String(data), 'echo:hi');
  ws.close();
}

async function failure(promise: Promise<unknown>): Promise<HandshakeError> {
  return (await promise.then(
    () => assert.fail('expected the connection to fail'),
    (e: unknown) => e,
  )) as HandshakeError;
}

const PROXY_VARIABLES = [
  'http_proxy',
  'HTTP_PROXY',
  'https_proxy',
  'HTTPS_PROXY',
  'no_proxy',
  'NO_PROXY',
  'REQUEST_METHOD',
];

/** Sets proxy variables for this test only (the others cleared), restored when it ends. */
function setEnvironment(t: TestContext, values: Record<string, string>): void {
  const saved = PROXY_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const name of PROXY_VARIABLES) delete process.env[name];
  Object.assign(process.env, values);
  t.after(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

describe('client through an HTTP proxy (CONNECT)', () => {
  it('tunnels ws: through the proxy option, with Basic credentials from the URL', async (t) => {
    setEnvironment(t, {});
    const proxy = await startProxy(t, { credentials: 'user:p@ss word' });
    const server = await echoServer(t);
    await echoes(server.url, { proxy: `http://user:p%40ss%20word@127.0.0.1:${proxy.port}` });
    const authority = `127.0.0.1:${server.port}`;
    assert.deepEqual(proxy.seen, [
      {
        method: 'CONNECT',
        target: authority,
        host: authority,
        authorization: `Basic ${Buffer.from('user:p@ss word').toString('base64')}`,
      },
    ]);
    assert.deepEqual(server.hosts, [authority]);
  });

  it('reports 407 as proxy authentication required, with or without credentials', async (t) => {
    setEnvironment(t, {});
    const proxy = await startProxy(t, { credentials: 'user:secret' });
    const server = await echoServer(t);
    const missing = await failure(connect(server.url, { proxy: proxy.url }));
    assert.equal(missing.code, 'WSX_ERR_PROXY_FAILED');
    assert.equal(missing.status, 407);
    assert.match(
      missing.message,
      /'407 Proxy Authentication Required': proxy authentication required \(put user:pass@/,
    );
    const wrong = await failure(
      connect(server.url, { proxy: `http://user:guess@127.0.0.1:${proxy.port}` }),
    );
    assert.equal(wrong.status, 407);
    assert.match(wrong.message, /credentials were refused/);
    assert.doesNotMatch(wrong.message, /guess/, 'the password stays out of messages');
    assert.deepEqual(server.hosts, []);
  });

  it('tunnels wss: with TLS to the server over the tunnel (SNI and certificate for its name)', async (t) => {
    setEnvironment(t, {});
    const proxy = await startProxy(t);
    const server = await echoServer(t, true);
    // The proxy resolves localhost; the certificate is checked against "localhost".
    await echoes(`wss://localhost:${server.port}`, { proxy: proxy.url, ca: tlsFixtures.ca });
    assert.equal(proxy.seen[0]?.target, `localhost:${server.port}`);
    assert.deepEqual(server.hosts, [`localhost:${server.port}`]);
    assert.deepEqual(server.servernames, ['localhost']);
  });

  it('a tunnel the proxy drops closes the connection with 1006 (ws: and wss:)', async (t) => {
    setEnvironment(t, {});
    const proxy = await startProxy(t);
    const plain = await echoServer(t);
    const secure = await echoServer(t, true);
    const ws = await connect(plain.url, { proxy: proxy.url });
    const wss = await connect(secure.url, { proxy: proxy.url, ca: tlsFixtures.ca });
    const closed = Promise.all([next(ws, 'close'), next(wss, 'close')]);
    proxy.drop();
    const [[plainCode], [secureCode]] = await closed;
    assert.equal(plainCode, 1006);
    assert.equal(secureCode, 1006);
  });

  it('speaks TLS to an https: proxy, for ws: and wss: targets', async (t) => {
    setEnvironment(t, {});
    const proxy = await startProxy(t, { tls: true });
    const server = await echoServer(t);
    const secure = await echoServer(t, true);
    await echoes(server.url, { proxy: proxy.url, ca: tlsFixtures.ca });
    await echoes(secure.url, { proxy: proxy.url, ca: tlsFixtures.ca }); // TLS inside TLS
    assert.equal(proxy.seen.length, 2);
  });

  it('fails with the proxy named when it hangs up, and times out when it never answers', async (t) => {
    setEnvironment(t, {});
    const hangUp = await startProxy(t, { hangUp: true });
    const silent = await startProxy(t, { silent: true });
    const server = await echoServer(t);
    const closed = await failure(connect(server.url, { proxy: hangUp.url }));
    assert.equal(closed.code, 'WSX_ERR_PROXY_FAILED');
    assert.equal(closed.status, 0);
    assert.match(closed.message, /the proxy closed the connection before the tunnel was open/);
    const timedOut = await failure(
      connect(server.url, { proxy: silent.url, handshakeTimeout: 150 }),
    );
    assert.equal(timedOut.code, 'WSX_ERR_HANDSHAKE_TIMEOUT');
    assert.match(
      timedOut.message,
      /waiting for the proxy http:\/\/127\.0\.0\.1:\d+ to answer CONNECT/,
    );
  });
});

describe('client proxy from the environment', () => {
  it('ws: uses HTTP_PROXY, wss: uses HTTPS_PROXY', async (t) => {
    const plain = await startProxy(t);
    const secure = await startProxy(t);
    setEnvironment(t, { HTTP_PROXY: plain.url, HTTPS_PROXY: `127.0.0.1:${secure.port}` });
    const ws = await echoServer(t);
    const wss = await echoServer(t, true);
    // Loopback targets skip environment proxies: these use a name only the proxy resolves.
    await echoes(`ws://wsx.test:${ws.port}`);
    await echoes(`wss://wsx.test:${wss.port}`, { ca: tlsFixtures.ca, servername: 'localhost' });
    assert.deepEqual(
      plain.seen.map((r) => r.target),
      [`wsx.test:${ws.port}`],
    );
    assert.deepEqual(
      secure.seen.map((r) => r.target),
      [`wsx.test:${wss.port}`],
    );
  });

  it('never sends loopback targets to an environment proxy', async (t) => {
    const proxy = await startProxy(t);
    const server = await echoServer(t);
    setEnvironment(t, { HTTP_PROXY: proxy.url });
    await echoes(server.url);
    await echoes(`ws://localhost:${server.port}`);
    assert.equal(proxy.seen.length, 0);
  });

  it('lower-case names win; NO_PROXY and proxy: false go direct', async (t) => {
    const lower = await startProxy(t);
    const upper = await startProxy(t);
    const server = await echoServer(t);
    setEnvironment(t, { http_proxy: lower.url, HTTP_PROXY: upper.url, NO_PROXY: 'example.com' });
    const url = `ws://wsx.test:${server.port}`;
    await echoes(url);
    assert.equal(lower.seen.length, 1);
    assert.equal(upper.seen.length, 0);
    // Direct, wsx.test does not resolve: the connection fails (however DNS fails here).
    await assert.rejects(echoes(url, { proxy: false, handshakeTimeout: 1000 }));
    process.env.NO_PROXY = `example.com, wsx.test:${server.port}`;
    await assert.rejects(echoes(url, { handshakeTimeout: 1000 }));
    assert.equal(lower.seen.length, 1, 'NO_PROXY and proxy: false bypassed the proxy');
    assert.equal(server.hosts.length, 1);
  });

  it('ignores HTTP_PROXY under CGI (REQUEST_METHOD set: httpoxy)', async (t) => {
    const proxy = await startProxy(t);
    const server = await echoServer(t);
    setEnvironment(t, { HTTP_PROXY: proxy.url, REQUEST_METHOD: 'GET' });
    await assert.rejects(echoes(`ws://wsx.test:${server.port}`, { handshakeTimeout: 1000 }));
    assert.equal(proxy.seen.length, 0);
  });
});

describe('proxy selection rules', () => {
  it('NO_PROXY matching', () => {
    const cases: [host: string, port: number, noProxy: string, bypass: boolean][] = [
      ['example.com', 443, 'example.com', true],
      ['api.example.com', 443, 'example.com', true],
      ['api.example.com', 443, '.example.com', true],
      ['example.com', 443, '.example.com', true],
      ['api.example.com', 443, '*.example.com', true],
      ['badexample.com', 443, 'example.com', false],
      ['example.com', 443, 'example.com:8443', false],
      ['example.com', 8443, 'other.org example.com:8443', true],
      ['EXAMPLE.com', 80, 'Example.COM', true],
      ['anything', 80, '*', true],
      ['127.0.0.1', 80, 'localhost', false],
      ['127.0.0.1', 80, '127.0.0.1', true],
      ['10.0.0.1', 80, '110.0.0.1', false],
      ['::1', 80, '[::1]', true],
      ['::1', 80, '::1', true],
      ['::1', 80, '[::1]:81', false],
      ['example.com', 80, '', false],
      ['example.com', 80, ' , ,', false],
    ];
    for (const [host, port, noProxy, bypass] of cases) {
      assert.equal(bypassesProxy(host, port, noProxy), bypass, `${host}:${port} vs '${noProxy}'`);
    }
  });

  it('parses proxy URLs and selects per scheme', async () => {
    const proxy = parseProxyUrl('https://u:p@proxy.example', 'test');
    assert.deepEqual(
      { ...proxy },
      {
        secure: true,
        host: 'proxy.example',
        port: 443,
        authorization: 'Basic dTpw',
        display: 'https://proxy.example',
      },
    );
    assert.equal(
      parseProxyUrl('proxy.local:3128', 'HTTP_PROXY').display,
      'http://proxy.local:3128',
    );
    assert.throws(
      () => parseProxyUrl('socks5://proxy:1080', 'ALL_PROXY'),
      /ALL_PROXY: a proxy URL is http: or https:/,
    );
    const ws = targetOf(new URL('ws://example.com/x'));
    const unix = targetOf(new URL('ws+unix:/tmp/s.sock:/x'));
    const env = { HTTPS_PROXY: 'http://secure:1', HTTP_PROXY: 'http://plain:2', NO_PROXY: '' };
    assert.equal(selectProxy(undefined, ws, env)?.host, 'plain');
    assert.equal(
      selectProxy(undefined, targetOf(new URL('wss://example.com')), env)?.host,
      'secure',
    );
    assert.equal(selectProxy(undefined, unix, env), null, 'Unix sockets never use a proxy');
    assert.equal(selectProxy(false, ws, env), null);
    assert.equal(
      selectProxy(proxy, ws, { ...env, NO_PROXY: '*' }),
      proxy,
      'an explicit proxy ignores NO_PROXY',
    );
    assert.equal(selectProxy(undefined, ws, { ...env, NO_PROXY: '*' }), null);
    await assert.rejects(
      connect('ws://x', { proxy: 'ftp://p' }),
      /the 'proxy' option: a proxy URL is http: or https:/,
    );
  });
});

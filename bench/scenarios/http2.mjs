// WebSockets over HTTP/2 (RFC 8441) against the same WebSockets over HTTP/1.1, both served by
// wsx in one run: the HTTP/1.1 side opens a TCP connection per WebSocket, the HTTP/2 side puts
// 100 WebSockets on each cleartext (h2c) session, as a browser puts a page's sockets on the
// connection it already has. Cleartext on both sides, so the figures compare the protocols, not
// TLS (with TLS, HTTP/1.1 also pays a TLS handshake per WebSocket). Ratios are to HTTP/1.1.
import { runJob } from '../lib/processes.mjs';
import { window } from './echo.mjs';
import { idleMemory } from './memory.mjs';

/** The two ways to carry a WebSocket: one wsx server each, the second with `http2: true`. */
const VARIANTS = {
  servers: ['wsx', 'wsx-h2'],
  serverOf: { 'wsx-h2': 'wsx' },
  config: { 'wsx-h2': { http2: true } },
  labels: {
    wsx: 'wsx, HTTP/1.1 (a connection per WebSocket)',
    'wsx-h2': 'wsx, HTTP/2 (100 WebSockets per session)',
  },
  baseline: 'wsx',
};

const isHttp2 = (variant) => variant.config?.http2 === true;

export const h2Handshakes = {
  id: 'h2-handshakes',
  title: 'Handshakes, HTTP/2 against HTTP/1.1',
  what:
    '100 concurrent loops of open, close frame, closed. HTTP/1.1: a TCP connection, the ' +
    'Upgrade and the 101 each time. HTTP/2: a stream of one session, the extended CONNECT ' +
    'and the 200 each time.',
  ...VARIANTS,
  params: (quick) => ({ concurrency: 100, ...window(quick) }),
  async run({ server, params, pin, variant }) {
    const mode = isHttp2(variant) ? 'h2handshakes' : 'handshakes';
    const r = await runJob(
      { mode, port: server.port, serverPid: server.pid, ...params },
      pin,
      server,
    );
    if (r.failed > 0) r.error = `${r.failed} failed: ${r.lastError}`;
    return { ...r, capacity: 1e6 / r.cpuUsPerHandshake };
  },
  metrics: [
    { key: 'handshakesPerSec', label: 'handshakes/s', better: 'higher', digits: 0 },
    { key: 'cpuUsPerHandshake', label: 'server CPU µs/handshake', better: 'lower', digits: 1 },
    { key: 'capacity', label: 'per server CPU-second', better: 'higher', digits: 0 },
  ],
  headline: 'capacity',
};

export const h2Memory = {
  id: 'h2-memory',
  title: 'Idle memory per WebSocket, HTTP/2 against HTTP/1.1',
  what:
    'RSS growth per idle WebSocket at 5,000 WebSockets: 5,000 TCP connections, or 50 HTTP/2 ' +
    'sessions of 100 streams.',
  ...VARIANTS,
  params: (quick) => ({ conns: quick ? 200 : 5_000, quick }),
  run: (ctx) =>
    idleMemory(ctx, ctx.params.conns, {
      deflate: false,
      exchange: null,
      ...(isHttp2(ctx.variant) ? { http2: true } : {}),
    }),
  metrics: [
    { key: 'kibPerConn', label: 'KiB/WebSocket', better: 'lower', digits: 2 },
    {
      key: 'heapKibPerConn',
      label: 'JS heap + external KiB/WebSocket',
      better: 'lower',
      digits: 2,
    },
    { key: 'rssAfterMiB', label: 'RSS MiB', better: 'lower', digits: 1 },
  ],
  headline: 'kibPerConn',
};

function echoOverHttp2(id, title, what, payload, depth) {
  return {
    id,
    title,
    what,
    ...VARIANTS,
    params: (quick) => ({ conns: 100, depth, ...window(quick) }),
    async run({ server, params, pin, variant }) {
      const job = { mode: 'echo', port: server.port, serverPid: server.pid, payload, ...params };
      const r = await runJob({ ...job, http2: isHttp2(variant) }, pin, server);
      if (r.mismatched > 0 || r.closedByServer.length > 0) {
        r.error = `${r.mismatched} wrong echoes; server closed with ${r.closedByServer.join(', ') || 'none'}`;
      }
      return r;
    },
    metrics: [
      { key: 'msgsPerSec', label: 'msg/s', better: 'higher', digits: 0 },
      { key: 'mbPerSec', label: 'MB/s', better: 'higher', digits: 1 },
      { key: 'cpuUsPerMsg', label: 'server CPU µs/msg', better: 'lower', digits: 2 },
    ],
    headline: 'cpuUsPerMsg',
  };
}

export const h2Echo64 = echoOverHttp2(
  'h2-echo-64',
  'Echo over HTTP/2, 64 B text',
  '100 WebSockets (100 connections, or 100 streams of one session), each keeping 32 messages in flight.',
  { kind: 'text', size: 64 },
  32,
);

export const h2Echo16k = echoOverHttp2(
  'h2-echo-16k',
  'Echo over HTTP/2, 16 KiB binary',
  '100 WebSockets (100 connections, or 100 streams of one session), each keeping 4 messages in flight.',
  { kind: 'binary', size: 16 * 1024 },
  4,
);

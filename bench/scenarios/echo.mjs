// Echo scenarios: 64 B text and 16 KiB binary (100 connections, pipelined), round-trip latency
// (one connection, one message in flight), and ~16 KiB JSON with permessage-deflate.
import { runJob } from '../lib/processes.mjs';

const PLAIN = ['wsx', 'ws', 'ws-addons', 'bun'];

/** Seconds of warm-up and of measurement. */
export function window(quick) {
  return quick ? { warmup: 0.1, window: 0.3 } : { warmup: 1, window: 3 };
}

/** One echo measurement against the started server; wrong echoes or closes are errors. */
function echoRun(job) {
  return async ({ server, params, pin }) => {
    const r = await runJob(
      { mode: 'echo', port: server.port, serverPid: server.pid, ...job, ...params },
      pin,
      server,
    );
    if (r.mismatched > 0 || r.closedByServer.length > 0) {
      r.error = `${r.mismatched} wrong echoes; server closed with ${r.closedByServer.join(', ') || 'none'}`;
    }
    return r;
  };
}

const throughputMetrics = [
  { key: 'msgsPerSec', label: 'msg/s', better: 'higher', digits: 0 },
  { key: 'mbPerSec', label: 'MB/s', better: 'higher', digits: 1 },
  { key: 'cpuUsPerMsg', label: 'server CPU µs/msg', better: 'lower', digits: 2 },
];

export const echo64 = {
  id: 'echo-64',
  title: 'Echo, 64 B text',
  what: '100 connections, each keeping 32 messages in flight; echoes per second and the server CPU time per echo.',
  servers: PLAIN,
  params: (quick) => ({ conns: 100, depth: 32, ...window(quick) }),
  run: echoRun({ payload: { kind: 'text', size: 64 } }),
  metrics: throughputMetrics,
  headline: 'cpuUsPerMsg',
  target: { ratio: '<=', value: 0.2, text: 'CPU/msg ≤ 1/5 of ws + add-ons' },
};

export const echo16k = {
  id: 'echo-16k',
  title: 'Echo, 16 KiB binary',
  what: '100 connections, each keeping 4 messages in flight; payload MB/s echoed and server CPU time per echo.',
  servers: PLAIN,
  params: (quick) => ({ conns: 100, depth: 4, ...window(quick) }),
  run: echoRun({ payload: { kind: 'binary', size: 16 * 1024 } }),
  metrics: throughputMetrics,
  headline: 'mbPerSec',
  target: { ratio: '>=', value: 1, text: 'MB/s ≥ 1.0x ws + add-ons' },
};

export const latency = {
  id: 'latency',
  title: 'Round trip, 64 B text, one message in flight',
  what: 'One connection; each echo is timed from write to the end of the read that completes it.',
  servers: PLAIN,
  params: (quick) => ({ conns: 1, depth: 1, timing: true, ...window(quick) }),
  run: echoRun({ payload: { kind: 'text', size: 64 } }),
  metrics: [
    { key: 'p50Us', label: 'p50 µs', better: 'lower', digits: 1 },
    { key: 'p99Us', label: 'p99 µs', better: 'lower', digits: 1 },
    { key: 'cpuUsPerMsg', label: 'server CPU µs/msg', better: 'lower', digits: 2 },
  ],
  headline: 'p50Us',
};

/**
 * wsx both ways; ws with perMessageDeflate: true (context takeover, windows 15, level 6), and ws
 * without context takeover either way: the same settings as wsx's shared default, so each wsx
 * mode has a ws counterpart agreeing the same parameters.
 */
export const DEFLATE_CONFIGS = {
  wsx: { deflate: true },
  'wsx-dedicated': { deflate: { compressor: 'dedicated', decompressor: 'dedicated' } },
  ws: { deflate: true },
  'ws-addons': { deflate: true },
  'ws-addons-shared': {
    deflate: { serverNoContextTakeover: true, clientNoContextTakeover: true },
  },
  bun: { deflate: true },
};

/** The servers of the compression scenarios: which process each runs, and its label. */
export const DEFLATE_VARIANTS = {
  servers: Object.keys(DEFLATE_CONFIGS),
  config: DEFLATE_CONFIGS,
  serverOf: { 'ws-addons-shared': 'ws-addons' },
  labels: {
    wsx: 'wsx (shared)',
    'ws-addons-shared': 'ws + add-ons, no context takeover (= wsx shared)',
  },
};

export const deflateEcho = {
  id: 'deflate-echo',
  title: 'Echo, ~16 KiB JSON, permessage-deflate',
  what:
    '100 connections, 2 in flight each, cycling through 8 different chat-history documents; ' +
    'the client compresses as negotiated (context takeover when allowed), level 6, windows 15; ' +
    'connection 0 inflates and checks every echo.',
  ...DEFLATE_VARIANTS,
  params: (quick) => ({ conns: 100, depth: 2, deflate: true, ...window(quick) }),
  run: echoRun({ payload: { kind: 'json', docs: 8 } }),
  metrics: throughputMetrics,
  headline: 'msgsPerSec',
  target: { ratio: '>=', value: 1.5, text: 'msg/s ≥ 1.5x ws + add-ons' },
};

/** 17 MiB: room for the attacker's messages, which inflate to just under 16 MiB. */
const ATTACK_LIMIT = 17 * 1024 * 1024;

export const inflateAttack = {
  id: 'inflate-attack',
  title: "Other clients' latency while one sends compression bombs",
  what:
    '20 connections keep one 64 B text message in flight each and time every round trip, while ' +
    'one other connection sends ~16 KB permessage-deflate messages that inflate to just under ' +
    '16 MiB, 15 a second (~250 KB/s); the server takes those and answers nothing. Shared ' +
    'compressors, 17 MiB message limit. Before, wsx inflated each such message at once (~100 ms ' +
    'of zlib holding every other client); now at most 256 KiB per connection per turn.',
  servers: ['wsx', 'ws-addons'],
  config: {
    wsx: { deflate: true, maxMessageSize: ATTACK_LIMIT },
    'ws-addons': {
      deflate: { serverNoContextTakeover: true, clientNoContextTakeover: true },
      maxMessageSize: ATTACK_LIMIT,
    },
  },
  params: (quick) => ({
    conns: 20,
    bombSize: 16 * 1024 * 1024 - 1,
    bombsPerSec: 15,
    ...(quick ? { warmup: 0.3, window: 1 } : { warmup: 1, window: 5 }),
  }),
  run: async ({ server, params, pin }) => {
    const r = await runJob(
      { mode: 'inflate-attack', port: server.port, serverPid: server.pid, ...params },
      pin,
      server,
    );
    if (r.closedByServer.length > 0)
      r.error = `server closed victims with ${r.closedByServer.join(', ')}`;
    return r;
  },
  metrics: [
    { key: 'p50Ms', label: 'victims p50 ms', better: 'lower', digits: 2 },
    { key: 'p99Ms', label: 'victims p99 ms', better: 'lower', digits: 2 },
    { key: 'maxMs', label: 'victims max ms', better: 'lower', digits: 1 },
    { key: 'bombsPerSec', label: 'bombs/s inflated', better: 'higher', digits: 1 },
  ],
  headline: 'p99Ms',
};

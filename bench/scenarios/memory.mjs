// Idle memory per connection: the server's RSS (VmRSS) grown by N idle connections, after a
// full GC on both readings, divided by N. Before the baseline reading, 400 connections come and
// go doing the same exchange (two of its batches of 200), so code loaded on first use, pools,
// and the heap that the exchange's garbage makes V8 grow (and keep) are not counted per
// connection.
//
// Idle means idle: a burst of arrivals makes V8 grow its young generation (up to 2 x 16 MiB of
// pages, empty after the GC), and V8 gives those pages back at the first full GC once the
// process has allocated little for about five seconds. So each reading is taken twice: right
// after a full GC ("just after the burst", with how much of it was the young generation), and
// then again at a full GC once the young generation is back under 2 MiB (polled every second,
// 8 s at most; Bun has no such generation and is read once): the headline.
//
// More than 15,000 connections are spread over several load processes (each under the fd
// limit), the second and later from 127.0.0.2, .3, ... (each source address has its own
// ephemeral ports).

import { rssKiB } from '../lib/proc.mjs';
import { fdLimit, startWorker } from '../lib/processes.mjs';
import { DEFLATE_VARIANTS } from './echo.mjs';

const PER_WORKER = 15_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens `conns` idle connections over as many workers as needed; resolves their 'ready's. */
async function openIdle(server, pin, conns, job) {
  const count = Math.ceil(conns / PER_WORKER);
  const workers = Array.from({ length: count }, (_, i) =>
    startWorker(
      {
        mode: 'hold',
        port: server.port,
        conns: Math.floor(conns / count) + (i < conns % count ? 1 : 0),
        // A second source address only when needed: bind() before connect() cannot reuse
        // ports in TIME_WAIT, connect() alone can (tcp_tw_reuse on loopback).
        localAddress: i === 0 ? undefined : `127.0.0.${1 + i}`,
        ...job,
      },
      pin,
    ),
  );
  const ready = await Promise.all(workers.map((w) => w.next('ready')));
  return { workers, ready };
}

async function closeIdle({ workers }) {
  for (const w of workers) w.release();
  await Promise.all(workers.map((w) => w.next('result')));
}

/**
 * Memory after the dust settles, twice: `burst` right after a full GC (a pause, the GC, a shorter
 * pause), then `idle` once V8 has given its young generation back (see the top of this file).
 * Each { rss, heap, young } in KiB: VmRSS; the JS heap in use plus external memory (Buffers,
 * zlib's JS-visible allocations) right after the GC, exact for what JavaScript retains, blind to
 * native allocations (Bun's sockets, zlib's state), while RSS sees everything but moves in pages
 * and keeps what V8 and malloc do not give back; young = V8's young generation (null in Bun).
 */
async function settled(server, quick) {
  await sleep(quick ? 50 : 300);
  const burst = await reading(server, quick);
  let idle = burst;
  for (let polls = 0; idle.young !== null && idle.young > IDLE_YOUNG_KIB && polls < 8; polls++) {
    await sleep(1000);
    idle = await reading(server, quick);
  }
  return { burst, idle };
}

/** Where an idle Node process's young generation settles (1 to 1.3 MiB here), with margin. */
const IDLE_YOUNG_KIB = 2048;

/** A full GC, then the readings. */
async function reading(server, quick) {
  const usage = await server.gc();
  await sleep(quick ? 20 : 200);
  return {
    rss: rssKiB(server.pid),
    heap: ((usage.heapUsed ?? 0) + (usage.external ?? 0)) / 1024,
    young: usage.young === undefined ? null : usage.young / 1024,
  };
}

/** One idle-memory reading; `job` = { deflate, exchange } for the hold workers. */
export async function idleMemory({ server, pin, params }, conns, job) {
  const quick = params.quick === true;
  await closeIdle(await openIdle(server, pin, quick ? 20 : 400, job)); // warm-up, see above
  const before = await settled(server, quick);
  const idle = await openIdle(server, pin, conns, job);
  const after = await settled(server, quick);
  await server.stop(); // the server closes first: TIME_WAIT on its side, not on our ports
  await closeIdle(idle);
  const connected = idle.ready.reduce((sum, r) => sum + r.connected, 0);
  const perConn = (key, when) => {
    const [a, b] = [after[when][key], before[when][key]];
    return a === null || b === null ? null : (a - b) / connected;
  };
  const sample = {
    kibPerConn: perConn('rss', 'idle'),
    burstKibPerConn: perConn('rss', 'burst'),
    burstYoungKibPerConn: perConn('young', 'burst'),
    idleYoungKibPerConn: perConn('young', 'idle'),
    heapKibPerConn: perConn('heap', 'idle'),
    rssBeforeMiB: before.idle.rss / 1024,
    rssAfterMiB: after.idle.rss / 1024,
    connected,
    verified: idle.ready.reduce((sum, r) => sum + r.verified, 0),
    mismatched: idle.ready.reduce((sum, r) => sum + r.mismatched, 0),
    extensions: idle.ready[0].extensions,
  };
  const ratios = idle.ready.map((r) => r.ratio).filter((r) => r !== null);
  if (ratios.length > 0) sample.ratio = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  const closed = idle.ready.reduce((sum, r) => sum + r.closedByServer, 0);
  if (connected < conns || closed > 0 || sample.mismatched > 0) {
    sample.error = `${connected}/${conns} connected, ${closed} closed by the server, ${sample.mismatched} mismatched`;
  }
  return sample;
}

const kib = { key: 'kibPerConn', label: 'KiB/connection', better: 'lower', digits: 2 };
const burst = {
  key: 'burstKibPerConn',
  label: 'KiB/connection just after the burst',
  better: 'lower',
  digits: 2,
};
const young = {
  key: 'burstYoungKibPerConn',
  label: 'of which V8 young generation KiB/conn',
  better: 'lower',
  digits: 2,
};
const rss = { key: 'rssAfterMiB', label: 'RSS MiB', better: 'lower', digits: 1 };
const heap = {
  key: 'heapKibPerConn',
  label: 'JS heap + external KiB/conn',
  better: 'lower',
  digits: 2,
};

function memoryScenario(conns, quickConns, extra) {
  const label = conns.toLocaleString('en-US');
  return {
    id: `memory-${conns / 1000}k`,
    title: `Idle memory, ${label} connections`,
    what: `RSS growth per idle connection at ${label} connections (no messages exchanged).`,
    servers: ['wsx', 'ws', 'ws-addons', 'bun', 'floor'],
    params: (quick) => ({ conns: quick ? quickConns : conns, quick }),
    skip: () => fdSkip(conns), // the full count, so --quick says what a full run would skip
    run: (ctx) => idleMemory(ctx, ctx.params.conns, { deflate: false, exchange: null }),
    metrics: [kib, burst, young, heap, rss],
    headline: 'kibPerConn',
    ...extra,
  };
}

/** A server holds one fd per connection: skip what the fd limit cannot hold, saying why. */
function fdSkip(conns) {
  const limit = fdLimit();
  if (conns + 100 <= limit) return null;
  return `${conns.toLocaleString('en-US')} connections need as many fds in the server; the hard limit here is ${limit} (ulimit -Hn), and raising it needs CAP_SYS_RESOURCE`;
}

export const memory10k = memoryScenario(10_000, 300, {
  target: { floor: 0.5, text: 'within 0.5 KiB of the Node floor' },
});
export const memory50k = memoryScenario(50_000, 300);

function deflateMemoryScenario(conns, quickConns) {
  const label = conns.toLocaleString('en-US');
  return {
    id: `deflate-memory-${conns / 1000}k`,
    title: `Idle memory with permessage-deflate, ${label} connections`,
    what: `RSS growth per connection at ${label} connections that each exchanged one compressed ~16 KiB JSON message (so the codecs exist), then idle.`,
    ...DEFLATE_VARIANTS,
    params: (quick) => ({ conns: quick ? quickConns : conns, quick }),
    skip: () => fdSkip(conns),
    run: (ctx) => idleMemory(ctx, ctx.params.conns, { deflate: true, exchange: { kind: 'doc' } }),
    metrics: [kib, burst, young, heap, rss],
    headline: 'kibPerConn',
  };
}

export const deflateMemory1k = deflateMemoryScenario(1_000, 100);
export const deflateMemory10k = deflateMemoryScenario(10_000, 300);

/** wsx's compression settings, as in Python websockets' table: memory and ratio for each. */
const SETTINGS = [
  { id: 'none', label: 'no compression', config: { deflate: false } },
  { id: 'shared', label: 'shared / shared', config: { deflate: { threshold: 0 } } },
  ...[
    [15, 8],
    [12, 5],
    [10, 1],
  ].map(([bits, memLevel]) => ({
    id: `dedicated-${bits}-${memLevel}`,
    label: `dedicated / dedicated, windows ${bits}, memLevel ${memLevel}`,
    config: {
      deflate: {
        compressor: 'dedicated',
        decompressor: 'dedicated',
        serverMaxWindowBits: bits,
        clientMaxWindowBits: bits,
        memLevel,
        threshold: 0,
      },
    },
  })),
];

export const deflateTable = {
  id: 'deflate-settings',
  title: 'wsx compression settings: memory and ratio',
  what:
    '2,000 connections each send the same 50 JSON chat messages (80-600 B) and get them back; ' +
    'threshold 0 so every message is compressed. Ratio = the messages’ size / what the ' +
    'server sent (compressed payloads); memory = RSS growth per connection, then idle.',
  variants: SETTINGS.map((s) => ({ id: s.id, server: 'wsx', label: s.label, config: s.config })),
  baseline: 'none',
  // 2,000 rather than 1,000: RSS readings scatter by a few MiB, i.e. KiB per connection here.
  params: (quick) => ({ conns: quick ? 50 : 2_000, messages: 50, quick }),
  run: (ctx) =>
    idleMemory(ctx, ctx.params.conns, {
      deflate: ctx.variant.config.deflate !== false,
      exchange: { kind: 'chat', count: ctx.params.messages },
    }),
  metrics: [
    kib,
    burst,
    young,
    heap,
    { key: 'ratio', label: 'compression ratio', better: 'higher', digits: 2 },
  ],
  headline: 'kibPerConn',
};

// Echo load: `conns` connections to `/`, each keeping `depth` messages in flight (a new message
// goes out for each echo that comes back, written per read as one buffer), measured over a
// window after a warm-up. depth 1 on one connection is the round-trip latency test: every
// round trip is timed. Connection 0 checks that what comes back is what was sent (inflating it
// when compressed).
import { binary, historyDocuments, smallText } from '../lib/payloads.mjs';
import { cpuWindow } from '../lib/proc.mjs';
import { percentile } from '../lib/stats.mjs';
import { Client, sleep } from './client.mjs';
import { cyclicFrames, MessageInflater, parseAgreement } from './deflate.mjs';
import { clientFrame, OP_BINARY, OP_TEXT, repeated } from './frames.mjs';
import { openManyH2 } from './h2.mjs';
import { DEFLATE_OFFER, openMany } from './handshake.mjs';

/** The messages a connection sends, cyclically, and their frames (see deflate.mjs). */
async function messagesFor(job, agreement) {
  const { kind, size } = job.payload;
  if (kind === 'json') {
    const docs = historyDocuments(job.payload.docs ?? 8);
    if (agreement === null) {
      const frames = docs.map((d) => clientFrame(OP_TEXT, d));
      return { messages: docs, first: frames, steady: frames };
    }
    return { messages: docs, ...(await cyclicFrames(docs, agreement)) };
  }
  const payload = kind === 'text' ? smallText(size) : binary(size);
  const frame = clientFrame(kind === 'text' ? OP_TEXT : OP_BINARY, payload);
  return { messages: [payload], first: [frame], steady: [frame] };
}

export async function echo(job) {
  const opened = await (job.http2 ? openManyH2 : openMany)(job.conns, () => ({
    port: job.port,
    path: '/',
    extensions: job.deflate ? DEFLATE_OFFER : undefined,
  }));
  const agreement = parseAgreement(opened[0].extensions);
  if (job.deflate && agreement === null) throw new Error('the server did not agree to compress');
  if (opened.some((o) => o.extensions !== opened[0].extensions)) {
    throw new Error('connections agreed different extensions');
  }
  const { messages, first, steady } = await messagesFor(job, agreement);
  const cycle = messages.length;
  const single = cycle === 1 ? repeated(first[0], job.depth) : null; // one write for k frames
  const frameBytes = first[0].length;
  const inflater = agreement === null ? null : new MessageInflater(agreement);
  const check = { verified: 0, mismatched: 0 };
  let total = 0; // echoes received, all connections
  let samples = null; // round-trip times (ns) when timing
  let sentAt = 0n;
  let running = true;

  function send(conn, k) {
    if (!running || k === 0) return;
    if (samples !== null) sentAt = process.hrtime.bigint(); // depth 1: one message in flight
    if (single !== null) conn.socket.write(single.subarray(0, k * frameBytes));
    else {
      conn.socket.cork();
      for (let i = 0; i < k; i++, conn.sent++) {
        conn.socket.write(conn.sent < cycle ? first[conn.sent] : steady[conn.sent % cycle]);
      }
      conn.socket.uncork();
      return;
    }
    conn.sent += k;
  }

  function verify(conn, compressed, payload) {
    const expected = messages[(conn.received - 1) % cycle];
    const done = (got) => (got.equals(expected) ? check.verified++ : check.mismatched++);
    if (inflater === null) done(payload);
    else inflater.inflate(payload, compressed).then(done, () => check.mismatched++);
  }

  const clients = opened.map(
    (o, i) =>
      new Client(o, {
        capture: i === 0 ? Number.POSITIVE_INFINITY : 0,
        onMessage(conn, compressed, payload) {
          total++;
          if (samples !== null && sentAt !== 0n) {
            samples.push(Number(process.hrtime.bigint() - sentAt));
          }
          if (payload !== null) verify(conn, compressed, payload);
        },
      }),
  );
  for (const c of clients) {
    c.listen((conn) => send(conn, conn.received + job.depth - conn.sent));
  }
  for (const c of clients) send(c, job.depth);

  await sleep(job.warmup * 1000);
  if (job.timing) samples = []; // from the next round trip on
  const start = total;
  const meter = cpuWindow(job.serverPid);
  await sleep(job.window * 1000);
  const cpu = meter();
  const count = total - start;
  running = false;
  const latency = samples === null ? null : latencyOf(samples);
  samples = null;
  const closed = clients.filter((c) => c.closeCode !== null).map((c) => c.closeCode);
  return {
    ...cpu,
    messages: count,
    msgsPerSec: count / cpu.seconds,
    mbPerSec: (count * messages[0].length) / cpu.seconds / 1e6,
    cpuUsPerMsg: cpu.serverCpuUs / count,
    ...latency,
    extensions: opened[0].extensions,
    ...check,
    closedByServer: closed,
  };
}

/** p50 / p99 / mean of round trips in µs. */
function latencyOf(samples) {
  const sorted = Float64Array.from(samples).sort();
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return {
    samples: sorted.length,
    p50Us: percentile(sorted, 50) / 1e3,
    p99Us: percentile(sorted, 99) / 1e3,
    meanUs: mean / 1e3,
  };
}

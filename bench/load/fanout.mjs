// Fan-out load: `subs` connections on `/broadcast`; connection 0 also publishes. A message is
// complete when every subscriber has it; the publisher keeps `inflight` messages incomplete at
// most (closed loop), and the latency phase keeps one, timing publish -> last receipt.
//
// Counting must cost the load generator far less than delivering costs the server, or a fast
// server would measure us. Every message is the same 66-byte frame (81 40 + 64 bytes), so a
// subscriber counts bytes and checks the header byte at each frame boundary; the first thing
// that is not such a frame (a ping from the server) switches that connection to the general
// FrameReader from that boundary on.
import { cpuWindow } from '../lib/proc.mjs';
import { percentile } from '../lib/stats.mjs';
import { sleep } from './client.mjs';
import { clientFrame, FrameReader, OP_PING, OP_PONG, OP_TEXT, repeated } from './frames.mjs';
import { openMany } from './handshake.mjs';

const PAYLOAD = Buffer.from(
  '{"type":"chat","room":"#general","user":"ada","text":"hello all"}'.padEnd(64).slice(0, 64),
);
const SERVER_FRAME = 2 + PAYLOAD.length; // 0x81 0x40 + payload
const CLIENT_FRAME = clientFrame(OP_TEXT, PAYLOAD); // masked: 2 + 4 + 64 bytes
const RING = 1 << 12; // completions are tracked per message index modulo RING

export async function fanout(job) {
  const opened = await openMany(job.subs, () => ({ port: job.port, path: '/broadcast' }));
  if (job.inflight > RING / 2) throw new Error(`inflight is at most ${RING / 2}`);
  const frames = repeated(CLIENT_FRAME, job.inflight);
  const reached = new Uint32Array(RING); // subscribers that have message i
  const sentAt = new Array(RING).fill(0n);
  const state = { sent: 0, completed: 0, deliveries: 0, inflight: job.inflight, odd: 0 };
  let samples = null;

  function complete(index) {
    reached[index & (RING - 1)] = 0;
    state.completed++;
    if (samples !== null)
      samples.push(Number(process.hrtime.bigint() - sentAt[index & (RING - 1)]));
  }

  function delivered(sub, count) {
    state.deliveries += count;
    for (let i = 0; i < count; i++, sub.received++) {
      if (++reached[sub.received & (RING - 1)] === job.subs) complete(sub.received);
    }
  }

  function publish() {
    const k = state.inflight - (state.sent - state.completed);
    if (k <= 0) return;
    const now = process.hrtime.bigint();
    for (let i = 0; i < k; i++) sentAt[(state.sent + i) & (RING - 1)] = now;
    subs[0].socket.write(frames.subarray(0, k * CLIENT_FRAME.length));
    state.sent += k;
  }

  const subs = opened.map((o) => {
    const sub = { socket: o.socket, received: 0, partial: 0, reader: null };
    o.socket.on('error', () => {});
    const consume = (chunk) => {
      const before = state.completed;
      if (sub.reader !== null) sub.reader.push(chunk);
      else countFixed(sub, chunk);
      if (state.completed !== before) publish();
    };
    for (const chunk of [o.rest, ...o.socket.queued]) consume(chunk);
    o.socket.consumer = consume;
    return sub;
  });

  /** Counts whole 66-byte frames; on anything else, hands over to a FrameReader. */
  function countFixed(sub, chunk) {
    const length = chunk.length;
    let at = sub.partial === 0 ? 0 : SERVER_FRAME - sub.partial;
    if (at > length) {
      sub.partial += length;
      return;
    }
    let count = sub.partial === 0 ? 0 : 1;
    for (; at < length; at += SERVER_FRAME) {
      if (chunk[at] !== 0x81 || (at + 1 < length && chunk[at + 1] !== PAYLOAD.length)) {
        delivered(sub, count);
        return general(sub, chunk.subarray(at));
      }
      if (at + SERVER_FRAME <= length) count++;
    }
    sub.partial = (length - (at - SERVER_FRAME)) % SERVER_FRAME;
    delivered(sub, count);
  }

  function general(sub, rest) {
    state.odd++;
    sub.reader = new FrameReader((opcode, _rsv1, length, captured, fin) => {
      if (opcode === OP_PING) sub.socket.write(clientFrame(OP_PONG, captured));
      else if (opcode < 8 && fin && length === PAYLOAD.length) delivered(sub, 1);
    });
    sub.partial = 0;
    sub.reader.push(rest);
  }

  // Subscriptions happen when each connection opens; give the server a moment to finish them.
  await sleep(300);
  publish();
  await waitFor(
    () => state.completed > 0,
    10_000,
    () => stalled(subs, state),
  );

  await sleep(job.warmup * 1000);
  let start = { ...state };
  let meter = cpuWindow(job.serverPid);
  await sleep(job.window * 1000);
  const cpu = meter();
  const deliveries = state.deliveries - start.deliveries;
  const throughput = {
    ...cpu,
    deliveries,
    deliveriesPerSec: deliveries / cpu.seconds,
    msgsPerSec: (state.completed - start.completed) / cpu.seconds,
    cpuUsPerDelivery: cpu.serverCpuUs / deliveries,
  };

  // Latency: drain, then one message at a time.
  state.inflight = 0;
  await waitFor(
    () => state.completed === state.sent,
    30_000,
    () => stalled(subs, state),
  );
  state.inflight = 1;
  samples = [];
  start = { ...state };
  meter = cpuWindow(job.serverPid);
  publish();
  await waitFor(() => samples.length >= job.latencySamples, job.latencyWindow * 1000, null);
  state.inflight = 0;
  const latencyCpu = meter();
  const sorted = Float64Array.from(samples).sort();
  samples = null;
  await waitFor(
    () => state.completed === state.sent,
    30_000,
    () => stalled(subs, state),
  );
  return {
    ...throughput,
    latencySamples: sorted.length,
    p50Us: percentile(sorted, 50) / 1e3,
    p99Us: percentile(sorted, 99) / 1e3,
    // Who was busy while one message at a time went out (the server's writes, or our reads).
    latencyServerCpuPct: latencyCpu.serverCpuPct,
    latencyLoadCpuPct: latencyCpu.loadCpuPct,
    otherFrames: state.odd,
  };
}

function stalled(subs, state) {
  const behind = subs.filter((s) => s.received < state.sent).length;
  return new Error(
    `fan-out stalled: ${behind} of ${subs.length} subscribers lack messages (sent ${state.sent}, complete ${state.completed})`,
  );
}

/** Resolves when `condition()` holds; after `ms`, rejects with `onTimeout()` (or resolves). */
async function waitFor(condition, ms, onTimeout) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) {
      if (onTimeout === null) return;
      throw onTimeout();
    }
    await sleep(2);
  }
}

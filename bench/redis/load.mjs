#!/usr/bin/env node
// Load generator of the cross-process benchmark (a child of run.mjs, over IPC). It connects
// `subs` subscribers to every server process and one publisher to the first, then runs one of:
//
// - throughput: closed loop, at most `inflight` messages not yet received by every subscriber;
//   deliveries/s, and the servers' CPU over the window (deliveries per server CPU-second).
// - rate: `rate` messages/s for `window` seconds, paced every millisecond; publish-to-receipt
//   latency of every receipt, split into the publisher's own process ("local") and the others
//   ("cross-process"), and whether every message arrived.
//
// A message is 64 bytes of text: `seq (10 digits)|send time in µs (16 digits)|` and padding,
// so a receipt costs a slice and two Number() calls, wsx or Socket.IO alike.
import { io } from 'socket.io-client';
import { connect } from 'wsx';
import { cpuWindow } from '../lib/proc.mjs';
import { percentile } from '../lib/stats.mjs';

const RING = 1 << 16;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const nowUs = () => Math.round(performance.now() * 1000);

function payload(seq) {
  return `${String(seq).padStart(10, '0')}|${String(nowUs()).padStart(16, '0')}|`.padEnd(64, '.');
}

/** Connects one client of `system`; `onMessage(text)` for each message. Resolves when open. */
async function client(system, port, role, onMessage) {
  if (system === 'wsx') {
    const ws = await connect(`ws://127.0.0.1:${port}/${role === 'pub' ? 'pub' : ''}`);
    ws.on('message', (data) => onMessage(data.toString('latin1', 0, 27)));
    return { send: (text) => ws.send(text), close: () => ws.terminate() };
  }
  const socket = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    query: role === 'pub' ? { role } : {},
    reconnection: false,
  });
  socket.on('m', (text) => onMessage(text));
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return { send: (text) => socket.emit('m', text), close: () => socket.disconnect() };
}

async function run(job) {
  const total = job.ports.length * job.subs;
  const reached = new Uint32Array(RING);
  const state = { sent: 0, completed: 0, deliveries: 0 };
  const samples = { local: [], cross: [], on: false };
  let onComplete = () => {};

  const receipt = (processIndex) => (text) => {
    const seq = Number(text.slice(0, 10));
    state.deliveries++;
    if (samples.on) {
      const latency = nowUs() - Number(text.slice(11, 27));
      (processIndex === 0 ? samples.local : samples.cross).push(latency);
    }
    if (++reached[seq & (RING - 1)] === total) {
      reached[seq & (RING - 1)] = 0;
      state.completed++;
      onComplete();
    }
  };
  const subscribers = [];
  for (const [p, port] of job.ports.entries()) {
    for (let i = 0; i < job.subs; i++) {
      subscribers.push(await client(job.system, port, 'sub', receipt(p)));
    }
  }
  const publisher = await client(job.system, job.ports[0], 'pub', () => {});
  await sleep(500); // subscriptions reach Redis

  const meters = () => {
    const servers = job.serverPids.map((pid) => cpuWindow(pid));
    const redis = cpuWindow(job.redisPid);
    return () => {
      const windows = servers.map((stop) => stop());
      const r = redis();
      return {
        seconds: windows[0].seconds,
        serverCpuUs: windows.reduce((sum, w) => sum + w.serverCpuUs, 0),
        // Per process: the publisher's (the first) and the others'.
        firstCpuUs: windows[0].serverCpuUs,
        othersCpuUs:
          windows.slice(1).reduce((sum, w) => sum + w.serverCpuUs, 0) /
          Math.max(1, windows.length - 1),
        redisCpuPct: r.serverCpuPct,
        loadCpuPct: windows[0].loadCpuPct,
        otherCpuPct: r.otherCpuPct - windows.reduce((s, w) => s + w.serverCpuPct, 0),
        stealPct: r.stealPct,
      };
    };
  };

  let result;
  if (job.mode === 'throughput') {
    const publish = () => {
      while (state.sent - state.completed < job.inflight) publisher.send(payload(state.sent++));
    };
    onComplete = publish;
    publish();
    await sleep(job.warmup * 1000);
    const start = { ...state };
    const stop = meters();
    await sleep(job.window * 1000);
    const cpu = stop();
    const deliveries = state.deliveries - start.deliveries;
    result = {
      ...cpu,
      deliveriesPerSec: deliveries / cpu.seconds,
      msgsPerSec: (state.completed - start.completed) / cpu.seconds,
      deliveriesPerCpuSec: deliveries / (cpu.serverCpuUs / 1e6),
    };
    onComplete = () => {};
  } else {
    const started = performance.now();
    const stop = meters();
    samples.on = true;
    const due = () => Math.floor(((performance.now() - started) / 1000) * job.rate);
    while (performance.now() - started < job.window * 1000) {
      const target = due();
      while (state.sent < target) publisher.send(payload(state.sent++));
      await sleep(1);
    }
    const cpu = stop();
    const sent = state.sent;
    // Wait for the stragglers (bounded), then compare what arrived with what was sent.
    const deadline = performance.now() + 5000;
    while (state.completed < sent && performance.now() < deadline) await sleep(10);
    samples.on = false;
    const sorted = (list) => Float64Array.from(list).sort();
    const local = sorted(samples.local);
    const cross = sorted(samples.cross);
    result = {
      ...cpu,
      msgsPerSec: sent / cpu.seconds,
      sent,
      complete: state.completed,
      missing: sent - state.completed,
      localP50Us: percentile(local, 50),
      localP99Us: percentile(local, 99),
      crossP50Us: percentile(cross, 50),
      crossP99Us: percentile(cross, 99),
      crossSamples: cross.length,
    };
  }
  publisher.close();
  for (const s of subscribers) s.close();
  return result;
}

process.once('message', (job) => {
  run(job).then(
    (result) => process.send({ type: 'result', result }, () => process.exit(0)),
    (error) => process.send({ type: 'error', message: error.stack }, () => process.exit(1)),
  );
});

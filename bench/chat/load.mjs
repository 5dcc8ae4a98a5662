// A load-generator process (pinned to the load core by run.mjs). It receives a job over IPC,
// opens its users' connections, then on 'go' sends at a fixed total rate (open loop: latency
// counts from the scheduled time, so a server that falls behind shows it) or at full speed (a
// window of messages in flight per user), and reports acks, deliveries and ack latencies
// measured inside the window.
import { RawClient } from './raw-client.mjs';

const TEXT = 'bench 你好 a message about the size of a chat line, with some words — 0123456789 🙂';
/** At most this many latencies are kept (evenly sampled), so a long run has a bounded report. */
const MAX_SAMPLES = 200_000;

let job;
const clients = [];
const stats = { acks: 0, deliveries: 0, errors: 0, sent: 0, firstError: null };
const latencies = [];
let seen = 0;
let inWindow = () => false;

process.on('message', (message) => {
  if (message.type === 'job')
    start(message).catch((error) =>
      process.send({ type: 'error', message: String(error?.stack ?? error) }),
    );
  if (message.type === 'go') go(message);
  if (message.type === 'stop') {
    for (const c of clients) c.close();
    process.exit(0);
  }
});

async function start(message) {
  job = message;
  const batch = 50; // connections opened at once
  for (let i = 0; i < job.users.length; i += batch) {
    const opened = job.users.slice(i, i + batch).map((user) => openUser(user));
    clients.push(...(await Promise.all(opened)));
  }
  process.send({ type: 'ready', connected: clients.length });
}

async function openUser(user) {
  const sent = new Map();
  const client = new RawClient(job.kind, job.port, user.token, {
    onDelivery() {
      if (inWindow(performance.now())) stats.deliveries++;
    },
    onAck(id) {
      const at = sent.get(id);
      sent.delete(id);
      const now = performance.now();
      if (at !== undefined && inWindow(at)) {
        stats.acks++;
        record(now - at);
      }
      client.afterAck?.();
    },
    onError(text) {
      stats.errors++;
      stats.firstError ??= text.slice(0, 200);
    },
  });
  client.room = user.room;
  client.sentAt = sent;
  await client.open();
  return client;
}

function record(ms) {
  seen++;
  if (latencies.length < MAX_SAMPLES) latencies.push(ms);
  else {
    const slot = Math.floor(Math.random() * seen);
    if (slot < MAX_SAMPLES) latencies[slot] = ms; // reservoir sampling
  }
}

function send(client, at) {
  const id = client.sendMessage(client.room, TEXT);
  client.sentAt.set(id, at);
  stats.sent++;
}

function go({ warmupMs, measureMs }) {
  const t0 = performance.now();
  const from = t0 + warmupMs;
  const to = from + measureMs;
  inWindow = (t) => t >= from && t < to;
  if (job.mode === 'full') fullSpeed(to);
  else openLoop(t0, to);
  setTimeout(
    () => {
      const sorted = Float64Array.from(latencies).sort();
      process.send({ type: 'result', ...stats, latencies: Array.from(sorted) });
    },
    warmupMs + measureMs + 1500,
  );
}

function fullSpeed(to) {
  for (const client of clients) {
    client.afterAck = () => {
      if (performance.now() < to) send(client, performance.now());
    };
    for (let i = 0; i < job.window; i++) send(client, performance.now());
  }
}

function openLoop(t0, to) {
  const perMs = job.rate / 1000;
  let due = 0;
  let next = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    if (now >= to) return clearInterval(timer);
    const target = Math.floor((now - t0) * perMs);
    for (; due < target; due++) send(clients[next++ % clients.length], t0 + due / perMs);
  }, 1);
}

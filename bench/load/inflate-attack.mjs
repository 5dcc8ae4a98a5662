// Other clients' latency while one connection sends compression bombs (issue: decompression must
// not hog the event loop). `conns` victims on `/` keep one 64 B text message in flight each and
// time every round trip; one attacker on `/sink` sends a permessage-deflate message of ~16 KB
// that inflates to just under `bombSize` every `1000 / bombsPerSec` ms (the server takes it and
// answers nothing). Reported: the victims' round-trip p50 / p99 / max.
import { smallText } from '../lib/payloads.mjs';
import { cpuWindow } from '../lib/proc.mjs';
import { percentile } from '../lib/stats.mjs';
import { Client, sleep } from './client.mjs';
import { compressAll, parseAgreement } from './deflate.mjs';
import { clientFrame, OP_BINARY, OP_TEXT } from './frames.mjs';
import { DEFLATE_OFFER, openMany, openWebSocket } from './handshake.mjs';

export async function inflateAttack(job) {
  const victims = await openMany(job.conns, () => ({
    port: job.port,
    path: '/',
    extensions: DEFLATE_OFFER,
  }));
  const attacker = await openWebSocket({
    port: job.port,
    path: '/sink',
    extensions: DEFLATE_OFFER,
  });
  const agreement = parseAgreement(attacker.extensions);
  if (agreement === null) throw new Error('the server did not agree to compress');
  // Zeros inflate best: 16 MiB of them compress to ~16 KB.
  const [payload] = await compressAll([Buffer.alloc(job.bombSize)], {
    ...agreement,
    clientNoContextTakeover: true,
  });
  const bomb = clientFrame(OP_BINARY, payload, true);
  const message = clientFrame(OP_TEXT, smallText(64));
  const samples = [];
  let running = true;
  let measuring = false;
  const sentAt = new Map();
  const clients = victims.map(
    (o) =>
      new Client(o, {
        onMessage(conn) {
          const t0 = sentAt.get(conn);
          if (measuring && t0 !== undefined) samples.push(Number(process.hrtime.bigint() - t0));
          if (!running) return;
          sentAt.set(conn, process.hrtime.bigint());
          conn.socket.write(message);
        },
      }),
  );
  for (const c of clients) {
    c.listen();
    sentAt.set(c, process.hrtime.bigint());
    c.socket.write(message);
  }
  const attackerSocket = attacker.socket;
  attackerSocket.on('error', () => {});
  attackerSocket.consumer = () => {}; // the sink answers nothing but pings (ignored here)
  let bombs = 0;
  const timer = setInterval(() => {
    attackerSocket.write(bomb);
    bombs++;
  }, 1000 / job.bombsPerSec);
  await sleep(job.warmup * 1000);
  measuring = true;
  const meter = cpuWindow(job.serverPid);
  const bombsBefore = bombs;
  await sleep(job.window * 1000);
  const cpu = meter();
  measuring = false;
  running = false;
  clearInterval(timer);
  const sorted = Float64Array.from(samples).sort();
  const closed = clients.filter((c) => c.closeCode !== null).map((c) => c.closeCode);
  return {
    ...cpu,
    samples: sorted.length,
    bombsPerSec: (bombs - bombsBefore) / cpu.seconds,
    bombBytes: bomb.length,
    p50Ms: percentile(sorted, 50) / 1e6,
    p99Ms: percentile(sorted, 99) / 1e6,
    maxMs: (sorted.at(-1) ?? 0) / 1e6,
    closedByServer: closed,
  };
}

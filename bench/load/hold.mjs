// Idle connections for a memory reading: open `conns` connections (from `localAddress`, so
// several processes can each stay under the fd limit), optionally exchange messages on each
// (compressed when agreed, so the server's codecs exist), report `ready`, and hold them idle
// until the runner says `release`.
//   exchange: null | { kind: 'doc' } (one ~16 KiB JSON document)
//           | { kind: 'chat', count } (a sample of chat messages, for compression ratios)
import { chatMessages, historyDocuments } from '../lib/payloads.mjs';
import { Client, destroyAll, sleep } from './client.mjs';
import { compressAll, MessageInflater, parseAgreement } from './deflate.mjs';
import { clientFrame, OP_TEXT } from './frames.mjs';
import { openManyH2 } from './h2.mjs';
import { DEFLATE_OFFER, openMany } from './handshake.mjs';

export async function hold(job, send) {
  const opened = await (job.http2 ? openManyH2 : openMany)(job.conns, () => ({
    port: job.port,
    path: '/',
    localAddress: job.localAddress,
    extensions: job.deflate ? DEFLATE_OFFER : undefined,
  }));
  const agreement = parseAgreement(opened[0]?.extensions ?? '');
  if (job.deflate && agreement === null) throw new Error('the server did not agree to compress');
  const messages = exchangeMessages(job.exchange);
  const check = { verified: 0, mismatched: 0 };
  const inflater = agreement === null ? null : new MessageInflater(agreement);
  const clients = opened.map(
    (o, i) =>
      new Client(o, {
        capture: i === 0 ? Number.POSITIVE_INFINITY : 0,
        onMessage(conn, compressed, payload) {
          if (payload === null) return;
          const expected = messages[conn.received - 1];
          const done = (got) => (got.equals(expected) ? check.verified++ : check.mismatched++);
          if (inflater === null) done(payload);
          else inflater.inflate(payload, compressed).then(done, () => check.mismatched++);
        },
      }),
  );
  for (const c of clients) c.listen();

  let wire = 0;
  if (messages.length > 0) {
    const payloads = agreement === null ? messages : await compressAll(messages, agreement);
    const frames = Buffer.concat(payloads.map((p) => clientFrame(OP_TEXT, p, agreement !== null)));
    // At most 200 connections exchanging at once: a burst of 10,000 would measure queues.
    for (let at = 0; at < clients.length; at += 200) {
      const batch = clients.slice(at, at + 200);
      for (const c of batch) c.socket.write(frames);
      await until(() => batch.every((c) => c.received >= messages.length || c.closeCode !== null));
    }
    wire = clients.reduce((sum, c) => sum + c.reader.wirePayloadBytes, 0);
  }
  await sleep(100);
  const original = messages.reduce((sum, m) => sum + m.length, 0) * clients.length;
  send({
    type: 'ready',
    connected: clients.length,
    extensions: opened[0]?.extensions ?? '',
    closedByServer: clients.filter((c) => c.closeCode !== null).length,
    // What the server sent, compressed, against the messages' own size.
    ratio: wire > 0 ? original / wire : null,
    ...check,
  });
  await new Promise((resolve) => process.on('message', (m) => m.cmd === 'release' && resolve()));
  destroyAll(clients);
  inflater?.close();
  return { released: clients.length };
}

function exchangeMessages(exchange) {
  if (exchange == null) return [];
  if (exchange.kind === 'doc') return historyDocuments(1);
  return chatMessages(exchange.count).map((m) => Buffer.from(m));
}

async function until(condition) {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('exchange timed out');
    await sleep(5);
  }
}

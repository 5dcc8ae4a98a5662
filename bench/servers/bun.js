// Bun's built-in server (uWebSockets underneath), the reference ceiling: echo on `/`,
// publish/subscribe on `/broadcast`. Run with the bun binary from the npm package:
//   bun bench/servers/bun.js [port] ['{"deflate":true}']
// stdin: `gc` -> Bun.gc(true), answered `ok gc {memoryUsage}` (the channel of control.mjs).
const port = Number(process.argv[2] ?? 0);
const config = JSON.parse(process.argv[3] ?? '{}');

const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  fetch(req, srv) {
    const room = req.url.endsWith('/broadcast');
    if (srv.upgrade(req, { data: room })) return undefined;
    return new Response('Upgrade Required', { status: 426 });
  },
  websocket: {
    perMessageDeflate: config.deflate ?? false,
    open(ws) {
      if (ws.data) ws.subscribe('room');
    },
    message(ws, message) {
      if (ws.data) server.publish('room', message);
      else ws.send(message);
    },
  },
});

process.stdout.write(`${server.port}\n`);
process.stdout.write(`info ${JSON.stringify({ deflate: config.deflate ?? false })}\n`);
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
    const command = pending.slice(0, nl).trim();
    pending = pending.slice(nl + 1);
    if (command === 'gc') {
      Bun.gc(true);
      process.stdout.write(`ok gc ${JSON.stringify(process.memoryUsage())}\n`);
    }
  }
});
process.stdin.on('end', () => process.exit(0));

// Bun's built-in server (uWebSockets underneath), the reference ceiling: echo on `/`,
// publish/subscribe on `/broadcast`. Run with the bun binary from the npm package:
//   bun bench/servers/bun.js [port] ['{"deflate":true}']
// The control channel of control.mjs, with Bun.gc(true) as its `gc`.
import { args, info, ready } from './control.mjs';

const { port, config } = args();

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

ready(
  server.port,
  () => Bun.gc(true),
  () => undefined,
);
info({ deflate: config.deflate ?? false });

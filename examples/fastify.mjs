#!/usr/bin/env node
// Fastify for HTTP, wsx on its underlying node:http server for WebSocket on /ws.
//   PORT=3000 node examples/fastify.mjs
import Fastify from 'fastify';
import { WebSocketServer } from 'wsx';

const fastify = Fastify();
fastify.get('/', async () => 'hello');

// fastify.server is the node:http server Fastify listens with. wsx takes the upgrades to /ws
// (and answers 404 to upgrades to other paths); Fastify keeps every HTTP request.
const wss = new WebSocketServer({
  server: fastify.server,
  path: '/ws',
  message(ws, data, isBinary) {
    ws.send(data, { binary: isBinary });
  },
});

// fastify.close() closes the WebSocket connections too (close frames with 1001).
fastify.addHook('onClose', () => wss.close());

const address = await fastify.listen({ port: Number(process.env.PORT ?? 3000) });
console.log(`listening on ${address}`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await fastify.close();
    process.exit(0);
  });
}

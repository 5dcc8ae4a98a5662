#!/usr/bin/env node
// One wsx process of the cross-process benchmark: a standalone server whose topics go through
// wsx-redis. Subscribers connect to `/`, the publisher to `/pub` (not subscribed); whatever the
// publisher sends is published to 'room' on every process.
// Without REDIS_URL: the same server with no adapter (one process, the baseline).
//   REDIS_URL=redis://127.0.0.1:6379 node bench/redis/wsx-node.mjs
import { Topics, WebSocketServer } from 'wsx';
import { RedisPubSubAdapter } from 'wsx-redis';

const url = process.env.REDIS_URL;
const adapter = url ? new RedisPubSubAdapter({ redis: { url } }) : null;
await adapter?.connect();
const SUBSCRIBER = { publisher: false };
const PUBLISHER = { publisher: true };

const server = new WebSocketServer({
  port: 0,
  host: '127.0.0.1',
  topics: adapter ? new Topics({ adapter }) : new Topics(),
  upgrade: (request) => (request.path === '/pub' ? PUBLISHER : SUBSCRIBER),
  open(ws) {
    if (!ws.data.publisher) ws.subscribe('room');
  },
  message(_ws, data, isBinary) {
    server.publish('room', data, { binary: isBinary });
  },
});

server.on('listening', () => console.log(server.address().port));
process.on('SIGTERM', () => {
  process.exit(0);
});

#!/usr/bin/env node
// The peer: one Socket.IO 4 process with @socket.io/redis-adapter (its documented setup: a
// publishing and a subscribing node-redis client), WebSocket transport only (no long-polling).
// Subscribers join 'room'; an 'm' event from the publisher (`?role=pub`) is emitted to 'room' on
// every process.
//   REDIS_URL=redis://127.0.0.1:6379 node bench/redis/socketio-node.mjs
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';

// As wsx-redis does: no timer per command (node-redis's default 5 s timeout rejected commands
// with nowhere to go and crashed the process on a loaded machine).
const pub = createClient({ url: process.env.REDIS_URL, commandOptions: { timeout: 0 } });
const sub = pub.duplicate();
for (const client of [pub, sub]) client.on('error', (error) => console.error(error.message));
await Promise.all([pub.connect(), sub.connect()]);

const http = createServer();
const io = new Server(http, {
  adapter: createAdapter(pub, sub),
  transports: ['websocket'],
  serveClient: false,
});
io.on('connection', (socket) => {
  if (socket.handshake.query.role === 'pub') {
    socket.on('m', (data) => io.to('room').emit('m', data));
  } else socket.join('room');
});

http.listen(0, '127.0.0.1', () => console.log(http.address().port));
process.on('SIGTERM', () => process.exit(0));

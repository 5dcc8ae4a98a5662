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

const pub = createClient({ url: process.env.REDIS_URL });
const sub = pub.duplicate();
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

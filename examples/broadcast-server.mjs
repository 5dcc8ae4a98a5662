#!/usr/bin/env node
// One room: every message a client sends on /broadcast goes to everyone connected there (the
// sender included); on any other path, messages are echoed. With the production settings on.
//   PORT=9002 node examples/broadcast-server.mjs
import { WebSocketServer } from 'wsx';

const server = new WebSocketServer({
  port: Number(process.env.PORT ?? 9002),
  maxMessageSize: 64 * 1024, // a chat line, a cursor position: nothing here needs more
  handshakeTimeout: 10_000, // a client that connects and says nothing is dropped after 10 s
  pingInterval: 30_000, // ping a silent client after 30 s ...
  pongTimeout: 30_000, // ... and drop it if nothing comes back within 30 s more (close 1006)
  idleTimeout: 10 * 60_000, // close (1001) after 10 minutes without a message either way
  closeTimeout: 10_000, // a client has 10 s to answer our close frame
  maxBackpressure: 1024 * 1024, // beyond 1 MiB unsent to one client, room messages skip it ...
  backpressureTimeout: 30_000, // ... and if it stays that far behind for 30 s, close it (1008)

  upgrade: (request) => ({ room: request.path === '/broadcast' }),
  open(ws) {
    if (ws.data.room) ws.subscribe('room');
  },
  message(ws, data, isBinary) {
    if (ws.data.room) server.publish('room', data, { binary: isBinary });
    else ws.send(data, { binary: isBinary });
  },
  close(ws) {
    if (ws.droppedMessages > 0) {
      console.error(`a slow client missed ${ws.droppedMessages} room messages`);
    }
  },
});

server.on('listening', () => {
  console.log(`listening on ws://localhost:${server.address().port}`);
});

// Graceful shutdown: stop accepting, send every client 1001 (going away), wait for their close
// frames (up to closeTimeout), then exit. A second signal kills the process at once.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
  });
}

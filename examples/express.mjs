#!/usr/bin/env node
// Express for HTTP, wsx for WebSocket on the same port, with a token check before the upgrade.
//   PORT=3000 node examples/express.mjs
//   then connect to ws://localhost:3000/ws?token=alice-token
import express from 'express';
import { reject, WebSocketServer } from 'wsx';

// A stand-in for a real session or token store.
const users = new Map([
  ['alice-token', 'alice'],
  ['bob-token', 'bob'],
]);

const app = express();
app.get('/', (_req, res) => {
  res.type('text/plain').send('hello');
});

// noServer: wsx creates no server and adds no listener; the upgrade listener below hands it
// the upgrades it should take.
const wss = new WebSocketServer({
  noServer: true,
  path: '/ws', // handleUpgrade() answers 404 for any other path
  // Runs before the 101 is sent (it may be async: look up a session, a database...). What it
  // returns becomes `ws.data`; a rejection is sent as the HTTP answer and the socket closed.
  upgrade(request) {
    const user = users.get(request.query.get('token') ?? '');
    if (user === undefined) {
      return reject(401, 'a valid token is required\n', { 'WWW-Authenticate': 'Bearer' });
    }
    return { user };
  },
});

wss.on('connection', (ws, req) => {
  console.log(`${ws.data.user} connected from ${req.socket.remoteAddress}`);
  ws.on('message', (data, isBinary) => {
    ws.send(isBinary ? data : `${ws.data.user}: ${data}`);
  });
});

const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`listening on http://localhost:${server.address().port}`);
});

// The `ws` pattern: the HTTP server's upgrade event, then handleUpgrade with a callback that
// emits 'connection' (without a callback, handleUpgrade emits it itself).
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await wss.close();
    server.close(() => process.exit(0));
  });
}

#!/usr/bin/env node
// A plain node:http server with an ordinary route, and a WebSocket endpoint on /ws next to it.
//   PORT=8080 node examples/http-server.mjs
import { createServer } from 'node:http';
import { WebSocketServer } from 'wsx';

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('hello');
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found');
  }
});

// Upgrades to /ws become WebSockets; an upgrade to any other path is answered 404.
// HTTP requests never reach wsx: the routes above keep working.
const wss = new WebSocketServer({
  server,
  path: '/ws',
  open(ws) {
    ws.send('welcome');
  },
  message(ws, data, isBinary) {
    ws.send(data, { binary: isBinary });
  },
});

server.listen(Number(process.env.PORT ?? 8080), () => {
  const { port } = server.address();
  console.log(`listening on http://localhost:${port}`);
  console.log(`WebSocket endpoint: ws://localhost:${port}/ws`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await wss.close(); // close frames to the clients (1001); wsx does not close a server it did not create
    server.close(() => process.exit(0));
  });
}

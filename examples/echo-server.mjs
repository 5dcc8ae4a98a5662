#!/usr/bin/env node
// An echo server: every message goes back as it came, text as text and binary as binary.
//   PORT=9001 node examples/echo-server.mjs
// The 16 MiB message limit lets conformance suites (Autobahn) send their largest cases.
import { WebSocketServer } from 'wsx';

const server = new WebSocketServer({
  port: Number(process.env.PORT ?? 9001),
  maxMessageSize: 16 * 1024 * 1024,
  // permessage-deflate (RFC 7692), shared compressor and decompressor: no zlib state per client.
  perMessageDeflate: true,
  // `data` is a Buffer either way; `binary: isBinary` sends text back as a text frame.
  message(ws, data, isBinary) {
    ws.send(data, { binary: isBinary });
  },
});

server.on('listening', () => {
  console.log(`listening on ws://localhost:${server.address().port}`);
});

// Ctrl-C or `kill`: send every client a close frame (1001, going away), wait for them, exit.
// A second signal kills the process at once (the handlers are registered `once`).
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
  });
}

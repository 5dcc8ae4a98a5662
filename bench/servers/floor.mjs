#!/usr/bin/env node
// Node's floor for idle memory: a bare net.Server that answers the opening handshake with a
// hand-written 101 (the accept key of RFC 6455 §4.2.2) and then only holds the socket. What a
// WebSocket server costs per idle connection beyond this is the library's own state.
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { args, ready } from './control.mjs';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const { port } = args();

function noop() {}

/** Accumulates the request head (usually one read), answers 101, then ignores what follows. */
function onData(chunk) {
  this.head = this.head === undefined ? chunk : Buffer.concat([this.head, chunk]);
  const text = this.head.toString('latin1');
  if (!text.includes('\r\n\r\n')) return;
  this.removeListener('data', onData);
  this.head = undefined;
  const key = /^sec-websocket-key:\s*(\S+)/im.exec(text)?.[1] ?? '';
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  this.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  this.on('data', noop); // keep reading (and discarding) so the peer never blocks
}

const server = createServer((socket) => {
  socket.on('error', noop);
  socket.on('data', onData);
});
server.listen(port, '127.0.0.1', () => ready(server.address().port));

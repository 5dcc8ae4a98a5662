#!/usr/bin/env node
// Node's floor: a bare net.Server that answers the opening handshake with a hand-written 101
// (the accept key of RFC 6455 §4.2.2), then holds the socket and answers the client's close
// frame with its own and a TCP close. It validates nothing and is no WebSocket server; it is what
// Node itself costs. Beyond it, a server's cost per idle connection and per handshake is its own.
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { args, ready } from './control.mjs';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const { port } = args();

function noop() {}

/** An empty close frame: the answer to the client's close (RFC 6455 §5.5.1). */
const CLOSE = Buffer.from([0x88, 0x00]);

/** After the handshake: a close frame (opcode 8, so the first byte is 0x88) is answered and TCP
 * closed, as RFC 6455 §7.1.1 asks of a server; anything else is discarded. */
function onFrames(chunk) {
  if (chunk[0] === 0x88) this.end(CLOSE);
}

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
  this.on('data', onFrames); // keep reading so the peer never blocks
}

const server = createServer((socket) => {
  socket.on('error', noop);
  socket.on('data', onData);
});
server.listen(port, '127.0.0.1', () => ready(server.address().port));

#!/usr/bin/env node
// An echo server on the sans-I/O core, with the simplest Node glue: a TCP server, the opening
// handshake through wsx/core's pure functions, then bytes in and out of a Connection.
// Port from PORT (default 9001). Every message is sent back as it came.
import { isUtf8 } from 'node:buffer';
import { createServer } from 'node:net';
import {
  buildAcceptResponse,
  Connection,
  HandshakeError,
  parseRequestHead,
  rejectionFor,
  SEND_EOF,
  validateRequest,
} from 'wsx/core';

const port = Number(process.env.PORT ?? 9001);
const maxMessageSize = 16 * 1024 * 1024;

function flush(socket, conn) {
  for (const chunk of conn.dataToSend()) {
    if (chunk === SEND_EOF) socket.end();
    else socket.write(chunk);
  }
}

function serve(socket, conn) {
  socket.on('data', (data) => {
    conn.receiveData(data);
    for (const event of conn.eventsReceived()) {
      if (event.type === 'text') conn.sendText(event.data);
      else if (event.type === 'binary') conn.sendBinary(event.data);
    }
    flush(socket, conn);
  });
  socket.on('end', () => {
    conn.receiveEof();
    flush(socket, conn);
  });
  socket.on('error', () => socket.destroy());
}

const server = createServer({ allowHalfOpen: true }, (socket) => {
  let head = Buffer.alloc(0);
  const onHead = (data) => {
    head = Buffer.concat([head, data]);
    try {
      const parsed = parseRequestHead(head);
      if (!parsed.complete) return;
      socket.off('data', onHead);
      const request = validateRequest(parsed.head);
      socket.write(buildAcceptResponse({ key: request.key }));
      const conn = new Connection({
        role: 'server',
        isUtf8,
        maxMessageSize,
        alloc: Buffer.allocUnsafe,
      });
      serve(socket, conn);
      socket.emit('data', head.subarray(parsed.bodyOffset));
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      socket.end(rejectionFor(error));
    }
  };
  socket.on('data', onHead);
  socket.on('error', () => socket.destroy());
});

server.listen(port, () => {
  console.log(`wsx echo server listening on ws://localhost:${server.address().port}`);
});

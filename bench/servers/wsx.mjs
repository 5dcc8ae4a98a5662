#!/usr/bin/env node
// wsx under test: echo on `/`, broadcast to every connection on `/broadcast` (topics: framed
// once, written once per socket per tick), and `/sink`, which takes messages and answers none.
// Config: { deflate } = the perMessageDeflate option, { maxMessageSize } in bytes, { http2: true }
// also serves WebSockets over HTTP/2 (cleartext h2c, RFC 8441) on the port.
//   node --expose-gc bench/servers/wsx.mjs [port] ['{"deflate":true}']
import { args, info, ready } from './control.mjs';

// WSX_MODULE: another build of wsx (the --before comparison); default: this checkout's.
const { WebSocketServer } = await import(process.env.WSX_MODULE ?? 'wsx');

const { port, config } = args();
// Shared per-route data objects: which route a connection is on costs no allocation.
const ECHO = { room: false, sink: false };
const ROOM = { room: true, sink: false };
const SINK = { room: false, sink: true };

const server = new WebSocketServer({
  port,
  host: '127.0.0.1',
  perMessageDeflate: config.deflate ?? false,
  ...(config.maxMessageSize === undefined ? {} : { maxMessageSize: config.maxMessageSize }),
  // WebSockets over HTTP/2 (h2c here) beside HTTP/1.1; left out unless asked (older builds).
  ...(config.http2 ? { http2: true } : {}),
  upgrade: (request) =>
    request.path === '/broadcast' ? ROOM : request.path === '/sink' ? SINK : ECHO,
  open(ws) {
    if (ws.data.room) ws.subscribe('room');
  },
  message(ws, data, isBinary) {
    if (ws.data.sink) return;
    if (ws.data.room) server.publish('room', data, { binary: isBinary });
    else ws.send(data, { binary: isBinary });
  },
});

server.on('listening', () => {
  ready(server.address().port);
  info({ deflate: config.deflate ?? false, http2: config.http2 ?? false });
});

#!/usr/bin/env node
// ws under test, written as its README shows: echo on `/`, broadcast on `/broadcast` (a loop of
// send() over the room's connections), and `/sink`, which takes messages and answers none. With WS_NO_BUFFER_UTIL=1 and WS_NO_UTF_8_VALIDATE=1 in
// the environment ws ignores its native add-ons; without, it loads them if installed.
// Config: { deflate } = ws's perMessageDeflate option, { maxMessageSize } its maxPayload.
import { createRequire } from 'node:module';
import { WebSocketServer } from 'ws';
import { args, info, ready } from './control.mjs';

const { port, config } = args();
const room = new Set();

const wss = new WebSocketServer({
  port,
  host: '127.0.0.1',
  perMessageDeflate: config.deflate ?? false,
  ...(config.maxMessageSize === undefined ? {} : { maxPayload: config.maxMessageSize }),
});

wss.on('connection', (ws, req) => {
  if (req.url === '/sink') {
    ws.on('message', () => {});
  } else if (req.url === '/broadcast') {
    room.add(ws);
    ws.on('close', () => room.delete(ws));
    ws.on('message', (data, isBinary) => {
      for (const peer of room) peer.send(data, { binary: isBinary });
    });
  } else {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  }
});

wss.on('listening', () => {
  ready(wss.address().port);
  info({ deflate: config.deflate ?? false, addons: addons() });
});

/** Which native add-ons ws actually loaded (it falls back silently when one is missing). */
function addons() {
  const loaded = Object.keys(createRequire(import.meta.url).cache);
  return {
    bufferutil: loaded.some((path) => path.includes('/bufferutil/')),
    // Node >= 18.14 has buffer.isUtf8, which ws prefers: utf-8-validate is then never loaded.
    utf8Validate: loaded.some((path) => path.includes('/utf-8-validate/')),
  };
}

/**
 * The public types, checked by the compiler (`npm run typecheck` compiles this file with
 * `strict` and `noImplicitAny`): every event of every emitter is typed, nested callbacks
 * included, as `ws` users write them. The runtime part only keeps the file a test.
 */

import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import {
  type HandshakeError,
  type RawData,
  ReconnectingWebSocket,
  type UpgradeSource,
  WebSocket,
  WebSocketServer,
} from '../src/index.js';

/** Fails to compile unless `A` and `B` are the same type. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_check?: T): void {}

// Compiled, never run: a ws-style server with nested callbacks and no annotations.
function wsStyle(): void {
  const wss = new WebSocketServer<{ user: string }>({ noServer: true });
  wss.on('connection', (ws, req) => {
    expectType<Equal<typeof ws, WebSocket<{ user: string }>>>();
    expectType<Equal<typeof req, UpgradeSource>>();
    const user: string = ws.data.user;
    ws.on('message', (data, isBinary) => {
      expectType<Equal<typeof data, RawData>>();
      expectType<Equal<typeof isBinary, boolean>>();
      ws.send(data, { binary: isBinary });
    });
    ws.on('close', (code, reason) => {
      expectType<Equal<typeof code, number>>();
      expectType<Equal<typeof reason, string>>();
      void user;
    });
    ws.once('ping', (data) => expectType<Equal<typeof data, Buffer>>());
    ws.on('error', (error) => expectType<Equal<typeof error, Error>>());
  });
  wss.on('wsClientError', (error) => expectType<Equal<typeof error, HandshakeError>>());
  wss.on('headers', (lines, req) => {
    expectType<Equal<typeof lines, string[]>>();
    void (req as IncomingMessage);
  });
  const client = new WebSocket('ws://localhost:8080');
  client.on('upgrade', (response) => expectType<Equal<typeof response.status, number>>());
  client.on('open', () => client.send('hello'));
  const rws = new ReconnectingWebSocket('ws://localhost:8080');
  rws.on('reconnected', (ws) => expectType<Equal<typeof ws, WebSocket>>());
  rws.on('close', (code, reason, error) => {
    expectType<Equal<typeof code, number>>();
    expectType<Equal<typeof error, Error | undefined>>();
    void reason;
  });
}

describe('public types', () => {
  it('compile (see the file): every event is typed, nested callbacks included', () => {
    assert.equal(typeof wsStyle, 'function');
  });
});

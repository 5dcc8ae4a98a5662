/**
 * The WHATWG WebSocket (wsx/whatwg) against a real wsx server on 127.0.0.1: the standard's
 * attributes, exceptions, event order and timing, and the Node extensions.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { CloseEvent, WebSocket } from '../../src/client/whatwg.js';
import { computeAccept } from '../../src/core/server-handshake.js';
import type { ServerOptions } from '../../src/server/options.js';
import { reject } from '../../src/server/rejection.js';
import type { WebSocket as NodeWebSocket } from '../../src/websocket/websocket.js';
import { next, startServer, tlsFixtures, within } from '../helpers/net.js';

const echo = (ws: NodeWebSocket, data: Buffer, isBinary: boolean): void => {
  ws.send(data, { binary: isBinary });
};

/** Waits for one event of `type`, at most 5 s. */
async function event<E extends Event = Event>(ws: WebSocket, type: string): Promise<E> {
  const [e] = await within(once(ws, type), 5000, `'${type}'`);
  return e as E;
}

/** Records the type of every open/message/error/close event, in order. */
function record(ws: WebSocket): string[] {
  const log: string[] = [];
  for (const type of ['open', 'message', 'error', 'close']) {
    ws.addEventListener(type, () => log.push(type));
  }
  return log;
}

async function openClient(
  t: TestContext,
  options: Omit<ServerOptions, 'port' | 'server' | 'noServer'> = { message: echo },
): Promise<WebSocket> {
  const { url } = await startServer(t, options);
  const ws = new WebSocket(url);
  t.after(() => ws.close());
  await event(ws, 'open');
  return ws;
}

/** A TCP port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await next(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server `close` handler, and a promise of the first `count` closes it saw (code and reason). */
function serverCloses(count: number): {
  close: (ws: NodeWebSocket, code: number, reason: string) => void;
  seen: Promise<string[]>;
} {
  const seen: string[] = [];
  let resolve: (value: string[]) => void;
  const promise = new Promise<string[]>((r) => {
    resolve = r;
  });
  const close = (_ws: NodeWebSocket, code: number, reason: string): void => {
    seen.push(`${code} ${reason}`);
    if (seen.length === count) resolve(seen);
  };
  return { close, seen: within(promise, 5000, 'the server to see the close') };
}

function syntaxError(name: string): (e: unknown) => boolean {
  return (e) => e instanceof DOMException && e.name === name;
}

describe('WebSocket (WHATWG): constructor', () => {
  it('rejects bad URLs with SyntaxError and maps http(s) to ws(s)', async () => {
    for (const url of ['/relative', 'ftp://127.0.0.1/', 'ws://127.0.0.1/#', 'ws://h/#x', 'ws://']) {
      assert.throws(() => new WebSocket(url), syntaxError('SyntaxError'), url);
    }
    const ws = new WebSocket('http://127.0.0.1:1/a?b');
    const wss = new WebSocket(new URL('https://127.0.0.1:443/'));
    assert.equal(ws.url, 'ws://127.0.0.1:1/a?b');
    assert.equal(wss.url, 'wss://127.0.0.1/');
    ws.close();
    wss.close();
    await Promise.all([event(ws, 'close'), event(wss, 'close')]);
  });

  it('rejects subprotocols that are not tokens or are repeated (any case) with SyntaxError', () => {
    const bad = [[''], ['a b'], ['a,b'], ['é'], ['chat', 'chat'], ['chat', 'CHAT'], 'x y'];
    for (const protocols of bad) {
      assert.throws(() => new WebSocket('ws://127.0.0.1:1', protocols), syntaxError('SyntaxError'));
    }
    assert.throws(() => Reflect.construct(WebSocket, []), TypeError);
  });

  it('starts CONNECTING with the standard defaults; constants on the class and instances', async () => {
    const ws = new WebSocket('ws://127.0.0.1:1/path');
    assert.deepEqual(
      [ws.readyState, ws.bufferedAmount, ws.binaryType, ws.protocol, ws.extensions, ws.url],
      [0, 0, 'blob', '', '', 'ws://127.0.0.1:1/path'],
    );
    for (const [name, value] of Object.entries({ CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 })) {
      assert.equal(WebSocket[name as 'OPEN'], value);
      assert.equal(ws[name as 'OPEN'], value);
    }
    assert.throws(() => {
      (WebSocket as unknown as { OPEN: number }).OPEN = 5;
    }, TypeError);
    assert.throws(() => ws.send('x'), syntaxError('InvalidStateError'));
    ws.close();
    await event(ws, 'close');
  });
});

describe('WebSocket (WHATWG): messages', () => {
  it('fires open, message, close in order; text keeps Chinese and emoji; origin is set', async (t) => {
    const { url, port } = await startServer(t, { message: echo });
    const ws = new WebSocket(url);
    const log = record(ws);
    const text = '你好，世界 👋🏽 héllo';
    ws.onopen = () => ws.send(text);
    const message = await event<MessageEvent>(ws, 'message');
    assert.ok(message instanceof MessageEvent);
    assert.equal(message.data, text);
    assert.equal(message.origin, `ws://127.0.0.1:${port}`);
    ws.close(1000, 'done');
    const close = await event<CloseEvent>(ws, 'close');
    assert.ok(close instanceof CloseEvent);
    // The code and reason are the server's: wsx echoes the code, without a reason.
    assert.deepEqual([close.wasClean, close.code, close.reason], [true, 1000, '']);
    assert.deepEqual(log, ['open', 'message', 'close']);
    assert.equal(ws.readyState, WebSocket.CLOSED);
  });

  it('delivers binary as Blob by default, then ArrayBuffer or Buffer per binaryType', async (t) => {
    const ws = await openClient(t);
    const bytes = [0, 1, 2, 255];
    ws.send(new Uint8Array(bytes));
    const blob = (await event<MessageEvent>(ws, 'message')).data;
    assert.ok(blob instanceof Blob);
    assert.deepEqual([...new Uint8Array(await blob.arrayBuffer())], bytes);
    ws.binaryType = 'arraybuffer';
    ws.send(new Uint8Array(bytes));
    const buffer = (await event<MessageEvent>(ws, 'message')).data;
    assert.ok(buffer instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(buffer)], bytes);
    ws.binaryType = 'nodebuffer';
    ws.binaryType = 'bogus' as 'blob'; // an invalid value is ignored
    assert.equal(ws.binaryType, 'nodebuffer');
    ws.send(new Uint8Array(bytes));
    const node = (await event<MessageEvent>(ws, 'message')).data;
    assert.ok(Buffer.isBuffer(node));
    assert.deepEqual([...node], bytes);
  });

  it('reads binaryType when each message event is dispatched, not when the data arrived', async (t) => {
    const { url } = await startServer(t, {
      open(ws) {
        ws.send(Buffer.from([1]));
        ws.send(Buffer.from([2]));
      },
    });
    const ws = new WebSocket(url);
    t.after(() => ws.close());
    const kinds: string[] = [];
    ws.onmessage = ({ data }) => {
      kinds.push(data instanceof Blob ? 'blob' : 'arraybuffer');
      ws.binaryType = 'arraybuffer';
      if (kinds.length === 2) ws.close();
    };
    await event(ws, 'close');
    assert.deepEqual(kinds, ['blob', 'arraybuffer']);
  });

  it('sends Blob, ArrayBuffer, typed arrays and DataView, in order behind a pending Blob', async (t) => {
    const received: string[] = [];
    const ws = await openClient(t, {
      message(peer, data, isBinary) {
        received.push(isBinary ? `b:${[...data].join(',')}` : `t:${data.toString()}`);
        if (received.length === 7) peer.close(1000);
      },
    });
    const backing = new Uint8Array([9, 7, 8, 9]).buffer;
    ws.send(new Blob([new Uint8Array([1, 2])]));
    ws.send('after blob');
    const later = new Uint8Array([3]);
    ws.send(later);
    later[0] = 99; // bytes are taken when send() is called
    ws.send(new Blob(['é']));
    ws.send(new Float32Array([1]));
    ws.send(new DataView(backing, 1, 2));
    ws.send(backing);
    assert.equal(ws.bufferedAmount, 2 + 10 + 1 + 2 + 4 + 2 + 4);
    await event(ws, 'close');
    assert.deepEqual(received, [
      'b:1,2',
      't:after blob',
      'b:3',
      'b:195,169',
      'b:0,0,128,63',
      'b:7,8',
      'b:9,7,8,9',
    ]);
    assert.equal(ws.bufferedAmount, 0);
  });

  it('a close() made while a Blob is read waits for it', async (t) => {
    const received: string[] = [];
    const { close, seen } = serverCloses(1);
    const ws = await openClient(t, {
      message: (_ws, data) => void received.push(data.toString()),
      close: (peer, code, reason) => {
        received.push('close');
        close(peer, code, reason);
      },
    });
    ws.send(new Blob(['first']));
    ws.close(4000, 'bye');
    assert.equal(ws.readyState, WebSocket.CLOSING);
    assert.equal((await event<CloseEvent>(ws, 'close')).code, 4000);
    assert.deepEqual(await seen, ['4000 bye']);
    assert.deepEqual(received, ['first', 'close']);
  });

  it('dispatches each event as its own task: microtasks run between two messages', async (t) => {
    const { url } = await startServer(t, {
      open(ws) {
        ws.send('one');
        ws.send('two');
      },
    });
    const ws = new WebSocket(url);
    t.after(() => ws.close());
    const log: string[] = [];
    ws.onmessage = ({ data }) => {
      log.push(data);
      queueMicrotask(() => log.push(`after ${data}`));
      if (data === 'two') ws.close();
    };
    await event(ws, 'close');
    assert.deepEqual(log, ['one', 'after one', 'two', 'after two']);
  });

  it('a listener added right after send() in the same tick still gets the reply', async (t) => {
    const ws = await openClient(t);
    ws.send('ping');
    const reply = event<MessageEvent>(ws, 'message');
    assert.equal((await reply).data, 'ping');
  });

  it('drops messages that arrive after close() was called (readyState is not OPEN)', async (t) => {
    const { url } = await startServer(t, {
      open(ws) {
        ws.send('too late');
      },
    });
    const ws = new WebSocket(url);
    const log = record(ws);
    ws.onopen = () => ws.close();
    await event(ws, 'close');
    assert.deepEqual(log, ['open', 'close']);
  });
});

describe('WebSocket (WHATWG): close()', () => {
  it('validates code and reason with the standard exceptions, even when closed', async (t) => {
    const { close: onClose, seen } = serverCloses(1);
    const ws = await openClient(t, { close: onClose });
    for (const code of [0, 999, 1001, 1005, 2999, 5000, 65535, Number.NaN, 1000.6, 4999.5]) {
      assert.throws(() => ws.close(code), syntaxError('InvalidAccessError'), String(code));
    }
    assert.throws(() => ws.close(1000, 'x'.repeat(124)), syntaxError('SyntaxError'));
    assert.throws(() => ws.close(1000, '€'.repeat(42)), syntaxError('SyntaxError')); // 126 bytes
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close(3000.5, '€'.repeat(41)); // [Clamp] rounds to even: 3000; 123 bytes
    assert.equal((await event<CloseEvent>(ws, 'close')).code, 3000);
    assert.deepEqual(await seen, [`3000 ${'€'.repeat(41)}`]);
    assert.throws(() => ws.close(1), syntaxError('InvalidAccessError'));
    ws.close(1000);
  });

  it('sends a reason without a code as 1000, and no code at all as an empty close frame', async (t) => {
    const { close, seen } = serverCloses(2);
    const first = await openClient(t, { close });
    first.close(undefined, 'reason only');
    const [a] = await Promise.all([event<CloseEvent>(first, 'close')]);
    const second = await openClient(t, { close });
    second.close();
    const b = await event<CloseEvent>(second, 'close');
    assert.deepEqual([a.code, b.code, b.wasClean], [1000, 1005, true]);
    assert.deepEqual((await seen).sort(), ['1000 reason only', '1005 ']);
  });

  it('reports the close the server starts: code, reason, 1005 without a code', async (t) => {
    const ws = await openClient(t, { open: (peer) => peer.close(4001, 'bye 再见') });
    const close = await event<CloseEvent>(ws, 'close');
    assert.deepEqual([close.wasClean, close.code, close.reason], [true, 4001, 'bye 再见']);
    const bare = await openClient(t, { open: (peer) => peer.close() });
    assert.equal((await event<CloseEvent>(bare, 'close')).code, 1005);
  });

  it('reports a dropped connection as 1006, not clean, without an error event', async (t) => {
    const { url } = await startServer(t, { message: (peer) => peer.terminate() });
    const ws = new WebSocket(url);
    const log = record(ws);
    ws.onopen = () => ws.send('drop me');
    const close = await event<CloseEvent>(ws, 'close');
    assert.deepEqual([close.wasClean, close.code, log], [false, 1006, ['open', 'close']]);
  });

  it('close() while CONNECTING fails the connection: error then close 1006, never synchronously', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${await closedPort()}`);
    const log = record(ws);
    ws.close();
    assert.equal(ws.readyState, WebSocket.CLOSING);
    assert.deepEqual(log, []);
    await new Promise((resolve) => process.nextTick(resolve));
    assert.deepEqual(log, [], 'events are tasks, not microtasks or nextTick callbacks');
    const close = await event<CloseEvent>(ws, 'close');
    assert.deepEqual([log, close.code, close.wasClean], [['error', 'close'], 1006, false]);
    assert.equal(ws.readyState, WebSocket.CLOSED);
  });
});

describe('WebSocket (WHATWG): failures are events, never exceptions', () => {
  it('connection refused: error, then close 1006', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${await closedPort()}`);
    const log = record(ws);
    const close = await event<CloseEvent>(ws, 'close');
    assert.deepEqual(
      [log, close.code, close.wasClean, close.reason],
      [['error', 'close'], 1006, false, ''],
    );
  });

  it('a server answering 404: error, then close 1006', async (t) => {
    const { url } = await startServer(t, { upgrade: () => reject(404, 'no such room') });
    const ws = new WebSocket(`${url}/room`);
    const log = record(ws);
    const close = await event<CloseEvent>(ws, 'close');
    assert.deepEqual([log, close.code], [['error', 'close'], 1006]);
  });

  it('a protocol violation by the server: error, then close 1006', async (t) => {
    const server = createServer((socket: Socket) => {
      socket.on('error', () => {});
      socket.once('data', (chunk) => {
        const key = /sec-websocket-key: *(\S+)/i.exec(chunk.toString('latin1'))?.[1] ?? '';
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Accept: ${computeAccept(key)}\r\n\r\n`,
        );
        socket.write(Buffer.from([0x83, 0x00])); // reserved opcode 3
        // Answer the client's close frame (1002) with one of ours, as a polite server would.
        socket.once('data', () => socket.end(Buffer.from([0x88, 0x02, 0x03, 0xe8])));
      });
    }).listen(0, '127.0.0.1');
    t.after(() => server.close());
    await next(server, 'listening');
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const log = record(ws);
    const close = await event<CloseEvent>(ws, 'close');
    assert.deepEqual([log, close.code, close.wasClean], [['open', 'error', 'close'], 1006, false]);
  });
});

describe('WebSocket (WHATWG): subprotocols', () => {
  it('protocol is the one the server selected, set when open fires', async (t) => {
    const { url } = await startServer(t, { protocols: ['chat.v2', 'chat.v1'] });
    const ws = new WebSocket(url, ['chat.v1', 'chat.v2']);
    t.after(() => ws.close());
    assert.equal(ws.protocol, '');
    await event(ws, 'open');
    assert.equal(ws.protocol, 'chat.v1');
  });

  it('fails when protocols were offered and the server selected none', async (t) => {
    const { url } = await startServer(t, {});
    const ws = new WebSocket(url, 'chat');
    const log = record(ws);
    const close = await event<CloseEvent>(ws, 'close');
    assert.deepEqual([log, close.code], [['error', 'close'], 1006]);
  });
});

describe('WebSocket (WHATWG): bufferedAmount', () => {
  it('keeps growing for data passed to send() once CLOSING and CLOSED; nothing is sent', async (t) => {
    let received = 0;
    const ws = await openClient(t, { message: () => void received++ });
    ws.close();
    ws.send('abc');
    ws.send(new Uint8Array(5));
    ws.send(new Blob(['1234567']));
    assert.deepEqual([ws.readyState, ws.bufferedAmount], [WebSocket.CLOSING, 15]);
    await event(ws, 'close');
    ws.send('€');
    assert.deepEqual([ws.readyState, ws.bufferedAmount, received], [WebSocket.CLOSED, 18, 0]);
  });
});

describe('WebSocket (WHATWG): on* event handler attributes', () => {
  it('run in the order first set among listeners; replacing keeps the place; null removes', async (t) => {
    const ws = await openClient(t);
    const log: string[] = [];
    const handler = (name: string) =>
      function (this: WebSocket) {
        assert.equal(this, ws);
        log.push(name);
      };
    ws.addEventListener('message', () => log.push('A'));
    ws.onmessage = handler('H1');
    ws.addEventListener('message', () => log.push('B'));
    ws.onmessage = handler('H2');
    assert.equal(typeof ws.onmessage, 'function');
    ws.send('1');
    await event(ws, 'message');
    ws.onmessage = null;
    ws.addEventListener('message', () => log.push('C'));
    ws.onmessage = handler('H3');
    ws.send('2');
    await event(ws, 'message');
    ws.onmessage = 'not a function' as unknown as null;
    assert.equal(ws.onmessage, null);
    assert.deepEqual(log, ['A', 'H2', 'B', 'A', 'B', 'C', 'H3']);
  });
});

describe('WebSocket (WHATWG): Node options (third argument)', () => {
  it('sends the given headers, and no Origin header', async (t) => {
    const seen: (string | undefined)[] = [];
    const { url } = await startServer(t, {
      upgrade(request) {
        seen.push(request.headers.authorization, request.origin);
        return null;
      },
    });
    const ws = new WebSocket(url, undefined, { headers: { Authorization: 'Bearer t0k3n' } });
    t.after(() => ws.close());
    await event(ws, 'open');
    assert.deepEqual(seen, ['Bearer t0k3n', undefined]);
  });
});

describe('WebSocket (WHATWG): wss://', () => {
  it('connects to a TLS server with the CA passed in the Node options', async (t) => {
    const { url } = await startServer(t, { tls: tlsFixtures, message: echo });
    const ws = new WebSocket(url, [], { ca: tlsFixtures.ca });
    t.after(() => ws.close());
    await event(ws, 'open');
    ws.send('over tls');
    assert.equal((await event<MessageEvent>(ws, 'message')).data, 'over tls');
  });

  it('an untrusted certificate: error, then close 1006', async (t) => {
    const { url } = await startServer(t, { tls: tlsFixtures });
    const ws = new WebSocket(url);
    const log = record(ws);
    const close = await event<CloseEvent>(ws, 'close');
    assert.deepEqual([log, close.code], [['error', 'close'], 1006]);
  });
});

describe('CloseEvent', () => {
  it('has the standard defaults and converts its init', () => {
    const plain = new CloseEvent('close');
    assert.deepEqual(
      [plain.type, plain.wasClean, plain.code, plain.reason],
      ['close', false, 0, ''],
    );
    const init = new CloseEvent('close', { wasClean: true, code: 65536 + 1000, reason: 'r' });
    assert.deepEqual([init.wasClean, init.code, init.reason], [true, 1000, 'r']);
  });
});

/** permessage-deflate end to end over real sockets: negotiation, codecs, limits, topics. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { constants, deflateRawSync } from 'node:zlib';
import { connect } from '../../src/client/connect.js';
import { WebSocketServer } from '../../src/server/websocket-server.js';
import { WebSocket } from '../../src/websocket/websocket.js';
import { eventually } from '../helpers/eventually.js';
import { clientFrame } from '../helpers/frames.js';
import { next, RawClient, startServer } from '../helpers/net.js';

const json = JSON.stringify(
  Array.from({ length: 400 }, (_, i) => ({
    id: i,
    user: `user${i % 13}`,
    text: `hello ${i} 你好 😀`,
    room: 'lobby',
  })),
);

/** Counts the bytes servers write during `fn` (sockets not in `exclude`). */
async function bytesWritten(exclude: Socket[], fn: () => Promise<void>): Promise<number> {
  type WriteGeneric = (this: Socket, writev: boolean, data: unknown, ...rest: unknown[]) => unknown;
  type Internal = { _writeGeneric: WriteGeneric };
  const proto = Socket.prototype as unknown as Internal;
  const original = proto._writeGeneric;
  let total = 0;
  proto._writeGeneric = function (
    this: Socket,
    writev: boolean,
    data: unknown,
    ...rest: unknown[]
  ) {
    if (!exclude.includes(this)) {
      const chunks = writev
        ? (data as { chunk: Uint8Array }[]).map((c) => c.chunk)
        : [data as Uint8Array];
      for (const c of chunks) total += typeof c === 'string' ? Buffer.byteLength(c) : c.length;
    }
    return original.call(this, writev, data, ...rest);
  };
  try {
    await fn();
  } finally {
    proto._writeGeneric = original;
  }
  return total;
}

async function echo(ws: WebSocket, data: string | Buffer): Promise<unknown> {
  const reply = next(ws, 'message');
  ws.send(data);
  const [message] = await reply;
  return typeof data === 'string' ? String(message) : message;
}

describe('negotiation', () => {
  it('off by default on the server: the client offer is declined, messages flow plain', async (t) => {
    const { url } = await startServer(t, { message: (ws, d, b) => void ws.send(d, { binary: b }) });
    const ws = await connect(url);
    assert.equal(ws.extensions, '');
    assert.equal(await echo(ws, json), json);
    ws.close();
  });

  it('shared (the default when enabled): no context takeover either way', async (t) => {
    const { url } = await startServer(t, {
      perMessageDeflate: true,
      message: (ws, d, b) => void ws.send(d, { binary: b }),
    });
    const ws = await connect(url);
    assert.equal(
      ws.extensions,
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    );
    for (let i = 0; i < 3; i++) assert.equal(await echo(ws, json), json);
    const binary = randomBytes(50_000);
    assert.deepEqual(await echo(ws, binary), binary);
    ws.close();
  });

  it('dedicated with small windows: context takeover, window sizes agreed', async (t) => {
    const { url } = await startServer(t, {
      perMessageDeflate: {
        compressor: 'dedicated',
        decompressor: 'dedicated',
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 11,
      },
      message: (ws, d, b) => void ws.send(d, { binary: b }),
    });
    const ws = await connect(url);
    assert.equal(
      ws.extensions,
      'permessage-deflate; server_max_window_bits=10; client_max_window_bits=11',
    );
    for (let i = 0; i < 5; i++) assert.equal(await echo(ws, `${i}:${json}`), `${i}:${json}`);
    ws.close();
  });

  it('a client with perMessageDeflate: false does not offer it', async (t) => {
    const { url } = await startServer(t, { perMessageDeflate: true });
    const ws = await connect(url, { perMessageDeflate: false });
    assert.equal(ws.extensions, '');
    ws.close();
  });

  it('rejects invalid options', () => {
    const make = (perMessageDeflate: object) =>
      new WebSocketServer({ noServer: true, perMessageDeflate: perMessageDeflate as never });
    assert.throws(() => make({ level: 11 }), /level is 0-9/);
    assert.throws(() => make({ bogus: 1 }), /unknown perMessageDeflate option 'bogus'/);
    assert.throws(() => make({ compressor: 'private' }), /'shared' or 'dedicated'/);
    assert.throws(() => make({ serverMaxWindowBits: 8 }), /9/);
    const client = (perMessageDeflate: object) =>
      new WebSocket('ws://127.0.0.1:1', { perMessageDeflate: perMessageDeflate as never });
    assert.throws(() => client({ level: -1 }), /level is 0-9/);
    assert.throws(() => client({ serverMaxWindowBits: 16 }), /9 to 15/);
  });
});

describe('on the wire', () => {
  it('compresses messages at or over the threshold; compress: false and small ones go plain', async (t) => {
    let serverSide: WebSocket | null = null;
    const { url } = await startServer(t, {
      perMessageDeflate: { threshold: 100 },
      open(ws) {
        serverSide = ws;
      },
    });
    const ws = await connect(url);
    const clientSocket = (ws as unknown as { socket: Socket }).socket;
    const received: string[] = [];
    ws.on('message', (d) => received.push(String(d)));
    await eventually(() => !(serverSide === null), 'open', 2000);
    const compressed = await bytesWritten([clientSocket], async () => {
      serverSide!.send(json);
      await eventually(() => !(received.length < 1), 'json', 2000);
    });
    assert.ok(
      compressed < json.length / 4,
      `compressed on the wire: ${compressed} bytes for ${json.length}`,
    );
    const plain = await bytesWritten([clientSocket], async () => {
      serverSide!.send(json, { compress: false });
      await eventually(() => !(received.length < 2), 'plain', 2000);
    });
    assert.ok(plain > json.length, 'compress: false sends it as is');
    assert.deepEqual(received, [json, json]);
    ws.close();
  });

  it('a topic message is compressed once for all subscribers with a shared compressor', async (t) => {
    const { server, url } = await startServer(t, {
      perMessageDeflate: true,
      open: (ws) => void ws.subscribe('room'),
    });
    const clients = await Promise.all(Array.from({ length: 5 }, () => connect(url)));
    await eventually(() => !(server.subscriberCount('room') < 5), 'subscriptions', 2000);
    const { Deflater } = await import('../../src/node/deflate.js');
    const original = Deflater.prototype.compress;
    let compressions = 0;
    Deflater.prototype.compress = function (
      this: InstanceType<typeof Deflater>,
      payload: Uint8Array,
    ) {
      compressions++;
      return original.call(this, payload);
    };
    try {
      const arrived = clients.map((c) => next(c, 'message'));
      server.publish('room', json);
      for (const [message] of await Promise.all(arrived)) assert.equal(String(message), json);
    } finally {
      Deflater.prototype.compress = original;
    }
    assert.equal(compressions, 1);
    for (const c of clients) c.close();
  });

  it('mixes compressed and plain subscribers on one topic', async (t) => {
    const { server, url } = await startServer(t, {
      perMessageDeflate: true,
      open: (ws) => void ws.subscribe('room'),
    });
    const a = await connect(url);
    const b = await connect(url, { perMessageDeflate: false });
    await eventually(() => !(server.subscriberCount('room') < 2), 'subscriptions', 2000);
    const got = [next(a, 'message'), next(b, 'message')];
    server.publish('room', json);
    for (const [m] of await Promise.all(got)) assert.equal(String(m), json);
    a.close();
    b.close();
  });
});

describe('safety (RFC 7692 §8)', () => {
  it('a zip bomb ends with 1009 as soon as the limit is crossed', async (t) => {
    const { port } = await startServer(t, { perMessageDeflate: true, maxMessageSize: 1024 * 1024 });
    const raw = await RawClient.open(port);
    t.after(() => raw.destroy());
    await raw.handshake('/', 'Sec-WebSocket-Extensions: permessage-deflate\r\n');
    const bomb = deflateRawSync(Buffer.alloc(256 * 1024 * 1024), {
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    assert.ok(bomb.length < 300 * 1024, `${bomb.length} bytes inflate to 256 MiB`);
    const before = process.memoryUsage().rss;
    raw.write(clientFrame({ opcode: 2, rsv: 4, payload: bomb.subarray(0, -4) }));
    const reply = await raw.waitClosed(5000);
    assert.equal(reply[0], 0x88);
    assert.equal(reply.readUInt16BE(2), 1009);
    assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'memory stayed bounded');
  });

  it('corrupt compressed data ends with 1007; RSV1 without negotiation with 1002', async (t) => {
    const { port } = await startServer(t, { perMessageDeflate: true });
    const corrupt = await RawClient.open(port);
    t.after(() => corrupt.destroy());
    await corrupt.handshake('/', 'Sec-WebSocket-Extensions: permessage-deflate\r\n');
    corrupt.write(clientFrame({ opcode: 1, rsv: 4, payload: Buffer.from('ffffffff', 'hex') }));
    assert.equal((await corrupt.waitClosed()).readUInt16BE(2), 1007);
    const unnegotiated = await RawClient.open(port);
    t.after(() => unnegotiated.destroy());
    await unnegotiated.handshake();
    unnegotiated.write(clientFrame({ opcode: 1, rsv: 4, payload: Buffer.from('00', 'hex') }));
    assert.equal((await unnegotiated.waitClosed()).readUInt16BE(2), 1002);
  });
});

/**
 * wsx's server against Node's own `WebSocket` client (undici, a global since Node 22): the client
 * many Node programs use without installing anything. Text in Chinese and emoji, binary, 1 MiB
 * messages, subprotocols, close codes both ways, and permessage-deflate, which undici offers by
 * default (`client_max_window_bits`), seen on the wire through a {@link WireTap}.
 *
 * Node 20 has no global `WebSocket` (only behind --experimental-websocket), so these tests skip
 * there with a message; `npm test` under CI=true runs them on Node 22, 24 and 26
 * (scripts/run-tests.mjs), where they must pass.
 */

import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { ServerOptions } from 'wsx';
import {
  assertMessage,
  BINARY,
  bigBinary,
  bigText,
  type Closed,
  MAX_MESSAGE_SIZE,
  nextConnection,
  type Received,
  startWsxServer,
  TEXT,
  within,
} from './helpers.js';
import { checkRun, RUN, type Takeover, WireTap } from './wire.js';

/** The part of the WHATWG WebSocket these tests use (Node's types for it need Node >= 22). */
interface NodeWebSocket extends EventTarget {
  readonly protocol: string;
  readonly extensions: string;
  binaryType: 'blob' | 'arraybuffer';
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}
type NodeWebSocketClass = new (url: string, protocols?: string[]) => NodeWebSocket;

const NodeWebSocket = (globalThis as { WebSocket?: NodeWebSocketClass }).WebSocket;
const MAJOR = Number(process.versions.node.split('.')[0]);

/** Skips on a Node without a global WebSocket; fails instead when it should have one. */
function requireNodeWebSocket(t: TestContext): NodeWebSocketClass | null {
  if (NodeWebSocket !== undefined) return NodeWebSocket;
  if (MAJOR >= 22) throw new Error(`Node ${process.version} should have a global WebSocket`);
  const message = `Node ${process.version} has no global WebSocket (Node >= 22 has)`;
  console.warn(`\n*** SKIPPED: ${t.name}: ${message}; CI runs it on Node 22, 24 and 26 ***\n`);
  t.skip(message);
  return null;
}

/** Collects a WHATWG WebSocket's messages and its close event. */
class EventInbox {
  readonly #messages: Received[] = [];
  readonly #waiters: ((message: Received) => void)[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<Closed & { wasClean: boolean }>;

  constructor(socket: NodeWebSocket) {
    socket.addEventListener('message', (event) => {
      const { data } = event as unknown as { data: string | ArrayBuffer };
      const message =
        typeof data === 'string'
          ? { data: Buffer.from(data, 'utf8'), isBinary: false }
          : { data: Buffer.from(data), isBinary: true };
      const waiter = this.#waiters.shift();
      if (waiter === undefined) this.#messages.push(message);
      else waiter(message);
    });
    this.opened = new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error('the WebSocket failed')), {
        once: true,
      });
    });
    this.closed = new Promise((resolve) => {
      socket.addEventListener(
        'close',
        (event) => {
          const { code, reason, wasClean } = event as unknown as Closed & { wasClean: boolean };
          resolve({ code, reason, wasClean });
        },
        { once: true },
      );
    });
  }

  next(ms = 8000): Promise<Received> {
    const queued = this.#messages.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return within(new Promise<Received>((resolve) => this.#waiters.push(resolve)), ms, 'a message');
  }
}

/** A wsx server and Node's WebSocket connected to it (through a wire tap when asked). */
async function undiciClient(
  t: TestContext,
  Client: NodeWebSocketClass,
  options: {
    protocols?: string[];
    perMessageDeflate?: ServerOptions['perMessageDeflate'];
    tap?: boolean;
  } = {},
) {
  const { server, url, port } = await startWsxServer(t, {
    maxMessageSize: MAX_MESSAGE_SIZE,
    ...(options.protocols === undefined ? {} : { protocols: ['b'] }),
    ...(options.perMessageDeflate === undefined
      ? {}
      : { perMessageDeflate: options.perMessageDeflate }),
  });
  const tap = options.tap ? await WireTap.start(t, port) : null;
  const accepted = nextConnection(server);
  const target = tap === null ? url : `ws://127.0.0.1:${tap.port}`;
  const client = new Client(`${target}/chat`, options.protocols ?? []);
  client.binaryType = 'arraybuffer';
  t.after(() => client.close());
  const clientInbox = new EventInbox(client);
  await within(clientInbox.opened, 8000, "Node's WebSocket to open");
  const { ws, req, inbox } = await accepted;
  return { client, clientInbox, ws, req, inbox, tap };
}

type Both = Awaited<ReturnType<typeof undiciClient>>;

/** `payload` from Node's client to wsx and back; each side receives it exactly. */
async function bothWays({ client, clientInbox, ws, inbox }: Both, payload: string | Buffer) {
  client.send(payload);
  assertMessage(await inbox.next(), payload);
  ws.send(payload);
  assertMessage(await clientInbox.next(), payload);
}

test("Node's WebSocket -> wsx server: Chinese and emoji text both ways", async (t) => {
  const Client = requireNodeWebSocket(t);
  if (Client === null) return;
  const both = await undiciClient(t, Client);
  await bothWays(both, TEXT);
  await bothWays(both, '');
  await bothWays(both, '你好😀'.repeat(2000));
});

test("Node's WebSocket -> wsx server: binary both ways", async (t) => {
  const Client = requireNodeWebSocket(t);
  if (Client === null) return;
  const both = await undiciClient(t, Client);
  await bothWays(both, BINARY);
  await bothWays(both, Buffer.alloc(0));
});

test("Node's WebSocket -> wsx server: 1 MiB binary and 1 MiB text both ways", async (t) => {
  const Client = requireNodeWebSocket(t);
  if (Client === null) return;
  const both = await undiciClient(t, Client);
  await bothWays(both, bigBinary());
  await bothWays(both, bigText());
});

test("Node's WebSocket -> wsx server: offers a,b; the server speaks b; both see b", async (t) => {
  const Client = requireNodeWebSocket(t);
  if (Client === null) return;
  const both = await undiciClient(t, Client, { protocols: ['a', 'b'] });
  assert.equal(both.req.headers['sec-websocket-protocol'], 'a, b');
  assert.equal(both.client.protocol, 'b');
  assert.equal(both.ws.protocol, 'b');
  await bothWays(both, TEXT);
});

test("Node's WebSocket -> wsx server: the client closes with 4001 'bye'; wsx sees 4001 'bye'", async (t) => {
  const Client = requireNodeWebSocket(t);
  if (Client === null) return;
  const { client, clientInbox, inbox } = await undiciClient(t, Client);
  client.close(4001, 'bye');
  assert.deepEqual(await inbox.close(), { code: 4001, reason: 'bye' });
  const closed = await within(clientInbox.closed, 8000, "the client's close event");
  assert.equal(closed.code, 4001);
  assert.equal(closed.wasClean, true);
});

test("Node's WebSocket -> wsx server: wsx closes with 4002 '再见'; the client sees 4002 '再见'", async (t) => {
  const Client = requireNodeWebSocket(t);
  if (Client === null) return;
  const { clientInbox, ws, inbox } = await undiciClient(t, Client);
  ws.close(4002, '再见');
  const closed = await within(clientInbox.closed, 8000, "the client's close event");
  assert.deepEqual(closed, { code: 4002, reason: '再见', wasClean: true });
  assert.equal((await inbox.close()).code, 4002);
});

// ---- permessage-deflate ------------------------------------------------------------------------
//
// Node's client offers `permessage-deflate; client_max_window_bits`. RUN (wire.ts: 200 KiB JSON
// text with Chinese and emoji, 100 KiB of random bytes, a 3 KiB probe twice, 200 KiB more JSON)
// goes both ways; each message is checked where it arrives, then the wire: what wsx sends is
// compressed to well under half (RSV1 on every text message) with the context takeover agreed.
// What the client sends is checked the same way when it compresses.

async function deflateRun(
  t: TestContext,
  perMessageDeflate: ServerOptions['perMessageDeflate'],
  header: string,
  takeover: Takeover,
) {
  const Client = requireNodeWebSocket(t);
  if (Client === null) return;
  const both = await undiciClient(t, Client, { perMessageDeflate, tap: true });
  assert.equal(
    both.req.headers['sec-websocket-extensions'],
    'permessage-deflate; client_max_window_bits',
  );
  for (const payload of RUN) await bothWays(both, payload);
  const wire = both.tap!.only();
  assert.equal(wire.toClient.header('sec-websocket-extensions'), header, 'the 101 on the wire');
  assert.equal(both.ws.extensions, header);
  assert.equal(both.client.extensions, header);
  checkRun(wire.toClient, takeover, 'wsx server -> Node client');
  const sent = wire.toServer.messages();
  assert.equal(sent.length, RUN.length);
  // Undici decides for itself whether to compress what it sends; whatever it does must arrive
  // intact (checked above), and when it compresses, it must honour the agreement too.
  if (sent.some((m) => m.compressed))
    checkRun(wire.toServer, takeover, 'Node client -> wsx server');
  both.client.close(1000, 'done');
  assert.deepEqual(await both.inbox.close(), { code: 1000, reason: 'done' });
}

test("Node's WebSocket -> wsx server perMessageDeflate: true (shared): compressed, no context takeover", async (t) => {
  await deflateRun(
    t,
    true,
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    'reset',
  );
});

test("Node's WebSocket -> wsx server, dedicated compressor and decompressor: context takeover", async (t) => {
  await deflateRun(
    t,
    { compressor: 'dedicated', decompressor: 'dedicated' },
    'permessage-deflate',
    'kept',
  );
});

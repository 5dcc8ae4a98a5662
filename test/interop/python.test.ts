/**
 * wsx against Python `websockets` (Debian python3-websockets, 10.4), both ways: its client
 * against the wsx server, and its server against the wsx client. The Python side is the small
 * echo peer in `python/` (run with /usr/bin/python3, one child process per test): it reports
 * every event as a JSON line, echoes every message, and closes when asked to.
 *
 * Compression: the wsx server declines permessage-deflate unless `perMessageDeflate` is set (its
 * default), the wsx client offers it by default. The first sections run uncompressed (the Python
 * server is started with `compression=None`); the last one runs permessage-deflate through a
 * {@link WireTap}, which shows every message's RSV1 bit and size on the wire.
 */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ClientOptions, connect, type ServerOptions, type WebSocket } from 'wsx';
import {
  assertMessage,
  assertReport,
  BINARY,
  bigBinary,
  bigText,
  Inbox,
  MAX_MESSAGE_SIZE,
  MIB,
  nextConnection,
  requireSystemPackage,
  startWsxServer,
  TEXT,
  tls,
  within,
} from './helpers.js';
import { checkRun, checkUncompressed, RUN, type Takeover, WireTap } from './wire.js';

/** Debian's interpreter: the `python3` on PATH may be another one, without websockets. */
const PYTHON = '/usr/bin/python3';
const scripts = new URL('./python/', import.meta.url);
const available =
  spawnSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/** What the peer reports: `{ event: 'open' | 'message' | 'closed' | ..., ...fields }`. */
type PeerEvent = Record<string, unknown> & { event: string };

/** A Python peer process: its JSON-line events in order, killed if still running at the end. */
class PythonPeer {
  readonly #events: PeerEvent[] = [];
  readonly #waiters: ((event: PeerEvent | null) => void)[] = [];
  #ended = false;
  #stderr = '';
  readonly exited: Promise<number | null>;

  constructor(t: TestContext, script: string, args: readonly string[]) {
    const child = spawn(PYTHON, [fileURLToPath(new URL(script, scripts)), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.on('error', (error) => {
      this.#stderr += `could not run ${PYTHON}: ${error.message}\n`;
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => this.#push(JSON.parse(line) as PeerEvent));
    lines.on('close', () => {
      this.#ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter(null);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  #push(event: PeerEvent): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#events.push(event);
    else waiter(event);
  }

  /** The next event, which must be `name`. */
  async next(name: string, ms = 8000): Promise<PeerEvent> {
    let event = this.#events.shift() ?? null;
    if (event === null && !this.#ended) {
      const arrived = new Promise<PeerEvent | null>((resolve) => this.#waiters.push(resolve));
      event = await within(arrived, ms, `the Python peer's '${name}' event`).catch((error: Error) =>
        assert.fail(`${error.message}${this.#stderrNote()}`),
      );
    }
    if (event === null) {
      await within(this.exited, 2000, 'the Python peer to exit').catch(() => {});
      assert.fail(`the Python peer exited before '${name}'${this.#stderrNote()}`);
    }
    if (event.event !== name) {
      assert.fail(`expected the Python peer's '${name}', got ${JSON.stringify(event)}`);
    }
    return event;
  }

  /** Waits for the peer to exit by itself; it must exit with status 0. */
  async exit(ms = 8000): Promise<void> {
    const code = await within(this.exited, ms, 'the Python peer to exit').catch((error: Error) =>
      assert.fail(`${error.message}${this.#stderrNote()}`),
    );
    assert.equal(code, 0, `the Python peer's exit status${this.#stderrNote()}`);
  }

  #stderrNote(): string {
    return this.#stderr === '' ? '' : `; its stderr:\n${this.#stderr}`;
  }
}

/** Sends `payload` to the Python peer, checks what it received, and checks its echo. */
async function roundTrip(
  ws: WebSocket,
  inbox: Inbox,
  peer: PythonPeer,
  payload: string | Buffer,
  options?: { compress: false },
): Promise<void> {
  ws.send(payload, options);
  assertReport(await peer.next('message'), payload);
  assertMessage(await inbox.next(), payload);
}

/** The normal end: wsx closes with 1000, both sides agree, the peer exits cleanly. */
async function closeNormally(ws: WebSocket, inbox: Inbox, peer: PythonPeer): Promise<void> {
  ws.close(1000, 'done');
  const closed = await peer.next('closed');
  assert.deepEqual(closed.rcvd, { code: 1000, reason: 'done' });
  assert.deepEqual(await inbox.close(), { code: 1000, reason: 'done' });
  await peer.exit();
}

/** A wsx server, a Python client connected to it, and the server side of that connection. */
async function pythonClient(
  t: TestContext,
  options: {
    protocols?: string;
    compression?: 'deflate';
    secure?: boolean;
    perMessageDeflate?: ServerOptions['perMessageDeflate'];
    /** Connect through a {@link WireTap} (plain ws:// only). */
    tap?: boolean;
  } = {},
) {
  const { server, url, port } = await startWsxServer(t, {
    maxMessageSize: MAX_MESSAGE_SIZE,
    ...(options.protocols === undefined ? {} : { protocols: ['b'] }),
    ...(options.secure ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    ...(options.perMessageDeflate === undefined
      ? {}
      : { perMessageDeflate: options.perMessageDeflate }),
  });
  const tap = options.tap ? await WireTap.start(t, port) : null;
  const accepted = nextConnection(server);
  const peer = new PythonPeer(t, 'client.py', [
    tap === null ? url : `ws://127.0.0.1:${tap.port}`,
    ...(options.protocols === undefined ? [] : ['--protocols', options.protocols]),
    ...(options.secure ? ['--ca', tls.caPath] : []),
    '--compression',
    options.compression ?? 'none',
  ]);
  const { ws, req, inbox } = await accepted;
  const open = await peer.next('open');
  return { ws, req, inbox, peer, open, tap };
}

/** A Python server, and a wsx client connected to it. */
async function pythonServer(
  t: TestContext,
  options: {
    protocols?: readonly string[];
    secure?: boolean;
    /** Start the Python server with websockets' default permessage-deflate. */
    compression?: 'deflate';
    perMessageDeflate?: ClientOptions['perMessageDeflate'];
    /** Connect through a {@link WireTap} (plain ws:// only). */
    tap?: boolean;
  } = {},
) {
  const peer = new PythonPeer(t, 'server.py', [
    ...(options.protocols === undefined ? [] : ['--protocols', 'b']),
    ...(options.secure ? ['--cert', tls.certPath, '--key', tls.keyPath] : []),
    '--compression',
    options.compression ?? 'none',
  ]);
  const listening = await peer.next('listening');
  const tap = options.tap ? await WireTap.start(t, listening.port as number) : null;
  const port = tap === null ? (listening.port as number) : tap.port;
  const scheme = options.secure ? 'wss' : 'ws';
  const ws = await connect(`${scheme}://127.0.0.1:${String(port)}/interop?x=1`, {
    maxMessageSize: MAX_MESSAGE_SIZE,
    handshakeTimeout: 5000,
    ...(options.protocols === undefined ? {} : { protocols: options.protocols }),
    ...(options.secure ? { ca: tls.ca } : {}),
    ...(options.perMessageDeflate === undefined
      ? {}
      : { perMessageDeflate: options.perMessageDeflate }),
  });
  t.after(() => ws.terminate());
  const inbox = new Inbox(ws);
  const request = await peer.next('request');
  const open = await peer.next('open');
  return { ws, inbox, peer, request, open, tap };
}

// ---- Python client -> wsx server ---------------------------------------------------------------

test('Python client -> wsx server: Chinese and emoji text round-trips exactly', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer, open } = await pythonClient(t);
  assert.deepEqual(open, {
    event: 'open',
    subprotocol: null,
    extensions: [],
    extensions_header: null,
    deflate: null,
  });
  await roundTrip(ws, inbox, peer, TEXT);
  await roundTrip(ws, inbox, peer, '');
  await closeNormally(ws, inbox, peer);
});

test('Python client -> wsx server: binary round-trips exactly', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer } = await pythonClient(t);
  await roundTrip(ws, inbox, peer, BINARY);
  await roundTrip(ws, inbox, peer, Buffer.alloc(0));
  await closeNormally(ws, inbox, peer);
});

test('Python client -> wsx server: 1 MiB binary and 1 MiB text both ways', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer } = await pythonClient(t);
  await roundTrip(ws, inbox, peer, bigBinary());
  await roundTrip(ws, inbox, peer, bigText());
  await closeNormally(ws, inbox, peer);
});

test('Python client -> wsx server: offers a,b; the server speaks b; both see b', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, req, inbox, peer, open } = await pythonClient(t, { protocols: 'a,b' });
  assert.equal(req.headers['sec-websocket-protocol'], 'a, b');
  assert.equal(ws.protocol, 'b');
  assert.equal(open.subprotocol, 'b');
  await roundTrip(ws, inbox, peer, TEXT);
  await closeNormally(ws, inbox, peer);
});

test('Python client -> wsx server: Python closes with 4001 "bye"; wsx sees 4001 "bye"', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer } = await pythonClient(t);
  ws.send('wsx-interop:close 4001 bye');
  await peer.next('message');
  assert.deepEqual(await inbox.close(), { code: 4001, reason: 'bye' });
  const closed = await peer.next('closed');
  assert.deepEqual(closed.sent, { code: 4001, reason: 'bye' });
  assert.equal((closed.rcvd as { code: number }).code, 4001, 'wsx echoes the close code');
  assert.equal(closed.rcvd_then_sent, false);
  await peer.exit();
});

test('Python client -> wsx server: wsx closes with 4002 "再见"; Python sees 4002 "再见"', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer } = await pythonClient(t);
  ws.close(4002, '再见');
  const closed = await peer.next('closed');
  assert.deepEqual(closed.rcvd, { code: 4002, reason: '再见' });
  assert.equal(closed.code, 4002);
  assert.equal(closed.reason, '再见');
  assert.equal(closed.rcvd_then_sent, true);
  assert.deepEqual(await inbox.close(), { code: 4002, reason: '再见' });
  await peer.exit();
});

test('Python client -> wsx server: wss:// with the test certificate', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer } = await pythonClient(t, { secure: true });
  await roundTrip(ws, inbox, peer, TEXT);
  await roundTrip(ws, inbox, peer, BINARY);
  await closeNormally(ws, inbox, peer);
});

test('Python client offering permessage-deflate: wsx (compression off by default) declines, nothing is compressed', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, req, inbox, peer, open, tap } = await pythonClient(t, {
    compression: 'deflate',
    tap: true,
  });
  assert.equal(
    req.headers['sec-websocket-extensions'],
    'permessage-deflate; client_max_window_bits',
  );
  assert.deepEqual(open.extensions, [], 'no extension was negotiated');
  assert.equal(open.extensions_header, null);
  assert.equal(ws.extensions, '');
  await roundTrip(ws, inbox, peer, TEXT);
  await roundTrip(ws, inbox, peer, bigText());
  const wire = tap!.only();
  assert.equal(wire.toClient.header('sec-websocket-extensions'), null, 'the 101 has no extension');
  checkUncompressed(wire.toServer, 'Python -> wsx');
  checkUncompressed(wire.toClient, 'wsx -> Python');
  assert.equal(wire.toServer.messages()[1]!.wireLength, MIB, 'Python sent 1 MiB as is');
  await closeNormally(ws, inbox, peer);
});

// ---- wsx client -> Python server ---------------------------------------------------------------

test('wsx client -> Python server: Chinese and emoji text round-trips exactly', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer, request, open } = await pythonServer(t);
  // The wsx client offers permessage-deflate by default; this Python server has it off.
  assert.deepEqual(request, {
    event: 'request',
    path: '/interop?x=1',
    extensions: 'permessage-deflate; client_max_window_bits',
    protocols: null,
  });
  assert.deepEqual(open, {
    event: 'open',
    subprotocol: null,
    extensions: [],
    extensions_header: null,
    deflate: null,
  });
  assert.equal(ws.extensions, '', 'the offer was declined');
  await roundTrip(ws, inbox, peer, TEXT);
  await roundTrip(ws, inbox, peer, '');
  await closeNormally(ws, inbox, peer);
});

test('wsx client -> Python server: binary round-trips exactly', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer } = await pythonServer(t);
  await roundTrip(ws, inbox, peer, BINARY);
  await roundTrip(ws, inbox, peer, Buffer.alloc(0));
  await closeNormally(ws, inbox, peer);
});

test('wsx client -> Python server: 1 MiB binary and 1 MiB text both ways', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer } = await pythonServer(t);
  await roundTrip(ws, inbox, peer, bigBinary());
  await roundTrip(ws, inbox, peer, bigText());
  await closeNormally(ws, inbox, peer);
});

test('wsx client -> Python server: offers a,b; the server speaks b; both see b', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer, request, open } = await pythonServer(t, { protocols: ['a', 'b'] });
  assert.equal(request.protocols, 'a, b');
  assert.equal(open.subprotocol, 'b');
  assert.equal(ws.protocol, 'b');
  await roundTrip(ws, inbox, peer, TEXT);
  await closeNormally(ws, inbox, peer);
});

test('wsx client -> Python server: Python closes with 4001 "bye"; wsx sees 4001 "bye"', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer } = await pythonServer(t);
  ws.send('wsx-interop:close 4001 bye');
  await peer.next('message');
  assert.deepEqual(await inbox.close(), { code: 4001, reason: 'bye' });
  const closed = await peer.next('closed');
  assert.deepEqual(closed.sent, { code: 4001, reason: 'bye' });
  assert.equal((closed.rcvd as { code: number }).code, 4001, 'wsx echoes the close code');
  await peer.exit();
});

test('wsx client -> Python server: wsx closes with 4002 "再见"; Python sees 4002 "再见"', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer } = await pythonServer(t);
  ws.close(4002, '再见');
  const closed = await peer.next('closed');
  assert.deepEqual(closed.rcvd, { code: 4002, reason: '再见' });
  assert.equal(closed.rcvd_then_sent, true);
  assert.deepEqual(await inbox.close(), { code: 4002, reason: '再见' });
  await peer.exit();
});

test('wsx client -> Python server: wss:// with the test CA', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer } = await pythonServer(t, { secure: true });
  assert.equal(ws.url, `wss://127.0.0.1:${new URL(ws.url).port}/interop?x=1`);
  await roundTrip(ws, inbox, peer, TEXT);
  await roundTrip(ws, inbox, peer, bigBinary());
  await closeNormally(ws, inbox, peer);
});

// ---- permessage-deflate, both ways -------------------------------------------------------------
//
// Python websockets compresses with context takeover by default; its server asks for 12-bit
// windows both ways (server_max_window_bits=12; client_max_window_bits=12). Each test sends RUN
// (wire.ts: 200 KiB JSON text with Chinese and emoji, 100 KiB of random bytes, a 3 KiB probe twice,
// another 200 KiB JSON) from wsx; the peer checks each message (length, SHA-256) and echoes it, wsx checks
// the echo. The tap then shows, each way, that every text message went over compressed at well
// under half its size, and the repeated probe shows the context takeover agreed in force.

/** What a test expects to be agreed and seen on the wire. */
interface Agreement {
  /** The Sec-WebSocket-Extensions of the 101, as sent, as wsx reports it, as Python read it. */
  readonly header: string;
  /** Python's PerMessageDeflate in force (local: Python's compressor; remote: its peer's). */
  readonly python: {
    readonly local_no_context_takeover: boolean;
    readonly remote_no_context_takeover: boolean;
    readonly local_max_window_bits: number;
    readonly remote_max_window_bits: number;
  };
  readonly toServer: Takeover;
  readonly toClient: Takeover;
}

/** RUN both ways; checks the agreement on both sides and on the wire. */
async function compressedRun(
  ws: WebSocket,
  inbox: Inbox,
  peer: PythonPeer,
  open: Record<string, unknown>,
  tap: WireTap,
  expected: Agreement,
  who: { server: string; client: string },
): Promise<void> {
  assert.deepEqual(open.extensions, ['permessage-deflate']);
  assert.equal(open.extensions_header, expected.header, 'the header Python saw');
  assert.deepEqual(open.deflate, expected.python, "Python's parameters in force");
  assert.equal(ws.extensions, expected.header, 'ws.extensions on the wsx side');
  for (const payload of RUN) await roundTrip(ws, inbox, peer, payload);
  const wire = tap.only();
  assert.equal(wire.toClient.header('sec-websocket-extensions'), expected.header, 'on the wire');
  checkRun(wire.toServer, expected.toServer, `${who.client} -> ${who.server}`);
  checkRun(wire.toClient, expected.toClient, `${who.server} -> ${who.client}`);
}

const PYTHON_CLIENT = { server: 'wsx server', client: 'Python client' };
const PYTHON_SERVER = { server: 'Python server', client: 'wsx client' };

test('Python client -> wsx server perMessageDeflate: true (shared): no context takeover either way', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, req, inbox, peer, open, tap } = await pythonClient(t, {
    compression: 'deflate',
    perMessageDeflate: true,
    tap: true,
  });
  assert.equal(
    req.headers['sec-websocket-extensions'],
    'permessage-deflate; client_max_window_bits',
  );
  await compressedRun(
    ws,
    inbox,
    peer,
    open,
    tap!,
    {
      header: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      python: {
        local_no_context_takeover: true,
        remote_no_context_takeover: true,
        local_max_window_bits: 15,
        remote_max_window_bits: 15,
      },
      toServer: 'reset',
      toClient: 'reset',
    },
    PYTHON_CLIENT,
  );
  await closeNormally(ws, inbox, peer);
});

test('Python client -> wsx server, dedicated compressor and decompressor: context takeover both ways; opt-outs stay uncompressed', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer, open, tap } = await pythonClient(t, {
    compression: 'deflate',
    perMessageDeflate: { compressor: 'dedicated', decompressor: 'dedicated' },
    tap: true,
  });
  await compressedRun(
    ws,
    inbox,
    peer,
    open,
    tap!,
    {
      header: 'permessage-deflate',
      python: {
        local_no_context_takeover: false,
        remote_no_context_takeover: false,
        local_max_window_bits: 15,
        remote_max_window_bits: 15,
      },
      toServer: 'kept',
      toClient: 'kept',
    },
    PYTHON_CLIENT,
  );
  // Under the threshold, and `compress: false`: sent as is, and they do not touch the windows:
  // the probe after them is still a few back-references into the one before them.
  const [big, , probe] = RUN as [string, Buffer, string];
  await roundTrip(ws, inbox, peer, probe);
  await roundTrip(ws, inbox, peer, TEXT);
  await roundTrip(ws, inbox, peer, big, { compress: false });
  await roundTrip(ws, inbox, peer, probe);
  const sent = tap!.only().toClient.messages().slice(RUN.length);
  assert.deepEqual(
    sent.map((m) => m.compressed),
    [true, false, false, true],
    'probe, small, compress: false, probe',
  );
  assert.equal(sent[2]!.wireLength, Buffer.byteLength(big));
  assert.ok(
    sent[3]!.wireLength < 100,
    `the probe again, ${sent[3]!.wireLength} bytes: window kept`,
  );
  await closeNormally(ws, inbox, peer);
});

test('wsx client (default offer) -> Python server with compression: 12-bit windows, context takeover both ways', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer, request, open, tap } = await pythonServer(t, {
    compression: 'deflate',
    tap: true,
  });
  assert.equal(request.extensions, 'permessage-deflate; client_max_window_bits');
  await compressedRun(
    ws,
    inbox,
    peer,
    open,
    tap!,
    {
      // The 12-bit window asked for wsx's compressor must be honoured: Python inflates with 12.
      header: 'permessage-deflate; server_max_window_bits=12; client_max_window_bits=12',
      python: {
        local_no_context_takeover: false,
        remote_no_context_takeover: false,
        local_max_window_bits: 12,
        remote_max_window_bits: 12,
      },
      toServer: 'kept',
      toClient: 'kept',
    },
    PYTHON_SERVER,
  );
  await closeNormally(ws, inbox, peer);
});

test('wsx client { clientNoContextTakeover: true } -> Python server: wsx resets its window, Python keeps its own', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer, request, open, tap } = await pythonServer(t, {
    compression: 'deflate',
    perMessageDeflate: { clientNoContextTakeover: true },
    tap: true,
  });
  assert.equal(
    request.extensions,
    'permessage-deflate; client_no_context_takeover; client_max_window_bits',
  );
  await compressedRun(
    ws,
    inbox,
    peer,
    open,
    tap!,
    {
      header:
        'permessage-deflate; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12',
      python: {
        local_no_context_takeover: false,
        remote_no_context_takeover: true,
        local_max_window_bits: 12,
        remote_max_window_bits: 12,
      },
      toServer: 'reset',
      toClient: 'kept',
    },
    PYTHON_SERVER,
  );
  await closeNormally(ws, inbox, peer);
});

test('wsx client { serverMaxWindowBits: 10 } -> Python server: Python compresses with a 1 KiB window', async (t) => {
  if (!requireSystemPackage(t, available, 'python3-websockets')) return;
  const { ws, inbox, peer, request, open, tap } = await pythonServer(t, {
    compression: 'deflate',
    perMessageDeflate: { serverMaxWindowBits: 10 },
    tap: true,
  });
  assert.equal(
    request.extensions,
    'permessage-deflate; server_max_window_bits=10; client_max_window_bits',
  );
  await compressedRun(
    ws,
    inbox,
    peer,
    open,
    tap!,
    {
      header: 'permessage-deflate; server_max_window_bits=10; client_max_window_bits=12',
      python: {
        local_no_context_takeover: false,
        remote_no_context_takeover: false,
        local_max_window_bits: 10,
        remote_max_window_bits: 12,
      },
      toServer: 'kept',
      toClient: 'small',
    },
    PYTHON_SERVER,
  );
  await closeNormally(ws, inbox, peer);
});

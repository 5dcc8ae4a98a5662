/**
 * The conformance suite's harness: a wsx echo server reached over one transport (TCP, TLS, or
 * the in-memory pair), and `Peer`, a raw client that writes exact bytes and reads back exact
 * frames, HTTP responses, and whether the server closed its side of the connection (a FIN, seen
 * as 'end') or not.
 */

import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { MemoryTransport } from '../../src/node/memory-transport.js';
import type { ServerOptions } from '../../src/server/options.js';
import { WebSocketServer } from '../../src/server/websocket-server.js';
import { clientFrame, concat } from '../helpers/frames.js';
import { closeWhenDone, RawClient, startServer } from '../helpers/net.js';
import {
  acceptFor,
  assertFrame,
  DEFAULT_KEY,
  type ExpectedFrame,
  type HttpResponse,
  Op,
  parseHead,
  type ReceivedFrame,
  type RequestSpec,
  upgradeRequest,
} from './wire.js';

export type EchoOptions = Omit<ServerOptions<unknown>, 'port' | 'server' | 'noServer' | 'tls'>;

/** A raw connection to the server: bytes out, bytes in, and its end. */
export interface RawConnection {
  write(data: Uint8Array | string): void;
  destroy(): void;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'end' | 'close', listener: () => void): unknown;
}

/** How the suite reaches the server: starts one with `options`, opens raw connections to it. */
export interface Transport {
  readonly name: string;
  /**
   * How a peer opens its WebSocket: the HTTP/1.1 Upgrade written on a raw connection (default),
   * or an HTTP/2 extended CONNECT the transport sends itself (`connect`).
   */
  readonly handshake?: 'http1' | 'http2';
  start(
    t: TestContext,
    options: ServerOptions<unknown>,
  ): Promise<{
    server: WebSocketServer<unknown>;
    open(): Promise<RawConnection>;
    /** A connection whose opening handshake is done (HTTP/2 transports). */
    connect?(request: RequestSpec): Promise<RawConnection>;
  }>;
}

/** Over TCP (`ws://`), or TLS (`wss://`) with these key and certificate: a standalone server. */
export function socketTransport(
  name: string,
  tls?: { readonly key: Buffer; readonly cert: Buffer },
): Transport {
  return {
    name,
    async start(t, options) {
      const { server, port } = await startServer(t, {
        ...(options as EchoOptions),
        ...(tls === undefined ? {} : { tls }),
      });
      const open = async (): Promise<RawConnection> => {
        const raw = await RawClient.open(port, { tls: tls !== undefined });
        raw.socket.setNoDelay(true);
        return raw.socket;
      };
      return { server, open };
    },
  };
}

/**
 * Over the in-memory transport pair: no sockets at all. The server serves each connection as its
 * standalone server serves a TCP one (`handleConnection`).
 */
export const memoryTransport: Transport = {
  name: 'memory',
  async start(t, options) {
    const server = new WebSocketServer({ ...(options as EchoOptions), noServer: true });
    closeWhenDone(t, server);
    const open = async (): Promise<RawConnection> => {
      const [client, serverEnd] = MemoryTransport.pair();
      server.handleConnection(serverEnd);
      return client;
    };
    return { server, open };
  },
};

export interface Harness {
  readonly server: WebSocketServer<unknown>;
  /** A raw connection, no handshake yet. Destroyed when the test ends. */
  open(): Promise<Peer>;
  /** A raw connection that completed the opening handshake. */
  connect(request?: RequestSpec): Promise<Peer>;
}

/**
 * Starts an echo server (`message` sends back what it got, same type) over `transport`, with
 * `options` on top. Clients opened through the harness are destroyed before the server closes,
 * so a test that leaves one open never waits for the server's close timeout.
 */
export async function startEcho(
  t: TestContext,
  transport: Transport,
  options: EchoOptions = {},
): Promise<Harness> {
  const peers: Peer[] = [];
  t.after(() => {
    for (const peer of peers) peer.destroy();
  }); // registered first, so it runs before startServer's server.close()
  const started = await transport.start(t, {
    message(ws, data, isBinary) {
      ws.send(data, { binary: isBinary });
    },
    ...options,
  });
  const open = async (): Promise<Peer> => {
    const peer = new Peer(await started.open());
    peers.push(peer);
    return peer;
  };
  const connect = async (request: RequestSpec = {}): Promise<Peer> => {
    if (started.connect !== undefined) {
      const peer = new Peer(await started.connect(request));
      peers.push(peer);
      return peer;
    }
    const peer = await open();
    await peer.handshake(request);
    return peer;
  };
  return { server: started.server, open, connect };
}

// ---- The raw peer -------------------------------------------------------------------------------

const decoder = new TextDecoder('utf-8', { fatal: true });
let quietCount = 0;

export class Peer {
  readonly raw: RawConnection;
  /** Received and not yet consumed. */
  #chunks: Buffer[] = [];
  #length = 0;
  #ended = false;
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(raw: RawConnection) {
    this.raw = raw;
    const socket = raw;
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
      this.#notify();
    });
    socket.once('end', () => {
      this.#ended = true;
      this.#notify();
    });
    socket.once('close', () => {
      this.#closed = true;
      this.#notify();
    });
  }

  /** Whether the server ended its side of the connection (a FIN, or TLS close then FIN). */
  get serverEnded(): boolean {
    return this.#ended;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes received and not consumed yet. */
  get unread(): number {
    return this.#length;
  }

  destroy(): void {
    this.raw.destroy();
  }

  /** Writes all `parts` in one write. */
  send(...parts: Uint8Array[]): void {
    this.raw.write(parts.length === 1 ? parts[0]! : concat(parts));
  }

  /** Writes `data` `size` bytes at a time, yielding to the event loop between writes. */
  async sendSlowly(data: Uint8Array, size = 1): Promise<void> {
    for (let at = 0; at < data.length; at += size) {
      this.raw.write(data.slice(at, at + size));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  // ---- HTTP -------------------------------------------------------------------------------------

  /** Sends an opening handshake and asserts the 101 (with the right accept key). */
  async handshake(spec: RequestSpec = {}): Promise<HttpResponse> {
    this.raw.write(upgradeRequest(spec));
    const response = await this.readResponse();
    assert.equal(response.statusLine, 'HTTP/1.1 101 Switching Protocols');
    const key = spec.set?.['Sec-WebSocket-Key'] ?? DEFAULT_KEY;
    assert.equal(response.headers.get('sec-websocket-accept'), acceptFor(key));
    return response;
  }

  /** Reads one HTTP response head, and its body when it has a Content-Length. */
  async readResponse(ms = 5000): Promise<HttpResponse> {
    const head = await this.#until(
      () => {
        const all = this.#peek(this.#length);
        const end = all === null ? -1 : all.indexOf('\r\n\r\n');
        if (all === null || end === -1) return null;
        const text = all.subarray(0, end).toString('latin1');
        this.#consume(end + 4);
        return text;
      },
      ms,
      'an HTTP response head',
    );
    const parsed = parseHead(head);
    const length = Number(parsed.headers.get('content-length') ?? 0);
    const body = await this.#until(() => this.#take(length), ms, `a ${length}-byte body`);
    return { ...parsed, body };
  }

  // ---- Frames -----------------------------------------------------------------------------------

  /** The next frame the server sent. */
  readFrame(ms = 5000): Promise<ReceivedFrame> {
    return this.#until(() => this.#tryFrame(), ms, 'a frame');
  }

  /** Reads the next frame and asserts it (see {@link assertFrame}). */
  async expectFrame(opcode: number, payload: Uint8Array | string, ms = 5000): Promise<void> {
    assertFrame(await this.readFrame(ms), [opcode, payload]);
  }

  /**
   * Reads `expected.length` frames and asserts them as {@link expectFrame} does, in order within
   * data frames and in order within pongs, however the two interleave: RFC 6455 §5.5.3 asks for
   * a pong "as soon as is practical", so it may overtake the reply to an earlier message.
   */
  async expectFramesPongsAnywhere(expected: readonly ExpectedFrame[], ms = 5000): Promise<void> {
    const got: ReceivedFrame[] = [];
    for (let i = 0; i < expected.length; i++) got.push(await this.readFrame(ms));
    const isPong = (opcode: number): boolean => opcode === Op.PONG;
    const gotPongs = got.filter((f) => isPong(f.opcode));
    const wantPongs = expected.filter(([opcode]) => isPong(opcode));
    const gotData = got.filter((f) => !isPong(f.opcode));
    const wantData = expected.filter(([opcode]) => !isPong(opcode));
    assert.equal(gotPongs.length, wantPongs.length, 'number of pongs');
    for (const [i, f] of gotPongs.entries()) assertFrame(f, wantPongs[i]!);
    for (const [i, f] of gotData.entries()) assertFrame(f, wantData[i]!);
  }

  /**
   * Reads the next frame and asserts it is a close frame with `code` (no body when `code` is
   * null), that nothing follows it, and that the server then closes the TCP connection itself.
   * Returns the close reason.
   */
  async expectClose(code: number | null, ms = 5000): Promise<string> {
    const got = await this.readFrame(ms);
    assert.equal(got.opcode, Op.CLOSE, `expected a close frame, got opcode ${got.opcode}`);
    assert.equal(got.fin, true);
    assert.equal(got.masked, false);
    let reason = '';
    if (code === null) {
      assert.equal(got.payload.length, 0, 'an empty close frame');
    } else {
      assert.ok(
        got.payload.length >= 2,
        `a close frame with a code, got ${got.payload.length} bytes`,
      );
      assert.equal(got.payload.readUInt16BE(0), code, 'close code');
      reason = decoder.decode(got.payload.subarray(2));
    }
    await this.expectServerClosed(ms);
    return reason;
  }

  /** Asserts that the server closes the TCP connection (a FIN) and sent nothing more. */
  async expectServerClosed(ms = 5000): Promise<void> {
    await this.#until(() => (this.#closed ? true : null), ms, 'the server to close TCP');
    assert.equal(this.#ended, true, 'the server ended the TCP connection (FIN), not a reset');
    assert.equal(this.#length, 0, `${this.#length} unexpected bytes after the last frame`);
  }

  /**
   * Asserts that the server sent nothing more and still reads: a ping goes out, and the next
   * frame back is its pong. (A round trip instead of a wait: nothing here depends on time.)
   */
  async expectQuiet(): Promise<void> {
    const marker = `quiet-${++quietCount}`;
    this.send(clientFrame({ opcode: Op.PING, payload: marker }));
    await this.expectFrame(Op.PONG, marker);
    assert.equal(this.#ended, false, 'the server closed the connection');
  }

  // ---- Buffering ----------------------------------------------------------------------------

  #tryFrame(): ReceivedFrame | null {
    const start = this.#peek(2);
    if (start === null) return null;
    const b1 = start[1]!;
    const len7 = b1 & 0x7f;
    const masked = (b1 & 0x80) !== 0;
    const lengthBits = len7 === 126 ? 16 : len7 === 127 ? 64 : 7;
    const headLength = 2 + (lengthBits === 16 ? 2 : lengthBits === 64 ? 8 : 0) + (masked ? 4 : 0);
    const head = this.#peek(headLength);
    if (head === null) return null;
    const length =
      lengthBits === 16
        ? head.readUInt16BE(2)
        : lengthBits === 64
          ? Number(head.readBigUInt64BE(2))
          : len7;
    const whole = this.#take(headLength + length);
    if (whole === null) return null;
    const payload = Buffer.from(whole.subarray(headLength));
    if (masked) {
      const key = whole.subarray(headLength - 4, headLength);
      for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ key[i % 4]!;
    }
    const b0 = whole[0]!;
    return {
      fin: (b0 & 0x80) !== 0,
      rsv: (b0 >>> 4) & 7,
      opcode: b0 & 0x0f,
      masked,
      lengthBits,
      payload,
    };
  }

  /** The first `n` unread bytes as one buffer (joining chunks if needed), or null. */
  #peek(n: number): Buffer | null {
    if (this.#length < n) return null;
    if (this.#chunks.length === 0) return Buffer.alloc(0);
    if (this.#chunks[0]!.length < n) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }

  #take(n: number): Buffer | null {
    const bytes = this.#peek(n);
    if (bytes === null) return null;
    const out = Buffer.from(bytes.subarray(0, n));
    this.#consume(n);
    return out;
  }

  #consume(n: number): void {
    if (n === 0) return;
    const first = this.#chunks[0]!;
    this.#chunks[0] = first.subarray(n);
    if (this.#chunks[0].length === 0) this.#chunks.shift();
    this.#length -= n;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Polls `probe` on every arrival until it answers, the socket closes, or `ms` pass. */
  async #until<T>(probe: () => T | null, ms: number, what: string): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = probe();
      if (value !== null) return value;
      const left = deadline - Date.now();
      if (this.#closed || left <= 0) {
        const why = this.#closed ? 'the connection closed' : `timed out after ${ms} ms`;
        const pending = this.#peek(this.#length)?.subarray(0, 64).toString('hex') ?? '';
        throw new Error(
          `${why} while waiting for ${what} (${this.#length} bytes unread: ${pending})`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

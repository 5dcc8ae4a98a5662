/**
 * Shared pieces of the chat's tests: a chat server on 127.0.0.1 port 0 with a temporary data
 * directory, accounts made over its HTTP API, and a test client on wsx's own client that
 * matches replies to requests and keeps events for the test to await.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { connect, type WebSocket } from 'wsx';
import { type ChatServer, type ChatServerParts, startChatServer } from '../src/chat-server.js';
import { type ChatConfig, loadConfig } from '../src/config.js';

export type Frame = Record<string, unknown> & { type: string };

/** Rejects after `ms` with a message naming what was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsx-chat-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function testConfig(dataDir: string, flags: string[] = []): ChatConfig {
  const config = loadConfig(
    ['--port', '0', '--data-dir', dataDir, '--log-level', 'silent', ...flags],
    {},
  );
  if (config === 'help') throw new Error('unexpected');
  return config;
}

export interface Chat {
  readonly server: ChatServer;
  readonly base: string;
  readonly ws: string;
  readonly dataDir: string;
}

/** Starts a chat server (closed when the test ends) on `dataDir` (default: a new temp dir). */
export async function startChat(
  t: TestContext,
  options: { dataDir?: string; flags?: string[]; port?: number; parts?: ChatServerParts } = {},
): Promise<Chat> {
  const dataDir = options.dataDir ?? tempDir(t);
  const flags = [...(options.flags ?? [])];
  const config = { ...testConfig(dataDir, flags), port: options.port ?? 0 };
  const server = await startChatServer(config, options.parts);
  t.after(() => within(server.close(), 10_000, 'the chat server to close'));
  const base = `http://127.0.0.1:${server.port}`;
  return { server, base, ws: `ws://127.0.0.1:${server.port}/ws`, dataDir };
}

export async function post(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Registers `name` and returns its session cookie (`name=value`). */
export async function signUp(
  chat: Chat,
  name: string,
  password = 'correct horse',
): Promise<string> {
  const response = await post(chat.base, '/api/register', { name, password });
  if (response.status !== 201)
    throw new Error(`register ${name}: ${response.status} ${await response.text()}`);
  return cookieOf(response);
}

export function cookieOf(response: Response): string {
  const header = response.headers.get('set-cookie') ?? '';
  return header.split(';')[0]!;
}

/** A chat.v1 client over wsx's client. */
export class TestClient {
  readonly ws: WebSocket;
  readonly #frames: Frame[] = [];
  readonly #waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  #nextId = 1;
  /** Every frame received, in order (for assertions on what was NOT sent twice). */
  readonly received: Frame[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.received.push(frame);
      const index = this.#waiters.findIndex((w) => w.match(frame));
      if (index === -1) this.#frames.push(frame);
      else this.#waiters.splice(index, 1)[0]!.resolve(frame);
    });
  }

  static async open(
    chat: Chat,
    cookie: string,
    options: { origin?: string } = {},
  ): Promise<TestClient> {
    const ws = await connect(chat.ws, {
      protocols: ['chat.v1'],
      headers: { Cookie: cookie },
      origin: options.origin ?? chat.base,
      perMessageDeflate: false,
    });
    return new TestClient(ws);
  }

  /** Opens and says hello; resolves with the welcome. */
  static async signedIn(
    chat: Chat,
    cookie: string,
    resume: Record<string, number> = {},
  ): Promise<{ client: TestClient; welcome: Frame }> {
    const client = await TestClient.open(chat, cookie);
    const welcome = await client.request('hello', { resume });
    return { client, welcome };
  }

  sendRaw(text: string | Buffer): void {
    this.ws.send(text);
  }

  /** Sends a request without waiting; returns its id. */
  fire(type: string, fields: Record<string, unknown> = {}): number {
    const id = this.#nextId++;
    this.ws.send(JSON.stringify({ type, id, ...fields }));
    return id;
  }

  /** Sends a request and resolves with its reply (an error reply too: check `type`). */
  request(type: string, fields: Record<string, unknown> = {}, ms = 8000): Promise<Frame> {
    const id = this.fire(type, fields);
    return this.next((f) => f.id === id, ms, `the reply to ${type} #${id}`);
  }

  /** The next frame (already received or to come) matching `match`. */
  next(match: (f: Frame) => boolean, ms = 8000, what = 'a frame'): Promise<Frame> {
    const index = this.#frames.findIndex(match);
    if (index !== -1) return Promise.resolve(this.#frames.splice(index, 1)[0]!);
    return within(
      new Promise<Frame>((resolve) => this.#waiters.push({ match, resolve })),
      ms,
      what,
    );
  }

  event(type: string, match: (f: Frame) => boolean = () => true, ms = 8000): Promise<Frame> {
    return this.next(
      (f) => f.type === type && f.id === undefined && match(f),
      ms,
      `a '${type}' event`,
    );
  }

  /** Resolves once `condition` holds, checked now and after each frame received. */
  async until(condition: () => boolean, ms = 8000, what = 'a condition'): Promise<void> {
    if (condition()) return;
    await this.next(() => condition(), ms, what);
  }

  /** Frames received and not yet taken by next()/event(). */
  get unclaimed(): readonly Frame[] {
    return this.#frames;
  }

  close(): void {
    this.ws.close(1000);
  }
}

/** Creates a room as `client` and returns its id. */
export async function createRoom(client: TestClient, name: string): Promise<number> {
  const reply = await client.request('create', { name });
  if (reply.type !== 'room') throw new Error(`create ${name}: ${JSON.stringify(reply)}`);
  return (reply.room as { id: number }).id;
}

/** Sends a message and resolves with its ack. */
export async function say(
  client: TestClient,
  room: number,
  text: string,
  clientMsgId = `${Math.random()}`,
): Promise<Frame> {
  const ack = await client.request('send', { room, text, clientMsgId });
  if (ack.type !== 'ack') throw new Error(`send: ${JSON.stringify(ack)}`);
  return ack;
}

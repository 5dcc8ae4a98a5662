/**
 * Starting wsx nodes (test/fixtures/node-process.ts) as child processes, talking to them over
 * IPC, and connecting wsx clients to them; plus bounded waits. Every node is killed when the
 * test ends.
 */

import { type ChildProcess, fork } from 'node:child_process';
import type { TestContext } from 'node:test';
import { connect, type WebSocket } from 'wsx';
import type { Command, NodeSettings } from '../fixtures/node-process.js';

const FIXTURE = new URL('../fixtures/node-process.ts', import.meta.url).pathname;

/** Rejects after `ms` with a message naming what was awaited, so no test hangs. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits until `test()` holds, checking every few ms, for at most `ms`. */
export async function eventually(test: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!test()) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits until the asynchronous `read()` returns `expected`, for at most `ms`. */
export async function until<T>(read: () => Promise<T>, expected: T, what: string, ms = 10_000) {
  const deadline = performance.now() + ms;
  let last = await read();
  while (last !== expected) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${String(last)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    last = await read();
  }
}

type Request = Command extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

interface NodeEvent {
  source: 'adapter' | 'presence';
  name: string;
}

export class WsxNode {
  readonly port: number;
  readonly processId: string;
  readonly events: NodeEvent[] = [];
  readonly #child: ChildProcess;
  readonly #waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  #nextId = 1;

  private constructor(child: ChildProcess, port: number, processId: string) {
    this.#child = child;
    this.port = port;
    this.processId = processId;
    child.on(
      'message',
      (message: { type: string; id?: number; value?: unknown; error?: string } & NodeEvent) => {
        if (message.type === 'event')
          this.events.push({ source: message.source, name: message.name });
        if (message.type !== 'reply') return;
        const waiter = this.#waiting.get(message.id!);
        this.#waiting.delete(message.id!);
        if (message.error !== undefined) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.value);
      },
    );
    child.once('exit', () => {
      for (const waiter of this.#waiting.values()) waiter.reject(new Error('the node exited'));
      this.#waiting.clear();
    });
  }

  static async start(t: TestContext, settings: NodeSettings): Promise<WsxNode> {
    const child = fork(FIXTURE, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, WSX_NODE: JSON.stringify(settings) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const ready = new Promise<WsxNode>((resolve, reject) => {
      child.once('exit', (code) =>
        reject(new Error(`the node exited (${code}) before it was ready`)),
      );
      child.on('message', (m: { type: string; port: number; processId: string }) => {
        if (m.type === 'ready') resolve(new WsxNode(child, m.port, m.processId));
      });
    });
    return within(ready, 20_000, 'a wsx node to start');
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** Runs a command in the node; resolves with its result. */
  call<T = unknown>(request: Request): Promise<T> {
    const id = this.#nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#child.send({ ...request, id });
    });
    return within(reply, 10_000, `the node to answer '${request.cmd}'`);
  }

  /** Waits for the node's `source` to emit `name` (counting from `after` events). */
  async event(source: NodeEvent['source'], name: string, after = 0): Promise<void> {
    await eventually(
      () => this.events.slice(after).some((e) => e.source === source && e.name === name),
      `${source} '${name}' on node ${this.pid}`,
    );
  }

  /** Kills the node with `signal` and waits for it to exit. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill(signal);
    await within(exited, 5000, 'the node to exit');
  }

  /** Connects a wsx client; resolves once the node said 'ready' to it. */
  async client(query: string): Promise<Client> {
    const ws = await connect(`ws://127.0.0.1:${this.port}/?${query}`);
    const client = new Client(ws);
    await eventually(() => client.messages.includes('ready'), 'the node to greet the client');
    client.messages.length = 0;
    return client;
  }
}

/** A wsx client and everything it received (strings for text, Buffers for binary). */
export class Client {
  readonly ws: WebSocket;
  readonly messages: (string | Buffer)[] = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      this.messages.push(isBinary ? Buffer.from(data as Buffer) : String(data));
    });
  }
}

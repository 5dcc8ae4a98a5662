/**
 * A chat node for a test: the real `wsx-chat` program (the built dist/server/cli.js) in its own
 * process, on 127.0.0.1 and port 0, with the flags given (its store and broker). Its JSON log
 * lines are kept, so a test can wait for what the node says ("Redis is away"); it is killed
 * when the test ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Chat } from '../helpers.js';
import { within } from '../helpers.js';

const CLI = fileURLToPath(new URL('../../dist/server/cli.js', import.meta.url));

export interface LogLine {
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export class ChatNode {
  readonly name: string;
  readonly chat: Chat;
  readonly logs: LogLine[] = [];
  readonly #child: ChildProcess;
  readonly #watchers = new Set<() => void>();

  private constructor(name: string, child: ChildProcess, port: number) {
    this.name = name;
    this.#child = child;
    const base = `http://127.0.0.1:${port}`;
    this.chat = { server: null as never, base, ws: `ws://127.0.0.1:${port}/ws`, dataDir: '' };
  }

  /** Starts `wsx-chat` with `flags`; resolves once it listens. */
  static async start(t: TestContext, name: string, flags: string[]): Promise<ChatNode> {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    const child = spawn(
      process.execPath,
      [CLI, '--port', '0', '--rate', '100000', '--burst', '100000', ...flags],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const lines: LogLine[] = [];
    let node: ChatNode | null = null;
    let listening: (port: number) => void = () => {};
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as LogLine;
      (node?.logs ?? lines).push(entry);
      if (entry.msg === 'listening') listening(Number(new URL(entry.url as string).port));
      if (node !== null) for (const watcher of node.#watchers) watcher();
    });
    const port = await within(
      new Promise<number>((resolve, reject) => {
        listening = resolve;
        child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${stderr}`)));
      }),
      20_000,
      `${name} to listen`,
    );
    node = new ChatNode(name, child, port);
    node.logs.push(...lines);
    return node;
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** Resolves once the node has logged a line matching `match` (counting from `from`). */
  async logged(match: (line: LogLine) => boolean, what: string, from = 0, ms = 20_000) {
    const found = () => this.logs.slice(from).some(match);
    if (found()) return;
    let watcher = () => {};
    await within(
      new Promise<void>((resolve) => {
        watcher = () => found() && resolve();
        this.#watchers.add(watcher);
      }),
      ms,
      `${this.name} to log ${what}`,
    ).finally(() => this.#watchers.delete(watcher));
  }

  /** A figure of the node's /metrics (NaN if absent). */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.chat.base}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  }

  /** The status of GET /readyz. */
  async ready(): Promise<number> {
    return (await fetch(`${this.chat.base}/readyz`)).status;
  }

  /** Sends `signal`; resolves with the exit code (null: killed by a signal) once it exited. */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = once(child, 'exit') as Promise<[number | null]>;
    child.kill(signal);
    return (await within(exited, 20_000, `${this.name} to exit`))[0];
  }
}

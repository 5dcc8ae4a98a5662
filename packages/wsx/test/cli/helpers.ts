/**
 * Running the built `wsx` binary (dist/cli/main.js) as a child process, as a user would: with
 * arguments, stdin, and its exit status, stdout and stderr collected. Long-running ones (serve,
 * proxies) are killed when their test ends, pass or fail.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { computeAccept } from '../../src/core/server-handshake.js';
import { next } from '../helpers/net.js';
import { within } from '../helpers/within.js';

export const WSX = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
const PROXY = fileURLToPath(new URL('./fixtures/connect-proxy.mjs', import.meta.url));

if (!existsSync(WSX)) throw new Error(`${WSX} is missing: run npm run build first`);

export interface Finished {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_TEST_CONTEXT; // the child is a program, not a test file
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) {
    if (extra[name] === undefined) delete env[name];
  }
  return env;
}

/** Runs `wsx <args>` to completion (at most `ms`), with `input` on stdin. */
export function wsx(
  args: readonly string[],
  options: { input?: string | Buffer; env?: Record<string, string>; ms?: number } = {},
): Promise<Finished> {
  const child = spawn(process.execPath, [WSX, ...args], { env: childEnv(options.env) });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  child.stdin.on('error', () => {}); // a child that exits before reading all of it
  child.stdin.end(options.input ?? '');
  const exited = new Promise<Finished>((resolve) => {
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr }));
  });
  return within(exited, options.ms ?? 10_000, `wsx ${args.join(' ')}`).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\nstderr so far: ${stderr}`);
  });
}

/** A child process that keeps running: its output so far, and a way to wait for a line. */
export class Running {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(t: TestContext, file: string, args: readonly string[]) {
    this.child = spawn(process.execPath, [file, ...args], {
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s;
    });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    t.after(async () => {
      if (this.child.exitCode === null && this.child.signalCode === null)
        this.child.kill('SIGKILL');
      await within(this.exited, 5000, `${file} to exit`);
    });
  }

  /** Waits until stdout or stderr (`stream`) matches `pattern`; returns the match. */
  async waitFor(
    pattern: RegExp,
    stream: 'stdout' | 'stderr' = 'stdout',
    ms = 5000,
  ): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = this[stream].match(pattern);
      if (match !== null) return match;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${pattern} on ${stream}; got ${JSON.stringify(this[stream])}; stderr ${JSON.stringify(this.stderr)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** `wsx serve <args>` on port 0: resolves once it printed its URL. */
export async function serve(
  t: TestContext,
  args: readonly string[],
): Promise<{ url: string; server: Running }> {
  const server = new Running(t, WSX, ['serve', '--port', '0', ...args]);
  const [line] = await server.waitFor(/^wss?:\/\/\S+/m);
  return { url: line, server };
}

/** The CONNECT proxy fixture in a process of its own; `credentials` (user:pass) makes it ask. */
export async function connectProxy(
  t: TestContext,
  credentials?: string,
): Promise<{ url: string; proxy: Running }> {
  const proxy = new Running(t, PROXY, credentials === undefined ? [] : [credentials]);
  const [, port] = await proxy.waitFor(/^(\d+)$/m);
  return { url: `http://127.0.0.1:${port}`, proxy };
}

/**
 * A peer that completes the opening handshake, then sends nothing more: no pong, no close
 * frame. Returns its port on 127.0.0.1.
 */
export async function silentPeerServer(t: TestContext): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', (head) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(head.toString('latin1'))?.[1] ?? '';
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${computeAccept(key)}\r\n\r\n`,
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await next(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

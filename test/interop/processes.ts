/**
 * Peers that are programs (nghttpx, Hypercorn, libwebsockets' test server): started on a free
 * loopback port found at runtime, waited for until the port accepts connections, and stopped
 * when the test ends. Their output is kept for the failure message.
 */

import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import type { TestContext } from 'node:test';

/** A TCP port on 127.0.0.1 that nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A started program: what it printed so far. */
export interface Program {
  readonly output: () => string;
}

/**
 * Runs `command` and resolves once 127.0.0.1:`port` accepts connections (at most `ms`); the
 * program is stopped (SIGTERM, then SIGKILL) when the test ends.
 */
export async function startProgram(
  t: TestContext,
  command: string,
  args: readonly string[],
  port: number,
  options: { cwd?: string; ms?: number } = {},
): Promise<Program> {
  let output = '';
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      output = (output + chunk).slice(-20_000);
    });
  }
  child.on('error', (error) => {
    output += `\ncould not run ${command}: ${error.message}`;
  });
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  });
  const deadline = Date.now() + (options.ms ?? 10_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited early:\n${output}`);
    if (await accepts(port)) return { output: () => output };
    if (Date.now() > deadline) throw new Error(`${command} did not listen on ${port}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Starts tcp-proxy.mjs for a test (killed when it ends); freeze() and thaw() partition it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { within } from '../helpers.js';

const SCRIPT = fileURLToPath(new URL('./tcp-proxy.mjs', import.meta.url));

export class TcpProxy {
  readonly port: number;
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess, port: number) {
    this.#child = child;
    this.port = port;
  }

  static async start(t: TestContext, targetPort: number): Promise<TcpProxy> {
    const child = spawn(process.execPath, [SCRIPT, String(targetPort)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    });
    const line = await within(
      new Promise<string>((resolve) =>
        createInterface({ input: child.stdout! }).once('line', resolve),
      ),
      10_000,
      'the proxy to listen',
    );
    return new TcpProxy(child, Number(line));
  }

  /** Stops the proxy process: nothing goes through, connections stay open. */
  freeze(): void {
    this.#child.kill('SIGSTOP');
  }

  thaw(): void {
    this.#child.kill('SIGCONT');
  }
}

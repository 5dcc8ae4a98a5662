/**
 * A real `redis-server` for a test: on 127.0.0.1, on a port found free at run time (redis-server
 * cannot listen on port 0 and report the port), in a temporary directory, with no persistence
 * (`--save '' --appendonly no`), stopped when the test ends. It can be stopped, restarted on the
 * same port, frozen (SIGSTOP) and thawed (SIGCONT) to make faults.
 *
 * Under CI=true a missing redis-server fails the test; elsewhere the test is skipped with a
 * message naming the Debian package.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const BINARY = 'redis-server';

/** Whether redis-server can run here. */
export function redisServerAvailable(): boolean {
  return spawnSync(BINARY, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Tests need redis-server: under CI a missing binary is a failure; elsewhere the test is
 * skipped loudly. Returns false when the test was skipped.
 */
export function requireRedisServer(t: TestContext): boolean {
  if (redisServerAvailable()) return true;
  const message = "needs the Debian package 'redis-server' (apt-get install -y redis-server)";
  if (process.env.CI === 'true') throw new Error(`${message}; CI must install it in .ci/run`);
  console.warn(`\n*** SKIPPED: ${t.name} ${message} ***\n`);
  t.skip(message);
  return false;
}

/** Whether `port` can be listened on now. */
function isFree(port: number): Promise<boolean> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A port no one listens on right now (the kernel's pick for port 0, then released). For a
 * cluster node, its bus port (port + 10000) must be free too.
 */
async function freePort(cluster: boolean): Promise<number> {
  for (;;) {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const address = probe.address();
    probe.close();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    if (!cluster) return address.port;
    if (address.port + 10000 < 65536 && (await isFree(address.port + 10000))) return address.port;
  }
}

/**
 * The pid of the redis-server answering on the port (from `INFO server`), once one answers;
 * 0 if none did within `ms`. Comparing it with our child's pid tells our server from another.
 */
async function pidOnPort(port: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const pid = await new Promise<number>((resolve) => {
      let text = '';
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.setTimeout(500, () => socket.destroy());
      socket.once('connect', () => socket.write('INFO server\r\n'));
      socket.on('data', (data) => {
        text += String(data);
        const match = /process_id:(\d+)/.exec(text);
        if (match === null) return;
        resolve(Number(match[1]));
        socket.destroy();
      });
      socket.once('close', () => resolve(0));
      socket.once('error', () => resolve(0));
    });
    if (pid !== 0) return pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  return 0;
}

export class RedisServer {
  readonly port: number;
  readonly #dir: string;
  readonly #extra: string[];
  #child: ChildProcess | null = null;

  private constructor(port: number, dir: string, extra: string[]) {
    this.port = port;
    this.#dir = dir;
    this.#extra = extra;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.#child?.pid ?? 0;
  }

  /**
   * Starts one (trying a few ports, in case another process takes the one found free); with
   * `cluster`, as a node of a Redis Cluster still to be formed (see startCluster).
   */
  static async start(t: TestContext, cluster = false): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'wsx-redis-test-'));
    const extra = cluster
      ? ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']
      : [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new RedisServer(await freePort(cluster), dir, extra);
      if (await server.#launch()) {
        t.after(async () => {
          await server.stop();
          rmSync(dir, { recursive: true, force: true });
        });
        return server;
      }
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error('redis-server did not start on any of 5 free ports');
  }

  /** Starts it again on the same port, empty (no persistence): a restart. */
  async restart(): Promise<void> {
    await this.stop();
    if (!(await this.#launch())) throw new Error(`redis-server did not restart on ${this.port}`);
  }

  /** Stops it (SIGTERM, then SIGKILL after 5 s); resolves once it exited. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT'); // a frozen server cannot handle SIGTERM
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
  }

  /** Freezes it (SIGSTOP): connections stay open, nothing is answered. A partition. */
  freeze(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** Lets a frozen server go on (SIGCONT). */
  thaw(): void {
    this.#child?.kill('SIGCONT');
  }

  async #launch(): Promise<boolean> {
    const child = spawn(
      BINARY,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.#dir,
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
        ...this.#extra,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    this.#child = child;
    const exited = once(child, 'exit').then(() => 0);
    const pid = await Promise.race([pidOnPort(this.port, 10_000), exited]);
    if (pid !== 0 && pid === child.pid) return true;
    await this.stop();
    return false;
  }
}

/**
 * A Redis Cluster of `count` masters (no replicas), formed with `redis-cli --cluster create`;
 * resolves once every node reports `cluster_state:ok`.
 */
export async function startCluster(t: TestContext, count: number): Promise<RedisServer[]> {
  const nodes: RedisServer[] = [];
  for (let i = 0; i < count; i++) nodes.push(await RedisServer.start(t, true));
  const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
  const create = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (create.status !== 0)
    throw new Error(`redis-cli --cluster create: ${create.stdout}${create.stderr}`);
  const deadline = Date.now() + 20_000;
  for (const node of nodes) {
    for (;;) {
      const info = spawnSync('redis-cli', ['-p', String(node.port), 'cluster', 'info'], {
        encoding: 'utf8',
      });
      if (info.stdout.includes('cluster_state:ok')) break;
      if (Date.now() > deadline) throw new Error(`cluster not ok on ${node.port}: ${info.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return nodes;
}

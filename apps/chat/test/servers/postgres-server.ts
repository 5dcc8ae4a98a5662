/**
 * A real PostgreSQL for a test: a cluster made by `initdb` in a temporary directory, one
 * `postgres` process on 127.0.0.1 and a port found free at run time (no Unix socket outside
 * that directory), trust authentication for the role `chat`, stopped and removed when the test
 * ends. It can be restarted on the same port and data (fast or immediate shutdown: the latter
 * is a crash, recovered from the WAL at start). `fsync=off`: the tests restart the process,
 * never the machine, and what a process wrote survives its death in the OS's cache.
 *
 * PostgreSQL refuses to run as root: as root (CI), the cluster belongs to the `postgres` user
 * Debian's package creates (or `nobody`) and the processes run as that user.
 *
 * Under CI=true missing binaries fail the test; elsewhere the test is skipped with a message
 * naming the Debian package.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';

/** Where Debian puts the server's binaries (`initdb` and `postgres` are not on PATH). */
function binDir(): string | null {
  if (process.env.PG_BIN !== undefined) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(root, versions[0], 'bin');
}

/**
 * Tests need PostgreSQL: under CI a missing server is a failure; elsewhere the test is skipped
 * loudly. Returns false when the test was skipped.
 */
export function requirePostgres(t: TestContext): boolean {
  const bin = binDir();
  if (bin !== null && existsSync(join(bin, 'postgres'))) return true;
  const message =
    "needs PostgreSQL's server, the Debian package 'postgresql' (apt-get install -y postgresql)";
  if (process.env.CI === 'true') throw new Error(`${message}; CI must install it in .ci/run`);
  console.warn(`\n*** SKIPPED: ${t.name} ${message} ***\n`);
  t.skip(message);
  return false;
}

/** The user the server runs as: ourselves, or, as root, an unprivileged one. */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0)
      return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('running as root, and no postgres or nobody user to run PostgreSQL as');
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

export class PostgresServer {
  readonly port: number;
  readonly #dir: string;
  readonly #bin: string;
  readonly #user: { uid: number; gid: number } | null;
  #child: ChildProcess | null = null;
  #databases = 0;

  private constructor(port: number, dir: string, bin: string) {
    this.port = port;
    this.#dir = dir;
    this.#bin = bin;
    this.#user = serverUser();
  }

  /** The URL of the cluster's `postgres` database. */
  get url(): string {
    return this.urlOf('postgres');
  }

  urlOf(database: string): string {
    return `postgres://chat@127.0.0.1:${this.port}/${database}`;
  }

  get pid(): number {
    return this.#child?.pid ?? 0;
  }

  /** Makes a cluster and starts it (on another free port if the first is taken meanwhile). */
  static async start(t: TestContext): Promise<PostgresServer> {
    const bin = binDir();
    if (bin === null) throw new Error('PostgreSQL binaries not found (set PG_BIN)');
    const dir = mkdtempSync(join(tmpdir(), 'wsx-chat-pg-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const server = new PostgresServer(await freePort(), dir, bin);
    if (server.#user !== null) chownSync(dir, server.#user.uid, server.#user.gid);
    server.#run('initdb', [
      ...['-D', join(dir, 'data'), '-A', 'trust', '-U', 'chat', '-E', 'UTF8'],
      ...['--locale=C.UTF-8', '--no-sync', '--no-instructions'],
    ]);
    for (let attempt = 0; ; attempt++) {
      const candidate = attempt === 0 ? server : new PostgresServer(await freePort(), dir, bin);
      if (await candidate.#launch()) {
        t.after(() => candidate.stop());
        return candidate;
      }
      if (attempt === 4) throw new Error('postgres did not start on any of 5 free ports');
    }
  }

  /** A new, empty database on this server; resolves with its URL. */
  async database(): Promise<string> {
    const name = `chat_${++this.#databases}`;
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.urlOf(name);
  }

  /**
   * Stops the server and starts it again on the same port and data. `fast` closes every
   * connection and checkpoints; `immediate` is a crash (recovery from the WAL at start).
   */
  async restart(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.stop(mode);
    await this.start();
  }

  /** Starts it again after stop(), on the same port and data. */
  async start(): Promise<void> {
    if (!(await this.#launch())) throw new Error(`postgres did not restart on ${this.port}`);
  }

  /** Stops it: SIGINT (fast shutdown) or SIGQUIT (immediate); resolves once it exited. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
  }

  #run(program: string, args: string[]): void {
    const result = spawnSync(join(this.#bin, program), args, {
      encoding: 'utf8',
      ...(this.#user ?? {}),
    });
    if (result.status !== 0) throw new Error(`${program} failed: ${result.stderr}`);
  }

  /** Starts `postgres`; true once it answers queries, false if it exited first. */
  async #launch(): Promise<boolean> {
    const child = spawn(
      join(this.#bin, 'postgres'),
      [
        ...['-D', join(this.#dir, 'data'), '-p', String(this.port), '-k', this.#dir],
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off'],
        ...['-c', 'max_connections=200', '-c', 'log_min_messages=fatal'],
      ],
      { stdio: ['ignore', 'ignore', 'ignore'], ...(this.#user ?? {}) },
    );
    this.#child = child;
    const exited = once(child, 'exit').then(() => false);
    const ready = this.#answering(15_000);
    if (await Promise.race([ready, exited])) return true;
    await this.stop('immediate');
    return false;
  }

  /** Whether a query succeeds within `ms` (tried every 50 ms). */
  async #answering(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && this.#child !== null && this.#child.exitCode === null) {
      const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
      client.on('error', () => {});
      try {
        await client.connect();
        const { rows } = await client.query("SELECT current_setting('data_directory') AS dir");
        await client.end();
        // Ours, not another server that took the port meanwhile.
        return rows[0]?.dir === join(this.#dir, 'data');
      } catch {
        await client.end().catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return false;
  }
}

// The servers bench:chat --scale runs the chat on: a PostgreSQL cluster made with initdb in a
// temporary directory (fsync on, as in production: an acknowledged message is on disk) and a
// redis-server (no persistence: pub/sub and presence only), both on free ports of 127.0.0.1,
// pinned where the caller says. PostgreSQL refuses to run as root: as root, the cluster
// belongs to the `postgres` user and runs as it.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort() {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  probe.close();
  return port;
}

function postgresBin() {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))[0]
    : undefined;
  if (process.env.PG_BIN) return process.env.PG_BIN;
  if (version === undefined) throw new Error('needs PostgreSQL: apt-get install -y postgresql');
  return join(root, version, 'bin');
}

function unprivileged() {
  if (process.getuid?.() !== 0) return {};
  const id = (flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout);
  return { uid: id('-u'), gid: id('-g') };
}

/** The pids of a process's children (PostgreSQL's backends and helpers), from /proc. */
export function childrenOf(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Starts PostgreSQL; resolves { url(db), pid, stop() }. */
export async function startPostgres(pin) {
  const bin = postgresBin();
  const user = unprivileged();
  const dir = mkdtempSync(join(tmpdir(), 'bench-chat-pg-'));
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid);
  const init = spawnSync(
    join(bin, 'initdb'),
    ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'chat', '-E', 'UTF8', '--locale=C.UTF-8'],
    { encoding: 'utf8', ...user },
  );
  if (init.status !== 0) throw new Error(`initdb: ${init.stderr}`);
  const port = await freePort();
  const args = ['-D', join(dir, 'data'), '-p', String(port), '-k', dir];
  args.push('-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200');
  const [file, ...rest] = [...pin, join(bin, 'postgres'), ...args];
  const child = spawn(file, rest, { stdio: 'ignore', ...user });
  const url = (db) => `postgres://chat@127.0.0.1:${port}/${db}`;
  for (let i = 0; ; i++) {
    const client = new pg.Client({ connectionString: url('postgres') });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      if (i > 200) throw new Error('postgres did not start');
      await sleep(50);
    }
  }
  return {
    url,
    pid: child.pid,
    async query(text) {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        return await client.query(text);
      } finally {
        await client.end();
      }
    },
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts redis-server without persistence; resolves { url, pid, stop() }. */
export async function startRedis(pin) {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const [file, ...rest] = [...pin, 'redis-server', ...args];
  const child = spawn(file, rest, { stdio: 'ignore' });
  for (let i = 0; spawnSync('redis-cli', ['-p', String(port), 'ping']).status !== 0; i++) {
    if (i > 200) throw new Error('redis-server did not start (apt-get install -y redis-server)');
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

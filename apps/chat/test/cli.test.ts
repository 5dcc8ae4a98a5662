/** The `wsx-chat` command line: help, and clear refusals of bad settings (exit code 2). */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 20_000,
  });
}

test('--help lists every flag with its variable', () => {
  const { status, stdout } = run(['--help']);
  assert.equal(status, 0);
  for (const name of [
    '--port',
    'PORT',
    '--data-dir',
    'DATA_DIR',
    '--tls-cert',
    'ALLOWED_ORIGINS',
    '--sync',
    '--store',
    'STORE',
    '--broker',
    'BROKER',
    '--workers',
    'WORKERS',
  ])
    assert.ok(stdout.includes(name), name);
});

test('bad settings stop it with a message naming them', () => {
  const flag = run(['--port', 'eighty']);
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /--port must be an integer from 0 to 65535 \(got "eighty"\)/);
  assert.match(run(['--colour', 'red']).stderr, /Unknown option '--colour'/);
  const env = run([], { SQLITE_SYNC: 'sometimes' });
  assert.equal(env.status, 2);
  assert.match(env.stderr, /--sync must be one of full, normal/);
  assert.match(
    run(['--tls-cert', '/nonexistent.pem']).stderr,
    /--tls-cert and --tls-key go together/,
  );
  assert.match(
    run(['--origins', 'https://a.example/path']).stderr,
    /is not an origin \(did you mean https:\/\/a.example\?\)/,
  );
});

test('scale-out settings: a clear refusal of what cannot work, and no password in any message', () => {
  const workers = run(['--workers', '2']);
  assert.equal(workers.status, 2);
  assert.match(
    workers.stderr,
    /--workers 2 needs --store postgres:\/\/\.\.\. and --broker redis:\/\//,
  );
  assert.match(
    run(['--workers', '4', '--store', 'postgres://db/chat']).stderr,
    /needs --store postgres:\/\/\.\.\. and --broker redis/,
  );
  assert.match(
    run(['--store', 'mysql://db/chat']).stderr,
    /--store must be 'sqlite' or a postgres/,
  );
  assert.match(run([], { BROKER: 'http://cache' }).stderr, /--broker must be 'local' or a redis/);
  const bad = run(['--store', 'postgres://chat:hunter2@db:port/chat']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--store must be/);
  assert.doesNotMatch(bad.stderr, /hunter2/);
});

test('an unreachable PostgreSQL is said in one line, without its password (exit code 1)', async () => {
  const result = await runAsync([
    ...['--port', '0', '--store', 'postgres://chat:hunter2@127.0.0.1:1/chat'],
    ...['--log-level', 'silent'],
  ]);
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /^wsx-chat: PostgreSQL at postgres:\/\/chat:\*\*\*@127\.0\.0\.1:1\/chat: /,
  );
  assert.doesNotMatch(result.stderr, /hunter2/);
});

test('a port in use is said in one line (exit code 1)', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = String((blocker.address() as AddressInfo).port);
  const dataDir = mkdtempSync(join(tmpdir(), 'wsx-chat-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const result = await runAsync(['--port', port, '--data-dir', dataDir, '--log-level', 'silent']);
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /^wsx-chat: listen EADDRINUSE: .* \(the port is taken: set PORT or --port\)\n$/,
  );
});

/** As run(), without blocking this process (the blocker above must keep accepting). */
function runAsync(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('exit', (status) => resolve({ status, stderr })));
}

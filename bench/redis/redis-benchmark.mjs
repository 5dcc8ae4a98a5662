// Redis's own pub/sub throughput on this machine, with `redis-benchmark` (redis-tools): PUBLISH
// (and SPUBLISH) of a 64-byte message to one channel with 0, 1, 3 and 10 subscribers (one per
// wsx process, as wsx-redis subscribes), one round trip per publish and 16 pipelined.
// redis-server runs on the load core; redis-benchmark and the subscribers (raw sockets that
// only count bytes, so they never fall behind) on the other.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port no one listens on now (redis-server cannot take port 0 and report it). */
export async function freePort() {
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address();
  probe.close();
  return port;
}

/** Subscriber connections that count what they receive. */
async function subscribers(port, count, command, channel) {
  const sockets = [];
  for (let i = 0; i < count; i++) {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.bytes = 0;
    socket.on('data', (data) => {
      socket.bytes += data.length;
    });
    socket.write(`${command} ${channel}\r\n`);
    sockets.push(socket);
  }
  await sleep(100);
  return sockets;
}

function parseRps(output) {
  const match = /([\d.]+) requests per second/.exec(output);
  return match ? Number(match[1]) : Number.NaN;
}

async function one(port, pin, { command, subs, pipeline }) {
  const subscribe = command === 'SPUBLISH' ? 'SSUBSCRIBE' : 'SUBSCRIBE';
  const sockets = await subscribers(port, subs, subscribe, 'bench');
  const message = 'x'.repeat(64);
  const requests = pipeline > 1 ? 2_000_000 : 300_000;
  const args = ['-p', String(port), '-n', String(requests), '-c', '50', '-P', String(pipeline)];
  const run = spawnSync(
    pin.server[0] ?? 'redis-benchmark',
    [
      ...pin.server.slice(1),
      ...(pin.server.length ? ['redis-benchmark'] : []),
      ...args,
      '-q',
    ].concat([command, 'bench', message]),
    { encoding: 'utf8' },
  );
  // Let the subscribers drain, then close them.
  await sleep(300);
  for (const s of sockets) s.destroy();
  const publishes = parseRps(run.stdout);
  return {
    command,
    subs,
    pipeline,
    publishesPerSec: publishes,
    deliveriesPerSec: publishes * subs,
  };
}

/** Runs the grid; returns the rows, or null when redis-benchmark is not installed. */
export async function redisBenchmark(pin) {
  if (spawnSync('redis-benchmark', ['--version']).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'wsx-redis-benchmark-'));
  const port = await freePort();
  const redisArgs = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
  const server = spawn(pin.load[0] ?? 'redis-server', [
    ...pin.load.slice(1),
    ...(pin.load.length ? ['redis-server'] : []),
    ...redisArgs,
    '--appendonly',
    'no',
  ]);
  await sleep(300);
  const rows = [];
  try {
    for (const pipeline of [1, 16]) {
      for (const subs of [0, 1, 3, 10])
        rows.push(await one(port, pin, { command: 'PUBLISH', subs, pipeline }));
      rows.push(await one(port, pin, { command: 'SPUBLISH', subs: 3, pipeline }));
    }
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

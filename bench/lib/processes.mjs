// Starting the processes of a measurement: the server pinned to core 0, load generators pinned
// to core 1 (taskset), each a child of ours whose PID we know. Without taskset or with one CPU,
// everything runs unpinned and the results say so.
import { spawn, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { SERVERS } from '../servers/index.mjs';
import { commandName } from './proc.mjs';

const WORKER = new URL('../load/worker.mjs', import.meta.url).pathname;

/** { server: [...prefix], load: [...prefix], note } */
export function pinning() {
  const taskset = spawnSync('taskset', ['--version'], { encoding: 'utf8' });
  if (taskset.error !== undefined) {
    return { server: [], load: [], note: 'UNPINNED: taskset not found (util-linux)' };
  }
  if (cpus().length < 2) return { server: [], load: [], note: 'UNPINNED: only one CPU' };
  return {
    server: ['taskset', '-c', '0'],
    load: ['taskset', '-c', '1'],
    note: 'server on CPU 0, load generator on CPU 1 (taskset)',
  };
}

/** Pins this process (every thread) to the load generator's core, off the server's. */
export function pinSelf(pin) {
  if (pin.load.length === 0) return;
  spawnSync('taskset', ['-a', '-cp', pin.load[2], String(process.pid)], { stdio: 'ignore' });
}

/** The hard limit on open files: no process here can hold more sockets than this. */
export function fdLimit() {
  const out = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
}

/**
 * Starts a server; resolves { pid, port, info, gc(), stop() } once it printed its port.
 * `gc()` asks for a full collection over the control channel and resolves with the server's
 * process.memoryUsage() taken right after it.
 */
export function startServer(name, config, pin) {
  const def = SERVERS[name];
  const command = def.command();
  // WSX_BENCH_PROFILE=<dir>: Node servers write a CPU profile there when stopped.
  const profile = process.env.WSX_BENCH_PROFILE;
  if (profile && command[0] === process.execPath) {
    command.splice(1, 0, '--cpu-prof', `--cpu-prof-dir=${profile}`);
  }
  const [file, ...args] = [...pin.server, ...command, '0', JSON.stringify(config ?? {})];
  const env = { ...process.env };
  delete env.WS_NO_BUFFER_UTIL;
  delete env.WS_NO_UTF_8_VALIDATE;
  Object.assign(env, def.env);
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'inherit'], env });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  const server = { pid: child.pid, port: 0, info: {}, child };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no port after 10 s`)), 10_000);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening`)));
    lines.on('line', (line) => {
      if (server.port === 0) {
        server.port = Number(line);
        clearTimeout(timer);
        const comm = commandName(child.pid);
        if (comm === 'taskset') return reject(new Error(`${name}: PID ${child.pid} is taskset`));
        resolve(server);
      } else if (line.startsWith('info ')) Object.assign(server.info, JSON.parse(line.slice(5)));
      else if (line.startsWith('ok gc')) waiting.shift()?.(JSON.parse(line.slice(6) || '{}'));
    });
    server.gc = () =>
      new Promise((done) => {
        waiting.push(done);
        child.stdin.write('gc\n');
      });
    server.stop = () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const kill = setTimeout(() => child.kill('SIGKILL'), 2_000);
        child.once('exit', () => {
          clearTimeout(kill);
          done();
        });
        child.kill('SIGTERM');
      });
  });
}

/**
 * Starts a load-generator process with `job`. Returns { next(type), release(), pid }:
 * `next('ready' | 'result')` resolves with that message, rejects on an error or early exit.
 */
export function startWorker(job, pin) {
  const [file, ...args] = [
    ...pin.load,
    process.execPath,
    '--max-semi-space-size=32', // fewer scavenges in the load generator's hot loops
    // e.g. BENCH_LOAD_FLAGS=--cpu-prof to see where the load generator spends its time
    ...(process.env.BENCH_LOAD_FLAGS?.split(' ').filter(Boolean) ?? []),
    WORKER,
  ];
  const child = spawn(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox = [];
  const waiting = [];
  let failure = null;
  const deliver = () => {
    while (waiting.length > 0) {
      const w = waiting[0];
      const at = inbox.findIndex((m) => m.type === w.type);
      if (failure !== null) w.reject(failure);
      else if (at >= 0) w.resolve(inbox.splice(at, 1)[0]);
      else return;
      waiting.shift();
    }
  };
  child.on('message', (message) => {
    if (message.type === 'error') failure = new Error(`load generator: ${message.message}`);
    inbox.push(message);
    deliver();
  });
  const exited = new Promise((resolve) => {
    child.on('exit', (code) => {
      if (failure === null && !inbox.some((m) => m.type === 'result')) {
        failure = new Error(`load generator exited (${code}) without a result`);
      }
      deliver();
      resolve();
    });
  });
  child.send(job);
  return {
    pid: child.pid,
    exited,
    next: (type) =>
      new Promise((resolve, reject) => {
        waiting.push({ type, resolve, reject });
        deliver();
      }),
    release: () => child.connected && child.send({ cmd: 'release' }),
  };
}

/**
 * Runs a job that ends with a result, and returns the result. Then stops `server` before
 * releasing the load generator, so the server closes the connections first (see worker.mjs).
 */
export async function runJob(job, pin, server) {
  const worker = startWorker(job, pin);
  try {
    return (await worker.next('result')).result;
  } finally {
    await server.stop();
    worker.release();
    await worker.exited;
  }
}

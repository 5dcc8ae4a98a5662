/**
 * The processes of a run. One process runs its share in-process; with `--processes N`, the
 * same CLI is forked N times (`wsx __bench-worker`), each given its share over IPC, and they
 * start sending together once all have opened their connections.
 */

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../exit-codes.js';
import type { LoadJob, LoadProgress, LoadResult } from './job.js';
import { LoadRun } from './load-run.js';

export interface LoadProcess {
  /** Resolves once every connection of this process has opened or failed. */
  readonly opened: Promise<void>;
  /** The latest counters (a worker reports them every 200 ms). */
  progress(): LoadProgress;
  /**
   * Starts sending, measuring from `measureFrom` (the run's clock); resolves once this
   * process's messages are answered.
   */
  run(measureFrom: number | null): Promise<void>;
  /** Once every process's `run` resolved: closes, and resolves with the result. */
  finish(): Promise<LoadResult>;
  /** Stops sending early (Ctrl+C); the result still comes. */
  stop(): void;
}

export function localProcess(job: LoadJob): LoadProcess {
  const run = new LoadRun(job);
  return {
    opened: run.open(),
    progress: () => run.progress(),
    run: (measureFrom) => run.run(measureFrom),
    finish: () => run.finish(),
    stop: () => run.stop(),
  };
}

type ToWorker =
  | { type: 'job'; job: LoadJob }
  | { type: 'start'; measureFrom: number | null }
  | { type: 'finish' }
  | { type: 'stop' };
type FromWorker =
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'opened'; progress: LoadProgress }
  | { type: 'drained' }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string };

const WORKER_COMMAND = '__bench-worker';
const PROGRESS_MS = 200;
const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export function forkedProcess(job: LoadJob): LoadProcess {
  const child = fork(MAIN, [WORKER_COMMAND], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let latest: LoadProgress = { opened: 0, failed: 0, sent: 0, received: 0, errors: 0 };
  const waiters = new Map<string, (message: FromWorker) => void>();
  let failure: Error | null = null;
  const fail = (error: Error): void => {
    failure ??= error;
    for (const waiter of waiters.values()) waiter({ type: 'error', message: error.message });
    waiters.clear();
  };
  child.on('message', (message: FromWorker) => {
    if (message.type === 'progress' || message.type === 'opened') latest = message.progress;
    if (message.type === 'result') latest = message.result;
    if (message.type === 'error') fail(new Error(`bench worker: ${message.message}`));
    else if (message.type !== 'progress') waiters.get(message.type)?.(message);
  });
  child.on('exit', (code) => fail(new Error(`bench worker exited (${code}) before its result`)));
  const next = <T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>> =>
    new Promise((resolve, reject) => {
      if (failure !== null) return reject(failure);
      waiters.set(type, (message) => {
        waiters.delete(type);
        if (message.type === 'error') reject(new Error(message.message));
        else resolve(message as Extract<FromWorker, { type: T }>);
      });
    });
  const send = (message: ToWorker): void => {
    if (child.connected) child.send(message);
  };
  const opened = next('opened').then(() => undefined);
  send({ type: 'job', job });
  return {
    opened,
    progress: () => latest,
    run: (measureFrom) => {
      const drained = next('drained').then(() => undefined);
      send({ type: 'start', measureFrom });
      return drained;
    },
    finish: () => {
      const result = next('result').then((m) => m.result);
      send({ type: 'finish' });
      return result;
    },
    stop: () => send({ type: 'stop' }),
  };
}

/** `wsx __bench-worker`: runs the job the parent sends, reporting over IPC. */
export const benchWorker = {
  name: WORKER_COMMAND,
  run(): Promise<ExitCode> {
    const reply = (message: FromWorker): Promise<void> =>
      new Promise((resolve) => process.send?.(message, () => resolve()));
    // Ctrl+C reaches the whole process group: the parent decides what it means.
    process.on('SIGINT', () => {});
    process.on('disconnect', () => process.exit(ExitCode.INTERRUPTED));
    const failed = (error: Error): Promise<void> =>
      reply({ type: 'error', message: error.message });
    return new Promise((resolve) => {
      let run: LoadRun | null = null;
      process.on('message', (message: ToWorker) => {
        if (message.type === 'stop') return run?.stop();
        if (message.type === 'start' && run !== null) {
          void run.run(message.measureFrom).then(() => reply({ type: 'drained' }), failed);
          return;
        }
        if (message.type === 'finish' && run !== null) {
          void run
            .finish()
            .then(
              (result) => reply({ type: 'result', result }).then(() => resolve(ExitCode.OK)),
              failed,
            );
          return;
        }
        if (message.type !== 'job') return;
        const current = new LoadRun(message.job);
        run = current;
        const timer = setInterval(
          () => void reply({ type: 'progress', progress: current.progress() }),
          PROGRESS_MS,
        );
        void current.open().then(() => reply({ type: 'opened', progress: current.progress() }));
        process.once('exit', () => clearInterval(timer));
      });
    });
  },
};

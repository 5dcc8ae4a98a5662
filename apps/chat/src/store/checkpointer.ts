/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside a commit: every
 * thousand pages or so, one commit also copies the WAL back into the database and fsyncs it,
 * and every acknowledgement behind it waits tens of milliseconds. Instead the main connection
 * never checkpoints (`wal_autocheckpoint = 0`), and a worker thread with its own connection
 * runs a PASSIVE checkpoint (which never blocks the writer) every `intervalMs`.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Runs in the worker (CommonJS, from a string: nothing to compile or locate at run time). */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.postMessage('closed'); });
`;

/** Once a second: the WAL stays small (a second of messages), and a checkpoint stays short. */
export const CHECKPOINT_INTERVAL_MS = 1000;

export class Checkpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;

  /** @param onError told if the worker fails (then SQLite's WAL just grows until restart). */
  constructor(file: string, onError: (error: Error) => void, intervalMs = CHECKPOINT_INTERVAL_MS) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER, { eval: true, workerData: { file, module, intervalMs } });
    this.#worker.unref();
    this.#worker.on('error', onError);
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
  }

  /** Stops the worker after its connection is closed (so the main one can finish the WAL). */
  async close(): Promise<void> {
    const closed = new Promise((resolve) => this.#worker.once('message', resolve));
    this.#worker.postMessage('close');
    await Promise.race([closed, this.#exited]);
    await this.#worker.terminate();
  }
}

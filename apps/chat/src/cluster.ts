/**
 * `wsx-chat --workers N`: N processes serving one port with node:cluster (the primary accepts
 * connections and hands each to a worker in turn), each a whole chat server on the shared
 * PostgreSQL store and Redis broker. The primary serves nothing itself; it
 * - starts the workers, and says where the chat is once all of them listen (a worker that
 *   fails before it listens stops them all: a bad setting, an unreachable database);
 * - starts a worker again when one dies (its clients reconnect to the others and resume), but
 *   gives up when workers keep dying (more than `MAX_RESTARTS` in a minute);
 * - shuts them down gracefully on SIGINT/SIGTERM (each commits what it received, closes its
 *   connections with 1001), and kills them on a second signal.
 * Workers ignore SIGINT/SIGTERM themselves (Ctrl+C and `systemctl stop` signal every process
 * of the group): the primary tells them when to stop, and they stop if it is gone.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

/** Worker deaths tolerated in a minute before the primary gives up. */
const MAX_RESTARTS = 5;
/** A dead worker's replacement starts after this pause (a crash loop stays slow). */
const RESTART_DELAY_MS = 1000;

/** What a worker tells the primary. */
export type WorkerMessage = { type: 'listening'; url: string };
/** What the primary tells a worker. */
export const SHUTDOWN = 'shutdown';

export function runPrimary(workers: number, logger: Logger): void {
  const primary = new Primary(workers, logger);
  cluster.on('exit', (worker, code, signal) => primary.exited(worker, code, signal));
  process.on('SIGINT', () => primary.signal('SIGINT'));
  process.on('SIGTERM', () => primary.signal('SIGTERM'));
  for (let i = 0; i < workers; i++) primary.fork();
}

const liveWorkers = (): Worker[] => Object.values(cluster.workers ?? {}) as Worker[];

/** The primary's state: which workers listen, recent deaths, whether it is stopping. */
class Primary {
  readonly #workers: number;
  readonly #logger: Logger;
  readonly #listening = new Set<number>();
  /** When workers died, over the last minute. */
  readonly #deaths: number[] = [];
  #announced = false;
  #stopping = false;
  #exitCode = 0;
  #signals = 0;

  constructor(workers: number, logger: Logger) {
    this.#workers = workers;
    this.#logger = logger;
  }

  fork(): void {
    const worker = cluster.fork();
    worker.on('message', (message: WorkerMessage) => {
      if (message?.type === 'listening' && !this.#stopping) this.#listening.add(worker.id);
      if (message?.type === 'listening') this.#announce(message.url);
    });
  }

  exited(worker: Worker, code: number, signal: string): void {
    const wasListening = this.#listening.delete(worker.id);
    if (this.#stopping) {
      if (liveWorkers().length === 0) process.exit(this.#exitCode);
      return;
    }
    this.#logger.error({ worker: worker.id, code, signal }, 'a worker died');
    const now = Date.now();
    this.#deaths.push(now);
    while (this.#deaths[0]! < now - 60_000) this.#deaths.shift();
    if (!wasListening && !this.#announced) this.#giveUp('a worker failed to start');
    else if (this.#deaths.length > MAX_RESTARTS) this.#giveUp('workers keep dying');
    else setTimeout(() => this.#stopping || this.fork(), RESTART_DELAY_MS).unref();
  }

  signal(name: string): void {
    if (++this.#signals > 1) {
      for (const worker of liveWorkers()) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    this.#logger.info({ signal: name }, 'signal received: stopping the workers');
    this.#stop(0);
  }

  /** Says where the chat is, once every worker listens. */
  #announce(url: string): void {
    if (this.#announced || this.#stopping || this.#listening.size < this.#workers) return;
    this.#announced = true;
    this.#logger.info({ url, workers: this.#workers }, 'listening');
    process.stderr.write(
      `\nwsx chat is running: open ${url} in your browser (${this.#workers} workers; Ctrl+C to stop)\n\n`,
    );
  }

  #giveUp(reason: string): void {
    this.#logger.fatal({ reason }, 'stopping');
    process.stderr.write(`wsx-chat: ${reason}; stopping\n`);
    this.#stop(1);
  }

  /** Asks every worker to stop; the last one's exit ends the primary (exited()). */
  #stop(code: number): void {
    this.#stopping = true;
    this.#exitCode = code;
    for (const worker of liveWorkers()) {
      // A worker still starting has nothing to finish (and may not listen for the message).
      if (this.#listening.has(worker.id)) worker.send(SHUTDOWN);
      else worker.process.kill('SIGKILL');
    }
    if (liveWorkers().length === 0) process.exit(code);
  }
}

/**
 * In a worker: tell the primary where it listens, and stop (gracefully, with `close`) when the
 * primary says so or is gone.
 */
export function serveAsWorker(url: string, close: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, 'worker stopping');
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('message', (m) => m === SHUTDOWN && stop('asked by the primary'));
  process.on('disconnect', () => stop('the primary is gone'));
  // The primary decides (it got the same signal): see the file's comment.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const message: WorkerMessage = { type: 'listening', url };
  if (process.connected) process.send?.(message);
  else stop('the primary is gone');
}

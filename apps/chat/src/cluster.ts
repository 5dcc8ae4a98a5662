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
  const listening = new Set<number>();
  const restarts: number[] = [];
  let announced = false;
  let stopping = false;
  let exitCode = 0;

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (message: WorkerMessage) => {
      if (message?.type !== 'listening' || stopping) return;
      listening.add(worker.id);
      if (announced || listening.size < workers) return;
      announced = true;
      logger.info({ url: message.url, workers }, 'listening');
      process.stderr.write(
        `\nwsx chat is running: open ${message.url} in your browser (${workers} workers; Ctrl+C to stop)\n\n`,
      );
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const wasListening = listening.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
      return;
    }
    logger.error({ worker: worker.id, code, signal }, 'a worker died');
    const now = Date.now();
    restarts.push(now);
    while (restarts[0]! < now - 60_000) restarts.shift();
    if (!wasListening && !announced) return giveUp('a worker failed to start');
    if (restarts.length > MAX_RESTARTS) return giveUp('workers keep dying');
    setTimeout(() => stopping || fork(), RESTART_DELAY_MS).unref();
  });

  const giveUp = (reason: string) => {
    logger.fatal({ reason }, 'stopping');
    process.stderr.write(`wsx-chat: ${reason}; stopping\n`);
    stop(1);
  };

  const stop = (code: number) => {
    stopping = true;
    exitCode = code;
    for (const worker of Object.values(cluster.workers ?? {})) {
      // A worker still starting has nothing to finish (and may not listen for the message).
      if (listening.has(worker!.id)) worker!.send(SHUTDOWN);
      else worker!.process.kill('SIGKILL');
    }
    // The last worker's exit ends the primary (above).
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(code);
  };

  let signals = 0;
  const onSignal = (signal: string) => {
    if (++signals > 1) {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received: stopping the workers');
    stop(0);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  for (let i = 0; i < workers; i++) fork();
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

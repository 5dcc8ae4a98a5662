#!/usr/bin/env node
/**
 * `wsx-chat`: runs the chat server. Configuration by flags or environment variables
 * (`wsx-chat --help`); SIGINT/SIGTERM shut it down gracefully.
 */
import cluster from 'node:cluster';
import { startChatServer } from './chat-server.js';
import { runPrimary, serveAsWorker } from './cluster.js';
import { type ChatConfig, ConfigError, loadConfig, usage } from './config.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`wsx-chat: ${error.message}\n\n${usage()}`);
    process.exit(2);
  }
  if (config === 'help') {
    process.stdout.write(usage());
    return;
  }
  if (config.workers > 1 && cluster.isPrimary) {
    runPrimary(config.workers, createLogger(config.logLevel).child({ primary: true }));
    return;
  }
  const server = await startChatServer(config);
  server.logger.info({ url: server.url, ...where(config) }, 'listening');
  if (cluster.isWorker) {
    serveAsWorker(server.url, () => server.close(), server.logger);
    return;
  }
  // The one line meant for a person, whatever the log level: where to open the chat.
  process.stderr.write(
    `\nwsx chat is running: open ${server.url} in your browser (Ctrl+C to stop)\n\n`,
  );
  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) process.exit(1); // a second Ctrl+C: stop now
    server.logger.info({ signal }, 'signal received');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Where the data lives and how nodes meet, for the log (no password). */
function where(config: ChatConfig): object {
  return {
    store: config.store.kind === 'sqlite' ? `sqlite:${config.dataDir}` : 'postgres',
    broker: config.broker.kind,
    ...(cluster.isWorker && { worker: cluster.worker?.id }),
  };
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  const hint = code === 'EADDRINUSE' ? ' (the port is taken: set PORT or --port)' : '';
  process.stderr.write(`wsx-chat: ${(error as Error).message}${hint}\n`);
  process.exit(1);
});

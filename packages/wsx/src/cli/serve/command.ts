/**
 * `wsx serve`: a WebSocketServer that echoes or broadcasts, standalone or beside static files,
 * logging to stderr, graceful on SIGINT/SIGTERM.
 */

import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import {
  type HandshakeError,
  type ServerOptions,
  type UpgradeRequest,
  type WebSocket,
  WebSocketServer,
} from '../../index.js';
import { flagOption, listOption, type ParsedCommand, parseCommand, stringOption } from '../args.js';
import { CliError, usageError } from '../cli-error.js';
import { ExitCode } from '../exit-codes.js';
import { parsePort, parseSize } from '../values.js';
import { ConnectionLog } from './connection-log.js';
import { serveSpec } from './spec.js';
import { staticFiles, staticRoot } from './static-files.js';

interface ServeSettings {
  readonly broadcast: boolean;
  readonly staticDir: string | null;
  readonly port: number;
  readonly host: string;
  readonly path: string | undefined;
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | null;
  readonly compression: boolean;
  readonly maxPayload: number | undefined;
  readonly allowedOrigins: readonly string[];
  readonly protocols: readonly string[];
  readonly quiet: boolean;
}

/** The parts of a refused request the log shows (Node's IncomingMessage, or wsx's own). */
interface RefusedRequest {
  readonly url?: string;
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
}

/** What the log knows of a connection. */
interface Peer {
  readonly id: number;
  readonly address: string;
  readonly path: string;
}

const COMMAND = 'serve';
/** The port a development server usually gets; `--port 0` for any free one. */
const DEFAULT_PORT = 8080;
/** This machine only, unless asked: a development server should not face the network. */
const DEFAULT_HOST = '127.0.0.1';
const TOPIC = 'everyone';

export function serveSettings({ values, positionals }: ParsedCommand): ServeSettings {
  if (positionals.length > 0) throw usageError(COMMAND, `unexpected argument '${positionals[0]}'`);
  const option = (name: string) => ({ command: COMMAND, option: name });
  if (flagOption(values, 'echo') && flagOption(values, 'broadcast')) {
    throw usageError(COMMAND, 'choose --echo or --broadcast, not both');
  }
  const port = stringOption(values, 'port');
  const maxPayload = stringOption(values, 'max-payload');
  const path = stringOption(values, 'path');
  if (path !== undefined && !path.startsWith('/')) {
    throw usageError(COMMAND, `--path must start with / (got '${path}')`);
  }
  return {
    broadcast: flagOption(values, 'broadcast'),
    staticDir: stringOption(values, 'static') ?? null,
    port: port === undefined ? DEFAULT_PORT : parsePort(option('port'), port),
    host: stringOption(values, 'host') ?? DEFAULT_HOST,
    path,
    tls: tlsFiles(stringOption(values, 'tls-cert'), stringOption(values, 'tls-key')),
    compression: flagOption(values, 'compression'),
    maxPayload:
      maxPayload === undefined
        ? undefined
        : parseSize(option('max-payload'), maxPayload, 1, 2 ** 31 - 1),
    allowedOrigins: listOption(values, 'allowed-origin'),
    protocols: listOption(values, 'subprotocol'),
    quiet: flagOption(values, 'quiet'),
  };
}

function tlsFiles(cert: string | undefined, key: string | undefined): ServeSettings['tls'] {
  if (cert === undefined && key === undefined) return null;
  if (cert === undefined || key === undefined) {
    throw usageError(COMMAND, '--tls-cert and --tls-key go together');
  }
  const read = (name: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw usageError(COMMAND, `cannot read the --${name} file '${file}' (${reason})`);
    }
  };
  return { cert: read('tls-cert', cert), key: read('tls-key', key) };
}

export async function serveCommand(argv: readonly string[]): Promise<ExitCode> {
  const settings = serveSettings(parseCommand(serveSpec, argv));
  const log = new ConnectionLog(settings.quiet);
  const root = settings.staticDir === null ? null : staticRoot(settings.staticDir);
  const http =
    root === null ? null : httpServer(settings, staticFiles(root, log.request.bind(log)));
  const server: WebSocketServer<Peer> = new WebSocketServer<Peer>(
    serverOptions(settings, log, http, (): WebSocketServer<Peer> => server),
  );
  server.on('wsClientError', (error: HandshakeError, socket: Socket, req?: RefusedRequest) => {
    const origin = req?.headers?.origin;
    const why = `${error.message}${typeof origin === 'string' ? ` (Origin: ${origin})` : ''}`;
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    log.refused(error.status, why, `${peer}${req?.url === undefined ? '' : ` ${req.url}`}`);
  });
  const address = await listening(settings, server, http);
  const scheme = settings.tls === null ? 'ws' : 'wss';
  const url = `${scheme}://${urlHost(address)}:${address.port}${settings.path ?? '/'}`;
  process.stdout.write(`${url}\n`);
  const mode = settings.broadcast ? 'broadcast' : 'echo';
  log.line(
    `${mode} server on ${url}${root === null ? '' : `, files of ${root} over http${settings.tls === null ? '' : 's'}`}`,
  );
  return shutdownOnSignal(server, http, log);
}

function serverOptions(
  settings: ServeSettings,
  log: ConnectionLog,
  http: HttpServer | null,
  server: () => WebSocketServer<Peer>,
): ServerOptions<Peer> {
  let next = 1;
  const where = http === null ? { port: settings.port, host: settings.host } : { server: http };
  return {
    ...where,
    ...(settings.tls === null || http !== null ? {} : { tls: settings.tls }),
    ...(settings.path === undefined ? {} : { path: settings.path }),
    ...(settings.maxPayload === undefined ? {} : { maxMessageSize: settings.maxPayload }),
    ...(settings.allowedOrigins.length === 0
      ? {}
      : { allowedOrigins: [...settings.allowedOrigins] }),
    ...(settings.protocols.length === 0 ? {} : { protocols: [...settings.protocols] }),
    perMessageDeflate: settings.compression,
    upgrade: (request: UpgradeRequest): Peer => ({
      id: next++,
      address: `${request.remoteAddress}:${request.remotePort}`,
      path: `${request.path}${request.url.search}`,
    }),
    open(ws: WebSocket<Peer>) {
      log.opened(ws.data.id, ws.data.address, ws.data.path, ws.protocol);
      if (settings.broadcast) ws.subscribe(TOPIC);
    },
    message(ws: WebSocket<Peer>, data: Buffer, isBinary: boolean) {
      log.message(ws.data.id, data, isBinary);
      if (settings.broadcast) server().publish(TOPIC, data, { binary: isBinary });
      else ws.send(data, { binary: isBinary });
    },
    close: (ws: WebSocket<Peer>, code: number, reason: string) =>
      log.closed(ws.data.id, code, reason),
    error: (ws: WebSocket<Peer>, error: Error) => log.error(ws.data.id, error),
  };
}

function httpServer(settings: ServeSettings, handler: ReturnType<typeof staticFiles>): HttpServer {
  const http =
    settings.tls === null
      ? createHttpServer(handler)
      : createHttpsServer({ cert: settings.tls.cert, key: settings.tls.key }, handler);
  http.listen(settings.port, settings.host);
  return http;
}

/** Resolves with the address once listening; a listen error is a CliError (exit status 4). */
function listening(
  settings: ServeSettings,
  server: WebSocketServer<Peer>,
  http: HttpServer | null,
): Promise<AddressInfo> {
  const emitter = http ?? server;
  return new Promise((resolve, reject) => {
    emitter.once('listening', () => resolve((http ?? server).address() as AddressInfo));
    emitter.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${settings.host}:${settings.port}`;
      const hint =
        error.code === 'EADDRINUSE'
          ? 'another program uses that port: pick another with --port (0: any free port)'
          : error.code === 'EACCES'
            ? 'ports below 1024 need privileges: pick one above with --port'
            : undefined;
      reject(new CliError(ExitCode.NETWORK, `cannot listen on ${where}: ${error.message}`, hint));
    });
  });
}

/** A listening address as a URL host: `[::1]`, and `localhost` for "every interface". */
function urlHost(address: AddressInfo): string {
  if (address.address === '0.0.0.0' || address.address === '::') return 'localhost';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}

/** Waits for SIGINT or SIGTERM, then closes gracefully; a second signal exits at once. */
function shutdownOnSignal(
  server: WebSocketServer<Peer>,
  http: HttpServer | null,
  log: ConnectionLog,
): Promise<ExitCode> {
  return new Promise((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++signals > 1) {
        resolve(ExitCode.INTERRUPTED);
        return;
      }
      log.line(`${signal}: closing every connection with 1001 (${signal} again to exit at once)`);
      void server.close().then(() => {
        if (http === null) {
          resolve(ExitCode.OK);
          return;
        }
        http.closeAllConnections();
        http.close(() => resolve(ExitCode.OK));
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

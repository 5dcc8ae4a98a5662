/**
 * Configuration from command-line flags and environment variables (a flag wins over its
 * variable). Every setting has a safe default; a bad value is a clear error, never ignored.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

/** Where messages last: SQLite in the data directory (one node), or PostgreSQL (several). */
export type StoreConfig =
  | { readonly kind: 'sqlite' }
  | { readonly kind: 'postgres'; readonly url: string };

/** How live events reach the nodes: in this process only, or through Redis (several). */
export type BrokerConfig =
  | { readonly kind: 'local' }
  | { readonly kind: 'redis'; readonly url: string };

export interface ChatConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | null;
  /** Origins allowed besides the server's own (same host as the request). */
  readonly origins: readonly string[];
  readonly maxTextLength: number;
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly sync: 'full' | 'normal';
  readonly logLevel: string;
  /** Behind a reverse proxy: take the client address and scheme from X-Forwarded-*. */
  readonly trustProxy: boolean;
  readonly store: StoreConfig;
  readonly broker: BrokerConfig;
  /** How long Redis may stay silent before a node counts it as away. */
  readonly brokerTimeoutMs: number;
  /** Processes serving the port (node:cluster); more than one needs PostgreSQL and Redis. */
  readonly workers: number;
}

export class ConfigError extends Error {}

/** Each setting: its flag, its environment variable, its default, and what it is. */
const SETTINGS = {
  port: { env: 'PORT', default: '3000', help: 'TCP port (0: any free port)' },
  host: {
    env: 'HOST',
    default: '127.0.0.1',
    help: 'address to listen on (0.0.0.0: every interface)',
  },
  'data-dir': { env: 'DATA_DIR', default: './data', help: 'where the SQLite database lives' },
  'tls-cert': { env: 'TLS_CERT', default: '', help: 'PEM certificate file: serve https and wss' },
  'tls-key': { env: 'TLS_KEY', default: '', help: 'PEM private key file (with --tls-cert)' },
  origins: {
    env: 'ALLOWED_ORIGINS',
    default: '',
    help: "comma-separated origins allowed besides the server's own",
  },
  'max-text': { env: 'MAX_TEXT_LENGTH', default: '4000', help: 'longest message, in characters' },
  rate: { env: 'RATE_LIMIT', default: '20', help: 'requests per second per connection' },
  burst: { env: 'RATE_BURST', default: '40', help: 'requests in a burst per connection' },
  sync: {
    env: 'SQLITE_SYNC',
    default: 'full',
    help: "'full': fsync each commit; 'normal': survive a crash of the process, not of the machine",
  },
  'log-level': {
    env: 'LOG_LEVEL',
    default: 'info',
    help: 'fatal, error, warn, info, debug, trace or silent',
  },
  'trust-proxy': {
    env: 'TRUST_PROXY',
    default: 'false',
    help: 'behind a reverse proxy: trust X-Forwarded-For and -Proto',
  },
  store: {
    env: 'STORE',
    default: 'sqlite',
    help: "'sqlite' (in --data-dir) or postgres://user:password@host:5432/db (several nodes)",
  },
  broker: {
    env: 'BROKER',
    default: 'local',
    help: "'local' (this process) or redis://host:6379 (several nodes)",
  },
  'broker-timeout': {
    env: 'BROKER_TIMEOUT',
    default: '3000',
    help: 'ms of silence after which Redis counts as away (a PING every third of it)',
  },
  workers: {
    env: 'WORKERS',
    default: '1',
    help: "processes on the port (node:cluster), or 'auto' (one per core); >1 needs postgres and redis",
  },
} as const;

type Name = keyof typeof SETTINGS;

export function usage(): string {
  const lines = Object.entries(SETTINGS).map(
    ([flag, s]) =>
      `  --${flag.padEnd(14)} ${s.env.padEnd(16)} ${s.help} (default: ${s.default || 'none'})`,
  );
  return `Usage: wsx-chat [options]\n\n  flag             variable\n${lines.join('\n')}\n  --help\n`;
}

/** Reads the configuration; throws a ConfigError naming the bad setting. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ChatConfig | 'help' {
  const options = Object.fromEntries(
    Object.keys(SETTINGS).map((flag) => [flag, { type: 'string' as const }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  if (values.help === true) return 'help';
  const get = (name: Name): string =>
    (values[name] as string | undefined) ?? env[SETTINGS[name].env] ?? SETTINGS[name].default;
  return {
    port: integer(get('port'), 'port', 0, 65535),
    host: get('host'),
    dataDir: get('data-dir'),
    tls: readTls(get('tls-cert'), get('tls-key')),
    origins: get('origins')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== '')
      .map(checkOrigin),
    maxTextLength: integer(get('max-text'), 'max-text', 1, 100_000),
    ratePerSecond: integer(get('rate'), 'rate', 1, 1_000_000),
    burst: integer(get('burst'), 'burst', 1, 1_000_000),
    sync: oneOf(get('sync'), 'sync', ['full', 'normal'] as const),
    logLevel: oneOf(get('log-level'), 'log-level', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ] as const),
    trustProxy:
      oneOf(get('trust-proxy'), 'trust-proxy', ['true', 'false', '1', '0'] as const).match(
        /true|1/,
      ) !== null,
    ...scaleOut(get('store'), get('broker'), get('workers')),
    brokerTimeoutMs: integer(get('broker-timeout'), 'broker-timeout', 100, 600_000),
  };
}

/** The store, the broker and the number of workers, which constrain each other. */
function scaleOut(
  store: string,
  broker: string,
  workers: string,
): Pick<ChatConfig, 'store' | 'broker' | 'workers'> {
  const config = {
    store: readStore(store),
    broker: readBroker(broker),
    workers: workers === 'auto' ? availableParallelism() : integer(workers, 'workers', 1, 256),
  };
  if (config.workers > 1 && (config.store.kind !== 'postgres' || config.broker.kind !== 'redis'))
    throw new ConfigError(
      `--workers ${config.workers} needs --store postgres://... and --broker redis://...: ` +
        "workers are separate processes, and SQLite's single writer would make them wait on " +
        "each other while the local broker reaches only its own process's clients",
    );
  return config;
}

function readStore(value: string): StoreConfig {
  if (value === 'sqlite') return { kind: 'sqlite' };
  const url = serviceUrl(value, 'store', ['postgres:', 'postgresql:']);
  if (url === null)
    throw new ConfigError(
      `--store must be 'sqlite' or a postgres://user:password@host:port/database URL (got ${JSON.stringify(redactUrl(value))})`,
    );
  return { kind: 'postgres', url: value };
}

function readBroker(value: string): BrokerConfig {
  if (value === 'local') return { kind: 'local' };
  const url = serviceUrl(value, 'broker', ['redis:', 'rediss:']);
  if (url === null)
    throw new ConfigError(
      `--broker must be 'local' or a redis://[user:password@]host:port URL (got ${JSON.stringify(redactUrl(value))})`,
    );
  return { kind: 'redis', url: value };
}

function serviceUrl(value: string, name: string, schemes: readonly string[]): URL | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (!schemes.includes(url.protocol)) return null;
  if (url.hostname === '' && name === 'broker') return null;
  return url;
}

/** A URL as it may be logged or shown: without its password. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return value.replace(/\/\/[^@/]*@/, '//***@');
  }
}

function integer(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new ConfigError(
      `--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  return n;
}

function oneOf<T extends string>(value: string, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new ConfigError(
      `--${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`,
    );
  return value as T;
}

function checkOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new ConfigError(
      `--origins: ${JSON.stringify(origin)} is not an origin like https://chat.example.com`,
    );
  }
  if (url.origin !== origin)
    throw new ConfigError(
      `--origins: ${JSON.stringify(origin)} is not an origin (did you mean ${url.origin}?)`,
    );
  return origin;
}

function readTls(cert: string, key: string): ChatConfig['tls'] {
  if (cert === '' && key === '') return null;
  if (cert === '' || key === '') throw new ConfigError('--tls-cert and --tls-key go together');
  try {
    return { cert: readFileSync(cert), key: readFileSync(key) };
  } catch (error) {
    throw new ConfigError(`cannot read the TLS files: ${(error as Error).message}`);
  }
}

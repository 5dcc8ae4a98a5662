/**
 * Configuration from command-line flags and environment variables (a flag wins over its
 * variable). Every setting has a safe default; a bad value is a clear error, never ignored.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

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
} as const;

type Name = keyof typeof SETTINGS;

export function usage(): string {
  const lines = Object.entries(SETTINGS).map(
    ([flag, s]) =>
      `  --${flag.padEnd(12)} ${s.env.padEnd(16)} ${s.help} (default: ${s.default || 'none'})`,
  );
  return `Usage: wsx-chat [options]\n\n  flag           variable\n${lines.join('\n')}\n  --help\n`;
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
  };
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

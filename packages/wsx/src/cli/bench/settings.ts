/** `wsx bench`'s options, checked, and split into one job per process. */

import { readFileSync } from 'node:fs';
import { flagOption, listOption, type ParsedCommand, stringOption } from '../args.js';
import { usageError } from '../cli-error.js';
import { parseCount, parseDuration, parseRate, parseSize } from '../values.js';
import type { BenchMode, LoadJob } from './job.js';
import { STAMP_BYTES } from './stamp.js';
import type { BenchPlan } from './summary.js';

export interface BenchSettings extends BenchPlan {
  readonly headers: readonly (readonly [string, string])[];
  readonly protocols: readonly string[];
  readonly origin: string | undefined;
  readonly ca: string | undefined;
  readonly insecure: boolean;
  readonly timeoutMs: number;
  readonly connectRate: number;
  readonly json: boolean;
  readonly quiet: boolean;
}

const COMMAND = 'bench';
const DEFAULTS = {
  connections: 10, // enough to show a server's concurrency, few enough for any laptop
  concurrency: 1,
  size: 64,
  durationMs: 10_000,
  connectRate: 2000, // a 10,000-connection run opens in 5 s without a SYN flood
  timeoutMs: 10_000,
};

export function benchSettings({ values, positionals }: ParsedCommand): BenchSettings {
  if (positionals.length !== 1) {
    throw usageError(COMMAND, positionals.length === 0 ? 'a URL is needed' : 'one URL only');
  }
  const read = new Reader(values);
  return {
    url: checkUrl(positionals[0]!).href,
    ...loadOf(read),
    ...lengthOf(read.text('duration'), read.text('messages')),
    warmupMs: read.duration('warmup', 0) ?? 0,
    connectRate: read.rate('connect-rate') ?? DEFAULTS.connectRate,
    headers: listOption(values, 'header').map(parseHeader),
    protocols: listOption(values, 'subprotocol'),
    origin: read.text('origin'),
    ca: read.text('ca') === undefined ? undefined : readCa(read.text('ca')!),
    insecure: flagOption(values, 'insecure'),
    timeoutMs: read.duration('timeout') ?? DEFAULTS.timeoutMs,
    json: flagOption(values, 'json'),
    quiet: flagOption(values, 'quiet'),
  };
}

/** Typed reads of the options, each error naming its option. */
class Reader {
  readonly #values: ParsedCommand['values'];

  constructor(values: ParsedCommand['values']) {
    this.#values = values;
  }

  text(name: string): string | undefined {
    return stringOption(this.#values, name);
  }

  flag(name: string): boolean {
    return flagOption(this.#values, name);
  }

  count(name: string, min: number, max: number, fallback: number): number {
    const value = this.text(name);
    return value === undefined
      ? fallback
      : parseCount({ command: COMMAND, option: name }, value, min, max);
  }

  rate(name: string): number | undefined {
    const value = this.text(name);
    return value === undefined ? undefined : parseRate({ command: COMMAND, option: name }, value);
  }

  duration(name: string, minMs = 1): number | undefined {
    const value = this.text(name);
    return value === undefined
      ? undefined
      : parseDuration({ command: COMMAND, option: name }, value, minMs);
  }
}

/** The shape of the load: mode, connections, senders, loop, messages, processes. */
function loadOf(read: Reader): Omit<BenchPlan, 'url' | 'durationMs' | 'messages' | 'warmupMs'> {
  const mode = read.text('mode') ?? 'echo';
  if (mode !== 'echo' && mode !== 'publish') {
    throw usageError(COMMAND, `--mode is echo or publish (got '${mode}')`);
  }
  if (mode === 'echo' && read.text('senders') !== undefined) {
    throw usageError(
      COMMAND,
      '--senders is for --mode publish (in echo mode, every connection sends)',
    );
  }
  if (read.text('rate') !== undefined && read.text('concurrency') !== undefined) {
    throw usageError(
      COMMAND,
      '--rate (open loop) and --concurrency (closed loop) exclude each other',
    );
  }
  const connections = read.count('connections', 1, 1_000_000, DEFAULTS.connections);
  return {
    mode,
    connections,
    senders: mode === 'echo' ? connections : read.count('senders', 1, connections, 1),
    concurrency: read.count('concurrency', 1, 100_000, DEFAULTS.concurrency),
    rate: read.rate('rate') ?? null,
    size: sizeOf(read.text('size'), mode),
    binary: read.flag('binary'),
    processes: read.count('processes', 1, Math.min(64, connections), 1),
  };
}

function checkUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(COMMAND, `'${text}' is not a URL (ws://host:port/path)`);
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) {
    throw usageError(COMMAND, `bench connects to ws:// or wss:// URLs (got ${url.protocol})`);
  }
  if (url.hash !== '') throw usageError(COMMAND, 'a WebSocket URL has no #fragment');
  return url;
}

function sizeOf(text: string | undefined, mode: BenchMode): number {
  const min = mode === 'publish' ? STAMP_BYTES : 0;
  const size =
    text === undefined
      ? DEFAULTS.size
      : parseSize({ command: COMMAND, option: 'size' }, text, min, 64 * 1024 ** 2);
  if (size < min) throw usageError(COMMAND, `publish mode needs --size ${min} or more`);
  return size;
}

function lengthOf(
  duration: string | undefined,
  messages: string | undefined,
): { durationMs: number | null; messages: number | null } {
  if (duration !== undefined && messages !== undefined) {
    throw usageError(COMMAND, 'give --duration or --messages, not both');
  }
  if (messages !== undefined) {
    return {
      durationMs: null,
      messages: parseCount(
        { command: COMMAND, option: 'messages' },
        messages,
        1,
        Number.MAX_SAFE_INTEGER,
      ),
    };
  }
  const ms =
    duration === undefined
      ? DEFAULTS.durationMs
      : parseDuration({ command: COMMAND, option: 'duration' }, duration, 1);
  return { durationMs: ms, messages: null };
}

function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon < 0 ? '' : text.slice(0, colon).trim();
  if (name === '') throw usageError(COMMAND, `--header must be 'Name: value' (got '${text}')`);
  return [name, text.slice(colon + 1).trim()];
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw usageError(COMMAND, `cannot read the --ca file '${file}' (${reason})`);
  }
}

/** `total` split over `parts`: part `i`'s share, the first ones taking the remainder. */
function share(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

/** One job per process: connections, senders, messages and rates split between them. */
export function jobsOf(settings: BenchSettings, epochNs: bigint): LoadJob[] {
  const p = settings.processes;
  const jobs: LoadJob[] = [];
  let senderBase = 0;
  const sendingProcesses = Math.min(p, settings.senders);
  for (let i = 0; i < p; i++) {
    const senders = share(settings.senders, p, i);
    jobs.push({
      url: settings.url,
      headers: settings.headers,
      protocols: settings.protocols,
      origin: settings.origin,
      ca: settings.ca,
      insecure: settings.insecure,
      timeoutMs: settings.timeoutMs,
      mode: settings.mode,
      connections: share(settings.connections, p, i),
      senders,
      senderBase,
      concurrency: settings.concurrency,
      size: settings.size,
      binary: settings.binary,
      durationMs: settings.durationMs,
      warmupMs: settings.warmupMs,
      messages:
        settings.messages === null
          ? null
          : senders === 0
            ? 0
            : share(settings.messages, sendingProcesses, i),
      rate: settings.rate === null ? null : (settings.rate * senders) / settings.senders,
      connectRate: settings.connectRate / p,
      epochNs: String(epochNs),
    });
    senderBase += senders;
  }
  return jobs;
}

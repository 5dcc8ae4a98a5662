/** `wsx connect`'s parsed options, turned into the client's options and the modes to run in. */

import { readFileSync } from 'node:fs';
import type { ClientOptions } from '../../index.js';
import { flagOption, listOption, type ParsedCommand, stringOption } from '../args.js';
import { usageError } from '../cli-error.js';
import type { FailureContext } from '../failures.js';
import { parseDuration, parseSize } from '../values.js';

export interface ConnectSettings {
  /** The URL to connect to, without the credentials it may have carried. */
  readonly url: string;
  readonly client: ClientOptions;
  readonly protocols: readonly string[];
  readonly binary: boolean;
  readonly once: boolean;
  readonly noInput: boolean;
  readonly keepOpen: boolean;
  readonly json: boolean;
  readonly showHeaders: boolean;
  readonly quiet: boolean;
  readonly reconnect: boolean;
  readonly failure: FailureContext;
}

const COMMAND = 'connect';
const SECURE_SCHEMES = ['wss:', 'https:', 'wss+unix:'];
/** The schemes whose URLs may carry `user:password@`. */
const WEB_SCHEMES = new Set(['ws:', 'wss:', 'http:', 'https:']);

export function connectSettings({ values, positionals }: ParsedCommand): ConnectSettings {
  if (positionals.length !== 1) {
    throw usageError(COMMAND, positionals.length === 0 ? 'a URL is needed' : 'one URL only');
  }
  const { url, credentials } = splitCredentials(positionals[0]!);
  const headers = listOption(values, 'header').map(parseHeader);
  const auth = stringOption(values, 'auth') ?? credentials;
  if (auth !== undefined) {
    if (!auth.includes(':')) throw usageError(COMMAND, '--auth must be user:password');
    headers.push(['Authorization', `Basic ${Buffer.from(auth).toString('base64')}`]);
  }
  const protocols = listOption(values, 'subprotocol');
  const origin = stringOption(values, 'origin');
  const settings = {
    url,
    client: clientOptions(values, headers, protocols, origin),
    protocols,
    binary: flagOption(values, 'binary'),
    once: flagOption(values, 'once'),
    noInput: flagOption(values, 'no-input'),
    keepOpen: flagOption(values, 'keep-open'),
    json: flagOption(values, 'json'),
    showHeaders: flagOption(values, 'show-headers'),
    quiet: flagOption(values, 'quiet'),
    reconnect: flagOption(values, 'reconnect'),
    failure: {
      secure: SECURE_SCHEMES.some((scheme) => url.toLowerCase().startsWith(scheme)),
      protocols,
      credentials: headers.some(([name]) => name.toLowerCase() === 'authorization'),
      origin,
    },
  };
  if (settings.once && settings.reconnect) {
    throw usageError(COMMAND, '--once and --reconnect do not go together');
  }
  return settings;
}

function clientOptions(
  values: ParsedCommand['values'],
  headers: [string, string][],
  protocols: string[],
  origin: string | undefined,
): ClientOptions {
  const option = (name: string) => ({ command: COMMAND, option: name });
  const client: ClientOptions = { headers, protocols };
  if (origin !== undefined) client.origin = origin;
  if (flagOption(values, 'no-compression')) client.perMessageDeflate = false;
  if (flagOption(values, 'follow-redirects')) client.followRedirects = true;
  if (flagOption(values, 'insecure')) client.rejectUnauthorized = false;
  const timeout = stringOption(values, 'timeout');
  if (timeout !== undefined) client.handshakeTimeout = parseDuration(option('timeout'), timeout, 1);
  const maxPayload = stringOption(values, 'max-payload');
  if (maxPayload !== undefined) {
    client.maxMessageSize = parseSize(option('max-payload'), maxPayload, 1, 2 ** 31 - 1);
  }
  const ping = stringOption(values, 'ping-interval');
  if (ping !== undefined) {
    const interval = parseDuration(option('ping-interval'), ping, 0);
    client.pingInterval = interval;
    if (interval > 0) client.pongTimeout = interval;
  }
  const proxy = stringOption(values, 'proxy');
  if (proxy !== undefined) client.proxy = proxy;
  for (const name of ['ca', 'cert', 'key'] as const) {
    const file = stringOption(values, name);
    if (file !== undefined) client[name] = readPem(name, file);
  }
  return client;
}

/** `Name: value` (the first colon separates them; spaces around the value are dropped). */
function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon < 0 ? '' : text.slice(0, colon).trim();
  if (name === '') throw usageError(COMMAND, `--header must be 'Name: value' (got '${text}')`);
  return [name, text.slice(colon + 1).trim()];
}

function readPem(option: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw usageError(COMMAND, `cannot read the --${option} file '${file}' (${reason})`);
  }
}

/** Takes `user:password@` out of a ws(s)/http(s) URL (curl does the same with its URLs). */
function splitCredentials(text: string): { url: string; credentials: string | undefined } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { url: text, credentials: undefined }; // the client names what is wrong with it
  }
  if (!WEB_SCHEMES.has(url.protocol) || (url.username === '' && url.password === '')) {
    return { url: text, credentials: undefined };
  }
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  return { url: url.href, credentials };
}

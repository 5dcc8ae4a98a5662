/**
 * HTTP(S) proxies for the client: which proxy a connection goes through (the `proxy` option,
 * else the environment, read as curl and Python websockets read it), the `CONNECT` request that
 * opens a tunnel through it, and the check of the proxy's answer.
 *
 * @see RFC 9110 §9.3.6 (CONNECT), §11.7.2 (Proxy-Authorization)
 */

import { Buffer } from 'node:buffer';
import { isIPv4 } from 'node:net';
import { ErrorCode, HandshakeError, UsageError } from '../core/errors.js';
import { hasScheme, isDigits } from '../core/header-values.js';
import { encodeHead, type HttpResponseHead } from '../core/http-head.js';
import type { ClientTarget } from './client-url.js';

/** A proxy to tunnel through. */
export interface ProxyServer {
  /** `http:` or `https:` (TLS to the proxy itself). */
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  /** The `Proxy-Authorization` value, from `user:pass@` in the proxy URL. */
  readonly authorization: string | undefined;
  /** The proxy's URL without credentials, for messages. */
  readonly display: string;
}

/** The `proxy` option resolved: a proxy, `false` for none, `undefined` for the environment's. */
export type ProxySetting = ProxyServer | false | undefined;

/** Environment variables, as `process.env`. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Parses a proxy URL: `http://[user:pass@]host[:port]` or `https://...`. From the environment, a
 * value without a scheme (`proxy.local:3128`) is taken as `http://`, as curl does.
 *
 * @throws {UsageError} naming `source` (the option or the variable).
 */
export function parseProxyUrl(value: string | URL, source: string): ProxyServer {
  const text = String(value);
  let url: URL;
  try {
    url = new URL(
      hasScheme(text) && text.startsWith('://', text.indexOf(':')) ? text : `http://${text}`,
    );
  } catch {
    throw new UsageError(`${source}: invalid proxy URL ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${source}: a proxy URL is http: or https:, not ${url.protocol}`);
  }
  if (url.hostname === '') throw new UsageError(`${source}: the proxy URL needs a host`);
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let authorization: string | undefined;
  if (url.username !== '' || url.password !== '') {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
  }
  return { secure, host, port, authorization, display: `${url.protocol}//${url.host}` };
}

/**
 * The proxy for `target`, or null to connect directly. An explicit proxy is always used; with
 * none given, `wss:` uses `HTTPS_PROXY` and `ws:` uses `HTTP_PROXY` (lower-case names first,
 * empty means unset) unless `NO_PROXY` matches or the target is loopback (`localhost`,
 * 127.0.0.0/8, `::1`: as Go's net/http does, since a proxy cannot reach this machine's loopback).
 * Unix sockets never use a proxy.
 *
 * `HTTP_PROXY` (upper case) is ignored when `REQUEST_METHOD` is set: in a CGI script it may come
 * from a request's `Proxy:` header ("httpoxy"), as Python's urllib also guards against.
 */
export function selectProxy(
  setting: ProxySetting,
  target: ClientTarget,
  env: Environment,
): ProxyServer | null {
  if (setting === false || target.socketPath !== null) return null;
  if (setting !== undefined) return setting;
  const [name, value] = target.secure
    ? firstSet(env, ['https_proxy', 'HTTPS_PROXY'])
    : firstSet(env, env.REQUEST_METHOD ? ['http_proxy'] : ['http_proxy', 'HTTP_PROXY']);
  if (value === undefined || isLoopback(target.host)) return null;
  const [, noProxy = ''] = firstSet(env, ['no_proxy', 'NO_PROXY']);
  if (bypassesProxy(target.host, target.port, noProxy)) return null;
  return parseProxyUrl(value, name);
}

function isLoopback(host: string): boolean {
  const name = withoutTrailingDot(host.toLowerCase());
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name === '::1' ||
    (isIPv4(name) && name.startsWith('127.'))
  );
}

function firstSet(env: Environment, names: readonly string[]): [string, string | undefined] {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') return [name, value];
  }
  return [names[0]!, undefined];
}

/**
 * Whether `NO_PROXY` exempts `host:port`. Entries are separated by commas or spaces; `*` matches
 * every host; `example.com`, `.example.com` and `*.example.com` all match example.com and its
 * subdomains; an IP address matches itself (no CIDR ranges); `host:port` (`[v6]:port`) matches
 * that port only. Case-insensitive. (Loopback targets never reach this: see selectProxy.)
 */
export function bypassesProxy(host: string, port: number, noProxy: string): boolean {
  const name = withoutTrailingDot(host.toLowerCase());
  for (const item of noProxy.replaceAll(',', ' ').split(' ')) {
    if (item === '') continue;
    if (item === '*') return true;
    const entry = splitPort(item.toLowerCase());
    if (entry === null || (entry.port !== null && entry.port !== port)) continue;
    const domain = withoutTrailingDot(withoutWildcard(entry.host));
    if (domain !== '' && (name === domain || name.endsWith(`.${domain}`))) return true;
  }
  return false;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; null if malformed. */
function splitPort(entry: string): { host: string; port: number | null } | null {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 2) return null;
    const host = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    if (rest === '') return { host, port: null };
    return rest[0] === ':' && isDigits(rest.slice(1))
      ? { host, port: Number(rest.slice(1)) }
      : null;
  }
  const colon = entry.indexOf(':');
  if (colon === -1 || colon !== entry.lastIndexOf(':')) return { host: entry, port: null };
  const port = entry.slice(colon + 1);
  return isDigits(port) ? { host: entry.slice(0, colon), port: Number(port) } : null;
}

function withoutTrailingDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** `*.example.com` and `.example.com` name the domain `example.com`. */
function withoutWildcard(name: string): string {
  if (name.startsWith('*.')) return name.slice(2);
  return name.startsWith('.') ? name.slice(1) : name;
}

/** The `CONNECT host:port` request that asks `proxy` for a tunnel to `target`. */
export function connectRequest(target: ClientTarget, proxy: ProxyServer): Uint8Array {
  const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const fields: [string, string][] = [['Host', authority]];
  if (proxy.authorization !== undefined) fields.push(['Proxy-Authorization', proxy.authorization]);
  return encodeHead(`CONNECT ${authority} HTTP/1.1`, fields);
}

/**
 * Checks the proxy's answer to `CONNECT`. RFC 9110 §9.3.6: "Any 2xx (Successful) response
 * indicates that the sender (and all inbound proxies) will switch to tunnel mode immediately
 * after the response header section".
 *
 * @throws {HandshakeError} `PROXY_FAILED`, with the proxy's status.
 */
export function checkConnectResponse(
  head: HttpResponseHead,
  proxy: ProxyServer,
  target: ClientTarget,
): void {
  if (head.status >= 200 && head.status < 300) return;
  const hint =
    head.status === 407
      ? proxy.authorization === undefined
        ? ': proxy authentication required (put user:pass@ in the proxy URL)'
        : ': proxy authentication required (the credentials were refused)'
      : '';
  const message = `proxy ${proxy.display} answered CONNECT ${target.host}:${target.port} with '${head.status} ${head.reason}'${hint}`;
  throw new HandshakeError(ErrorCode.PROXY_FAILED, head.status, message);
}

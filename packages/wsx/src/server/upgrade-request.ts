/** The view of an upgrade request that the `upgrade` hook and `protocols` function receive. */

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { alphanumericTable } from '../core/header-values.js';
import type { Http2UpgradeRequest } from './http2-request.js';
import type { UpgradeHttpRequest } from './upgrade-http-request.js';

/**
 * The HTTP request of an upgrade: Node's `IncomingMessage` when the request came through an
 * `http`/`https` server (attached, noServer), the lighter `UpgradeHttpRequest` a standalone
 * server reads itself, or an `Http2UpgradeRequest` for an extended CONNECT over HTTP/2 (same
 * `method`, `url`, `httpVersion`, `headers`, `rawHeaders`, `socket`).
 */
export type UpgradeSource = IncomingMessage | UpgradeHttpRequest | Http2UpgradeRequest;

/**
 * Characters of a path segment that need no normalisation (RFC 3986 §3.3 `pchar` without
 * percent-encoding): unreserved but '.', sub-delims, ':' and '@'. Indexed by char code.
 */
const PLAIN_CHAR = alphanumericTable("-_~!$&'()*+,;=:@");

/**
 * Whether `path` is already in normal form: it starts with '/', has no empty segment, no '.'
 * (dot segments) and no percent-encoding. One pass over the characters: the request target comes
 * from the network, so this must stay linear whatever it holds.
 */
export function isPlainPath(path: string): boolean {
  if (path.charCodeAt(0) !== 0x2f) return false;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x2f) {
      if (path.charCodeAt(i - 1) === 0x2f) return false; // an empty segment
    } else if (c >= 128 || PLAIN_CHAR[c] !== 1) {
      return false;
    }
  }
  return true;
}

export class UpgradeRequest {
  /** The HTTP request (for anything not surfaced here). */
  readonly req: UpgradeSource;
  /** Subprotocols the client offered, most preferred first. */
  readonly protocols: readonly string[];
  /** `Origin`, when the client sent one (browsers always do). */
  readonly origin: string | undefined;
  #url: URL | null = null;
  #cookies: Record<string, string> | null = null;

  constructor(req: UpgradeSource, protocols: readonly string[], origin: string | undefined) {
    this.req = req;
    this.protocols = protocols;
    this.origin = origin;
  }

  /** The request URL, resolved against `Host` (`ws://host/path?query`). */
  get url(): URL {
    if (this.#url === null) {
      const scheme = (this.req.socket as { encrypted?: boolean }).encrypted ? 'wss' : 'ws';
      const base = `${scheme}://${this.headers.host ?? 'localhost'}`;
      try {
        this.#url = new URL(this.req.url ?? '/', base);
      } catch {
        this.#url = new URL('/', `${scheme}://localhost`);
      }
    }
    return this.#url;
  }

  /** The path, without the query string. */
  get path(): string {
    const target = this.req.url ?? '/';
    const q = target.indexOf('?');
    const raw = q === -1 ? target : target.slice(0, q);
    // Already normal (no escapes, no dot segments): no URL to build.
    return isPlainPath(raw) ? raw : this.url.pathname;
  }

  /** The query parameters. */
  get query(): URLSearchParams {
    return this.url.searchParams;
  }

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  /** Cookies from the `Cookie` header (RFC 6265 §5.4), by name. */
  get cookies(): Readonly<Record<string, string>> {
    this.#cookies ??= parseCookies(this.headers.cookie);
    return this.#cookies;
  }

  get remoteAddress(): string | undefined {
    return this.req.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.req.socket.remotePort;
  }
}

/** `name=value; name2=value2`; the first of repeated names wins; quoted values are unquoted. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null);
  if (header === undefined) return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    if (name !== '' && !(name in cookies)) cookies[name] = safeDecode(value);
  }
  return cookies;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

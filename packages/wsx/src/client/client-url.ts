/**
 * Client URLs: parsing `ws:`, `wss:`, `ws+unix:` and `wss+unix:` URLs into where to connect and
 * what to ask for, and resolving a redirect's `Location` against the URL that answered it.
 */

import { ErrorCode, HandshakeError, UsageError } from '../core/errors.js';
import { hasScheme } from '../core/header-values.js';

/** Where a client connects, and the request it sends there. */
export interface ClientTarget {
  readonly url: URL;
  /** `wss:` or `wss+unix:`: TLS over the connection. */
  readonly secure: boolean;
  /** The host to connect to (IPv6 without brackets); 'localhost' for a Unix socket. */
  readonly host: string;
  /** The TCP port; 0 for a Unix socket. */
  readonly port: number;
  /** The Unix socket's path, or null for TCP. */
  readonly socketPath: string | null;
  /** The `Host` header. */
  readonly hostHeader: string;
  /** The request target: path and query. */
  readonly path: string;
  /** Scheme, host and port (or socket path): redirects compare these to keep credentials. */
  readonly origin: string;
}

const UNIX_SCHEMES = new Set(['ws+unix:', 'wss+unix:']);

/**
 * Parses a WebSocket URL. `http:` and `https:` are accepted as `ws:` and `wss:` (the WHATWG spec
 * does the same); a fragment is not allowed (WHATWG: "SyntaxError"). `ws+unix:/path/to.sock:/req`
 * (as in `ws`) names a Unix socket, then ':' and the request path.
 */
export function parseWebSocketUrl(address: string | URL): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new UsageError(`invalid WebSocket URL: ${String(address)}`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  const unix = UNIX_SCHEMES.has(url.protocol);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:' && !unix) {
    throw new UsageError(
      `a WebSocket URL starts with ws: or wss: (or ws+unix:, wss+unix:), not ${url.protocol}`,
    );
  }
  if (url.hash !== '') throw new UsageError(`a WebSocket URL has no fragment: ${url.href}`);
  if (unix) {
    if (url.hostname !== '' || socketPart(url) === '' || socketPart(url) === '/') {
      throw new UsageError(`a ${url.protocol} URL is ${url.protocol}/path/to.sock:/request/path`);
    }
    decodeSocketPath(url);
  } else if (url.hostname === '') {
    throw new UsageError(`a WebSocket URL needs a host: ${url.href}`);
  }
  return url;
}

/** Where `url` (from {@link parseWebSocketUrl}) connects, and what it requests. */
export function targetOf(url: URL): ClientTarget {
  const secure = url.protocol === 'wss:' || url.protocol === 'wss+unix:';
  if (UNIX_SCHEMES.has(url.protocol)) {
    const socketPath = decodeSocketPath(url);
    const rest = url.pathname.slice(socketPart(url).length + 1);
    return {
      url,
      secure,
      host: 'localhost',
      port: 0,
      socketPath,
      hostHeader: 'localhost',
      path: `${rest === '' ? '/' : rest}${url.search}`,
      origin: `${url.protocol}${socketPath}`,
    };
  }
  const port = Number(url.port) || (secure ? 443 : 80);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    url,
    secure,
    host,
    port,
    socketPath: null,
    hostHeader: url.host,
    path: `${url.pathname}${url.search}`,
    origin: `${url.protocol}//${url.hostname}:${port}`,
  };
}

/**
 * The URL a redirect points to: `location` resolved against `current` (RFC 7231 §7.1.2),
 * `http(s):` mapped to `ws(s):`, the fragment dropped. A relative `Location` from a Unix socket
 * stays on that socket.
 *
 * @throws {HandshakeError} `INVALID_REDIRECT` (carrying `status`) for a Location that is not a
 * WebSocket URL, or that leads from TCP to a Unix socket.
 */
export function redirectUrl(current: URL, location: string, status: number): URL {
  try {
    let next: URL;
    if (UNIX_SCHEMES.has(current.protocol) && !hasScheme(location)) {
      const base = new URL(targetOf(current).path, 'http://localhost');
      const resolved = new URL(location, base);
      next = new URL(`${current.protocol}${socketPart(current)}:${resolved.pathname}`);
      next.search = resolved.search;
    } else {
      next = new URL(location, current);
    }
    next.hash = '';
    next = parseWebSocketUrl(next);
    if (UNIX_SCHEMES.has(next.protocol) && !UNIX_SCHEMES.has(current.protocol)) {
      // A remote server must not make the client open local sockets.
      throw new UsageError('a redirect from a TCP server to a Unix socket is refused');
    }
    return next;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const message = `cannot follow the redirect to ${JSON.stringify(location)}: ${why}`;
    throw new HandshakeError(ErrorCode.INVALID_REDIRECT, status, message, { cause: error });
  }
}

/** The socket path as written in the URL: the path up to the first ':'. */
function socketPart(url: URL): string {
  const colon = url.pathname.indexOf(':');
  return colon === -1 ? url.pathname : url.pathname.slice(0, colon);
}

function decodeSocketPath(url: URL): string {
  try {
    return decodeURIComponent(socketPart(url));
  } catch {
    throw new UsageError(`invalid percent-encoding in the socket path of ${url.href}`);
  }
}

/**
 * The client's HTTP/2 sessions, pooled per origin: WebSockets to one origin (with the same
 * proxy and TLS settings) share one TCP+TLS connection, each on a stream of its own, as a
 * browser's do. A session closes when its last stream does; one that received GOAWAY or failed
 * takes no new streams. When a session is full (the server's `maxConcurrentStreams`), the next
 * WebSocket opens another.
 *
 * Opening a session is the handshake's work (it knows proxies, TLS and timeouts): the first
 * handshake to an origin registers a pending entry, and handshakes that arrive meanwhile wait for
 * its outcome instead of opening connections of their own.
 */

import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect as http2Connect,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { ClientTlsOptions } from '../websocket/client-options.js';
import type { ClientTarget } from './client-url.js';
import type { ProxyServer } from './proxy.js';

/**
 * The connection's receive window: data is taken off the connection at once, so it bounds no
 * memory (each stream's 64 KiB window does), and Node's 64 KiB default would throttle every
 * WebSocket of the session together (see the server's SESSION_WINDOW).
 */
const SESSION_WINDOW = 16 * 1024 * 1024;

/** How a pending session turned out, for the handshakes waiting on it. */
export type SessionOutcome =
  | { readonly kind: 'ready' }
  /** The server speaks HTTP/1.1 only (ALPN), or its HTTP/2 has no extended CONNECT. */
  | { readonly kind: 'no-http2'; readonly error: Error }
  | { readonly kind: 'failed'; readonly error: Error };

export class PooledSession {
  readonly key: string;
  session: ClientHttp2Session | null = null;
  /** Streams open on the session (WebSockets and handshakes in progress). */
  streams = 0;
  #waiters: ((outcome: SessionOutcome) => void)[] | null = [];
  readonly #pool: SessionPool;

  constructor(pool: SessionPool, key: string) {
    this.#pool = pool;
    this.key = key;
  }

  get pending(): boolean {
    return this.#waiters !== null;
  }

  /** Whether a new stream may open on it now. */
  get open(): boolean {
    const session = this.session;
    if (session === null || session.closed || session.destroyed) return false;
    return this.streams < (session.remoteSettings.maxConcurrentStreams ?? Number.POSITIVE_INFINITY);
  }

  /** Calls `waiter` once the pending session is settled. */
  wait(waiter: (outcome: SessionOutcome) => void): void {
    this.#waiters?.push(waiter);
  }

  /** The session is usable (`session` set) or not: tell whoever waits. */
  settle(outcome: SessionOutcome): void {
    const waiters = this.#waiters;
    if (waiters === null) return;
    this.#waiters = null;
    if (outcome.kind !== 'ready') this.#pool.forget(this);
    else if (this.streams === 0 && waiters.length === 0) this.#closeIfUnused();
    for (const waiter of waiters) waiter(outcome);
  }

  /**
   * Opens a stream with these request header fields; the session closes once its last stream
   * has.
   *
   * @throws when the session can no longer open streams (it is closing).
   */
  request(fields: readonly [string, string][]): ClientHttp2Stream {
    const headers: OutgoingHttpHeaders = Object.create(null);
    for (const [name, value] of fields) {
      const previous = headers[name];
      if (previous === undefined) headers[name] = value;
      else headers[name] = [...(Array.isArray(previous) ? previous : [String(previous)]), value];
    }
    const stream = this.session!.request(headers, { endStream: false });
    this.streams++;
    stream.once('close', () => {
      this.streams--;
      this.#closeIfUnused();
    });
    return stream;
  }

  #closeIfUnused(): void {
    if (this.streams > 0 || this.pending) return;
    this.#pool.forget(this);
    const session = this.session;
    if (session !== null && !session.closed) session.close();
  }
}

export class SessionPool {
  readonly #entries = new Map<string, PooledSession[]>();

  /** A session of `key` that can take a stream now, or one being opened, or null. */
  find(key: string): PooledSession | null {
    const entries = this.#entries.get(key);
    if (entries === undefined) return null;
    return entries.find((e) => e.open) ?? entries.find((e) => e.pending) ?? null;
  }

  /** Registers a session about to be opened; its opener settles it. */
  begin(key: string): PooledSession {
    const entry = new PooledSession(this, key);
    const entries = this.#entries.get(key);
    if (entries === undefined) this.#entries.set(key, [entry]);
    else entries.push(entry);
    return entry;
  }

  /**
   * Opens the HTTP/2 session of `entry` over `socket` (connected; TLS done with ALPN `h2`, or
   * cleartext) and calls `done` once the server's first SETTINGS arrived: `null` when they allow
   * extended CONNECT (RFC 8441 §3: a client may use it only "Upon receipt of
   * SETTINGS_ENABLE_CONNECT_PROTOCOL with a value of 1"; Node does not check), else the reason.
   */
  open(
    entry: PooledSession,
    socket: Socket,
    target: ClientTarget,
    done: (error: Error | null) => void,
  ): void {
    const scheme = target.secure ? 'https' : 'http';
    const session = http2Connect(`${scheme}://${target.hostHeader}`, {
      createConnection: () => socket,
    });
    entry.session = session;
    const gone = (): void => this.forget(entry);
    session.on('error', gone).once('close', gone).once('goaway', gone);
    session.once('remoteSettings', (settings) => {
      // As the server's: a window for the whole connection that does not throttle its sockets.
      if (!session.destroyed) session.setLocalWindowSize(SESSION_WINDOW);
      done(settings.enableConnectProtocol === true ? null : new Error('no extended CONNECT'));
    });
  }

  forget(entry: PooledSession): void {
    const entries = this.#entries.get(entry.key);
    if (entries === undefined) return;
    const i = entries.indexOf(entry);
    if (i !== -1) entries.splice(i, 1);
    if (entries.length === 0) this.#entries.delete(entry.key);
  }
}

/** The process's pool. */
export const sessionPool = new SessionPool();

/** Distinct TLS option values (a CA bundle, a key) get distinct numbers for pool keys. */
const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/**
 * The pool key of a connection: the origin, the proxy (and its credentials), and the TLS options
 * (a session set up with one CA or client certificate is not reused for another). Object values (buffers, arrays,
 * functions) count by identity.
 */
export function poolKey(
  target: ClientTarget,
  proxy: ProxyServer | null,
  tls: ClientTlsOptions,
): string {
  // The proxy's credentials too: a tunnel opened with one user's is not lent to another's.
  const parts = [target.origin, proxy?.display ?? '', proxy?.authorization ?? ''];
  for (const name of Object.keys(tls).sort()) {
    const value = (tls as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value !== 'object' && typeof value !== 'function')
      parts.push(`${name}=${String(value)}`);
    else if (value !== null) {
      let id = identities.get(value);
      if (id === undefined) {
        id = ++nextIdentity;
        identities.set(value, id);
      }
      parts.push(`${name}#${id}`);
    }
  }
  return parts.join('|');
}

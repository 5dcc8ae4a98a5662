/**
 * Opens one load-generator WebSocket on a raw socket: TCP (or TLS), the request built and the
 * 101 validated by the core's pure handshake functions, and the bytes after the head handed on.
 * Plain TCP sockets read into one buffer shared by every socket of the process (net's `onread`):
 * no allocation per read, which is most of what reading costs in JavaScript.
 */

import { randomFillSync } from 'node:crypto';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  buildRequest,
  ErrorCode,
  findHeadEnd,
  generateKey,
  HandshakeError,
  parseResponseHead,
  validateResponse,
} from '../../core/index.js';

/** Where and how to connect. */
export interface LoadTarget {
  readonly secure: boolean;
  /** For `connect()`: a name or an address, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
  /** `Host:` header: host[:port], the port left out when it is the scheme's default. */
  readonly hostHeader: string;
  readonly path: string;
  readonly protocols: readonly string[];
  readonly origin: string | undefined;
  readonly headers: readonly (readonly [string, string])[];
  readonly ca: string | undefined;
  readonly insecure: boolean;
  readonly timeoutMs: number;
}

/** An open WebSocket, whose reads wait (copied) until a reader is set. */
export class LoadSocket {
  readonly socket: Socket;
  #reader: ((chunk: Buffer) => void) | null = null;
  #pending: Buffer[] = [];

  constructor(socket: Socket, rest: Buffer) {
    this.socket = socket;
    if (rest.length > 0) this.#pending.push(rest);
  }

  /** From now on, each read goes to `reader` (the chunk is valid during the call only). */
  setReader(reader: (chunk: Buffer) => void): void {
    this.#reader = reader;
    const pending = this.#pending;
    this.#pending = [];
    for (const chunk of pending) reader(chunk);
  }

  /** @internal a read from the socket */
  read(chunk: Buffer): void {
    if (this.#reader !== null) this.#reader(chunk);
    else this.#pending.push(Buffer.from(chunk));
  }
}

/** The longest response head accepted (the library's default limit). */
const MAX_HEAD = 16 * 1024;
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const EMPTY = Buffer.alloc(0);

/** `ws://host:port/path` -> a target. @throws for another scheme */
export function targetOf(
  url: URL,
  options: Omit<LoadTarget, 'secure' | 'host' | 'port' | 'hostHeader' | 'path'>,
): LoadTarget {
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  if (!secure && url.protocol !== 'ws:' && url.protocol !== 'http:') {
    throw new Error(`bench needs a ws:// or wss:// URL (got ${url.protocol})`);
  }
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  return {
    ...options,
    secure,
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port,
    hostHeader: url.host,
    path: `${url.pathname}${url.search}`,
  };
}

/** Connects and completes the handshake; rejects with a network error or a HandshakeError. */
export function openLoadSocket(target: LoadTarget): Promise<LoadSocket> {
  return new Promise((resolve, reject) => {
    const key = generateKey(randomFillSync);
    let head = EMPTY;
    let settled = false;
    let opened: LoadSocket | null = null;
    const deliver = (chunk: Buffer): void => (opened === null ? onHead(chunk) : opened.read(chunk));
    const socket = target.secure
      ? tlsConnect({
          host: target.host,
          port: target.port,
          servername: isIP(target.host) === 0 ? target.host : '', // no SNI for an address
          ...(target.ca === undefined ? {} : { ca: target.ca }),
          rejectUnauthorized: !target.insecure,
          ALPNProtocols: ['http/1.1'],
        }).on('data', deliver)
      : netConnect({
          host: target.host,
          port: target.port,
          onread: {
            buffer: READ_BUFFER,
            callback: (n: number, b: Uint8Array): boolean => {
              deliver((b as Buffer).subarray(0, n));
              return true; // keep reading
            },
          },
        });
    socket.setNoDelay(true);
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => {
      const message = `no handshake within ${target.timeoutMs} ms`;
      fail(new HandshakeError(ErrorCode.HANDSHAKE_TIMEOUT, 0, message));
    }, target.timeoutMs);
    const closed = (): void => {
      const message = 'closed before the handshake completed';
      fail(new HandshakeError(ErrorCode.HANDSHAKE_CLOSED, 0, message));
    };
    socket.once('error', fail);
    socket.once('close', closed);
    socket.write(
      buildRequest({
        host: target.hostHeader,
        path: target.path,
        key,
        protocols: target.protocols,
        headers: target.headers,
        ...(target.origin === undefined ? {} : { origin: target.origin }),
      }),
    );

    function onHead(chunk: Buffer): void {
      head = head.length === 0 ? Buffer.from(chunk) : Buffer.concat([head, chunk]);
      if (findHeadEnd(head) < 0) {
        if (head.length > MAX_HEAD) fail(new Error('the response head is over 16 KiB'));
        return;
      }
      try {
        const parsed = parseResponseHead(head);
        if (!parsed.complete) return;
        validateResponse(parsed.head, { key, protocols: target.protocols });
        settled = true;
        clearTimeout(timer);
        socket.removeListener('error', fail);
        socket.removeListener('close', closed);
        opened = new LoadSocket(socket, head.subarray(parsed.bodyOffset));
        resolve(opened);
      } catch (error) {
        fail(error as Error);
      }
    }
  });
}

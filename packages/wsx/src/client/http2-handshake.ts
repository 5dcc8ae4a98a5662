/**
 * The HTTP/2 steps of a client's opening handshake (RFC 8441): take a stream on a pooled session
 * to the origin, or open the session for the pool over the connection the handshake made (ALPN
 * decides; `'auto'` goes on over HTTP/1.1 when the server has no HTTP/2 or no extended CONNECT),
 * then send the extended CONNECT and read the answer. The handshake (client-handshake.ts) keeps
 * what both protocols share: connecting, proxies, TLS, redirects, the timer.
 */

import type { ClientHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { HandshakeError } from '../core/errors.js';
import type { HttpResponseHead } from '../core/http-head.js';
import { Http2StreamTransport } from '../node/http2-transport.js';
import type { HandshakeHost, Hop } from './handshake-types.js';
import { agreeHttp2, noHttp2, requestText, responseHead } from './http2-opening.js';
import { REDIRECTS, readRefusal, redirectHint, withResponse } from './refused-response.js';
import { type PooledSession, type SessionOutcome, sessionPool } from './session-pool.js';

const EMPTY = Buffer.alloc(0);

export class Http2Handshake {
  readonly #host: HandshakeHost;
  /** The session this handshake is opening for the pool, until it is settled. */
  #establishing: PooledSession | null = null;

  constructor(host: HandshakeHost) {
    this.#host = host;
  }

  /**
   * A session to this origin is open or being opened: the WebSocket takes a stream on it (true),
   * now or once it is settled. Otherwise this handshake opens one for the pool (false).
   */
  usePooled(hop: Hop): boolean {
    const entry = sessionPool.find(hop.poolKey);
    if (entry === null) {
      this.#establishing = sessionPool.begin(hop.poolKey);
      return false;
    }
    if (!entry.pending) {
      this.#openStream(hop, entry);
      return true;
    }
    this.#host.setPhase(`waiting for the HTTP/2 connection to ${hop.target.url.origin}`);
    entry.wait((outcome: SessionOutcome) => {
      if (this.#host.isFinished()) return;
      if (outcome.kind === 'ready')
        this.#host.connect(hop); // a stream there, unless it is full
      else if (outcome.kind === 'no-http2' && hop.mode === 'auto') {
        this.#host.connect({ ...hop, mode: 'h1' });
      } else this.#host.finish(outcome.error, null);
    });
    return true;
  }

  /** The connection for the session is open (or opening): HTTP/2 if ALPN agreed, else HTTP/1.1. */
  opened(hop: Hop, socket: Socket): void {
    const secure = socket instanceof TLSSocket;
    const ready = (): void => {
      if (secure && socket.alpnProtocol !== 'h2') {
        const alpn = socket.alpnProtocol || 'none';
        const error = noHttp2(hop.target, `it does not speak HTTP/2 (ALPN: ${alpn})`);
        this.settle({ kind: 'no-http2', error });
        if (hop.mode === 'h2') {
          this.#host.finish(error, null);
        } else {
          this.#host.setPhase(`waiting for the response of ${hop.target.url.href}`);
          this.#host.handshakeHttp1({ ...hop, mode: 'h1' }, socket); // on this connection
        }
        return;
      }
      this.#startSession(hop, socket);
    };
    if (secure || socket.connecting) socket.once(secure ? 'secureConnect' : 'connect', ready);
    else ready();
  }

  /** Tells the handshakes waiting for the session this one opens how it turned out. */
  settle(outcome: SessionOutcome): void {
    const entry = this.#establishing;
    this.#establishing = null;
    entry?.settle(outcome);
  }

  /** Opens the pool's session over `socket`, then the WebSocket's stream on it. */
  #startSession(hop: Hop, socket: Socket): void {
    const entry = this.#establishing!;
    this.#host.setPhase(`waiting for the HTTP/2 settings of ${hop.target.url.origin}`);
    sessionPool.open(entry, socket, hop.target, (refused) => {
      if (this.#host.isFinished()) return;
      if (refused === null) {
        this.#host.release(); // the session owns the connection now
        this.#openStream(hop, entry);
        this.settle({ kind: 'ready' });
        return;
      }
      const why = 'its HTTP/2 SETTINGS do not allow extended CONNECT (RFC 8441 §3)';
      const error = noHttp2(hop.target, why);
      this.settle({ kind: 'no-http2', error });
      for (const tracked of this.#host.release()) tracked.destroy();
      if (hop.mode === 'h2') this.#host.finish(error, null);
      else this.#host.connect({ ...hop, mode: 'h1' }); // on a connection of its own
    });
  }

  /** Sends the extended CONNECT on a stream of `entry`'s session and reads the answer. */
  #openStream(hop: Hop, entry: PooledSession): void {
    let stream: ClientHttp2Stream;
    try {
      stream = entry.request(hop.fields!);
    } catch (error) {
      this.#host.finish(error as Error, null); // the session began closing meanwhile
      return;
    }
    const transport = new Http2StreamTransport(stream);
    this.#host.trackStream(transport);
    this.#host.setPhase(`waiting for the answer to the extended CONNECT to ${hop.target.url.href}`);
    stream.once('response', (headers, _flags, raw?: string[]) => {
      try {
        this.#answered(hop, transport, responseHead(headers, raw));
      } catch (error) {
        this.#host.finish(error as Error, null);
      }
    });
  }

  /** The server answered: a 2xx opens the WebSocket; a redirect is followed when asked to. */
  #answered(hop: Hop, transport: Http2StreamTransport, head: HttpResponseHead): void {
    const { protocols, deflate, clock, redirects } = this.#host.request;
    if (REDIRECTS.has(head.status) && redirects.follow) {
      const location = head.headers.get('Location');
      if (location !== undefined) {
        this.#host.redirect(hop, head.status, location);
        return;
      }
    }
    if (head.status < 200 || head.status > 299) {
      this.#host.setPhase(`reading the ${head.status} answer of ${hop.target.url.href}`);
      this.#host.readingRefusal();
      readRefusal(transport.stream, head, EMPTY, clock, (response) => {
        try {
          agreeHttp2(head, protocols, deflate);
        } catch (error) {
          const refusal = redirectHint(error as HandshakeError, head);
          this.#host.finish(withResponse(refusal, response), null);
        }
      });
      return;
    }
    const agreed = agreeHttp2(head, protocols, deflate);
    this.#host.finish(null, {
      socket: transport,
      head: EMPTY,
      protocol: agreed.protocol ?? '',
      deflate: agreed.deflate,
      extensions: head.headers.get('Sec-WebSocket-Extensions') ?? '',
      response: head,
      request: requestText(hop.fields!),
      url: hop.target.url,
      http2: true,
    });
  }
}

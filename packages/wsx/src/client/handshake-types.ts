/**
 * The shapes the client's opening handshake works with: what it is asked for, what it hands
 * over, one hop of it (a redirect makes the next), and what its HTTP/2 steps
 * (http2-handshake.ts) use of it. Kept apart so that the handshake and its HTTP/2 steps depend
 * on these, not on each other.
 */

import type { Socket } from 'node:net';
import type { HeaderInit, HttpResponseHead } from '../core/http-head.js';
import type { ClientDeflatePolicy, DeflateParams } from '../extensions/permessage-deflate.js';
import type { Clock } from '../node/clock.js';
import type { Http2StreamTransport } from '../node/http2-transport.js';
import type { Transport } from '../node/transport.js';
import type { ClientTlsOptions } from '../websocket/client-options.js';
import type { ClientTarget } from './client-url.js';
import type { Http2Setting, OpeningMode } from './http2-opening.js';
import type { ProxyServer, ProxySetting } from './proxy.js';

/** Which redirects the handshake follows. */
export interface RedirectPolicy {
  readonly follow: boolean;
  readonly max: number;
  /** Whether a redirect from `wss:` to `ws:` is followed. */
  readonly allowInsecure: boolean;
}

/** What the handshake needs, resolved from the user's options. */
export interface HandshakeRequest {
  readonly url: URL;
  readonly protocols: readonly string[];
  readonly headers: HeaderInit | undefined;
  readonly origin: string | undefined;
  readonly timeout: number;
  readonly tls: ClientTlsOptions;
  readonly proxy: ProxySetting;
  readonly redirects: RedirectPolicy;
  /** permessage-deflate to offer (RFC 7692), or null. */
  readonly deflate: ClientDeflatePolicy | null;
  /** The time source of the handshake's timers. */
  readonly clock: Clock;
  /** Open over HTTP/2 (RFC 8441): never (false), only (true), or when the server allows it. */
  readonly http2: Http2Setting;
}

/** The outcome of a successful handshake. */
export interface HandshakeResult {
  /** A socket (HTTP/1.1), or the stream of the extended CONNECT (HTTP/2). */
  readonly socket: Transport;
  /** Bytes received after the response head: the first frames, if any. */
  readonly head: Buffer;
  readonly protocol: string;
  /** The permessage-deflate parameters agreed, or null when compression is off. */
  readonly deflate: DeflateParams | null;
  /** The `Sec-WebSocket-Extensions` the server answered ('' when none). */
  readonly extensions: string;
  /** The 101, or the 2xx of an extended CONNECT (`version` HTTP/2). */
  readonly response: HttpResponseHead;
  /** The request head as written (to the last URL, when redirects were followed). */
  readonly request: Uint8Array;
  /** The URL connected to: the last one when redirects were followed. */
  readonly url: URL;
  /** Whether the WebSocket runs over an HTTP/2 stream (RFC 8441). */
  readonly http2: boolean;
}

export type HandshakeCallback = (error: Error | null, result: HandshakeResult | null) => void;

/** One request to one URL; a redirect makes the next. */
export interface Hop {
  readonly target: ClientTarget;
  readonly key: string;
  readonly request: Uint8Array;
  readonly proxy: ProxyServer | null;
  /** HTTP/1.1, HTTP/2, or HTTP/2 when the server allows it (then the two below are set). */
  readonly mode: OpeningMode;
  /** The extended CONNECT's header fields (RFC 8441), built with the HTTP/1.1 request. */
  readonly fields: [string, string][] | null;
  /** Which pooled HTTP/2 sessions this hop may use. */
  readonly poolKey: string;
}

/** What the handshake tracks: sockets, and the stream of an extended CONNECT. */
export type Tracked = Socket | Http2StreamTransport;

/** What the HTTP/2 steps use of the handshake they belong to. */
export interface HandshakeHost {
  readonly request: HandshakeRequest;
  isFinished(): boolean;
  /** What is under way, for the timeout's message. */
  setPhase(phase: string): void;
  finish(error: Error | null, result: HandshakeResult | null): void;
  /** Tracks a stream as a socket: its error or early close fails the handshake. */
  trackStream(transport: Http2StreamTransport): void;
  /** Stops tracking the current sockets (an HTTP/2 session owns them now) and returns them. */
  release(): Tracked[];
  /** Goes on over HTTP/1.1 on `socket`, which is connected. */
  handshakeHttp1(hop: Hop, socket: Socket): void;
  /** Opens `hop` again: on another session, or over HTTP/1.1. */
  connect(hop: Hop): void;
  redirect(hop: Hop, status: number, location: string): void;
  /** A refusal's body is being read: the stream's close ends it instead of failing. */
  readingRefusal(): void;
}

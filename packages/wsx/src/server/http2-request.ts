/** The request of a WebSocket opened over HTTP/2: an extended CONNECT stream (RFC 8441). */

import type { IncomingHttpHeaders } from 'node:http';
import type {
  IncomingHttpHeaders as Http2Headers,
  Http2Session,
  ServerHttp2Stream,
} from 'node:http2';
import { Http2StreamTransport } from '../node/http2-transport.js';

/**
 * The request of an extended CONNECT, with the fields of Node's `IncomingMessage` that upgrade
 * code uses (`method`, `url`, `httpVersion`, `headers`, `rawHeaders`, `socket`), so one `upgrade`
 * hook, origin check or `handleProtocols` serves HTTP/1.1 and HTTP/2 alike: `method` is
 * `CONNECT`, `url` the `:path`, `httpVersion` `2.0`, and `socket` the stream's transport (its
 * `remoteAddress` is the client's). `headers` are Node's, pseudo-header fields included, plus
 * `host` taken from `:authority` when the request has none, so code written for HTTP/1.1
 * (`req.headers.host`) keeps working.
 */
export class Http2UpgradeRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion = '2.0';
  /** Name/value pairs as received, pseudo-header fields first. */
  readonly rawHeaders: string[];
  readonly #stream: ServerHttp2Stream;
  readonly #headers: Http2Headers;
  #withHost: IncomingHttpHeaders | null = null;
  #socket: Http2StreamTransport | null = null;

  constructor(
    stream: ServerHttp2Stream,
    headers: Http2Headers,
    rawHeaders: readonly string[] | undefined,
  ) {
    this.#stream = stream;
    this.#headers = headers;
    this.method = String(headers[':method'] ?? '');
    this.url = String(headers[':path'] ?? '');
    this.rawHeaders = rawHeaders === undefined ? flatten(headers) : [...rawHeaders];
  }

  get headers(): IncomingHttpHeaders {
    if (this.#withHost === null) {
      const headers = { ...this.#headers } as IncomingHttpHeaders;
      const authority = this.#headers[':authority'];
      if (headers.host === undefined && typeof authority === 'string') headers.host = authority;
      this.#withHost = headers;
    }
    return this.#withHost;
  }

  /**
   * The transport the WebSocket runs over: the stream, seen as a socket. Created on first use
   * (it takes over the stream's events), so a request no WebSocketServer takes is left as it was.
   */
  get socket(): Http2StreamTransport {
    this.#socket ??= new Http2StreamTransport(this.#stream);
    return this.#socket;
  }

  /** The HTTP/2 stream of the extended CONNECT. */
  get stream(): ServerHttp2Stream {
    return this.#stream;
  }

  /** The HTTP/2 connection the stream belongs to (shared with the page and other sockets). */
  get session(): Http2Session | undefined {
    return this.#stream.session;
  }

  /** Node's alias of `socket`. */
  get connection(): Http2StreamTransport {
    return this.socket;
  }
}

/** Raw pairs from Node's header object (when the caller has no raw list): one pair per value. */
function flatten(headers: Http2Headers): string[] {
  const raw: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) raw.push(name, String(v));
  }
  return raw;
}

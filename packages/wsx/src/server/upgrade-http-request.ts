/** The request of an upgrade as the standalone server reads it, without Node's HTTP machinery. */

import type { IncomingHttpHeaders } from 'node:http';
import type { HttpRequestHead } from '../core/http-head.js';
import type { Transport } from '../node/transport.js';

/**
 * The request of an upgrade read by the standalone server: the fields of Node's
 * `IncomingMessage` that upgrade code uses (`method`, `url`, `httpVersion`, `headers`,
 * `rawHeaders`, `socket`), without the stream.
 */
export class UpgradeHttpRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly rawHeaders: string[];
  /** The connection it arrived on (a `net.Socket`, or any transport served). */
  readonly socket: Transport;
  #headers: IncomingHttpHeaders | null = null;

  constructor(head: HttpRequestHead, socket: Transport) {
    this.method = head.method;
    this.url = head.target;
    this.httpVersion = head.version.slice('HTTP/'.length);
    this.rawHeaders = [...head.headers.raw];
    this.socket = socket;
  }

  /** Lower-cased names; repeated headers joined with ', ' (`cookie` with '; '), as Node does. */
  get headers(): IncomingHttpHeaders {
    this.#headers ??= nodeHeaders(this.rawHeaders) as IncomingHttpHeaders;
    return this.#headers;
  }

  /** Node's alias of `socket`. */
  get connection(): Transport {
    return this.socket;
  }
}

function nodeHeaders(raw: readonly string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const previous = headers[name];
    if (name === 'set-cookie')
      headers[name] = [...((previous as string[] | undefined) ?? []), value];
    else if (previous === undefined) headers[name] = value;
    else headers[name] = `${previous}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return headers;
}

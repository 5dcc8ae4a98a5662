/** `--show-headers`: the opening handshake as curl -v shows HTTP, `>` sent and `<` received. */

import type { HandshakeError, HttpResponseHead } from '../../index.js';

/** The request head as written, one `> ` line per line. */
export function requestLines(request: Uint8Array): string[] {
  const text = Buffer.from(request).toString('latin1');
  return text
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => `> ${line}`);
}

/** A response head: the status line, then each header as received. */
export function responseLines(
  head: Pick<HttpResponseHead, 'version' | 'status' | 'reason'>,
  headers: readonly (readonly [string, string])[],
): string[] {
  return [
    `< ${head.version} ${head.status} ${head.reason}`,
    ...headers.map(([name, value]) => `< ${name}: ${value}`),
  ];
}

/** A refusal (a status other than 101), as received; nothing when there was no answer. */
export function refusalLines(error: HandshakeError): string[] {
  const response = error.response;
  if (response === null) return [];
  return responseLines({ version: 'HTTP/1.1', ...response }, headerPairs(response));
}

/** The `[name, value]` pairs of a response head. */
export function headerPairs(head: {
  readonly headers: { readonly raw: readonly string[] };
}): [string, string][] {
  const raw = head.headers.raw;
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  return pairs;
}

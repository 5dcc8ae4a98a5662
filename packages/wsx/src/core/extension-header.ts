/**
 * The `Sec-WebSocket-Extensions` header: parsing offers/responses and formatting them.
 *
 * ```
 * extension-list = 1#extension
 * extension = extension-token *( ";" extension-param )
 * extension-param = token [ "=" (token | quoted-string) ]
 * ```
 *
 * Only the syntax lives here; what a parameter means belongs to the extension's negotiator.
 *
 * @see RFC 6455 §9.1
 */

import { ErrorCode, HandshakeError, UsageError } from './errors.js';
import { isOws, isToken, isTokenChar, quoteInput } from './header-values.js';

/**
 * One extension with its parameters, as offered by a client or accepted by a server.
 *
 * `params` is a list, not a map, so a negotiator can detect a repeated parameter (which
 * permessage-deflate must reject); `true` stands for a parameter without a value.
 */
export interface ExtensionOffer {
  readonly name: string;
  readonly params: ReadonlyArray<readonly [name: string, value: string | true]>;
}

const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Parses a `Sec-WebSocket-Extensions` value. Several header lines are parsed as one list once
 * joined with `", "` (`HttpHeaders.get` does that).
 *
 * @throws {HandshakeError} 400 `INVALID_EXTENSIONS_HEADER` when `value` is not a valid
 * `1#extension` list.
 * @see RFC 6455 §9.1
 */
export function parseExtensionHeader(value: string): ExtensionOffer[] {
  const scanner = new Scanner(value);
  const offers: ExtensionOffer[] = [];
  // RFC 7230 §7: "a recipient MUST parse and ignore a reasonable number of empty list elements".
  for (;;) {
    scanner.skipOws();
    if (scanner.atEnd()) break;
    if (scanner.eat(COMMA)) continue;
    offers.push(parseExtension(scanner));
    scanner.skipOws();
    if (scanner.atEnd()) break;
    if (!scanner.eat(COMMA)) throw scanner.error("expected ',' or ';'");
  }
  if (offers.length === 0) throw scanner.error('expected at least one extension');
  return offers;
}

/** `extension = extension-token *( ";" extension-param )` */
function parseExtension(scanner: Scanner): ExtensionOffer {
  const name = scanner.token('an extension name');
  const params: [string, string | true][] = [];
  for (;;) {
    const before = scanner.pos;
    scanner.skipOws();
    if (!scanner.eat(SEMICOLON)) {
      scanner.pos = before;
      return { name, params };
    }
    scanner.skipOws();
    params.push(parseParam(scanner));
  }
}

/** `extension-param = token [ "=" (token | quoted-string) ]` */
function parseParam(scanner: Scanner): [string, string | true] {
  const name = scanner.token('a parameter name');
  const before = scanner.pos;
  scanner.skipOws();
  if (!scanner.eat(EQUALS)) {
    scanner.pos = before;
    return [name, true];
  }
  scanner.skipOws();
  if (scanner.peek() !== DQUOTE) return [name, scanner.token(`a value for parameter ${name}`)];
  const start = scanner.pos;
  const value = scanner.quotedString();
  // RFC 6455 §9.1: "When using the quoted-string syntax variant, the value after quoted-string
  // unescaping MUST conform to the 'token' ABNF."
  if (!isToken(value)) {
    throw scanner.error(`the value of parameter ${name} is not a token once unquoted`, start);
  }
  return [name, value];
}

/** A cursor over a header value; errors quote (a bounded part of) the whole value. */
class Scanner {
  readonly #text: string;
  pos = 0;

  constructor(text: string) {
    this.#text = text;
  }

  atEnd(): boolean {
    return this.pos >= this.#text.length;
  }

  peek(): number {
    return this.#text.charCodeAt(this.pos);
  }

  eat(code: number): boolean {
    if (this.peek() !== code) return false;
    this.pos++;
    return true;
  }

  skipOws(): void {
    while (isOws(this.peek())) this.pos++;
  }

  token(what: string): string {
    const start = this.pos;
    while (isTokenChar(this.peek())) this.pos++;
    if (this.pos === start) throw this.error(`expected ${what}`);
    return this.#text.slice(start, this.pos);
  }

  /**
   * RFC 7230 §3.2.6: `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE`, `quoted-pair =
   * "\" ( HTAB / SP / VCHAR / obs-text )`. Returns the unescaped content.
   */
  quotedString(): string {
    const start = this.pos++;
    let out = '';
    while (!this.atEnd()) {
      const code = this.peek();
      this.pos++;
      if (code === DQUOTE) return out;
      if (code === BACKSLASH) {
        if (this.atEnd() || !isQuotable(this.peek())) break;
        out += this.#text[this.pos++]!;
      } else if (isQdtext(code)) {
        out += this.#text[this.pos - 1]!;
      } else {
        throw this.error('invalid character in quoted string', this.pos - 1);
      }
    }
    throw this.error('unterminated quoted string', start);
  }

  error(reason: string, at = this.pos): HandshakeError {
    return new HandshakeError(
      ErrorCode.INVALID_EXTENSIONS_HEADER,
      400,
      `invalid Sec-WebSocket-Extensions header ${quoteInput(this.#text)}: ${reason} at offset ${at}`,
    );
  }
}

/** `qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text` */
function isQdtext(code: number): boolean {
  if (code === 0x09 || code === 0x20 || code === 0x21) return true;
  if (code >= 0x23 && code <= 0x5b) return true;
  return (code >= 0x5d && code <= 0x7e) || (code >= 0x80 && code <= 0xff);
}

/** What may follow a backslash: `HTAB / SP / VCHAR / obs-text`. */
function isQuotable(code: number): boolean {
  return code === 0x09 || (code >= 0x20 && code <= 0x7e) || (code >= 0x80 && code <= 0xff);
}

/**
 * Formats offers (client) or accepted extensions (server) as a `Sec-WebSocket-Extensions` value,
 * e.g. `permessage-deflate; client_max_window_bits, x-foo`. Values are written bare: RFC 6455
 * §9.1 requires every value to be a token, so quoting is never needed.
 *
 * @throws {UsageError} when a name or value is not a token, or the list is empty.
 * @see RFC 6455 §9.1
 */
export function formatExtensionHeader(offers: readonly ExtensionOffer[]): string {
  if (offers.length === 0) throw new UsageError('an extension list cannot be empty');
  return offers.map(formatExtension).join(', ');
}

function formatExtension(offer: ExtensionOffer): string {
  if (!isToken(offer.name)) {
    throw new UsageError(`extension name ${quoteInput(offer.name)} is not a token`);
  }
  let out = offer.name;
  for (const [name, value] of offer.params) {
    if (!isToken(name)) {
      throw new UsageError(`parameter name ${quoteInput(name)} of ${offer.name} is not a token`);
    }
    if (value !== true && !isToken(value)) {
      throw new UsageError(`value ${quoteInput(value)} of ${offer.name}; ${name} is not a token`);
    }
    out += value === true ? `; ${name}` : `; ${name}=${value}`;
  }
  return out;
}

/**
 * Syntax helpers for HTTP header values: tokens, comma-separated lists, and safe quoting of
 * untrusted input in error messages.
 *
 * @see RFC 7230 §3.2.6 (tokens), §7 (the `#rule` list syntax)
 */

/**
 * RFC 7230 §3.2.6: `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
 * "_" / "`" / "|" / "~" / DIGIT / ALPHA`. Indexed by char code; 1 for a tchar.
 */
const TCHAR = alphanumericTable("!#$%&'*+-.^_`|~");

/**
 * A table of the ASCII characters allowed in some syntax, indexed by char code (1: allowed):
 * letters, digits and `symbols`. Scanning with it is one step per character, whatever the input.
 */
export function alphanumericTable(symbols: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < symbols.length; i++) table[symbols.charCodeAt(i)] = 1;
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  return table;
}

/** Whether the char code `code` is a `tchar`. @see RFC 7230 §3.2.6 */
export function isTokenChar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** Whether every character of `s` is visible ASCII (VCHAR, %x21-7E), and there is one. */
export function isVisibleAscii(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) return false;
  }
  return true;
}

/** Whether `s` holds a control character other than HTAB (CTL in RFC 5234, less HTAB). */
export function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/** Whether every character of `s` is a decimal digit, and there is at least one. */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/**
 * Whether `s` starts with a URI scheme and a colon (RFC 3986 §3.1: `ALPHA *( ALPHA / DIGIT / "+"
 * / "-" / "." ) ":"`).
 */
export function hasScheme(s: string): boolean {
  const colon = s.indexOf(':');
  if (colon < 1 || !isAlpha(s.charCodeAt(0))) return false;
  for (let i = 1; i < colon; i++) {
    const c = s.charCodeAt(i);
    if (!isAlpha(c) && !(c >= 0x30 && c <= 0x39) && c !== 0x2b && c !== 0x2d && c !== 0x2e) {
      return false;
    }
  }
  return true;
}

function isAlpha(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/**
 * Whether `s` is a `token`: `1*tchar`.
 *
 * @see RFC 7230 §3.2.6
 */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    if (!isTokenChar(s.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * Splits a `#element` list on commas, trims optional whitespace around each element, and drops
 * empty elements. RFC 7230 §7: "a recipient MUST parse and ignore a reasonable number of empty
 * list elements".
 *
 * Use only for lists whose elements cannot contain a comma (tokens, not quoted strings).
 *
 * @see RFC 7230 §7
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const element = trimOws(part);
    if (element !== '') out.push(element);
  }
  return out;
}

/**
 * Parses a `1#token` list (`Connection`, `Sec-WebSocket-Protocol`): the elements in order, or
 * `null` when an element is not a token. An empty result means the list had no element at all,
 * which `1#` does not allow; callers decide how to report it.
 *
 * @see RFC 7230 §7, §3.2.6
 */
export function parseTokenList(value: string): string[] | null {
  const elements = splitList(value);
  return elements.every(isToken) ? elements : null;
}

/**
 * Parses an `Upgrade` header value, `1#protocol` where `protocol = protocol-name ["/"
 * protocol-version]` and both parts are tokens: the elements in order, or `null` when one is
 * malformed.
 *
 * @see RFC 7230 §6.7
 */
export function parseUpgradeList(value: string): string[] | null {
  const elements = splitList(value);
  const valid = elements.every((element) => {
    const slash = element.indexOf('/');
    if (slash === -1) return isToken(element);
    return isToken(element.slice(0, slash)) && isToken(element.slice(slash + 1));
  });
  return valid ? elements : null;
}

/** Whether the list `elements` contains `wanted`, compared ASCII case-insensitively. */
export function includesIgnoreCase(elements: readonly string[], wanted: string): boolean {
  const lower = wanted.toLowerCase();
  return elements.some((element) => element.toLowerCase() === lower);
}

/** RFC 7230 §3.2.3: `OWS = *( SP / HTAB )`. Removes it from both ends of `s`. */
export function trimOws(s: string): string {
  return sliceTrimmed(s, 0, s.length);
}

/** `s[start, end)` without optional whitespace at either end; `s` itself when that is all of it. */
export function sliceTrimmed(s: string, start: number, end: number): string {
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** Whether `code` is SP or HTAB. */
export function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** How much of an untrusted string an error message repeats. */
const QUOTE_LIMIT = 60;

/**
 * Quotes untrusted input for an error message: at most {@link QUOTE_LIMIT} characters, in single
 * quotes, with control and non-ASCII characters escaped as `\xNN`/`\uNNNN`, so a message never
 * carries a CR/LF, a terminal escape or a megabyte of attacker data.
 */
export function quoteInput(s: string): string {
  const clipped = s.length > QUOTE_LIMIT ? s.slice(0, QUOTE_LIMIT) : s;
  let out = "'";
  for (let i = 0; i < clipped.length; i++) {
    const code = clipped.charCodeAt(i);
    if (code === 0x27 || code === 0x5c) out += `\\${clipped[i]!}`;
    else if (code >= 0x20 && code < 0x7f) out += clipped[i]!;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  out += "'";
  return s.length > QUOTE_LIMIT ? `${out}... (${s.length} chars)` : out;
}

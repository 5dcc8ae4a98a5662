/** How messages, close codes and times are shown to a person (interactive mode, logs). */

/** `14:03:07.123`, local time. */
export function clockTime(date: Date = new Date()): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const ms = String(date.getMilliseconds()).padStart(3, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${ms}`;
}

/** The first `max` bytes as hex pairs, `…` when there is more: `00 ff 1a …`. */
export function hexPreview(bytes: Uint8Array, max = 32): string {
  const shown = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, '0'));
  return bytes.length > max ? `${shown.join(' ')} …` : shown.join(' ');
}

/** A binary message for a person: its size and a hex preview. */
export function describeBinary(bytes: Uint8Array): string {
  const size = `${bytes.length} byte${bytes.length === 1 ? '' : 's'}`;
  return bytes.length === 0 ? `[binary, ${size}]` : `[binary, ${size}] ${hexPreview(bytes)}`;
}

/** `text` cut to `max` characters (with `…`), control characters shown as escapes. */
export function truncate(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  let out = '';
  for (const c of cut) {
    const code = c.charCodeAt(0);
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    if (!control) out += c;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else out += `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Pretty-printed JSON when `text` is a JSON object or array; otherwise `text` unchanged. */
export function prettyJson(text: string): string {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** RFC 6455 §7.4.1 and the IANA registry: the names of the close codes a person may meet. */
const CLOSE_NAMES: Readonly<Record<number, string>> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status code',
  1006: 'abnormal closure: no close frame',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'mandatory extension',
  1011: 'internal error',
  1012: 'service restart',
  1013: 'try again later',
  1014: 'bad gateway',
  1015: 'TLS handshake',
};

/** `1000 (normal closure) "bye"`. */
export function describeClose(code: number, reason: string): string {
  const name = CLOSE_NAMES[code] ?? (code >= 4000 ? 'application code' : 'unregistered code');
  return `${code} (${name})${reason === '' ? '' : ` ${JSON.stringify(reason)}`}`;
}

/**
 * Small text scanners for the CLI's own parsing (option values, typed commands, parseArgs'
 * messages), written as loops: the package's source holds no regular expressions, so that no
 * scanner can backtrack (see test/architecture.test.ts).
 */

/** Whether `text` is one or more ASCII digits. */
export function isDigits(text: string): boolean {
  if (text === '') return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Whether `text` is hex digits only (the empty string included). */
export function isHexDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 0x20; // lower-case letters
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** `text` without its spaces and tabs. */
export function withoutBlanks(text: string): string {
  let out = '';
  for (const c of text) if (c !== ' ' && c !== '\t') out += c;
  return out;
}

/**
 * A decimal number and the letters after it: `16KiB` -> { value: 16, unit: 'KiB' }, `0.5` ->
 * { value: 0.5, unit: '' }; null when `text` is not shaped so (spaces allowed between them).
 */
export function numberWithUnit(text: string): { value: number; unit: string } | null {
  let end = 0;
  while (end < text.length && isDigits(text[end]!)) end++;
  if (end === 0) return null;
  if (text[end] === '.') {
    const fraction = ++end;
    while (end < text.length && isDigits(text[end]!)) end++;
    if (end === fraction) return null;
  }
  const value = Number(text.slice(0, end));
  const unit = text.slice(end).trimStart();
  for (const c of unit) if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return null;
  return { value, unit };
}

/** The text between the first pair of single quotes, or null. */
export function firstQuoted(text: string): string | null {
  const start = text.indexOf("'");
  const end = start < 0 ? -1 : text.indexOf("'", start + 1);
  return end < 0 ? null : text.slice(start + 1, end);
}

/**
 * Finds the regular expressions in TypeScript source: regex literals and `RegExp(...)` calls.
 * A small lexer, enough for this code base: it skips comments, strings and template literals, and
 * tells a regex literal from a division by what precedes the slash.
 */

export interface RegexUse {
  readonly line: number;
  readonly text: string;
}

/** After these characters (or nothing), a `/` starts a regex literal rather than a division. */
const BEFORE_REGEX = new Set([...'(,=:[!&|?{};+-*%<>~^']);
/** After these words too (`return /x/`). */
const KEYWORDS_BEFORE_REGEX = new Set([
  'return',
  'typeof',
  'case',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'instanceof',
  'yield',
  'await',
]);

export function findRegexes(code: string): RegexUse[] {
  const found: RegexUse[] = [];
  // A hashbang line (`#!/usr/bin/env node`, the CLI's first line) is a comment to the parser.
  const firstLineEnd = code.indexOf('\n');
  let i = !code.startsWith('#!') ? 0 : firstLineEnd < 0 ? code.length : firstLineEnd;
  let line = 1;
  /** The last significant character, or the last word when it ended with one. */
  let previous = '';
  const lineAt = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (code[k] === '\n') line++;
  };
  while (i < code.length) {
    const c = code[i]!;
    const next = code[i + 1];
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '/' && next === '/') {
      while (i < code.length && code[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = code.indexOf('*/', i + 2);
      const stop = end === -1 ? code.length : end + 2;
      lineAt(i, stop);
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      const stop = skipString(code, i);
      lineAt(i, stop);
      i = stop;
      previous = 'string';
    } else if (
      c === '/' &&
      (previous === '' || BEFORE_REGEX.has(previous) || KEYWORDS_BEFORE_REGEX.has(previous))
    ) {
      const stop = skipRegex(code, i);
      found.push({ line, text: code.slice(i, stop) });
      i = stop;
      previous = 'regex';
    } else if (/[A-Za-z_$0-9]/.test(c)) {
      let j = i;
      while (j < code.length && /[A-Za-z_$0-9]/.test(code[j]!)) j++;
      const word = code.slice(i, j);
      if (word === 'RegExp' && /^\s*\(/.test(code.slice(j, j + 20))) {
        found.push({ line, text: 'RegExp(...)' });
      }
      previous = word;
      i = j;
    } else {
      previous = c;
      i++;
    }
  }
  return found;
}

/** The index after the string or template literal starting at `start` (templates may nest). */
function skipString(code: string, start: number): number {
  const quote = code[start];
  let i = start + 1;
  while (i < code.length) {
    const c = code[i];
    if (c === '\\') {
      i += 2;
    } else if (c === quote) {
      return i + 1;
    } else if (quote === '`' && c === '$' && code[i + 1] === '{') {
      let depth = 1;
      i += 2;
      while (i < code.length && depth > 0) {
        const d = code[i]!;
        if (d === "'" || d === '"' || d === '`') {
          i = skipString(code, i);
          continue;
        }
        if (d === '{') depth++;
        else if (d === '}') depth--;
        i++;
      }
    } else {
      i++;
    }
  }
  return i;
}

/** The index after the regex literal starting at `start`, flags included. */
function skipRegex(code: string, start: number): number {
  let i = start + 1;
  let inClass = false;
  while (i < code.length && code[i] !== '\n') {
    const c = code[i];
    if (c === '\\') i++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) break;
    i++;
  }
  i++;
  while (i < code.length && /[a-z]/.test(code[i]!)) i++;
  return i;
}

/**
 * The interactive mode's commands: `/ping [data]`, `/close [code [reason]]`, `/binary <hex>`,
 * `/help`. A line starting with `//` is a message starting with `/`.
 */

import { isDigits, isHexDigits, withoutBlanks } from '../text.js';

export type Command =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'ping'; readonly data: string }
  | { readonly type: 'close'; readonly code: number; readonly reason: string }
  | { readonly type: 'binary'; readonly data: Buffer }
  | { readonly type: 'help' }
  | { readonly type: 'invalid'; readonly message: string };

export const COMMANDS_HELP: readonly string[] = [
  '/ping [data]              send a ping (the pong shows the round trip)',
  '/close [code [reason]]    close the connection (default 1000)',
  '/binary <hex>             send a binary message: /binary 00ff 1a2b',
  '/help                     this list',
  '//text                    send a text message that starts with /',
  'Ctrl+C closes with 1000 (twice: exit at once); Ctrl+D closes too; up/down recall lines',
];

/** What a typed line asks for. */
export function parseLine(line: string): Command {
  if (!line.startsWith('/')) return { type: 'text', text: line };
  if (line.startsWith('//')) return { type: 'text', text: line.slice(1) };
  const space = line.indexOf(' ');
  const name = space < 0 ? line.slice(1) : line.slice(1, space);
  const rest = space < 0 ? '' : line.slice(space + 1);
  switch (name) {
    case 'ping':
      return { type: 'ping', data: rest };
    case 'close':
      return parseClose(rest.trim());
    case 'binary':
      return parseHex(rest);
    case 'help':
      return { type: 'help' };
    default:
      return { type: 'invalid', message: `unknown command /${name} (/help lists them)` };
  }
}

function parseClose(args: string): Command {
  if (args === '') return { type: 'close', code: 1000, reason: '' };
  const [codeText = '', ...reason] = args.split(' ');
  const code = codeText.length === 4 && isDigits(codeText) ? Number(codeText) : Number.NaN;
  if (Number.isNaN(code)) {
    return {
      type: 'invalid',
      message: `/close takes a close code (1000, 4000, ...), not '${codeText}'`,
    };
  }
  return { type: 'close', code, reason: reason.join(' ') };
}

function parseHex(args: string): Command {
  const hex = withoutBlanks(args);
  if (hex.length % 2 !== 0 || !isHexDigits(hex)) {
    return { type: 'invalid', message: '/binary takes hex digits in pairs: /binary 00ff10' };
  }
  return { type: 'binary', data: Buffer.from(hex, 'hex') };
}

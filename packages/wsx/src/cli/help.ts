/** The `--help` texts, written from the commands' option declarations (args.ts). */

import { type CommandSpec, HELP_OPTION, type OptionSpec } from './args.js';
import { EXIT_CODE_TABLE } from './exit-codes.js';

const WIDTH = 100;
const OPTION_COLUMN = 30;

/** `-c, --connections <n>` */
export function optionSignature(option: OptionSpec): string {
  const long = `--${option.name}${option.value === undefined ? '' : ` ${option.value}`}`;
  return option.short === undefined ? `    ${long}` : `-${option.short}, ${long}`;
}

/** Wraps `text` to `width` columns, every line after the first indented by `indent`. */
function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

function optionLine(option: OptionSpec): string {
  const signature = `  ${optionSignature(option)}`;
  const help = wrap(option.help, WIDTH - OPTION_COLUMN, OPTION_COLUMN);
  if (signature.length < OPTION_COLUMN - 1) return `${signature.padEnd(OPTION_COLUMN)}${help}`;
  return `${signature}\n${' '.repeat(OPTION_COLUMN)}${help}`;
}

function paragraphs(texts: readonly string[]): string[] {
  return texts.flatMap((text) => [`  ${wrap(text, WIDTH - 2, 2)}`, '']);
}

/** `wsx <command> --help`. */
export function commandHelp(spec: CommandSpec): string {
  const out = [`wsx ${spec.name}: ${spec.summary}`, '', 'Usage:'];
  for (const usage of spec.usage) out.push(`  wsx ${usage}`);
  out.push('');
  out.push(...paragraphs(spec.description));
  for (const group of spec.groups) {
    out.push(`${group.title}:`);
    for (const option of group.options) out.push(optionLine(option));
    out.push('');
  }
  out.push(optionLine(HELP_OPTION), '', 'Examples:');
  for (const example of spec.examples) out.push(`  ${example}`);
  out.push('');
  if (spec.notes !== undefined) out.push(...paragraphs(spec.notes));
  return `${out.join('\n').trimEnd()}\n`;
}

/** `wsx --help`. */
export function mainHelp(commands: readonly CommandSpec[], version: string): string {
  const out = [
    `wsx ${version}: a WebSocket client, server and load generator`,
    '',
    'Usage:',
    '  wsx <command> [options]',
    '  wsx <command> --help     the options of a command',
    '',
    'Commands:',
  ];
  for (const command of commands) out.push(`  ${command.name.padEnd(10)}${command.summary}`);
  out.push(
    '',
    'Options:',
    '  -h, --help              show this help',
    '  -V, --version           print the version',
    '',
    'Exit status:',
  );
  for (const [code, meaning] of EXIT_CODE_TABLE)
    out.push(`  ${String(code).padStart(3)}  ${meaning}`);
  out.push('', 'More: docs/cli.md and the README of wsx (section "The wsx command").');
  return `${out.join('\n')}\n`;
}

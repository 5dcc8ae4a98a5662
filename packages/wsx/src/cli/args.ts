/**
 * Command-line options, declared once: the same declaration drives `node:util`'s `parseArgs`,
 * the `--help` text, and the test that every documented option parses.
 */

import { parseArgs } from 'node:util';
import { usageError } from './cli-error.js';
import { firstQuoted } from './text.js';

export interface OptionSpec {
  /** The long name, without `--`. */
  readonly name: string;
  /** A one-letter alias, without `-`. */
  readonly short?: string;
  /** `flag`: no value; `value`: one value (the last wins); `list`: repeatable. */
  readonly kind: 'flag' | 'value' | 'list';
  /** How the value is shown in the help: `<bytes>`, `<url>`, ... */
  readonly value?: string;
  /** What it does, and its default. */
  readonly help: string;
  /** A valid value, for the documentation's examples and the test that parses every option. */
  readonly example?: string;
}

export interface CommandSpec {
  readonly name: string;
  /** One line, for `wsx --help`. */
  readonly summary: string;
  /** Usage lines, without the leading `wsx `. */
  readonly usage: readonly string[];
  /** Paragraphs after the usage. */
  readonly description: readonly string[];
  /** Option groups, in the order the help shows them. */
  readonly groups: readonly { readonly title: string; readonly options: readonly OptionSpec[] }[];
  readonly examples: readonly string[];
  /** Paragraphs after the examples. */
  readonly notes?: readonly string[];
}

export const HELP_OPTION: OptionSpec = {
  name: 'help',
  short: 'h',
  kind: 'flag',
  help: 'show this help',
};

export type OptionValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

export interface ParsedCommand {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
}

export function optionsOf(spec: CommandSpec): OptionSpec[] {
  return [...spec.groups.flatMap((group) => group.options), HELP_OPTION];
}

/**
 * Parses `argv` (the arguments after the command's name) strictly: an unknown option, a missing
 * value or a value given to a flag is a usage error (exit status 2).
 */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  const config: NonNullable<Parameters<typeof parseArgs>[0]>['options'] = {};
  for (const option of optionsOf(spec)) {
    config[option.name] = {
      type: option.kind === 'flag' ? 'boolean' : 'string',
      multiple: option.kind === 'list',
      ...(option.short === undefined ? {} : { short: option.short }),
    };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: config,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as OptionValues, positionals };
  } catch (error) {
    throw usageError(spec.name, parseArgsMessage(error as Error));
  }
}

/** `parseArgs`'s messages, shortened to what a user needs. */
function parseArgsMessage(error: Error): string {
  const code = (error as { code?: string }).code;
  const message = error.message.split('\n')[0] ?? '';
  // Its messages quote the option: "Unknown option '--x'", "Option '-H, --header <value>'
  // argument missing", "Option '--json' does not take an argument".
  const quoted = firstQuoted(message);
  if (quoted === null) return message;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option '${quoted}'`;
  const long = quoted.slice(Math.max(0, quoted.indexOf('--'))).split(' ')[0]!;
  if (message.endsWith('argument missing')) return `option '${long}' needs a value`;
  if (message.endsWith('does not take an argument')) return `option '${long}' takes no value`;
  return message;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : [];
}

export function flagOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/**
 * What a command reports when it cannot go on: one line saying what happened, an optional hint
 * saying what to try, and the exit status (see exit-codes.ts).
 */

import { ExitCode } from './exit-codes.js';

export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(exitCode: ExitCode, message: string, hint?: string) {
    super(message);
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** Invalid arguments: exit status 2, with a pointer to the command's help. */
export function usageError(command: string, message: string): CliError {
  const help = command === '' ? 'wsx --help' : `wsx ${command} --help`;
  return new CliError(ExitCode.USAGE, message, `see '${help}'`);
}

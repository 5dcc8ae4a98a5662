#!/usr/bin/env node
/**
 * The `wsx` command: `wsx connect | serve | bench`. Every failure ends as one line on stderr (and
 * a hint), with the exit status of its kind (exit-codes.ts); no stack traces, except for bugs.
 */

import { readFileSync } from 'node:fs';
import type { CommandSpec } from './args.js';
import { benchCommand, benchWorker } from './bench/command.js';
import { benchSpec } from './bench/spec.js';
import { CliError, usageError } from './cli-error.js';
import { connectCommand } from './connect/command.js';
import { connectSpec } from './connect/spec.js';
import { ExitCode } from './exit-codes.js';
import { commandHelp, mainHelp } from './help.js';
import { serveCommand } from './serve/command.js';
import { serveSpec } from './serve/spec.js';

interface Command {
  readonly spec: CommandSpec;
  run(argv: readonly string[]): Promise<ExitCode>;
}

const COMMANDS: readonly Command[] = [
  { spec: connectSpec, run: connectCommand },
  { spec: serveSpec, run: serveCommand },
  { spec: benchSpec, run: benchCommand },
];

/** The package's version, from its package.json (two levels above dist/cli/). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

/** Runs the command line; resolves with the exit status. */
export async function main(argv: readonly string[]): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.spec.name === rest[0]) : undefined;
    process.stdout.write(
      topic === undefined
        ? mainHelp(
            COMMANDS.map((c) => c.spec),
            version(),
          )
        : commandHelp(topic.spec),
    );
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${version()}\n`);
    return ExitCode.OK;
  }
  if (name === benchWorker.name) return benchWorker.run();
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (command === undefined) throw usageError('', `unknown command '${name}'`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(command.spec));
    return ExitCode.OK;
  }
  return command.run(rest);
}

function report(error: unknown): ExitCode {
  if (error instanceof CliError) {
    process.stderr.write(`wsx: ${error.message}\n`);
    if (error.hint !== undefined) process.stderr.write(`  hint: ${error.hint}\n`);
    return error.exitCode;
  }
  process.stderr.write(
    `wsx: internal error (please report it): ${(error as Error)?.stack ?? error}\n`,
  );
  return ExitCode.INTERNAL;
}

/** Exits once what was written to stdout has been flushed (pipes may be asynchronous). */
function exit(code: ExitCode): void {
  process.stdout.write('', () => process.exit(code));
}

let finished = false;
// A command whose work ended without an outcome (nothing left to wait for) is a bug, not a success.
process.once('beforeExit', () => {
  if (!finished) exit(report(new Error('the command stopped before it finished')));
});
main(process.argv.slice(2)).then(
  (code) => {
    finished = true;
    exit(code);
  },
  (error: unknown) => {
    finished = true;
    exit(report(error));
  },
);

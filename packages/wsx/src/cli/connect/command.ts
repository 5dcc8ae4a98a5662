/** `wsx connect`: parse, then run interactively (stdin is a terminal) or piped. */

import { parseCommand } from '../args.js';
import type { ExitCode } from '../exit-codes.js';
import { describeFailure } from '../failures.js';
import { runInteractive } from './interactive.js';
import { runPiped } from './piped.js';
import { connectSettings } from './settings.js';
import { connectSpec } from './spec.js';

export async function connectCommand(argv: readonly string[]): Promise<ExitCode> {
  const settings = connectSettings(parseCommand(connectSpec, argv));
  try {
    // --no-input on a terminal: nothing to type, so no prompt; messages as piped mode prints them.
    const interactive = process.stdin.isTTY === true && !settings.noInput;
    return interactive ? await runInteractive(settings) : await runPiped(settings);
  } catch (error) {
    // Invalid URL, header or subprotocol, refused by the client before connecting.
    throw describeFailure(error, settings.failure);
  }
}

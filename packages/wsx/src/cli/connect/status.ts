/** Status lines of a connect session (connected, reconnecting, closed), and its errors. */

import type { ReconnectingInfo } from '../../index.js';
import type { CliError } from '../cli-error.js';
import { describeClose } from '../format.js';
import type { OpenInfo, Outcome } from './session.js';

export function connectedLine(info: OpenInfo): string {
  const details: string[] = [];
  if (info.protocol !== '') details.push(`subprotocol ${info.protocol}`);
  if (info.extensions !== '') details.push(info.extensions);
  const verb = info.reconnected ? 'reconnected to' : 'connected to';
  return `${verb} ${info.url}${details.length === 0 ? '' : ` (${details.join('; ')})`}`;
}

export function reconnectingLine(info: ReconnectingInfo): string {
  const why =
    info.error !== undefined
      ? info.error.message
      : `closed ${describeClose(info.code ?? 1006, info.reason ?? '')}`;
  const seconds = (info.delay / 1000).toFixed(1);
  return `${why}; reconnecting in ${seconds} s (attempt ${info.attempt})`;
}

/** `closed 1000 (normal closure)`, or null when the session failed (see failureLines). */
export function closedLine(outcome: Outcome): string | null {
  if (outcome.code === null) return null;
  return `closed ${describeClose(outcome.code, outcome.reason)}`;
}

/** `wsx: <what happened>` and, when there is one, `  hint: <what to try>`. */
export function failureLines(failure: CliError): string[] {
  const lines = [`wsx: ${failure.message}`];
  if (failure.hint !== undefined) lines.push(`  hint: ${failure.hint}`);
  return lines;
}

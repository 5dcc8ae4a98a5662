/**
 * `wsx connect` in a terminal: a prompt with line editing and history (node:readline), messages
 * received printed above it with their time, slash commands, Ctrl+C to close (twice to exit).
 */

import { createInterface, type Interface } from 'node:readline';
import { SendStatus } from '../../index.js';
import { ExitCode } from '../exit-codes.js';
import { clockTime, describeBinary, prettyJson } from '../format.js';
import { headerPairs, requestLines, responseLines } from './handshake-view.js';
import { openSession, type Session } from './session.js';
import type { ConnectSettings } from './settings.js';
import { COMMANDS_HELP, type Command, parseLine } from './slash-commands.js';
import { closedLine, connectedLine, failureLines, reconnectingLine } from './status.js';

const PROMPT = '> ';

/** Lines printed above the prompt, which is redrawn with what was being typed. */
class Screen {
  readonly #prompt: Interface;
  #promptShown = false;

  constructor(prompt: Interface) {
    this.#prompt = prompt;
  }

  print(lines: readonly string[]): void {
    if (this.#promptShown) process.stdout.write('\r\x1b[K');
    for (const line of lines) process.stdout.write(`${line}\n`);
    if (this.#promptShown) this.#prompt.prompt(true);
  }

  showPrompt(): void {
    this.#promptShown = true;
    this.#prompt.prompt(true);
  }

  hidePrompt(): void {
    if (this.#promptShown) process.stdout.write('\r\x1b[K');
    this.#promptShown = false;
  }
}

/** `14:03:07.123 < text`, continuation lines indented under the text. */
function received(text: string): string[] {
  const [first = '', ...rest] = text.split('\n');
  const time = clockTime();
  return [`${time} < ${first}`, ...rest.map((line) => `${' '.repeat(time.length + 3)}${line}`)];
}

export function runInteractive(settings: ConnectSettings): Promise<ExitCode> {
  return new Promise((resolve) => {
    const prompt = createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: true,
      prompt: PROMPT,
      historySize: 1000,
      removeHistoryDuplicates: true,
    });
    const screen = new Screen(prompt);
    const status = (line: string): void => {
      if (!settings.quiet) screen.print([`${clockTime()} ${line}`]);
    };
    const pings = new Map<string, number>();
    let replied = false;
    let ended = false;
    status(`connecting to ${settings.url}`);
    const session = openSession(settings, {
      handshake(request, response) {
        if (settings.showHeaders) {
          screen.print([
            ...requestLines(request),
            ...responseLines(response, headerPairs(response)),
          ]);
        }
      },
      refused(error) {
        if (settings.showHeaders) {
          const head = { version: 'HTTP/1.1', status: error.status, reason: '' };
          screen.print(responseLines(head, Object.entries(error.headers)));
        }
      },
      open(info) {
        status(connectedLine(info));
        if (!info.reconnected && !settings.quiet) {
          screen.print(['type a message and press Enter; /help lists the commands']);
        }
        screen.showPrompt();
      },
      message(data, isBinary) {
        if (settings.once && replied) return;
        const text = data.toString('utf8');
        screen.print(
          received(isBinary ? describeBinary(data) : settings.json ? prettyJson(text) : text),
        );
        if (settings.once) {
          replied = true;
          session.close(1000);
        }
      },
      pong(data) {
        const key = data.toString('utf8');
        const sentAt = pings.get(key);
        if (sentAt === undefined) return; // the library's own keep-alive pings
        pings.delete(key);
        const rtt = (performance.now() - sentAt).toFixed(2);
        screen.print(received(`pong${key === '' ? '' : ` ${JSON.stringify(key)}`} (${rtt} ms)`));
      },
      reconnecting(info) {
        screen.hidePrompt();
        status(reconnectingLine(info));
      },
      end(outcome) {
        ended = true;
        screen.hidePrompt();
        const closed = closedLine(outcome);
        if (closed !== null) status(closed);
        if (outcome.failure !== null) screen.print(failureLines(outcome.failure));
        prompt.close();
        resolve(settings.once && replied ? ExitCode.OK : outcome.exitCode);
      },
    });

    const run = (command: Command): void => {
      const sent = perform(session, command, pings, screen);
      if (sent === SendStatus.DROPPED) screen.print(['not connected: nothing was sent']);
    };
    prompt.on('line', (line) => {
      if (ended) return;
      run(parseLine(line));
      if (session.isOpen) prompt.prompt();
    });
    let interrupts = 0;
    prompt.on('SIGINT', () => {
      if (++interrupts > 1) {
        screen.hidePrompt();
        prompt.close();
        return resolve(ExitCode.INTERRUPTED);
      }
      screen.print(['closing (Ctrl+C again to exit at once)']);
      session.close(1000);
    });
    prompt.on('close', () => {
      if (!ended) session.close(1000); // Ctrl+D
    });
  });
}

/** Does what a typed line asks; returns the send status when it sent something. */
function perform(
  session: Session,
  command: Command,
  pings: Map<string, number>,
  screen: Screen,
): SendStatus | null {
  switch (command.type) {
    case 'text':
      return session.send(command.text, false);
    case 'binary':
      return session.send(command.data, true);
    case 'ping':
      if (!session.isOpen) return SendStatus.DROPPED;
      pings.set(command.data, performance.now());
      session.ping(command.data);
      return null;
    case 'close':
      try {
        session.close(command.code, command.reason);
      } catch (error) {
        screen.print([`cannot close that way: ${(error as Error).message}`]);
      }
      return null;
    case 'help':
      screen.print(COMMANDS_HELP);
      return null;
    case 'invalid':
      screen.print([command.message]);
      return null;
  }
}

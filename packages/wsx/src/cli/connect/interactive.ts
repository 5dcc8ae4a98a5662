/**
 * `wsx connect` in a terminal: a prompt with line editing and history (node:readline), messages
 * received printed above it with their time, slash commands, Ctrl+C to close (twice to exit).
 */

import { createInterface, type Interface } from 'node:readline';
import { SendStatus } from '../../index.js';
import { ExitCode } from '../exit-codes.js';
import { clockTime, describeBinary, prettyJson } from '../format.js';
import { headerPairs, refusalLines, requestLines, responseLines } from './handshake-view.js';
import { type OpenInfo, type Outcome, openSession, type Session } from './session.js';
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
  return new Promise((resolve) => new InteractiveMode(settings, resolve));
}

/** One session at the prompt. */
class InteractiveMode {
  readonly #settings: ConnectSettings;
  readonly #done: (code: ExitCode) => void;
  readonly #prompt: Interface;
  readonly #screen: Screen;
  readonly #session: Session;
  /** Pings sent with /ping, by payload: when each went out. */
  readonly #pings = new Map<string, number>();
  #replied = false;
  #ended = false;
  #interrupts = 0;

  constructor(settings: ConnectSettings, done: (code: ExitCode) => void) {
    this.#settings = settings;
    this.#done = done;
    this.#prompt = createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: true,
      prompt: PROMPT,
      historySize: 1000,
      removeHistoryDuplicates: true,
    });
    this.#screen = new Screen(this.#prompt);
    this.#status(`connecting to ${settings.url}`);
    this.#session = openSession(settings, {
      handshake: (request, response) =>
        this.#headers([
          ...requestLines(request),
          ...responseLines(response, headerPairs(response)),
        ]),
      refused: (error) => this.#headers(refusalLines(error)),
      open: (info) => this.#opened(info),
      message: (data, isBinary) => this.#received(data, isBinary),
      pong: (data) => this.#pong(data),
      reconnecting: (info) => {
        this.#screen.hidePrompt();
        this.#status(reconnectingLine(info));
      },
      end: (outcome) => this.#end(outcome),
    });
    this.#prompt.on('line', (line) => this.#typed(line));
    this.#prompt.on('SIGINT', () => this.#interrupted());
    this.#prompt.on('close', () => {
      if (!this.#ended) this.#session.close(1000); // Ctrl+D
    });
  }

  #status(line: string): void {
    if (!this.#settings.quiet) this.#screen.print([`${clockTime()} ${line}`]);
  }

  #headers(lines: readonly string[]): void {
    if (this.#settings.showHeaders) this.#screen.print(lines);
  }

  #opened(info: OpenInfo): void {
    this.#status(connectedLine(info));
    if (!info.reconnected && !this.#settings.quiet) {
      this.#screen.print(['type a message and press Enter; /help lists the commands']);
    }
    this.#screen.showPrompt();
  }

  #received(data: Buffer, isBinary: boolean): void {
    if (this.#settings.once && this.#replied) return;
    const text = data.toString('utf8');
    const shown = isBinary ? describeBinary(data) : this.#settings.json ? prettyJson(text) : text;
    this.#screen.print(received(shown));
    if (this.#settings.once) {
      this.#replied = true;
      this.#session.close(1000);
    }
  }

  /** A pong that answers a /ping shows its round trip; the library's keep-alive ones do not. */
  #pong(data: Buffer): void {
    const key = data.toString('utf8');
    const sentAt = this.#pings.get(key);
    if (sentAt === undefined) return;
    this.#pings.delete(key);
    const rtt = (performance.now() - sentAt).toFixed(2);
    this.#screen.print(received(`pong${key === '' ? '' : ` ${JSON.stringify(key)}`} (${rtt} ms)`));
  }

  #end(outcome: Outcome): void {
    this.#ended = true;
    this.#screen.hidePrompt();
    const closed = closedLine(outcome);
    if (closed !== null) this.#status(closed);
    if (outcome.failure !== null) this.#screen.print(failureLines(outcome.failure));
    this.#prompt.close();
    this.#done(this.#settings.once && this.#replied ? ExitCode.OK : outcome.exitCode);
  }

  #typed(line: string): void {
    if (this.#ended) return;
    const sent = perform(this.#session, parseLine(line), this.#pings, this.#screen);
    if (sent === SendStatus.DROPPED) this.#screen.print(['not connected: nothing was sent']);
    if (this.#session.isOpen) this.#prompt.prompt();
  }

  #interrupted(): void {
    if (++this.#interrupts > 1) {
      this.#screen.hidePrompt();
      this.#prompt.close();
      this.#done(ExitCode.INTERRUPTED);
      return;
    }
    this.#screen.print(['closing (Ctrl+C again to exit at once)']);
    this.#session.close(1000);
  }
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

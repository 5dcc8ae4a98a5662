/**
 * `wsx connect` when stdin is not a terminal, like websocat: each stdin line is a text message
 * and each message received one stdout line; with --binary, stdin chunks are binary messages and
 * what arrives is written raw. Backpressure both ways: a full socket pauses stdin, a full stdout
 * pauses the socket.
 */

import { createInterface } from 'node:readline';
import { SendStatus } from '../../index.js';
import { ExitCode } from '../exit-codes.js';
import { prettyJson } from '../format.js';
import { headerPairs, refusalLines, requestLines, responseLines } from './handshake-view.js';
import { type OpenInfo, type Outcome, openSession, type Session } from './session.js';
import type { ConnectSettings } from './settings.js';
import { closedLine, connectedLine, failureLines, reconnectingLine } from './status.js';

/** Reading stdin: paused while the socket is full or the connection is down. */
interface Input {
  pause(): void;
  resume(): void;
}

const stderrLines = (lines: readonly string[]): void => {
  for (const line of lines) process.stderr.write(`${line}\n`);
};

/** Runs the session; resolves with the exit status. */
export function runPiped(settings: ConnectSettings): Promise<ExitCode> {
  return new Promise((resolve) => new PipedMode(settings, resolve));
}

/** One piped session: stdin to the socket, the socket to stdout, status to stderr. */
class PipedMode {
  readonly #settings: ConnectSettings;
  readonly #done: (code: ExitCode) => void;
  readonly #session: Session;
  readonly #output: Output;
  #input: Input | null = null;
  #sent = 0;
  #replied = false;
  #interrupts = 0;

  constructor(settings: ConnectSettings, done: (code: ExitCode) => void) {
    this.#settings = settings;
    this.#done = done;
    this.#output = new Output(settings, (line) => this.#status(line));
    this.#session = openSession(settings, {
      handshake: (request, response) =>
        this.#headers([
          ...requestLines(request),
          ...responseLines(response, headerPairs(response)),
        ]),
      refused: (error) => this.#headers(refusalLines(error)),
      open: (info) => this.#opened(info),
      message: (data, isBinary) => this.#received(data, isBinary),
      reconnecting: (info) => {
        this.#input?.pause();
        this.#status(reconnectingLine(info));
      },
      end: (outcome) => this.#ended(outcome),
    });
    this.#output.onBroken = () => this.#session.close(1000);
    process.on('SIGINT', () => this.#interrupted());
  }

  #status(line: string): void {
    if (!this.#settings.quiet) process.stderr.write(`${line}\n`);
  }

  #headers(lines: readonly string[]): void {
    if (this.#settings.showHeaders) stderrLines(lines);
  }

  #opened(info: OpenInfo): void {
    this.#status(connectedLine(info));
    if (this.#input !== null) this.#input.resume();
    else if (!this.#settings.noInput) this.#input = this.#startInput();
  }

  #received(data: Buffer, isBinary: boolean): void {
    if (this.#settings.once && this.#replied) return;
    this.#output.write(this.#session, data, isBinary);
    if (this.#settings.once) {
      this.#replied = true;
      this.#session.close(1000);
    }
  }

  #ended(outcome: Outcome): void {
    const closed = closedLine(outcome);
    if (closed !== null) this.#status(closed);
    if (outcome.failure !== null) stderrLines(failureLines(outcome.failure));
    this.#done(this.#settings.once && this.#replied ? ExitCode.OK : outcome.exitCode);
  }

  #startInput(): Input {
    const send: Send = (data, binary, pause) => this.#send(data, binary, pause);
    const ended = (): void => this.#inputEnded();
    const reader = this.#settings.binary
      ? binaryInput(this.#settings, send, ended)
      : lineInput(this.#settings, send, ended, () => this.#sent);
    this.#session.onDrain(() => reader.resume());
    return reader;
  }

  #send(data: string | Buffer, binary: boolean, pause: () => void): void {
    this.#sent++;
    const result = this.#session.send(data, binary);
    if (result === SendStatus.BACKPRESSURE) pause();
    else if (result === SendStatus.DROPPED) this.#status('not connected: a message was dropped');
  }

  /** End of stdin: close, unless the user wants to keep listening or awaits one reply. */
  #inputEnded(): void {
    if (this.#settings.keepOpen || this.#settings.once) return;
    this.#session.close(1000);
  }

  #interrupted(): void {
    if (++this.#interrupts > 1) {
      this.#done(ExitCode.INTERRUPTED);
      return;
    }
    this.#status('closing (Ctrl+C again to exit at once)');
    this.#session.close(1000);
  }
}

type Send = (data: string | Buffer, binary: boolean, pause: () => void) => void;

function lineInput(
  settings: ConnectSettings,
  send: Send,
  ended: () => void,
  sentSoFar: () => number,
): Input {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => {
    if (settings.once && sentSoFar() > 0) return; // lines already read with the first one
    send(line, false, () => lines.pause());
    if (settings.once) lines.close();
  });
  lines.on('close', ended);
  return { pause: () => lines.pause(), resume: () => lines.resume() };
}

function binaryInput(settings: ConnectSettings, send: Send, ended: () => void): Input {
  const stdin = process.stdin;
  const pause = (): void => {
    stdin.pause();
  };
  if (settings.once) {
    // One message: all of stdin.
    const chunks: Buffer[] = [];
    stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
    stdin.once('end', () => send(Buffer.concat(chunks), true, pause));
  } else {
    stdin.on('data', (chunk: Buffer) => send(chunk, true, pause));
    stdin.once('end', ended);
  }
  return { pause, resume: () => stdin.resume() };
}

/** Writes what arrives to stdout; pauses the session while stdout is full. */
class Output {
  readonly #settings: ConnectSettings;
  readonly #status: (line: string) => void;
  #warnedHex = false;
  #broken = false;
  onBroken: () => void = () => {};

  constructor(settings: ConnectSettings, status: (line: string) => void) {
    this.#settings = settings;
    this.#status = status;
    // `wsx connect ... | head -1`: once the reader is gone, close normally and stop writing.
    process.stdout.on('error', () => {
      if (this.#broken) return;
      this.#broken = true;
      this.onBroken();
    });
  }

  write(session: Session, data: Buffer, isBinary: boolean): void {
    if (this.#broken) return;
    const written = process.stdout.write(this.#format(data, isBinary));
    if (!written) {
      session.pause();
      process.stdout.once('drain', () => session.resume());
    }
  }

  #format(data: Buffer, isBinary: boolean): Buffer | string {
    if (this.#settings.binary) return data; // raw, text included, no separator
    if (isBinary) {
      if (!this.#warnedHex) {
        this.#warnedHex = true;
        this.#status('binary messages are written as hex lines (--binary writes them raw)');
      }
      return `${data.toString('hex')}\n`;
    }
    const text = data.toString('utf8');
    return `${this.#settings.json ? prettyJson(text) : text}\n`;
  }
}

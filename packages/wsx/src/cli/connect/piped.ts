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
import { headerPairs, requestLines, responseLines } from './handshake-view.js';
import { type Outcome, openSession, type Session } from './session.js';
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
  return new Promise((resolve) => {
    const status = (line: string): void => {
      if (!settings.quiet) process.stderr.write(`${line}\n`);
    };
    let input: Input | null = null;
    let replied = false;
    let sent = 0;
    const output = new Output(settings, status);
    const session: Session = openSession(settings, {
      handshake(request, response) {
        if (settings.showHeaders) {
          stderrLines([
            ...requestLines(request),
            ...responseLines(response, headerPairs(response)),
          ]);
        }
      },
      refused(error) {
        if (settings.showHeaders) {
          const head = { version: 'HTTP/1.1', status: error.status, reason: '' };
          stderrLines(responseLines(head, Object.entries(error.headers)));
        }
      },
      open(info) {
        status(connectedLine(info));
        if (input !== null) input.resume();
        else if (!settings.noInput) input = startInput();
      },
      message(data, isBinary) {
        if (settings.once && replied) return;
        output.write(session, data, isBinary);
        if (settings.once) {
          replied = true;
          session.close(1000);
        }
      },
      reconnecting(info) {
        input?.pause();
        status(reconnectingLine(info));
      },
      end(outcome: Outcome) {
        const closed = closedLine(outcome);
        if (closed !== null) status(closed);
        if (outcome.failure !== null) stderrLines(failureLines(outcome.failure));
        resolve(settings.once && replied ? ExitCode.OK : outcome.exitCode);
      },
    });
    output.onBroken = () => session.close(1000);

    /** End of stdin: close, unless the user wants to keep listening or awaits one reply. */
    const inputEnded = (): void => {
      if (settings.keepOpen || settings.once) return;
      session.close(1000);
    };
    const send = (data: string | Buffer, binary: boolean, pause: () => void): void => {
      sent++;
      const result = session.send(data, binary);
      if (result === SendStatus.BACKPRESSURE) pause();
      else if (result === SendStatus.DROPPED) status('not connected: a message was dropped');
    };
    const startInput = (): Input => {
      const reader = settings.binary
        ? binaryInput(settings, send, inputEnded)
        : lineInput(settings, send, inputEnded, () => sent);
      session.onDrain(() => reader.resume());
      return reader;
    };

    let interrupts = 0;
    process.on('SIGINT', () => {
      if (++interrupts > 1) return resolve(ExitCode.INTERRUPTED);
      status('closing (Ctrl+C again to exit at once)');
      session.close(1000);
    });
  });
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

/** The live status line of a run, on stderr when it is a terminal. */

import type { LoadProgress } from './job.js';

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Redraws one line on stderr every `intervalMs`, from `read()`; nothing unless a TTY. */
export class ProgressLine {
  readonly #enabled: boolean;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(enabled: boolean) {
    this.#enabled = enabled && process.stderr.isTTY === true;
  }

  /** Opening the connections: `opening 350 / 1,000 connections (2 failed)`. */
  opening(total: number, read: () => LoadProgress): void {
    this.#every(() => {
      const p = read();
      const failed = p.failed > 0 ? ` (${count(p.failed)} failed)` : '';
      return `opening ${count(p.opened + p.failed)} / ${count(total)} connections${failed}`;
    });
  }

  /** Sending: elapsed time, counts, the rate over the last interval, errors. */
  running(read: () => LoadProgress, warmupMs: number): void {
    const started = performance.now() + warmupMs;
    let last = { at: started, received: 0 };
    this.#every(() => {
      const p = read();
      const now = performance.now();
      if (now < started) return `warming up: ${((started - now) / 1000).toFixed(1)} s to go`;
      const rate = ((p.received - last.received) * 1000) / Math.max(1, now - last.at);
      last = { at: now, received: p.received };
      const seconds = ((now - started) / 1000).toFixed(1);
      return `${seconds} s  sent ${count(p.sent)}  received ${count(p.received)}  ${count(rate)}/s  errors ${count(p.errors)}`;
    });
  }

  /** Writes `text` in place of the line. */
  note(text: string): void {
    if (this.#enabled) process.stderr.write(`\r\x1b[K${text}`);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#enabled) process.stderr.write('\r\x1b[K');
  }

  #every(line: () => string): void {
    this.stop();
    if (!this.#enabled) return;
    this.note(line());
    this.#timer = setInterval(() => this.note(line()), 250);
  }
}

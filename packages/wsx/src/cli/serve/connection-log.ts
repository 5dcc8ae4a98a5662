/** `wsx serve`'s log on stderr: connections, messages (cut short), closes, refusals, requests. */

import { clockTime, describeBinary, describeClose, truncate } from '../format.js';

/** Messages are cut to this many characters in the log. */
const MESSAGE_PREVIEW = 80;

export class ConnectionLog {
  readonly #quiet: boolean;

  constructor(quiet: boolean) {
    this.#quiet = quiet;
  }

  line(text: string): void {
    if (!this.#quiet) process.stderr.write(`${clockTime()} ${text}\n`);
  }

  opened(id: number, peer: string, path: string, protocol: string): void {
    this.line(
      `#${id} open from ${peer} ${path}${protocol === '' ? '' : ` (subprotocol ${protocol})`}`,
    );
  }

  message(id: number, data: Buffer, isBinary: boolean): void {
    if (this.#quiet) return;
    const text = isBinary
      ? describeBinary(data)
      : `${JSON.stringify(truncate(data.toString('utf8'), MESSAGE_PREVIEW))} (${data.length} B)`;
    this.line(`#${id} < ${text}`);
  }

  closed(id: number, code: number, reason: string): void {
    this.line(`#${id} closed ${describeClose(code, reason)}`);
  }

  error(id: number, error: Error): void {
    this.line(`#${id} error: ${error.message}`);
  }

  refused(status: number, reason: string, peer: string): void {
    this.line(`refused ${peer}: ${status} ${reason}`);
  }

  request(method: string, url: string, status: number): void {
    this.line(`${method} ${truncate(url, MESSAGE_PREVIEW)} ${status}`);
  }
}

// A load-generator connection: a raw socket from openWebSocket() plus a FrameReader (reads
// arrive through `socket.consumer`, in a buffer reused by the next read: see handshake.mjs). Calls
// `onMessage(conn, compressed, captured, length)` for each complete data message, answers pings
// (wsx and Bun ping idle peers), and records a close frame from the server (a failure here).
import { clientFrame, FrameReader, OP_CLOSE, OP_PING, OP_PONG } from './frames.mjs';

export class Client {
  constructor(opened, { capture = 0, onMessage }) {
    this.socket = opened.socket;
    this.extensions = opened.extensions;
    this.closeCode = null; // the code of a close frame the server sent, if any
    this.received = 0; // data messages received
    this.sent = 0; // data messages sent (kept by the caller)
    this.reader = new FrameReader((opcode, rsv1, length, captured, fin) => {
      if (opcode >= 8) return this.#control(opcode, captured);
      if (!fin) return undefined;
      this.received++;
      return onMessage(this, rsv1, captured, length);
    }, capture);
    this.socket.on('error', () => {}); // a reset at teardown is expected; failures show as counts
    this.pending = [opened.rest, ...opened.socket.queued];
  }

  #control(opcode, payload) {
    if (opcode === OP_PING) this.socket.write(clientFrame(OP_PONG, payload));
    else if (opcode === OP_CLOSE) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    }
  }

  /** Starts delivering reads to the reader; `afterRead(conn)` runs after each read. */
  listen(afterRead) {
    const consume = (chunk) => {
      this.reader.push(chunk);
      if (afterRead !== undefined) afterRead(this);
    };
    for (const chunk of this.pending) if (chunk.length > 0) consume(chunk);
    this.pending = null;
    this.socket.consumer = consume;
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Closes every socket at once (no closing handshake: the measurement is over). */
export function destroyAll(clients) {
  for (const c of clients) c?.socket.destroy();
}

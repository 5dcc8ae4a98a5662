/**
 * One load-generator connection: sends prebuilt frames, matches what comes back, and times it.
 * Echo mode pairs each reply with the oldest message in flight (a server answers in order);
 * publish mode reads the stamp at the start of each message.
 */

import { FrameCounter, type FrameSink } from './frame-counter.js';
import { closeFrame, pongFrame } from './frames.js';
import type { LoadSocket } from './load-socket.js';
import type { RunContext } from './run-context.js';
import { readHex8, STAMP_BYTES, writeHex8 } from './stamp.js';
import { TimeQueue } from './time-queue.js';

const OP_CLOSE = 8;
const OP_PING = 9;

export class LoadConnection implements FrameSink {
  readonly #run: RunContext;
  readonly #socket: LoadSocket;
  readonly #counter: FrameCounter;
  /** This connection's sender number, or -1 when it only receives. */
  readonly senderId: number;
  /** Echo: when each message in flight was sent (or due). Publish: unused. */
  readonly inflight = new TimeQueue();
  /** Open loop: when each message due but not yet written was due. */
  readonly backlog = new TimeQueue();
  /** Publish: own messages not back yet. */
  ownInFlight = 0;
  #ringAt = 0;
  #waitingDrain = false;
  /** We sent our close frame (the end of the run): what follows is not an error. */
  closing = false;
  closed = false;

  constructor(run: RunContext, socket: LoadSocket, senderId: number) {
    this.#run = run;
    this.#socket = socket;
    this.senderId = senderId;
    this.#counter = new FrameCounter(this);
    const raw = socket.socket;
    raw.on('error', (error: NodeJS.ErrnoException) => {
      if (!this.closing) run.error(`connection error: ${error.code ?? error.message}`);
    });
    raw.on('close', () => this.#onSocketClose());
    socket.setReader((chunk) => this.#onRead(chunk));
  }

  get socket(): LoadSocket['socket'] {
    return this.#socket.socket;
  }

  /** Messages sent and not answered yet. */
  get unanswered(): number {
    return this.#run.mode === 'echo' ? this.inflight.length : this.ownInFlight;
  }

  #onRead(chunk: Buffer): void {
    this.#run.readNow = this.#run.clock();
    this.#counter.push(chunk);
    if (this.senderId >= 0 && this.#run.closedLoop) this.refill();
  }

  /** Closed loop: tops the messages in flight up to the concurrency. */
  refill(): void {
    const run = this.#run;
    if (!run.sending || this.closed) return;
    let k = run.take(run.concurrency - this.unanswered);
    while (k > 0) {
      const n = Math.min(k, run.ring.count);
      this.#write(n, false);
      k -= n;
    }
  }

  /** Open loop: writes the messages that are due, unless the socket is full (then on drain). */
  writeBacklog(): void {
    if (this.closed || this.#waitingDrain) return;
    while (this.backlog.length > 0) {
      if (this.#socket.socket.writableNeedDrain) {
        this.#waitingDrain = true;
        this.#socket.socket.once('drain', () => {
          this.#waitingDrain = false;
          this.writeBacklog();
        });
        return;
      }
      this.#write(Math.min(this.backlog.length, this.#run.ring.count), true);
    }
  }

  /** Writes `k` (<= ring size) messages, timed now or from the backlog's due times. */
  #write(k: number, due: boolean): void {
    const run = this.#run;
    const now = run.clock();
    if (!due) run.countSent(k, now);
    if (run.mode === 'echo') {
      this.#socket.socket.write(run.ring.slice(this.#ringAt, k));
      for (let i = 0; i < k; i++) this.inflight.push(due ? this.#dueTime() : now);
    } else {
      this.#socket.socket.write(this.#stamped(k, due, now));
      this.ownInFlight += k;
    }
    this.#ringAt = (this.#ringAt + k) % run.ring.count;
    if (due) run.backlogged -= k;
  }

  /** Publish: a copy of `k` frames, each stamped with its due time and this sender. */
  #stamped(k: number, due: boolean, now: number): Buffer {
    const { ring, maskAt } = this.#run;
    const length = ring.frameLength;
    const out = Buffer.allocUnsafe(k * length);
    ring.slice(this.#ringAt, k).copy(out);
    for (let i = 0, at = 0; i < k; i++, at += length) {
      const time = due ? this.#dueTime() : now;
      writeHex8(out, at + maskAt + 4, Math.floor(time) >>> 0, at + maskAt, 0);
      writeHex8(out, at + maskAt + 12, this.senderId, at + maskAt, 0);
    }
    return out;
  }

  /** The next backlog message's due time, counted as sent. */
  #dueTime(): number {
    const time = this.backlog.shift();
    this.#run.countSent(1, time);
    return time;
  }

  onMessage(
    opcode: number,
    length: number,
    bytes: Uint8Array,
    at: number,
    available: number,
  ): void {
    const run = this.#run;
    if (run.mode === 'echo') {
      if (opcode !== run.opcode || length !== run.size || this.inflight.length === 0) {
        run.error('unexpected message');
      } else {
        const sentAt = this.inflight.shift();
        run.record((run.readNow - sentAt) * 1000, sentAt);
      }
      return;
    }
    const stamp = available < STAMP_BYTES ? -1 : readHex8(bytes, at);
    if (stamp < 0) {
      run.error('unexpected message');
      return;
    }
    const latencyUs = ((Math.floor(run.readNow) >>> 0) - stamp) >>> 0;
    run.record(latencyUs * 1000, run.readNow - latencyUs);
    // Only a sender needs to know whose message it is (its own end its flight).
    if (this.senderId >= 0 && this.ownInFlight > 0 && readHex8(bytes, at + 8) === this.senderId) {
      this.ownInFlight--;
    }
  }

  onControl(opcode: number, payload: Buffer): void {
    const socket = this.#socket.socket;
    if (opcode === OP_PING && !this.closed) socket.write(pongFrame(payload));
    if (opcode !== OP_CLOSE) return;
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    if (!this.closing) {
      this.#run.error(`closed by the server: ${code}`);
      this.closing = true;
      socket.write(closeFrame(code === 1005 || code === 1006 ? 1000 : code));
    }
    this.closed = true;
    socket.end();
  }

  onProtocolError(message: string): void {
    this.#run.error(`protocol error: ${message}`);
    this.closing = true;
    this.closed = true;
    this.#socket.socket.end(closeFrame(1002));
  }

  /** The end of the run: the closing handshake, as a polite client does. */
  close(): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    this.#socket.socket.write(closeFrame(1000));
  }

  #onSocketClose(): void {
    if (!this.closing) this.#run.error('dropped without a close frame');
    this.closed = true;
    this.#run.connectionClosed();
  }
}

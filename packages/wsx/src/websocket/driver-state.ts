/**
 * The state of a driver that its helpers (inbound.ts, liveness.ts) work on, kept apart from the
 * driver's code so that they do not depend on it: the facade's interface, the flags, the rare
 * state, and {@link DriverCore}, what a helper may use of a driver.
 */

import type { Connection } from '../core/connection.js';
import type { ConnectionEvent } from '../core/events.js';
import type { TimerHandle } from '../node/clock.js';
import type { InflateJob } from '../node/deflate.js';
import type { Transport } from '../node/transport.js';
import type { ConnectionCompression } from './compression.js';
import type { MessageQueue } from './message-queue.js';
import type { ConnectionSettings } from './settings.js';

/** The facade, as the driver sees it: where events are emitted and handlers are pointed. */
export interface DriverHost {
  emit(event: string | symbol, ...args: unknown[]): boolean;
  listenerCount(event: string | symbol): number;
}

export type Callback = (error?: Error) => void;
export type Waiter = { resolve: () => void; reject: (e: Error) => void };

/** Messages that arrived before anyone listened for them. */
export type Early = { items: [Buffer, boolean][]; bytes: number; scheduled?: boolean };

/** Booleans of a driver, as bits of {@link Driver.flags}. */
export const Flag = {
  /** The transport has closed (or a client's opening failed). */
  CLOSED: 1,
  /** The events of one read are being dispatched: sends go out with that read's write. */
  IN_READ: 2,
  FLUSH_QUEUED: 4,
  /** A write returned false: a `drain` listener is waiting. */
  NEED_DRAIN: 8,
  /** Reading has started (the bytes that came with the handshake first). */
  STARTED: 16,
  /** `pause()` was called. */
  USER_PAUSED: 32,
  /** The `for await` queue is full. */
  QUEUE_PAUSED: 64,
  /** A handler failed: the connection is closing with 1011; nothing more is delivered. */
  FAILED: 128,
  /** `binaryType` 'arraybuffer'. */
  ARRAYBUFFER: 256,
  /** Reading stopped: more output is buffered than `maxBackpressure` (the peer does not read). */
  OUTPUT_BLOCKED: 512,
  /** The server's memory budget tracks this connection. */
  BUDGETED: 1024,
} as const;

/** What a connection needs only sometimes, allocated on first use. */
export class DriverRare {
  compression: ConnectionCompression | null = null;
  closeTimer: TimerHandle | null = null;
  sendCallbacks: Callback[] | null = null;
  drainWaiters: Waiter[] | null = null;
  /** Bytes that came with the handshake, waiting for reading to start. */
  head: Buffer | null = null;
  /** Events waiting for an async `message` handler to settle (read-side backpressure). */
  backlog: ConnectionEvent[] | null = null;
  /** Messages that arrived before anyone listened for them. */
  early: Early | null = null;
  /** The queue of `for await`, once iteration started. */
  messages: MessageQueue | null = null;
  topics: Set<string> | null = null;
  dropped = 0;
  /** When the connection went over `maxBackpressure` (0: it is not). */
  overSince = 0;
  protocol = '';
  url = '';
  /** Aborts a client's opening handshake in progress. */
  abortOpening: ((error: Error) => void) | null = null;
  /** A compressed message being inflated in slices (the memory budget counts its output). */
  inflating: InflateJob | null = null;
}

/** What the driver's helpers may use of it. */
export interface DriverCore {
  readonly ws: DriverHost;
  readonly settings: ConnectionSettings<DriverHost>;
  readonly connection: Connection | null;
  readonly transport: Transport | null;
  readonly rare: DriverRare;
  readonly rareOrNull: DriverRare | null;
  readonly bufferedAmount: number;
  lastReceived: number;
  lastMessage: number;
  pingSentAt: number;
  has(flag: number): boolean;
  set(flag: number, on: boolean): void;
  /** Fails the connection for an exception of application code (1011). */
  fail(error: unknown): void;
  report(error: Error, fromApplication: boolean): void;
  updateReading(): void;
  takeEvents(): void;
  flush(): void;
  requestFlush(): void;
  account(): void;
  close(code: number | undefined, reason: string): void;
  terminate(): void;
  slowConsumer(reason: string): void;
}

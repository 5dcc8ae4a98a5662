/**
 * Handing a connection's events to the application: `message` handlers and listeners, the
 * `for await` queue, `ping`/`pong`, and errors.
 *
 * Timing, decided and documented: events are dispatched synchronously, as soon as the read that
 * carried them is parsed, in order. An async `message` handler gets one message at a time: its
 * connection's later events wait in a backlog and the transport is not read until its promise
 * settles (read-side backpressure). Messages that arrive before anyone listens for them (a client
 * that awaits something else after `connect()`, a server that attaches listeners after an await)
 * are kept, up to {@link EARLY_LIMIT}, for the first listener or `for await` loop.
 */

import type { ConnectionEvent } from '../core/events.js';
import { asBuffer } from '../node/runtime.js';
import { type DriverCore as Driver, Flag } from './driver-state.js';

/** How much a connection keeps of messages that arrive before anyone listens for them. */
const EARLY_LIMIT = { messages: 64, bytes: 1024 * 1024 };

/** Dispatches `events` unless a backlog is waiting (then they join it, in order). */
export function dispatchEvents(driver: Driver, events: readonly ConnectionEvent[]): void {
  const rare = driver.rareOrNull;
  if (rare !== null && rare.backlog !== null) rare.backlog.push(...events);
  else dispatchFrom(driver, events, 0);
}

/** Dispatches events from `from`; stops (and holds reading) at an async handler in progress. */
function dispatchFrom(driver: Driver, events: readonly ConnectionEvent[], from: number): void {
  driver.set(Flag.IN_READ, true);
  for (let i = from; i < events.length && !driver.has(Flag.FAILED); i++) {
    const pending = dispatchOne(driver, events[i]!);
    if (pending !== null) {
      driver.rare.backlog = events.slice(i + 1);
      driver.updateReading();
      pending.then(
        () => continueBacklog(driver),
        (error: unknown) => driver.fail(error),
      );
      break;
    }
  }
  driver.set(Flag.IN_READ, false);
}

/** An async handler settled: dispatch what waited, then read (and inflate) again. */
function continueBacklog(driver: Driver): void {
  const rare = driver.rare;
  const backlog = rare.backlog;
  rare.backlog = null;
  if (backlog !== null && !driver.has(Flag.CLOSED)) dispatchFrom(driver, backlog, 0);
  if (rare.backlog === null && !driver.has(Flag.CLOSED)) {
    // Compressed messages that waited behind the handler are inflated now.
    if (driver.connection !== null) driver.takeEvents();
    driver.updateReading();
  }
  driver.flush();
}

/** Dispatches one event; returns the promise of an async `message` handler still pending. */
function dispatchOne(driver: Driver, event: ConnectionEvent): Promise<unknown> | null {
  const handlers = driver.settings.handlers;
  try {
    switch (event.type) {
      case 'text':
        return deliver(driver, event.data, false);
      case 'binary':
        return deliver(driver, event.data, true);
      case 'ping':
        handlers?.ping?.(driver.ws, asBuffer(event.data));
        driver.ws.emit('ping', asBuffer(event.data));
        return null;
      case 'pong':
        handlers?.pong?.(driver.ws, asBuffer(event.data));
        driver.ws.emit('pong', asBuffer(event.data));
        return null;
      case 'error':
        driver.report(event.error, false);
        return null;
      default:
        // 'close': reported when the transport closes, with the code and reason received.
        return null;
    }
  } catch (error) {
    driver.fail(error);
    return null;
  }
}

function deliver(driver: Driver, data: Uint8Array, isBinary: boolean): Promise<unknown> | null {
  const buffer = asBuffer(data);
  driver.lastMessage = driver.lastReceived;
  const handler = driver.settings.handlers?.message;
  const ws = driver.ws;
  const messages = driver.rareOrNull?.messages ?? null;
  if (handler === undefined && messages === null && ws.listenerCount('message') === 0) {
    keepEarly(driver, buffer, isBinary);
    return null;
  }
  messages?.push(isBinary ? buffer : buffer.toString('utf8'));
  if (driver.has(Flag.ARRAYBUFFER) && isBinary) {
    ws.emit('message', toArrayBuffer(buffer), true);
  } else {
    ws.emit('message', buffer, isBinary);
  }
  if (handler === undefined) return null;
  const result: unknown = handler(ws, buffer, isBinary);
  return isPromise(result) ? result : null;
}

/**
 * Keeps a message that arrived before anyone listens for messages, up to {@link EARLY_LIMIT};
 * an application that never listens does not make memory grow, it just loses what it ignores.
 */
function keepEarly(driver: Driver, buffer: Buffer, isBinary: boolean): void {
  const rare = driver.rare;
  rare.early ??= { items: [], bytes: 0 };
  const early = rare.early;
  if (
    early.items.length >= EARLY_LIMIT.messages ||
    early.bytes + buffer.length > EARLY_LIMIT.bytes
  ) {
    return;
  }
  early.items.push([buffer, isBinary]);
  early.bytes += buffer.length;
}

/** A consumer of messages appeared: hand it what arrived before, in order, on the next tick. */
export function deliverEarly(driver: Driver): void {
  const early = driver.rareOrNull?.early ?? null;
  if (early === null || early.items.length === 0 || early.scheduled) return;
  early.scheduled = true;
  process.nextTick(() => {
    driver.rare.early = null;
    for (const [buffer, isBinary] of early.items) {
      dispatchOne(driver, { type: isBinary ? 'binary' : 'text', data: buffer });
    }
    driver.flush();
  });
}

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(
    buffer.byteOffset,
    buffer.byteOffset + buffer.byteLength,
  ) as ArrayBuffer;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}

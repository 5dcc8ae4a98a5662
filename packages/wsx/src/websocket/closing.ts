/** What happens once a connection's transport has closed: the bookkeeping and the reports. */

import type { Connection } from '../core/connection.js';
import { CloseCode } from '../core/constants.js';
import { ConnectionClosedError, InvalidStateError } from '../core/errors.js';
import type { DriverCore } from './driver-state.js';

/**
 * Releases what the closed connection held (topics, codecs, its place in the sweep and the
 * memory budget), fails what waited on it (send callbacks, `sendAsync`, `for await`), then
 * reports the close: the `close` handler, then `close` listeners, with the code and reason the
 * peer sent (RFC 6455 §7.1.5; 1006 without a close frame).
 */
export function reportClosed(
  driver: DriverCore & { emitSafely(event: string, ...args: unknown[]): void },
  conn: Connection,
): void {
  const { settings, ws } = driver;
  const rare = driver.rareOrNull;
  if (rare !== null) {
    rare.closeTimer = null;
    rare.inflating = null;
    rare.compression?.close();
    if (rare.topics !== null) {
      for (const topic of rare.topics) settings.topics?.unsubscribe(ws, topic);
      rare.topics = null;
    }
  }
  settings.sweeper?.delete(ws as never);
  driver.account();
  failWaiters(driver);
  rare?.messages?.end(closedError(conn));
  settings.onClosed?.(ws);
  const { closeCode: code, closeReason: reason } = conn;
  try {
    settings.handlers?.close?.(ws, code, reason);
  } catch (error) {
    driver.report(error as Error, true);
  }
  driver.emitSafely('close', code, reason);
}

function failWaiters(driver: DriverCore): void {
  const rare = driver.rareOrNull;
  if (rare === null || (rare.sendCallbacks === null && rare.drainWaiters === null)) return;
  const error = new InvalidStateError('cannot send: WebSocket is not open: readyState 3');
  if (rare.sendCallbacks !== null) {
    for (const cb of rare.sendCallbacks) process.nextTick(cb, error);
    rare.sendCallbacks = null;
  }
  if (rare.drainWaiters !== null) {
    for (const w of rare.drainWaiters) w.reject(error);
    rare.drainWaiters = null;
  }
}

/**
 * Undefined for a normal closure (1000, 1001 or 1005 both ways), else the error the message
 * iterator throws: both close frames attached.
 */
export function closedError(conn: Connection | null): ConnectionClosedError | undefined {
  const received = conn?.closeReceived ?? null;
  const sent = conn?.closeSent ?? null;
  if (received !== null && sent !== null && isNormal(received.code) && isNormal(sent.code)) {
    return undefined;
  }
  return new ConnectionClosedError(received, sent, conn?.closeReceivedThenSent ?? false);
}

function isNormal(code: number): boolean {
  return (
    code === CloseCode.NORMAL_CLOSURE ||
    code === CloseCode.GOING_AWAY ||
    code === CloseCode.NO_STATUS_RECEIVED
  );
}

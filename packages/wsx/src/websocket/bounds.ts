/**
 * The bounds on what a connection holds, applied after each write: the hard cap
 * (`backpressureLimit`), reading stopped past `maxBackpressure` until the peer drains, and the
 * server's memory budget (memory-budget.ts), which tracks connections only while they hold
 * something beyond their transport's own high-water mark.
 */

import { CloseCode } from '../core/constants.js';
import { canSend } from '../core/lifecycle.js';
import type { Transport } from '../node/transport.js';
import { type DriverCore, Flag } from './driver-state.js';
import type { BudgetHolder } from './memory-budget.js';

type Bounded = DriverCore & BudgetHolder & { awaitDrain(transport: Transport): void };

/**
 * After a write. Past `backpressureLimit` the connection is a slow consumer (closed with 1008);
 * past `maxBackpressure` it is not read from until it drains, so a peer that sends pings (or
 * anything we answer) and never reads cannot make the answers pile up; and the server's memory
 * budget learns what it holds.
 */
export function checkOutput(driver: Bounded, transport: Transport): void {
  const buffered = driver.bufferedAmount;
  const settings = driver.settings;
  if (buffered > settings.backpressureLimit) closeSlowConsumer(driver, 'too much data buffered');
  if (buffered > settings.maxBackpressure && !driver.has(Flag.OUTPUT_BLOCKED)) {
    driver.set(Flag.OUTPUT_BLOCKED, true);
    driver.awaitDrain(transport);
    driver.updateReading();
  }
  accountMemory(driver);
}

/** Tells the memory budget what the connection holds beyond its transport's own buffer. */
export function accountMemory(driver: DriverCore & BudgetHolder): void {
  const budget = driver.settings.budget;
  if (budget === null) return;
  const buffered = driver.bufferedAmount;
  const output = buffered > (driver.transport?.writableHighWaterMark ?? 0) ? buffered : 0;
  const inflating = driver.rareOrNull?.inflating?.produced ?? 0;
  const held = driver.has(Flag.CLOSED) ? 0 : output + inflating;
  if (held === 0 && !driver.has(Flag.BUDGETED)) return;
  driver.set(Flag.BUDGETED, held > 0);
  budget.update(driver, held);
}

/**
 * The memory budget is spent and this connection holds the most: close it (1008 when it does
 * not read what it asked for, 1013 otherwise) and free what it holds now.
 */
export function shedConnection(driver: DriverCore): void {
  driver.set(Flag.BUDGETED, false);
  const conn = driver.connection;
  if (conn !== null && canSend(conn.phase)) {
    const notReading = driver.bufferedAmount > driver.settings.maxBackpressure;
    conn.sendClose(
      notReading ? CloseCode.POLICY_VIOLATION : CloseCode.TRY_AGAIN_LATER,
      'server memory budget exceeded',
    );
  }
  driver.terminate();
}

/**
 * The slow-consumer policy: a connection that does not read closes with 1008 (policy
 * violation; 1013 would blame the server). Its close frame waits behind the data it did not
 * read, so the close timer, not the peer, usually ends it.
 */
export function closeSlowConsumer(driver: DriverCore, reason: string): void {
  const conn = driver.connection;
  if (conn === null || !canSend(conn.phase)) return;
  conn.sendClose(CloseCode.POLICY_VIOLATION, `slow consumer: ${reason}`);
  driver.requestFlush();
}

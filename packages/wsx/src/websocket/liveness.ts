/**
 * The timed checks of one connection, run by the server's (or client's) shared sweep instead of
 * timers per connection: the heartbeat (ping after `pingInterval` of silence, drop after
 * `pongTimeout`), the idle timeout, and the slow-consumer timeout.
 */

import type { Connection } from '../core/connection.js';
import { CloseCode } from '../core/constants.js';
import type { DriverCore as Driver } from './driver-state.js';

export function sweepConnection(driver: Driver, conn: Connection, now: number): void {
  const s = driver.settings;
  if (driver.pingSentAt !== 0) {
    if (driver.lastReceived >= driver.pingSentAt) {
      driver.pingSentAt = 0;
    } else if (now - driver.pingSentAt >= s.pongTimeout) {
      // A dead peer: no answer to the ping. Terminated; its close is reported as 1006.
      driver.terminate();
      return;
    }
  }
  if (
    s.pingInterval > 0 &&
    driver.pingSentAt === 0 &&
    now - driver.lastReceived >= s.pingInterval
  ) {
    driver.pingSentAt = now;
    conn.sendPing();
    driver.requestFlush();
  }
  if (s.idleTimeout > 0 && now - driver.lastMessage >= s.idleTimeout) {
    driver.close(CloseCode.GOING_AWAY, 'idle timeout');
    return;
  }
  const rare = driver.rareOrNull;
  if (s.backpressureTimeout > 0 && driver.bufferedAmount > s.maxBackpressure) {
    const since = rare?.overSince ?? 0;
    if (since === 0) driver.rare.overSince = now;
    else if (now - since >= s.backpressureTimeout) driver.slowConsumer('too slow');
  } else if (rare !== null) {
    rare.overSince = 0;
  }
}

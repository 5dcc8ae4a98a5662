/**
 * The resolved policy of a connection: limits, timeouts, handlers, and the shared helpers
 * (sweeper, topics, memory budget) it uses. A server builds one and every connection it accepts
 * refers to it, so per-connection memory holds a pointer, not a copy of a dozen options.
 */

import { UsageError } from '../core/errors.js';
import { type Clock, systemClock } from '../node/clock.js';
import type { Handlers } from './handlers.js';
import type { MemoryBudget } from './memory-budget.js';
import { Sweeper, sweepInterval } from './sweeper.js';
import type { TopicHub } from './topic-hub.js';
import type { WebSocketOptions } from './types.js';

// Defaults, each with its reason.
/** Python websockets' default: long enough for a slow link to answer a close frame. */
const CLOSE_TIMEOUT = 10_000;
/** Keeps NAT and proxy mappings alive (many expire after 60 s idle) and finds dead peers. */
const PING_INTERVAL = 30_000;
/** A peer silent for 30 s after a ping, 60 s in all, is gone. */
const PONG_TIMEOUT = 30_000;
/** What counts as idle is the application's call: off unless asked for. */
const IDLE_TIMEOUT = 0;
/** 1 MiB of unsent data is seconds of chat for a slow phone: beyond it, topic messages drop. */
const MAX_BACKPRESSURE = 1024 * 1024;
/** A connection that cannot drain 1 MiB in 30 s is not keeping up. */
const BACKPRESSURE_TIMEOUT = 30_000;
/** A hard cap on what one connection may hold, whatever the application sends. */
const BACKPRESSURE_LIMIT = 64 * 1024 * 1024;

export interface ConnectionSettings<Peer> {
  readonly handlers: Handlers<Peer> | null;
  readonly closeTimeout: number;
  readonly pingInterval: number;
  readonly pongTimeout: number;
  readonly idleTimeout: number;
  readonly maxBackpressure: number;
  readonly backpressureTimeout: number;
  readonly backpressureLimit: number;
  readonly clock: Clock;
  /** Runs the timed checks; null when none is on. */
  readonly sweeper: Sweeper<unknown> | null;
  /** Topics of the server this connection belongs to; null for clients. */
  readonly topics: TopicHub<Peer> | null;
  /** The bound on memory held across the server's connections; null for clients. */
  readonly budget: MemoryBudget | null;
  /** Called once when the connection has closed. */
  readonly onClosed: ((ws: Peer) => void) | null;
}

const NUMERIC = [
  'maxMessageSize',
  'maxFrameSize',
  'closeTimeout',
  'pingInterval',
  'pongTimeout',
  'idleTimeout',
  'maxBackpressure',
  'backpressureTimeout',
  'backpressureLimit',
] as const;

/** The option names {@link resolveSettings} understands. */
export const CONNECTION_OPTIONS: readonly string[] = [...NUMERIC, 'clock'];

/** Throws a UsageError for a limit or timeout that is not a non-negative number. */
export function checkConnectionOptions(options: WebSocketOptions): void {
  for (const key of NUMERIC) {
    const value = options[key];
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && !Number.isNaN(value))) {
      throw new UsageError(
        `'${key}' must be a non-negative number of ${key.startsWith('max') || key.endsWith('Limit') ? 'bytes' : 'milliseconds'} (got ${String(value)})`,
      );
    }
  }
}

export interface SettingsExtras<Peer> {
  readonly handlers?: Handlers<Peer> | null;
  readonly topics?: TopicHub<Peer> | null;
  readonly budget?: MemoryBudget | null;
  readonly onClosed?: ((ws: Peer) => void) | null;
  /** Visits a connection on each sweep (the WebSocket class provides it). */
  readonly visit: (member: never, now: number) => void;
  /** The set the sweeper visits, when the owner keeps one of its connections anyway. */
  readonly members?: Set<never>;
}

export function resolveSettings<Peer>(
  options: WebSocketOptions,
  extras: SettingsExtras<Peer>,
): ConnectionSettings<Peer> {
  checkConnectionOptions(options);
  const clock = options.clock ?? systemClock;
  const pingInterval = options.pingInterval ?? PING_INTERVAL;
  const pongTimeout = options.pongTimeout ?? PONG_TIMEOUT;
  const idleTimeout = options.idleTimeout ?? IDLE_TIMEOUT;
  const backpressureTimeout = options.backpressureTimeout ?? BACKPRESSURE_TIMEOUT;
  const interval = sweepInterval(
    pingInterval,
    pingInterval > 0 ? pongTimeout : 0,
    idleTimeout,
    backpressureTimeout,
  );
  return {
    handlers: extras.handlers ?? null,
    closeTimeout: options.closeTimeout ?? CLOSE_TIMEOUT,
    pingInterval,
    pongTimeout,
    idleTimeout,
    maxBackpressure: options.maxBackpressure ?? MAX_BACKPRESSURE,
    backpressureTimeout,
    backpressureLimit: options.backpressureLimit ?? BACKPRESSURE_LIMIT,
    clock,
    sweeper:
      interval === 0
        ? null
        : new Sweeper<unknown>(
            clock,
            interval,
            extras.visit as (m: unknown, now: number) => void,
            extras.members as Set<unknown> | undefined,
          ),
    topics: extras.topics ?? null,
    budget: extras.budget ?? null,
    onClosed: extras.onClosed ?? null,
  };
}

/**
 * One connection to Redis with the settings wsx-redis relies on, and its state as two events:
 * `down` when it is lost, `up` when it is usable again (also the first time).
 *
 * node-redis does the reconnecting and restores the channels it had subscribed before
 * announcing `ready`; this file chooses the settings that make a lost or stalled Redis show
 * quickly and never let commands pile up while it is away:
 * - `disableOfflineQueue`: while disconnected, a command fails at once instead of waiting.
 * - `pingInterval` + `socketTimeout`: a PING keeps data flowing on a healthy connection, so a
 *   connection silent for `socketTimeout` is a stopped or unreachable Redis (a partition: TCP
 *   stays up and nothing comes back). It is then torn down: commands waiting for a reply fail,
 *   and reconnecting starts.
 * - a reconnect strategy that never gives up (node-redis's default stops after a socket timeout).
 * - RESP3, so a connection carries subscriptions and ordinary commands together.
 */

import { EventEmitter } from 'node:events';
import { createClient, type RedisClientOptions } from 'redis';

/** How a connection checks its health and reconnects. */
export interface HealthOptions {
  /** A PING is sent after this many ms without one (default 1000). */
  pingInterval?: number;
  /**
   * A connection that receives nothing for this long is considered lost and reconnected
   * (default 3000: three missed PINGs). Must be larger than `pingInterval`.
   */
  timeout?: number;
  /** The longest wait between two reconnection attempts, in ms (default 2000). */
  maxReconnectDelay?: number;
}

export type RedisConnectionOptions = Omit<RedisClientOptions, 'RESP'>;

/** The events of a {@link RedisLink}. */
export interface LinkEvents {
  down: [cause: Error];
  up: [];
}

/** Builds a node-redis client with the settings above on top of the user's options. */
function buildClient(options: RedisConnectionOptions, health: HealthOptions) {
  const pingInterval = health.pingInterval ?? 1000;
  const timeout = health.timeout ?? 3000;
  const maxDelay = health.maxReconnectDelay ?? 2000;
  if (!(timeout > pingInterval)) {
    throw new RangeError(`health.timeout (${timeout}) must be larger than pingInterval`);
  }
  return createClient({
    ...options,
    RESP: 3,
    disableOfflineQueue: true,
    pingInterval,
    // No timer per command (node-redis arms an AbortSignal.timeout for each by default, a cost
    // on every publish): a stalled Redis is found by the socket timeout, which fails them all.
    commandOptions: { ...options.commandOptions, timeout: options.commandOptions?.timeout ?? 0 },
    socket: {
      ...options.socket,
      socketTimeout: timeout,
      connectTimeout: options.socket?.connectTimeout ?? timeout,
      // Exponential back-off from 50 ms with up to 100 ms of jitter, so that processes that
      // lost Redis together do not all come back in the same millisecond.
      reconnectStrategy: (retries: number) =>
        Math.min(50 * 2 ** Math.min(retries, 10), maxDelay) + Math.floor(Math.random() * 100),
    },
  } as RedisClientOptions);
}

export type LinkClient = ReturnType<typeof buildClient>;

export class RedisLink extends EventEmitter<LinkEvents> {
  readonly client: LinkClient;
  #state: 'new' | 'up' | 'down' | 'closed' = 'new';
  #lastError: Error | null = null;

  constructor(options: RedisConnectionOptions, health: HealthOptions = {}) {
    super();
    this.client = buildClient(options, health);
    // node-redis emits 'error' for every failed attempt and lost connection, and for a PING
    // that failed (an EventEmitter without an 'error' listener would throw). It is the cause;
    // 'reconnecting', which follows whenever the connection is really gone, is the event.
    this.client.on('error', (error: Error) => {
      this.#lastError = error;
    });
    this.client.on('reconnecting', () => {
      if (this.#state === 'down' || this.#state === 'closed') return;
      this.#state = 'down';
      this.emit('down', this.#lastError ?? new Error('the connection to Redis was lost'));
    });
    this.client.on('ready', () => {
      if (this.#state === 'up' || this.#state === 'closed') return;
      this.#state = 'up';
      this.#lastError = null;
      this.emit('up');
    });
  }

  /** Whether commands can be sent now. */
  get up(): boolean {
    return this.#state === 'up';
  }

  /** Connects; resolves once the connection is ready (node-redis retries until it is). */
  async connect(): Promise<void> {
    if (this.client.isOpen) return;
    await this.client.connect();
  }

  /** Closes the connection: commands still waiting for a reply fail. */
  close(): void {
    this.#state = 'closed';
    if (this.client.isOpen) this.client.destroy();
  }
}

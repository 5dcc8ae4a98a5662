/**
 * A connection to Redis (one server, or a Redis Cluster) with the settings wsx-redis relies on,
 * and its state as two events: `down` when it is lost, `up` when it is usable again (also the
 * first time).
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
 * - no timer per command (node-redis arms an AbortSignal.timeout for each by default, a cost on
 *   every publish): a stalled Redis is found by the socket timeout, which fails them all.
 */

import { EventEmitter } from 'node:events';
import {
  createClient,
  createCluster,
  type RedisClientOptions,
  type RedisClusterOptions,
} from 'redis';
import type { RedisCommands } from './commands.js';

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

/** Options of a connection to one Redis: node-redis client options (`url`, `socket`, ...). */
export type RedisConnectionOptions = Omit<RedisClientOptions, 'RESP'>;

/** Options of a connection to a Redis Cluster: node-redis cluster options (`rootNodes`, ...). */
export type RedisClusterConnectionOptions = Omit<RedisClusterOptions, 'RESP'>;

/** Where to connect: one Redis (`redis`), or a cluster (`cluster`), not both. */
export interface Target {
  redis?: RedisConnectionOptions;
  cluster?: RedisClusterConnectionOptions;
}

/** The events of a {@link RedisLink}. */
export interface LinkEvents {
  down: [cause: Error];
  up: [];
}

/** The settings above, on top of the user's options for one connection. */
function connectionSettings(options: RedisConnectionOptions, health: HealthOptions) {
  const pingInterval = health.pingInterval ?? 1000;
  const timeout = health.timeout ?? 3000;
  const maxDelay = health.maxReconnectDelay ?? 2000;
  if (!(timeout > pingInterval)) {
    throw new RangeError(`health.timeout (${timeout}) must be larger than pingInterval`);
  }
  return {
    ...options,
    RESP: 3,
    disableOfflineQueue: true,
    pingInterval,
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
  } as RedisClientOptions;
}

/** What {@link clusterReady} reads of a cluster client (its generics do not unite). */
interface ClusterView {
  readonly isReady: boolean;
  readonly masters: readonly {
    client?: { isReady: boolean } | undefined;
    pubSub?: { client: { isReady: boolean } } | undefined;
  }[];
  readonly pubSubNode?: { client: { isReady: boolean } } | undefined;
}

/** Whether every connection the cluster client has opened (commands, pub/sub) is ready. */
function clusterReady(cluster: ClusterView): boolean {
  if (!cluster.isReady) return false;
  for (const master of cluster.masters) {
    if (master.client !== undefined && !master.client.isReady) return false;
    if (master.pubSub !== undefined && !master.pubSub.client.isReady) return false;
  }
  const node = cluster.pubSubNode;
  return node === undefined || node.client.isReady;
}

/** What a link tells its connection's events to. */
interface StateSink {
  cause(error: Error): void;
  down(): void;
  up(): void;
}

/** A node-redis client or cluster client, behind the few calls a link makes. */
interface Connection {
  readonly client: RedisCommands;
  open(): Promise<unknown>;
  destroy(): void;
  isOpen(): boolean;
}

function serverConnection(
  options: RedisConnectionOptions,
  health: HealthOptions,
  sink: StateSink,
): Connection {
  const client = createClient(connectionSettings(options, health));
  // node-redis emits 'error' for every failed attempt and lost connection, and for a PING that
  // failed (an EventEmitter without an 'error' listener would throw). It is the cause;
  // 'reconnecting', which follows whenever the connection is really gone, is the event.
  client.on('error', (error: Error) => sink.cause(error));
  client.on('reconnecting', () => sink.down());
  client.on('ready', () => sink.up());
  return {
    client: client as unknown as RedisCommands,
    open: () => client.connect(),
    destroy: () => client.destroy(),
    isOpen: () => client.isOpen,
  };
}

function clusterConnection(
  options: RedisClusterConnectionOptions,
  health: HealthOptions,
  sink: StateSink,
): Connection {
  const cluster = createCluster({
    ...options,
    RESP: 3,
    defaults: connectionSettings(options.defaults ?? {}, health),
  } as RedisClusterOptions);
  // 'node-error' is the cause; 'node-reconnecting', which follows when one of the cluster
  // client's connections is really gone, is the event; ready again when all of them are.
  cluster.on('error', (error: Error) => sink.cause(error));
  cluster.on('node-error', (error: Error) => sink.cause(error));
  cluster.on('node-reconnecting', () => sink.down());
  cluster.on('node-ready', () => clusterReady(cluster as unknown as ClusterView) && sink.up());
  return {
    client: cluster as unknown as RedisCommands,
    async open() {
      await cluster.connect();
      sink.up();
    },
    destroy: () => cluster.destroy(),
    isOpen: () => cluster.isOpen,
  };
}

export class RedisLink extends EventEmitter<LinkEvents> {
  /** The commands wsx-redis sends, on a client or a cluster alike. */
  readonly client: RedisCommands;
  readonly #connection: Connection;
  #state: 'new' | 'up' | 'down' | 'closed' = 'new';
  #lastError: Error | null = null;

  constructor(target: Target, health: HealthOptions = {}) {
    super();
    if (target.redis !== undefined && target.cluster !== undefined) {
      throw new TypeError("give 'redis' (one server) or 'cluster', not both");
    }
    const sink: StateSink = {
      cause: (error) => {
        this.#lastError = error;
      },
      down: () => this.#down(),
      up: () => this.#up(),
    };
    this.#connection =
      target.cluster === undefined
        ? serverConnection(target.redis ?? {}, health, sink)
        : clusterConnection(target.cluster, health, sink);
    this.client = this.#connection.client;
  }

  /** Whether commands can be sent now. */
  get up(): boolean {
    return this.#state === 'up';
  }

  /** Connects; resolves once the connection is ready (node-redis retries until it is). */
  async connect(): Promise<void> {
    if (this.#connection.isOpen()) return;
    await this.#connection.open();
  }

  /** Closes the connection: commands still waiting for a reply fail. */
  close(): void {
    this.#state = 'closed';
    if (this.#connection.isOpen()) this.#connection.destroy();
  }

  #down(): void {
    if (this.#state === 'down' || this.#state === 'closed') return;
    this.#state = 'down';
    this.emit('down', this.#lastError ?? new Error('the connection to Redis was lost'));
  }

  #up(): void {
    if (this.#state === 'up' || this.#state === 'closed') return;
    this.#state = 'up';
    this.#lastError = null;
    this.emit('up');
  }
}

/**
 * Presence across processes: who is in a topic (a room, a document, "online"), whatever process
 * each member is connected to.
 *
 * Each process keeps its own members in memory, which is the truth for that process, and mirrors
 * them to Redis (see presence-store.ts). It announces itself alive with a heartbeat every
 * `heartbeatInterval`, valid for `ttl`; readers ignore the entries of a process whose heartbeat
 * has lapsed, so the members of a crashed process disappear within `ttl` of its last heartbeat,
 * and the first process to notice removes what it left. A process that lost Redis for a while,
 * or that Redis forgot (a restart without persistence, or it stalled past `ttl` and was
 * removed), writes its members again at its next heartbeat.
 *
 * Times are read from `clock.now()`, milliseconds since the epoch, compared across processes:
 * hosts are expected to keep their clocks within a small fraction of `ttl` (NTP does).
 */

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle, WebSocket } from 'wsx';
import {
  type HealthOptions,
  type RedisClusterConnectionOptions,
  type RedisConnectionOptions,
  RedisLink,
} from './link.js';
import { PresenceStore } from './presence-store.js';

export interface RedisPresenceOptions {
  /** How to reach Redis: node-redis client options (`url`, `socket`, ...). */
  redis?: RedisConnectionOptions;
  /** Or a Redis Cluster: node-redis cluster options (`rootNodes`, `defaults`, ...). */
  cluster?: RedisClusterConnectionOptions;
  /** Put before every key (default `'wsx:'`). */
  prefix?: string;
  /** A heartbeat is valid this long, in ms (default 15,000): the bound on a crashed process. */
  ttl?: number;
  /** Time between heartbeats, in ms (default 5,000); at most a third of `ttl`. */
  heartbeatInterval?: number;
  /** Timers and the time; `now()` in ms since the epoch (default: `Date.now` and real timers). */
  clock?: Clock;
  /** This process's id in Redis (default: 16 random bytes, hex). No `:` in it. */
  processId?: string;
  /** Health checks and reconnection of the connection. */
  health?: HealthOptions;
}

/** A member of a topic, as every process sees it. */
export interface PresenceMember {
  readonly id: string;
  /** What the member joined with (the latest, when it is connected through several processes). */
  readonly data: string;
  /** How many processes it is connected through. */
  readonly processes: number;
}

export interface RedisPresenceEvents {
  /** Redis is unreachable: joins and leaves are kept here and written when it is back. */
  down: [cause: Error];
  /** Connected (also the first time). */
  up: [];
  /** This process's members were written to Redis again (after an outage, or a reap). */
  resynced: [];
  /** A heartbeat or a cleanup failed for a reason other than Redis being away. */
  error: [error: Error];
}

/** The real clock, with wall-clock time. Timers are unref'd: they never keep a process alive. */
const wallClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Dead processes cleaned up per heartbeat, at most: the rest wait for the next one. */
const REAP_PER_HEARTBEAT = 8;

interface LocalMember {
  data: string;
  refs: number;
}

export class RedisPresence extends EventEmitter<RedisPresenceEvents> {
  readonly processId: string;
  readonly #ttl: number;
  readonly #interval: number;
  readonly #clock: Clock;
  readonly #link: RedisLink;
  readonly #store: PresenceStore;
  /** topic -> member -> { data, how many joins } */
  readonly #local = new Map<string, Map<string, LocalMember>>();
  /** A write failed: the next heartbeat rewrites everything. */
  #dirty = false;
  #timer: TimerHandle | null = null;
  #closed = false;
  #started = false;
  #beating: Promise<void> | null = null;

  constructor(options: RedisPresenceOptions = {}) {
    super();
    const known = [
      'redis',
      'cluster',
      'prefix',
      'ttl',
      'heartbeatInterval',
      'clock',
      'processId',
      'health',
    ];
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) throw new TypeError(`unknown RedisPresence option '${key}'`);
    }
    this.processId = options.processId ?? randomBytes(16).toString('hex');
    if (this.processId.includes(':')) throw new TypeError('processId cannot contain ":"');
    this.#ttl = options.ttl ?? 15_000;
    this.#interval = options.heartbeatInterval ?? 5_000;
    if (!(this.#interval > 0 && this.#interval * 3 <= this.#ttl)) {
      throw new RangeError('heartbeatInterval must be positive and at most a third of ttl');
    }
    this.#clock = options.clock ?? wallClock;
    this.#link = new RedisLink(options, options.health);
    this.#store = new PresenceStore(this.#link.client, options.prefix ?? 'wsx:');
    this.#link.on('down', (cause) => {
      this.#dirty = true;
      this.emit('down', cause);
    });
    this.#link.on('up', () => {
      this.emit('up');
      void this.heartbeat();
    });
  }

  /** Connects, sends the first heartbeat and starts the timer. */
  async connect(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#link.connect();
    await this.heartbeat();
    this.#schedule();
  }

  /**
   * `member` joins `topic` through this process, with `data` (e.g. JSON of a display name).
   * Joins are counted: a member that joined twice (two tabs) stays until it left twice.
   * Resolves true once written to Redis, false when Redis is away (written when it is back).
   */
  join(topic: string, member: string, data = ''): Promise<boolean> {
    let members = this.#local.get(topic);
    if (members === undefined) {
      members = new Map();
      this.#local.set(topic, members);
    }
    const entry = members.get(member);
    if (entry !== undefined) {
      entry.refs++;
      if (entry.data === data) return Promise.resolve(true);
      entry.data = data;
    } else members.set(member, { data, refs: 1 });
    return this.#write(this.#store.add(this.processId, topic, member, data));
  }

  /** Undoes one `join`. Resolves as `join` does. */
  leave(topic: string, member: string): Promise<boolean> {
    const members = this.#local.get(topic);
    const entry = members?.get(member);
    if (members === undefined || entry === undefined) return Promise.resolve(true);
    if (--entry.refs > 0) return Promise.resolve(true);
    members.delete(member);
    if (members.size === 0) this.#local.delete(topic);
    return this.#write(this.#store.remove(this.processId, topic, member, members.size === 0));
  }

  /** `member` joins `topic` for as long as `ws` is open (not at all if it is closed already). */
  track(ws: WebSocket<unknown>, topic: string, member: string, data = ''): Promise<boolean> {
    if (ws.readyState === ws.CLOSED) return Promise.resolve(true);
    ws.once('close', () => void this.leave(topic, member));
    return this.join(topic, member, data);
  }

  /** The members of `topic` on every live process, by id. Rejects when Redis is away. */
  async members(topic: string): Promise<PresenceMember[]> {
    const entries = await this.#store.members(topic, this.#clock.now());
    const byId = new Map<string, { data: string; processes: number }>();
    for (const { member, data } of entries) {
      const seen = byId.get(member);
      if (seen === undefined) byId.set(member, { data, processes: 1 });
      else seen.processes++;
    }
    return [...byId].map(([id, { data, processes }]) => ({ id, data, processes }));
  }

  /** The members of `topic` through this process only (no Redis involved). */
  localMembers(topic: string): string[] {
    return [...(this.#local.get(topic)?.keys() ?? [])];
  }

  /**
   * One heartbeat now: extends this process's life, rewrites its members if Redis lost them
   * or a write failed, and removes what dead processes left. Runs by itself every
   * `heartbeatInterval`.
   */
  heartbeat(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => {
      this.#beating = null;
    });
    return this.#beating;
  }

  /** Removes this process's members from Redis (others see them leave at once) and closes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    await this.#beating?.catch(() => {});
    if (this.#link.up) await this.#store.removeProcess(this.processId).catch(() => {});
    this.#link.close();
  }

  async #beat(): Promise<void> {
    if (this.#closed || !this.#link.up) return;
    try {
      const now = this.#clock.now();
      const forgotten = await this.#store.heartbeat(this.processId, now + this.#ttl);
      if (forgotten || this.#dirty) {
        this.#dirty = false;
        await this.#store.replaceAll(this.processId, this.#snapshot());
        if (this.#local.size > 0 || forgotten) this.emit('resynced');
      }
      for (const dead of await this.#store.deadProcesses(now, REAP_PER_HEARTBEAT)) {
        if (dead !== this.processId) await this.#store.removeProcess(dead);
      }
    } catch (error) {
      this.#dirty = true;
      if (this.#link.up && this.listenerCount('error') > 0) this.emit('error', error as Error);
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      void this.heartbeat().finally(() => this.#schedule());
    }, this.#interval);
  }

  #snapshot(): Map<string, Map<string, string>> {
    const out = new Map<string, Map<string, string>>();
    for (const [topic, members] of this.#local) {
      out.set(topic, new Map([...members].map(([id, m]) => [id, m.data])));
    }
    return out;
  }

  #write(operation: Promise<void>): Promise<boolean> {
    return operation.then(
      () => true,
      () => {
        this.#dirty = true;
        return false;
      },
    );
  }
}

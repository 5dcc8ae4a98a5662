/**
 * One client connection's state (wsx's `ws.data`): the signed-in user, the rooms it receives,
 * its rate limits, and the requests waiting behind one that changes what the connection is in
 * (hello, join, leave, ...), so a pipelined request never runs before the one it depends on.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'wsx';
import type { Request } from '../protocol/requests.js';
import type { Link } from '../service/link.js';
import { type Now, TokenBucket } from '../service/token-bucket.js';
import type { User } from '../store/types.js';

export interface ConnectionLimits {
  /** Requests per second a connection may make on average... */
  readonly ratePerSecond: number;
  /** ...and in a burst. */
  readonly burst: number;
  /**
   * Requests refused for the rate in a burst before the connection is closed with 1008: the
   * abuse goes on. The allowance refills at one per second.
   */
  readonly strikes: number;
}

/** Node-unique prefix, so connection ids stay unique across the nodes of a cluster. */
const NODE = randomBytes(6).toString('base64url');
let counter = 0;

/**
 * Kept small: an idle signed-in user costs this object, wsx's connection and its topic
 * entries. What only some connections need (the abuse allowance, a backlog) is made on first use.
 */
export class ChatConnection implements Link {
  readonly #serial = ++counter;
  readonly user: User;
  /** The hash of the session token it signed in with (sign-out closes it). */
  readonly session: string;
  readonly rooms = new Set<number>();
  readonly present = new Set<number>();
  readonly bucket: TokenBucket;
  readonly #limits: ConnectionLimits;
  readonly #now: Now;
  #strikes: TokenBucket | null = null;
  #backlog: Request[] | null = null;
  /** Set in the `open` handler. */
  ws: WebSocket | null = null;
  /** 'new': hello not yet received; 'hello': being answered; 'ready'. */
  state: 'new' | 'hello' | 'ready' = 'new';
  /** True while a request that others depend on runs. */
  blocked = false;
  closed = false;

  constructor(user: User, session: string, limits: ConnectionLimits, now: Now) {
    this.user = user;
    this.session = session;
    this.#limits = limits;
    this.#now = now;
    this.bucket = new TokenBucket(limits.burst, limits.ratePerSecond, now);
  }

  get id(): string {
    return `${NODE}.${this.#serial.toString(36)}`;
  }

  /** Requests refused for the rate that the connection may still make before it is closed. */
  get strikes(): TokenBucket {
    this.#strikes ??= new TokenBucket(this.#limits.strikes, 1, this.#now);
    return this.#strikes;
  }

  /** Requests waiting behind a barrier, in order. */
  get backlog(): Request[] {
    this.#backlog ??= [];
    return this.#backlog;
  }

  hasBacklog(): boolean {
    return this.#backlog !== null && this.#backlog.length > 0;
  }

  send(text: string): void {
    if (!this.closed) this.ws?.send(text);
  }

  subscribe(topic: string): void {
    if (!this.closed) this.ws?.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    this.ws?.unsubscribe(topic);
  }
}

/**
 * Keeps the Redis channels a process is subscribed to equal to the topics it has local
 * subscribers for, one command at a time per channel.
 *
 * Subscribing takes a round trip, and a topic can lose its last subscriber before the reply
 * comes (or gain one back while an unsubscribe is on its way); node-redis also cannot cancel a
 * subscribe whose reply has not come yet. So the wanted state is recorded at once, and each
 * channel is brought to it by at most one command in flight, checking again when it settles. A
 * command that fails (Redis away) leaves the channel as it was; `resync()` after reconnecting
 * brings every channel to its wanted state.
 */

export interface ChannelCommands {
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Whether commands can be sent now (they fail at once otherwise). */
  readonly ready: boolean;
}

export class ChannelSync {
  readonly #commands: ChannelCommands;
  readonly #onError: (error: Error, channel: string) => void;
  /** The channels this process should be subscribed to. */
  readonly #wanted = new Set<string>();
  /** The channels Redis confirmed a subscription to (and no unsubscribe since). */
  readonly #subscribed = new Set<string>();
  /** Channels with a command in flight, and the promise of its settling. */
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Who waits for a channel to be subscribed (or no longer wanted). */
  readonly #waiters = new Map<string, ((subscribed: boolean) => void)[]>();

  constructor(commands: ChannelCommands, onError: (error: Error, channel: string) => void) {
    this.#commands = commands;
    this.#onError = onError;
  }

  /** Records that `channel` is (or is no longer) wanted, and starts bringing Redis there. */
  want(channel: string, wanted: boolean): void {
    if (wanted) this.#wanted.add(channel);
    else this.#wanted.delete(channel);
    this.#step(channel);
  }

  /**
   * Resolves true once Redis confirmed the subscription to `channel` (at once if it has),
   * false if the channel stops being wanted first. Waits through an outage.
   */
  subscribed(channel: string): Promise<boolean> {
    if (this.#subscribed.has(channel)) return Promise.resolve(true);
    if (!this.#wanted.has(channel)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const list = this.#waiters.get(channel);
      if (list === undefined) this.#waiters.set(channel, [resolve]);
      else list.push(resolve);
    });
  }

  /** The channels wanted now. */
  wanted(): string[] {
    return [...this.#wanted];
  }

  /** How many channels Redis has confirmed a subscription to. */
  get subscribedCount(): number {
    return this.#subscribed.size;
  }

  /**
   * After a reconnection (node-redis restored what it had confirmed): brings every channel to
   * its wanted state, and resolves when no command is in flight any more.
   */
  async resync(): Promise<void> {
    for (const channel of new Set([...this.#wanted, ...this.#subscribed])) this.#step(channel);
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.values());
  }

  /** Forgets everything (the connection is closed for good). */
  clear(): void {
    this.#wanted.clear();
    this.#subscribed.clear();
    for (const channel of [...this.#waiters.keys()]) this.#wake(channel, false);
  }

  #wake(channel: string, subscribed: boolean): void {
    const list = this.#waiters.get(channel);
    if (list === undefined) return;
    this.#waiters.delete(channel);
    for (const resolve of list) resolve(subscribed);
  }

  #step(channel: string): void {
    const wanted = this.#wanted.has(channel);
    if (!wanted) this.#wake(channel, false);
    if (this.#inFlight.has(channel) || !this.#commands.ready) return;
    if (wanted === this.#subscribed.has(channel)) return;
    const command = wanted
      ? this.#commands.subscribe(channel)
      : this.#commands.unsubscribe(channel);
    const settled = command.then(
      () => {
        if (wanted) this.#subscribed.add(channel);
        else this.#subscribed.delete(channel);
        this.#inFlight.delete(channel);
        if (wanted && this.#wanted.has(channel)) this.#wake(channel, true);
        this.#step(channel);
      },
      (error: Error) => {
        this.#inFlight.delete(channel);
        // Redis is away: resync() runs when it is back. Otherwise the command itself failed
        // (an ACL, a cluster error): tell the application, and leave the channel as it is.
        if (this.#commands.ready) this.#onError(error, channel);
      },
    );
    this.#inFlight.set(channel, settled);
  }
}

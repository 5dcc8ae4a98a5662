/**
 * Who is online in which room, across nodes, on wsx-redis's `RedisPresence`: each node writes
 * its own users (per-process heartbeats; a node that dies takes its users with it within the
 * presence TTL). A user counts once per node however many connections they have there; the
 * broker's `enter`/`exit` answer whether the user just came online or went offline in the room
 * anywhere, which decides the `presence` events.
 */
import type { RedisPresence } from 'wsx-redis';

const topicOf = (room: number) => `room:${room}`;

export class RedisRoomPresence {
  readonly #presence: RedisPresence;
  /** room -> user -> this node's connections of the user present in the room. */
  readonly #local = new Map<number, Map<number, number>>();

  constructor(presence: RedisPresence) {
    this.#presence = presence;
  }

  /** True when it is the user's first connection in the room on every node. */
  async enter(room: number, user: number): Promise<boolean> {
    let users = this.#local.get(room);
    if (users === undefined) {
      users = new Map();
      this.#local.set(room, users);
    }
    const count = (users.get(user) ?? 0) + 1;
    users.set(user, count);
    await this.#presence.join(topicOf(room), String(user));
    return count === 1 && (await this.#nodesWith(room, user, 1)) <= 1;
  }

  /** True when it was the user's last connection in the room on every node. */
  async exit(room: number, user: number): Promise<boolean> {
    const users = this.#local.get(room);
    const count = users?.get(user);
    if (users === undefined || count === undefined) return false;
    if (count > 1) users.set(user, count - 1);
    else users.delete(user);
    if (users.size === 0) this.#local.delete(room);
    await this.#presence.leave(topicOf(room), String(user));
    return count === 1 && (await this.#nodesWith(room, user, 0)) === 0;
  }

  /** The users online in the room on every node (this node's only, while Redis is away). */
  async online(room: number): Promise<number[]> {
    try {
      const members = await this.#presence.members(topicOf(room));
      return members.map((m) => Number(m.id));
    } catch {
      return [...(this.#local.get(room)?.keys() ?? [])];
    }
  }

  /** On how many nodes the user is in the room (`assumed` while Redis is away). */
  async #nodesWith(room: number, user: number, assumed: number): Promise<number> {
    try {
      const members = await this.#presence.members(topicOf(room));
      return members.find((m) => m.id === String(user))?.processes ?? 0;
    } catch {
      return assumed;
    }
  }
}

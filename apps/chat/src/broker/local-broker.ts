/**
 * The in-process RoomBroker: one node, so publishing is delivering, and presence is a count of
 * connections per user per room in memory.
 */
import type { DeliverHandler, RoomBroker, RoomEvent, UserEvent } from './room-broker.js';

export class LocalBroker implements RoomBroker {
  #deliver: DeliverHandler = () => {};
  /**
   * room -> user -> how many of the user's connections are present. Counts, not connection
   * ids: on one node the service pairs every enter with one exit (a broker shared by nodes
   * keeps the ids, to forget a node's connections when it dies).
   */
  readonly #presence = new Map<number, Map<number, number>>();

  onDeliver(handler: DeliverHandler): void {
    this.#deliver = handler;
  }

  publishRoom(event: RoomEvent): void {
    this.#deliver({ kind: 'room', event });
  }

  publishUser(event: UserEvent): void {
    this.#deliver({ kind: 'user', event });
  }

  publishAll(frame: string): void {
    this.#deliver({ kind: 'all', frame });
  }

  enter(room: number, user: number, _connection: string): boolean {
    let users = this.#presence.get(room);
    if (users === undefined) {
      users = new Map();
      this.#presence.set(room, users);
    }
    const count = (users.get(user) ?? 0) + 1;
    users.set(user, count);
    return count === 1;
  }

  exit(room: number, user: number, _connection: string): boolean {
    const users = this.#presence.get(room);
    const count = users?.get(user);
    if (users === undefined || count === undefined) return false;
    if (count > 1) {
      users.set(user, count - 1);
      return false;
    }
    users.delete(user);
    if (users.size === 0) this.#presence.delete(room);
    return true;
  }

  online(room: number): number[] {
    return [...(this.#presence.get(room)?.keys() ?? [])];
  }

  // One node: every event is delivered here, whatever the node watches.
  watchRoom(_room: number): void {}
  unwatchRoom(_room: number): void {}
  watchUser(_user: number): void {}
  unwatchUser(_user: number): void {}

  async close(): Promise<void> {
    this.#presence.clear();
  }
}

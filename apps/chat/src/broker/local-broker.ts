/**
 * The in-process RoomBroker: one node, so publishing is delivering, and presence is a count of
 * connections per user per room in memory.
 */
import type { DeliverHandler, RoomBroker, RoomEvent, UserEvent } from './room-broker.js';

export class LocalBroker implements RoomBroker {
  #deliver: DeliverHandler = () => {};
  /** room -> user -> that user's connections present in the room */
  readonly #presence = new Map<number, Map<number, Set<string>>>();

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
    this.#deliver({ kind: 'room', event: { room: 0, frame } });
  }

  enter(room: number, user: number, connection: string): boolean {
    let users = this.#presence.get(room);
    if (users === undefined) {
      users = new Map();
      this.#presence.set(room, users);
    }
    let connections = users.get(user);
    if (connections === undefined) {
      connections = new Set();
      users.set(user, connections);
    }
    connections.add(connection);
    return connections.size === 1;
  }

  exit(room: number, user: number, connection: string): boolean {
    const users = this.#presence.get(room);
    const connections = users?.get(user);
    if (users === undefined || connections === undefined || !connections.delete(connection))
      return false;
    if (connections.size > 0) return false;
    users.delete(user);
    if (users.size === 0) this.#presence.delete(room);
    return true;
  }

  online(room: number): number[] {
    return [...(this.#presence.get(room)?.keys() ?? [])];
  }

  async close(): Promise<void> {
    this.#presence.clear();
  }
}

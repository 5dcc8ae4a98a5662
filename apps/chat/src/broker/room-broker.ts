/**
 * The fan-out seam. A broker carries live events to every node serving the room or user they
 * are for, and keeps presence (which users have a connection in which room) across nodes. The
 * in-process broker (local-broker.ts) is the default; a Redis broker for several nodes
 * implements the same interface.
 *
 * Events travel as plain JSON-safe objects: `frame` is the text every client receives, built
 * once by the publisher. A broker calls the deliver handler once per event on each node, and
 * keeps one room's (and one user's) events in the order they were published.
 */

/** An event for every connection in a room. `seq` is set for stored messages only. */
export interface RoomEvent {
  readonly room: number;
  readonly frame: string;
  readonly seq?: number;
}

/**
 * An event for every connection of one user (their tabs and devices). `joinRoom`/`leaveRoom`
 * tell each node to add or remove that user's connections to or from a room's fan-out.
 */
export interface UserEvent {
  readonly user: number;
  readonly frame: string;
  readonly joinRoom?: number;
  readonly leaveRoom?: number;
}

export type BrokerEvent =
  | { kind: 'room'; event: RoomEvent }
  | { kind: 'user'; event: UserEvent }
  | { kind: 'all'; frame: string };

export type DeliverHandler = (event: BrokerEvent) => void;

type MaybePromise<T> = T | Promise<T>;

export interface RoomBroker {
  /** Sets the handler that delivers events on this node (called once, before any publish). */
  onDeliver(handler: DeliverHandler): void;
  publishRoom(event: RoomEvent): MaybePromise<void>;
  publishUser(event: UserEvent): MaybePromise<void>;
  /** An event for every connected user (a new public room): delivered to every connection. */
  publishAll(frame: string): MaybePromise<void>;
  /**
   * Connection `connection` of `user` is now present in `room`. Resolves true when it is that
   * user's first connection in the room across all nodes (the user came online there).
   */
  enter(room: number, user: number, connection: string): MaybePromise<boolean>;
  /** The reverse of {@link enter}: true when it was the user's last connection in the room. */
  exit(room: number, user: number, connection: string): MaybePromise<boolean>;
  /** Ids of the users present in the room, across all nodes. */
  online(room: number): MaybePromise<number[]>;
  close(): Promise<void>;
}

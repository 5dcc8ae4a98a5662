/**
 * The fan-out seam. A broker carries live events to every node serving the room or user they
 * are for, and keeps presence (which users have a connection in which room) across nodes. The
 * in-process broker (local-broker.ts) is the default; the Redis broker (redis-broker.ts)
 * serves several nodes.
 *
 * Events travel as plain JSON-safe objects: `frame` is the text every client receives, built
 * once by the publisher. A node says which rooms and users it serves (`watch...`); a broker
 * calls the deliver handler at most once per event on each node that watches its room or user
 * (every event, on one node), and keeps the events of one publisher to one room (or user) in
 * the order they were published. It does not order events of different nodes, nor promise
 * that every event arrives: stored messages carry their `seq`, and the service orders them,
 * drops repeats and fetches what is missing from the store (service/room-streams.ts). A broker
 * that may lose events says so with `gap` deliveries.
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
  | { kind: 'all'; frame: string }
  /**
   * Another node says that `room`'s messages up to `seq` are stored: a node that delivered
   * less has missed some (they were published while that node was cut off from the broker).
   */
  | { kind: 'head'; room: number; seq: number }
  /**
   * This node may have missed events of the rooms it watches (the broker was away and is
   * back, subscribed again): their messages are to be fetched from the store.
   */
  | { kind: 'gap' };

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
  /**
   * This node serves connections in `room`: deliver its events here. Resolves once events
   * published anywhere from now on are sure to arrive (so history read from the store after it
   * leaves no gap before the live events), or at once when the broker is away (it sends `gap`
   * when it is back). Calls are paired with {@link unwatchRoom}.
   */
  watchRoom(room: number): MaybePromise<void>;
  unwatchRoom(room: number): void;
  /** As {@link watchRoom}, for the events of one user (their connections on this node). */
  watchUser(user: number): MaybePromise<void>;
  unwatchUser(user: number): void;
  close(): Promise<void>;
}

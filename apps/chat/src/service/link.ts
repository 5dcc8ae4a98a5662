/**
 * What the service needs from one client connection, whatever carries it: who it is, a way to
 * send it text, and its subscriptions to rooms' and users' fan-out.
 */
import type { User } from '../store/types.js';

export interface Link {
  /** Unique among every connection of every node (presence counts connections by it). */
  readonly id: string;
  readonly user: User;
  /** Rooms this connection receives. */
  readonly rooms: Set<number>;
  /** Rooms whose presence this connection has entered (a subset of `rooms`, once caught up). */
  readonly present: Set<number>;
  /** Sends one protocol message (JSON text). */
  send(text: string): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
}

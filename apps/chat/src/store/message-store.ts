/**
 * The storage seam. The service holds the rules; a store keeps users, sessions, rooms,
 * memberships, read positions and messages. SQLite (sqlite-store.ts) is the default; a
 * PostgreSQL store for several nodes implements the same interface.
 *
 * Every method may return a promise, so a networked store fits as well as an embedded one. The
 * contract the service relies on:
 * - `appendMessage` resolves only once the message's transaction has committed (it is then
 *   durable to the store's setting), so the service acknowledges nothing that could be lost.
 * - The store assigns `seq` inside the inserting transaction: one room's messages are numbered
 *   1, 2, 3, ... with no gap and no repeat, whatever number of processes append at once.
 * - (room, sender, clientMsgId) is unique: appending it again returns the first copy with
 *   `duplicate: true` and takes no new sequence number.
 */
import type {
  Appended,
  ChatMessage,
  NewMessage,
  Room,
  RoomKind,
  RoomSummary,
  Session,
  User,
  UserRecord,
} from './types.js';

type MaybePromise<T> = T | Promise<T>;

export interface MessageStore {
  // Accounts and sessions
  /** Creates a user; `null` if the name (compared by its key) is taken. */
  createUser(name: string, nameKey: string, passwordHash: string): MaybePromise<User | null>;
  findUserByKey(nameKey: string): MaybePromise<UserRecord | undefined>;
  /** Stores a session by the hash of its token (the token itself is never stored). */
  createSession(tokenHash: string, userId: number, expires: number): MaybePromise<void>;
  findSession(tokenHash: string, now: number): MaybePromise<Session | undefined>;
  deleteSession(tokenHash: string): MaybePromise<void>;

  // Rooms and membership
  /** Creates a public room; `null` if the name is taken. */
  createRoom(name: string, nameKey: string, creator: number): MaybePromise<Room | null>;
  /** The direct conversation of two users, created (with both as members) on first use. */
  directRoom(a: User, b: User): MaybePromise<{ room: Room; created: boolean }>;
  getRoom(roomId: number): MaybePromise<Room | undefined>;
  /**
   * Public rooms and the user's direct conversations, with counts for that user; with
   * `joinedOnly`, only the rooms the user is a member of.
   */
  listRooms(userId: number, joinedOnly?: boolean): MaybePromise<RoomSummary[]>;
  summary(roomId: number, userId: number): MaybePromise<RoomSummary | undefined>;
  /** Adds a member; false if already one. */
  addMember(roomId: number, userId: number): MaybePromise<boolean>;
  /** Removes a member; false if not one. */
  removeMember(roomId: number, userId: number): MaybePromise<boolean>;
  isMember(roomId: number, userId: number): MaybePromise<boolean>;
  /** Ids of the rooms the user is a member of. */
  memberRooms(userId: number): MaybePromise<number[]>;
  /** Members of a room (for direct conversations: both users). */
  members(roomId: number): MaybePromise<User[]>;
  roomKind(roomId: number): MaybePromise<RoomKind | undefined>;

  // Messages
  /** Stores a message (see the contract above); resolves after commit. */
  appendMessage(message: NewMessage): Promise<Appended>;
  /** Messages with seq > `afterSeq`, oldest first, at most `limit`. */
  messagesAfter(roomId: number, afterSeq: number, limit: number): MaybePromise<ChatMessage[]>;
  /** The `limit` messages before `beforeSeq` (null: the latest), oldest first. */
  messagesBefore(
    roomId: number,
    beforeSeq: number | null,
    limit: number,
  ): MaybePromise<ChatMessage[]>;
  /** Moves the user's read position forward (never back); returns the position now stored. */
  markRead(roomId: number, userId: number, seq: number): MaybePromise<number>;

  /** True while the store can serve (for /readyz). */
  isReady(): MaybePromise<boolean>;
  /** Commits what is pending, then closes. */
  close(): Promise<void>;
}

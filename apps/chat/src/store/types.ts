/**
 * The data the chat keeps, as the service sees it. Ids are integers; sequence numbers count a
 * room's messages from 1 without gaps.
 */

export interface User {
  readonly id: number;
  readonly name: string;
}

export interface UserRecord extends User {
  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64. */
  readonly passwordHash: string;
}

export type RoomKind = 'public' | 'dm';

export interface Room {
  readonly id: number;
  readonly kind: RoomKind;
  readonly name: string;
  /** The last sequence number given in the room (0: no message yet). */
  readonly lastSeq: number;
}

/** A room as listed for one user. */
export interface RoomSummary extends Room {
  readonly members: number;
  /** Whether the user is a member. */
  readonly joined: boolean;
  /** The user's read position: every message up to this seq has been seen. */
  readonly readSeq: number;
  /** Messages from others after `readSeq` (counted up to {@link UNREAD_CAP}). */
  readonly unread: number;
  /** For a direct conversation: the other user. */
  readonly peer?: User;
}

/** Unread counts stop here: "999+" is all a badge needs, and counting costs a range scan. */
export const UNREAD_CAP = 999;

export interface ChatMessage {
  readonly room: number;
  readonly seq: number;
  readonly from: User;
  readonly text: string;
  /** Milliseconds since the epoch, when the server received it. */
  readonly ts: number;
  readonly clientMsgId: string;
}

export interface NewMessage {
  readonly room: number;
  readonly from: User;
  readonly text: string;
  readonly ts: number;
  readonly clientMsgId: string;
}

/** What appending gave: the stored message, and whether it had been stored before. */
export interface Appended {
  readonly message: ChatMessage;
  /** True when (room, sender, clientMsgId) was stored already: the first copy is returned. */
  readonly duplicate: boolean;
}

export interface Session {
  readonly user: User;
  readonly expires: number;
}

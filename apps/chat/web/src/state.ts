/**
 * The client's state, apart from the DOM: rooms, each room's messages (by seq, no duplicates),
 * the messages waiting to be sent, presence and typing. The view renders it; the connection
 * feeds it.
 */
import type { User } from './api.js';

export interface ChatMessage {
  readonly room: number;
  readonly seq: number;
  readonly from: User;
  readonly text: string;
  readonly ts: number;
  readonly clientMsgId: string;
}

export interface RoomSummary {
  readonly id: number;
  readonly kind: 'public' | 'dm';
  readonly name: string;
  readonly lastSeq: number;
  readonly members: number;
  readonly joined: boolean;
  readonly readSeq: number;
  readonly unread: number;
  readonly peer?: User;
}

export interface Pending {
  readonly room: number;
  readonly clientMsgId: string;
  readonly text: string;
  failed: boolean;
}

export interface RoomState {
  summary: RoomSummary;
  /** Messages held, by seq. */
  readonly messages: Map<number, ChatMessage>;
  /** Every message up to `top` is held from the first held one on (what resume asks after). */
  top: number;
  /** Whether the latest page has been asked for. */
  loaded: boolean;
  /** Older messages exist before the first held. */
  hasMore: boolean;
  unread: number;
  readonly online: Set<number>;
  members: User[];
  /** user id -> when their typing notice expires */
  readonly typing: Map<number, { name: string; until: number }>;
}

/**
 * A client message id: the time (so one sender's ids grow, and the server's index of them
 * is appended to rather than written at random places) and a random UUID (so two tabs never
 * collide).
 */
export function newClientMsgId(): string {
  return `${Date.now().toString(36).padStart(9, '0')}-${crypto.randomUUID()}`;
}

export type Status = 'connecting' | 'connected' | 'reconnecting';

export class ChatState {
  user: User | null = null;
  status: Status = 'connecting';
  current: number | null = null;
  readonly rooms = new Map<number, RoomState>();
  readonly pending: Pending[] = [];
  #listeners: (() => void)[] = [];

  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  changed(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Adds or refreshes a room from its summary (welcome, rooms list, room events). */
  upsertRoom(summary: RoomSummary): RoomState {
    const room = this.rooms.get(summary.id);
    if (room !== undefined) {
      room.summary = summary;
      room.unread = summary.unread;
      if (!room.loaded && room.messages.size === 0) room.top = summary.lastSeq;
      return room;
    }
    const created: RoomState = {
      summary,
      messages: new Map(),
      top: summary.lastSeq,
      loaded: false,
      hasMore: summary.lastSeq > 0,
      unread: summary.unread,
      online: new Set(),
      members: [],
      typing: new Map(),
    };
    this.rooms.set(summary.id, created);
    return created;
  }

  /**
   * Adds messages (live, history, or resume pages). `reset`: the server says the held messages
   * are too old to resume from; start again from this page. Returns the messages that were new.
   */
  addMessages(roomId: number, messages: readonly ChatMessage[], reset = false): ChatMessage[] {
    const room = this.rooms.get(roomId);
    if (room === undefined) return [];
    if (reset) {
      room.messages.clear();
      room.top = messages.length > 0 ? messages[0]!.seq - 1 : room.summary.lastSeq;
      room.hasMore = messages.length > 0 && messages[0]!.seq > 1;
      room.loaded = true;
    }
    const added: ChatMessage[] = [];
    for (const message of messages) {
      if (room.messages.has(message.seq)) continue;
      room.messages.set(message.seq, message);
      added.push(message);
      this.#settlePending(message);
    }
    while (room.messages.has(room.top + 1)) room.top++;
    return added;
  }

  /** The room's messages, oldest first. */
  sorted(roomId: number): ChatMessage[] {
    const room = this.rooms.get(roomId);
    if (room === undefined) return [];
    return [...room.messages.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Highest seq held from a contiguous run: what a resume asks to continue from. */
  resumePoints(): Record<string, number> {
    const points: Record<string, number> = {};
    for (const [id, room] of this.rooms) if (room.summary.joined) points[id] = room.top;
    return points;
  }

  queue(room: number, text: string): Pending {
    const pending = { room, text, clientMsgId: newClientMsgId(), failed: false };
    this.pending.push(pending);
    return pending;
  }

  #settlePending(message: ChatMessage): void {
    if (message.from.id !== this.user?.id) return;
    const index = this.pending.findIndex((p) => p.clientMsgId === message.clientMsgId);
    if (index !== -1) this.pending.splice(index, 1);
  }
}

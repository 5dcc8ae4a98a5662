/**
 * The messages the server sends (chat.v1), built as JSON text. Replies echo the request's `id`;
 * events have none.
 */
import type { ChatMessage, RoomSummary, User } from '../store/types.js';
import type { ErrorCode } from './errors.js';
import type { RequestId } from './requests.js';

export function reply(id: RequestId, type: string, fields: object = {}): string {
  return JSON.stringify({ type, id, ...fields });
}

export function errorFrame(id: RequestId | undefined, code: ErrorCode, message: string): string {
  return JSON.stringify(
    id === undefined ? { type: 'error', code, message } : { type: 'error', id, code, message },
  );
}

/**
 * A stored message, as every member receives it live. Written out rather than built as an
 * object for JSON.stringify: this runs for every message sent (the hot path), and the same
 * text is what `{ type: 'message', ...message }` would give.
 */
export function messageFrame(m: ChatMessage): string {
  const from = `{"id":${m.from.id},"name":${JSON.stringify(m.from.name)}}`;
  return `{"type":"message","room":${m.room},"seq":${m.seq},"from":${from},"text":${JSON.stringify(m.text)},"ts":${m.ts},"clientMsgId":${JSON.stringify(m.clientMsgId)}}`;
}

/** The acknowledgement of a stored message (hot path, written out like messageFrame). */
export function ackFrame(id: RequestId, m: ChatMessage, duplicate: boolean): string {
  return `{"type":"ack","id":${JSON.stringify(id)},"room":${m.room},"seq":${m.seq},"clientMsgId":${JSON.stringify(m.clientMsgId)},"ts":${m.ts},"duplicate":${duplicate}}`;
}

/** A page of a room's messages sent during a resume (not a reply). */
export function messagesFrame(
  room: number,
  messages: readonly ChatMessage[],
  reset: boolean,
): string {
  return JSON.stringify({ type: 'messages', room, messages, reset });
}

export function presenceFrame(room: number, user: User, online: boolean): string {
  return JSON.stringify({ type: 'presence', room, user, online });
}

export function memberFrame(room: number, user: User, joined: boolean): string {
  return JSON.stringify({ type: 'member', room, user, joined });
}

export function typingFrame(room: number, user: User): string {
  return JSON.stringify({ type: 'typing', room, user });
}

export function readFrame(room: number, seq: number): string {
  return JSON.stringify({ type: 'read', room, seq });
}

/** A room the user now belongs to (joined on another device, a new direct conversation). */
export function roomFrame(room: RoomSummary): string {
  return JSON.stringify({ type: 'room', room });
}

/** The user left a room (on another device). */
export function roomLeftFrame(room: number): string {
  return JSON.stringify({ type: 'room.left', room });
}

/** Someone created a public room. */
export function roomCreatedFrame(room: { id: number; name: string }): string {
  return JSON.stringify({ type: 'room.created', room: { id: room.id, name: room.name } });
}

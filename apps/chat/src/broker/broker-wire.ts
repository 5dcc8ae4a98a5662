/**
 * How the Redis broker's events travel between nodes: one wsx-redis topic per room
 * (`room:<id>`) and per user (`user:<id>`), and `all`; each message a text.
 *
 * A room's events are the hot path (every chat message), so they are not JSON inside JSON
 * (which would escape the frame once more): `<seq>\n<frame>` for a stored message, `\n<frame>`
 * for another room event (presence, typing, membership), `h<seq>` for a head (the room has
 * messages up to seq). A user's events are JSON (rare). `all` carries the frame as it is.
 */
import type { BrokerEvent, UserEvent } from './room-broker.js';

export const ALL = 'all';

export function roomTopic(room: number): string {
  return `room:${room}`;
}

export function userTopic(user: number): string {
  return `user:${user}`;
}

export function encodeRoomEvent(frame: string, seq: number | undefined): string {
  return seq === undefined ? `\n${frame}` : `${seq}\n${frame}`;
}

export function encodeHead(seq: number): string {
  return `h${seq}`;
}

export function encodeUserEvent(event: UserEvent): string {
  return JSON.stringify(event);
}

/** Thrown for a text that no node of this version would send: dropped and reported. */
export class MalformedEventError extends Error {}

/** Decodes what arrived on `topic`; throws MalformedEventError for anything else. */
export function decodeEvent(topic: string, text: string): BrokerEvent {
  if (topic === ALL) return { kind: 'all', frame: text };
  const colon = topic.indexOf(':');
  const id = Number(topic.slice(colon + 1));
  if (colon === -1 || !Number.isSafeInteger(id) || id <= 0)
    throw new MalformedEventError(`an event on the unknown topic ${JSON.stringify(topic)}`);
  const kind = topic.slice(0, colon);
  if (kind === 'room') return decodeRoomEvent(id, text);
  if (kind === 'user') return { kind: 'user', event: decodeUserEvent(id, text) };
  throw new MalformedEventError(`an event on the unknown topic ${JSON.stringify(topic)}`);
}

function decodeRoomEvent(room: number, text: string): BrokerEvent {
  if (text.startsWith('h')) return { kind: 'head', room, seq: seqOf(text.slice(1)) };
  const newline = text.indexOf('\n');
  if (newline === -1) throw new MalformedEventError(`a room event without a frame`);
  const frame = text.slice(newline + 1);
  if (newline === 0) return { kind: 'room', event: { room, frame } };
  return { kind: 'room', event: { room, frame, seq: seqOf(text.slice(0, newline)) } };
}

function decodeUserEvent(user: number, text: string): UserEvent {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    throw new MalformedEventError('a user event that is not JSON');
  }
  const e = event as Partial<UserEvent> | null;
  if (e === null || typeof e !== 'object' || e.user !== user || typeof e.frame !== 'string')
    throw new MalformedEventError(`a user event that is not one of user ${user}`);
  const checked: { -readonly [K in keyof UserEvent]: UserEvent[K] } = { user, frame: e.frame };
  if (e.joinRoom !== undefined) checked.joinRoom = roomId(e.joinRoom);
  if (e.leaveRoom !== undefined) checked.leaveRoom = roomId(e.leaveRoom);
  return checked;
}

function seqOf(text: string): number {
  const seq = Number(text);
  if (!/^\d{1,15}$/.test(text) || seq <= 0) throw new MalformedEventError(`a bad seq ${text}`);
  return seq;
}

function roomId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw new MalformedEventError(`a bad room id ${String(value)}`);
  return value;
}

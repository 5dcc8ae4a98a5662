/**
 * The requests a client sends (chat.v1) and their validation: JSON text in, a typed request or a
 * {@link ChatError} out. Pure functions, no I/O.
 */
import { ChatError, ErrorCode } from './errors.js';

/** Request ids are the client's: a string or a number, echoed in the reply. */
export type RequestId = string | number;

export type Request =
  | { type: 'hello'; id: RequestId; resume: ReadonlyMap<number, number> }
  | { type: 'rooms'; id: RequestId }
  | { type: 'create'; id: RequestId; name: string }
  | { type: 'join'; id: RequestId; room: number }
  | { type: 'leave'; id: RequestId; room: number }
  | { type: 'dm'; id: RequestId; user: string }
  | { type: 'send'; id: RequestId; room: number; clientMsgId: string; text: string }
  | ({ type: 'history'; id: RequestId; room: number } & HistoryPage)
  | { type: 'members'; id: RequestId; room: number }
  | { type: 'read'; id: RequestId; room: number; seq: number }
  | { type: 'typing'; id: RequestId; room: number }
  | { type: 'ping'; id: RequestId };

export type RequestType = Request['type'];

/** Which page of history: before a seq (null: the latest), or after one (to fill a gap). */
export interface HistoryPage {
  readonly before: number | null;
  readonly after: number | null;
  readonly limit: number;
}

/** Largest page of history a client may ask for. */
export const MAX_PAGE = 200;
/** Page size when the client does not say. */
export const DEFAULT_PAGE = 50;
/** A client message id is the client's idempotency key: a UUID fits easily. */
const MAX_CLIENT_MSG_ID = 64;
/** Rooms a `hello` may resume at once. */
const MAX_RESUME_ROOMS = 1000;

type Fields = Record<string, unknown>;
type Parser = (id: RequestId, f: Fields) => Request;

const parsers: Record<RequestType, Parser> = {
  hello: (id, f) => ({ type: 'hello', id, resume: resumeMap(f.resume) }),
  rooms: (id) => ({ type: 'rooms', id }),
  create: (id, f) => ({ type: 'create', id, name: string(f, 'name', 1000) }),
  join: (id, f) => ({ type: 'join', id, room: roomId(f) }),
  leave: (id, f) => ({ type: 'leave', id, room: roomId(f) }),
  dm: (id, f) => ({ type: 'dm', id, user: string(f, 'user', 1000) }),
  send: (id, f) => ({
    type: 'send',
    id,
    room: roomId(f),
    clientMsgId: string(f, 'clientMsgId', MAX_CLIENT_MSG_ID),
    // The text's own rules (length in characters, control characters) are the service's.
    text: string(f, 'text', Number.MAX_SAFE_INTEGER),
  }),
  history: (id, f) => {
    const before = optionalInteger(f, 'before', 1);
    const after = optionalInteger(f, 'after', 0);
    if (before !== null && after !== null) throw bad("give 'before' or 'after', not both");
    const limit = f.limit === undefined ? DEFAULT_PAGE : Math.min(integer(f, 'limit', 1), MAX_PAGE);
    return { type: 'history', id, room: roomId(f), before, after, limit };
  },
  members: (id, f) => ({ type: 'members', id, room: roomId(f) }),
  read: (id, f) => ({ type: 'read', id, room: roomId(f), seq: integer(f, 'seq', 0) }),
  typing: (id, f) => ({ type: 'typing', id, room: roomId(f) }),
  ping: (id) => ({ type: 'ping', id }),
};

/** The request id of a frame, if it has a usable one (to address an error reply). */
export function requestIdOf(value: unknown): RequestId | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as Fields).id;
  return isRequestId(id) ? id : undefined;
}

/** Parses and validates one text frame. Throws a ChatError carrying the reply's code. */
export function parseRequest(text: string): Request {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ChatError(ErrorCode.BAD_JSON, 'the message is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ChatError(ErrorCode.BAD_JSON, 'the message must be a JSON object');
  const fields = value as Fields;
  if (!isRequestId(fields.id))
    throw new ChatError(ErrorCode.BAD_REQUEST, "'id' must be a string (≤ 64 chars) or an integer");
  const parser = Object.hasOwn(parsers, String(fields.type))
    ? parsers[fields.type as RequestType]
    : undefined;
  if (parser === undefined)
    throw new ChatError(ErrorCode.UNKNOWN_TYPE, `unknown message type: ${describe(fields.type)}`);
  return parser(fields.id, fields);
}

function isRequestId(id: unknown): id is RequestId {
  return (typeof id === 'string' && id.length <= 64) || Number.isSafeInteger(id);
}

function describe(type: unknown): string {
  return typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof type;
}

function string(f: Fields, name: string, max: number): string {
  const value = f[name];
  if (typeof value !== 'string') throw bad(`'${name}' must be a string`);
  if (value.length > max) throw bad(`'${name}' is too long`);
  return value;
}

function integer(f: Fields, name: string, min: number): number {
  const value = f[name];
  if (!Number.isSafeInteger(value) || (value as number) < min)
    throw bad(`'${name}' must be an integer ≥ ${min}`);
  return value as number;
}

function optionalInteger(f: Fields, name: string, min: number): number | null {
  return f[name] === undefined || f[name] === null ? null : integer(f, name, min);
}

function roomId(f: Fields): number {
  return integer(f, 'room', 1);
}

function resumeMap(value: unknown): ReadonlyMap<number, number> {
  const map = new Map<number, number>();
  if (value === undefined) return map;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad("'resume' must be an object { roomId: lastSeq }");
  const entries = Object.entries(value);
  if (entries.length > MAX_RESUME_ROOMS) throw bad(`'resume' lists more than ${MAX_RESUME_ROOMS}`);
  for (const [key, seq] of entries) {
    const room = Number(key);
    if (!Number.isSafeInteger(room) || room < 1 || String(room) !== key)
      throw bad(`'resume' key ${JSON.stringify(key.slice(0, 20))} is not a room id`);
    if (!Number.isSafeInteger(seq) || (seq as number) < 0)
      throw bad(`'resume' of room ${room} must be an integer ≥ 0`);
    map.set(room, seq as number);
  }
  return map;
}

function bad(message: string): ChatError {
  return new ChatError(ErrorCode.BAD_REQUEST, message);
}

/**
 * Turns one text frame into a request, runs it against the service, and answers: a reply, or an
 * error with a stable code. Nothing a client sends can throw out of here or touch another
 * client. Limits are checked first (rate, size), then the JSON, then the request's own rules.
 */

import { ReadyState } from 'wsx';
import { ChatError, ErrorCode } from '../protocol/errors.js';
import { errorFrame, reply } from '../protocol/frames.js';
import { parseRequest, type Request, requestIdOf } from '../protocol/requests.js';
import type { ChatService } from '../service/chat-service.js';
import type { Messaging } from '../service/messaging.js';
import type { ChatConnection } from './chat-connection.js';

/** Requests the following requests may depend on: they run alone, in order. */
const BARRIERS = new Set<Request['type']>(['hello', 'create', 'join', 'leave', 'dm']);
/** Requests waiting behind a barrier, at most (then: rate_limited). */
const MAX_BACKLOG = 256;

export interface DispatchContext {
  readonly chat: ChatService;
  readonly messaging: Messaging;
  /** Largest request frame, in bytes. */
  readonly maxRequestBytes: number;
  /** Called with errors that are the server's fault (for the log). */
  readonly onInternalError: (error: unknown, request: Request) => void;
  /** Called when a connection is closed for continued abuse. */
  readonly onAbuse: (connection: ChatConnection, reason: string) => void;
}

export function dispatchFrame(
  ctx: DispatchContext,
  conn: ChatConnection,
  data: Buffer,
  isBinary: boolean,
): void {
  // Closing (for abuse, or the server stops): what the client still sends is not answered.
  if (conn.ws?.readyState !== ReadyState.OPEN) return;
  if (!conn.bucket.take()) {
    refuse(ctx, conn, data);
    return;
  }
  const request = readRequest(ctx, conn, data, isBinary);
  if (request === null) return;
  if (!conn.blocked) run(ctx, conn, request);
  else if (conn.backlog.length < MAX_BACKLOG) conn.backlog.push(request);
  else conn.send(errorFrame(request.id, ErrorCode.RATE_LIMITED, 'too many requests in flight'));
}

/** The frame as a request, or null after answering why it is not one. */
function readRequest(
  ctx: DispatchContext,
  conn: ChatConnection,
  data: Buffer,
  isBinary: boolean,
): Request | null {
  const limit = ctx.maxRequestBytes;
  if (data.length > limit) {
    conn.send(errorFrame(undefined, ErrorCode.TOO_LARGE, `requests are limited to ${limit} bytes`));
    return null;
  }
  if (isBinary) {
    const message = 'chat.v1 is JSON in text frames; binary frames are refused';
    conn.send(errorFrame(undefined, ErrorCode.BAD_JSON, message));
    return null;
  }
  const text = data.toString('utf8');
  try {
    return parseRequest(text);
  } catch (error) {
    // The reply names the request when its id could be read (not for a frame that is not JSON).
    const id =
      error instanceof ChatError && error.code !== ErrorCode.BAD_JSON ? safeId(text) : undefined;
    answerError(conn, id, error);
    return null;
  }
}

function refuse(ctx: DispatchContext, conn: ChatConnection, data: Buffer): void {
  if (!conn.strikes.take()) {
    ctx.onAbuse(conn, 'rate limit exceeded repeatedly');
    conn.ws?.close(1008, 'rate limit exceeded repeatedly');
    return;
  }
  const wait = conn.bucket.waitMs();
  const id = data.length <= ctx.maxRequestBytes ? safeId(data.toString('utf8')) : undefined;
  conn.send(errorFrame(id, ErrorCode.RATE_LIMITED, `too many requests: retry in ${wait} ms`));
}

function run(ctx: DispatchContext, conn: ChatConnection, request: Request): void {
  const refusal = readiness(conn, request);
  if (refusal !== null) {
    conn.send(errorFrame(request.id, ErrorCode.NOT_READY, refusal));
    return;
  }
  const barrier = BARRIERS.has(request.type);
  if (barrier) conn.blocked = true;
  const done = (text: string | undefined) => {
    if (text !== undefined) conn.send(text);
    if (barrier) unblock(ctx, conn);
  };
  const failed = (error: unknown) => {
    if (!(error instanceof ChatError)) ctx.onInternalError(error, request);
    answerError(conn, request.id, error);
    if (barrier) unblock(ctx, conn);
  };
  try {
    execute(ctx, conn, request).then(done, failed);
  } catch (error) {
    failed(error); // a check that failed before any await
  }
}

/** Why the connection cannot take `request` yet (or again); null if it can. */
function readiness(conn: ChatConnection, request: Request): string | null {
  if (conn.state !== 'ready' && request.type !== 'hello') return "send 'hello' first";
  if (conn.state !== 'new' && request.type === 'hello') return "'hello' was sent already";
  return null;
}

function unblock(ctx: DispatchContext, conn: ChatConnection): void {
  conn.blocked = false;
  while (!conn.blocked && conn.hasBacklog()) run(ctx, conn, conn.backlog.shift()!);
}

/** Runs one request: a promise of the reply's text (undefined: already sent), or a throw. */
function execute(
  ctx: DispatchContext,
  conn: ChatConnection,
  r: Request,
): Promise<string | undefined> {
  const { chat, messaging } = ctx;
  switch (r.type) {
    case 'hello':
      return hello(ctx, conn, r.id, r.resume);
    case 'send':
      return messaging.send(conn, r.id, r.room, r.clientMsgId, r.text);
    case 'history':
      return messaging.history(conn, r.id, r.room, r);
    case 'read':
      return messaging.read(conn, r.id, r.room, r.seq);
    case 'typing':
      return messaging.typing(conn, r.id, r.room);
    case 'rooms':
      return chat.rooms(conn, r.id);
    case 'create':
      return chat.create(conn, r.id, r.name);
    case 'join':
      return chat.join(conn, r.id, r.room).then(() => undefined);
    case 'leave':
      return chat.leave(conn, r.id, r.room);
    case 'dm':
      return chat.direct(conn, r.id, r.user);
    case 'members':
      return chat.members(conn, r.id, r.room);
    case 'ping':
      return Promise.resolve(reply(r.id, 'pong'));
  }
}

async function hello(
  ctx: DispatchContext,
  conn: ChatConnection,
  id: Request['id'],
  resume: ReadonlyMap<number, number>,
): Promise<undefined> {
  conn.state = 'hello';
  try {
    await ctx.chat.hello(conn, id, resume);
  } catch (error) {
    conn.ws?.close(1011); // half-attached: the client reconnects and resumes
    throw error;
  }
  conn.state = 'ready';
  return undefined;
}

function answerError(conn: ChatConnection, id: Request['id'] | undefined, error: unknown): void {
  if (error instanceof ChatError) conn.send(errorFrame(id, error.code, error.message));
  else conn.send(errorFrame(id, ErrorCode.INTERNAL, 'internal error: try again'));
}

function safeId(text: string): Request['id'] | undefined {
  try {
    return requestIdOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

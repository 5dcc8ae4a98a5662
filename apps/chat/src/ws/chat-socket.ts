/**
 * The WebSocket endpoint: `/ws`, subprotocol `chat.v1`, on the chat's HTTP server. The upgrade
 * is authenticated by the session cookie and checked against the allowed origins (wsx answers
 * 403 to a cross-site page), then every text frame goes to the dispatcher.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { reject, type UpgradeRequest, type WebSocket, WebSocketServer } from 'wsx';
import { type Accounts, hashToken } from '../service/accounts.js';
import type { Now } from '../service/token-bucket.js';
import { ChatConnection, type ConnectionLimits } from './chat-connection.js';
import { type DispatchContext, dispatchFrame } from './dispatch.js';

export const SUBPROTOCOL = 'chat.v1';
export const SESSION_COOKIE = 'wsx_chat_session';

export interface ChatSocketOptions {
  readonly server: HttpServer | HttpsServer;
  readonly accounts: Accounts;
  readonly dispatch: DispatchContext;
  readonly limits: ConnectionLimits;
  /** Decides whether a page from `origin` may connect (cross-site WebSocket hijacking). */
  readonly originAllowed: (origin: string, host: string | undefined) => boolean;
  /** wsx's own frame limit (1009 above it); requests over `maxRequestBytes` get an error. */
  readonly maxFrameBytes: number;
  readonly now: Now;
  readonly onOpen: (conn: ChatConnection) => void;
  readonly onClose: (conn: ChatConnection, ws: WebSocket) => void;
  /**
   * Errors wsx reports on the server: the HTTP server's own (a port in use: also a rejection of
   * listening, handled there), or a handler that threw (that connection was closed with 1011).
   */
  readonly onError: (error: Error) => void;
  /** True while the server is shutting down: new connections are refused with 503. */
  readonly closing: () => boolean;
}

export function createChatSocket(options: ChatSocketOptions): WebSocketServer<ChatConnection> {
  const { dispatch } = options;
  const wss = new WebSocketServer<ChatConnection>({
    server: options.server,
    path: '/ws',
    maxMessageSize: options.maxFrameBytes,
    allowedOrigins: (origin, req) => options.originAllowed(origin, req.headers.host),
    protocols: [SUBPROTOCOL],
    upgrade: (request) => authenticate(options, request),
    open(ws) {
      ws.data.ws = ws;
      options.onOpen(ws.data);
    },
    message(ws, data, isBinary) {
      dispatchFrame(dispatch, ws.data, data, isBinary);
    },
    close(ws) {
      ws.data.closed = true;
      options.onClose(ws.data, ws);
    },
  });
  wss.on('error', options.onError);
  return wss;
}

async function authenticate(options: ChatSocketOptions, request: UpgradeRequest) {
  if (options.closing()) return reject(503, 'the server is restarting\n', { 'Retry-After': '1' });
  if (!request.protocols.includes(SUBPROTOCOL))
    return reject(400, `offer the subprotocol ${SUBPROTOCOL}\n`);
  const token = request.cookies[SESSION_COOKIE];
  const user = await options.accounts.userOf(token);
  if (user === undefined || token === undefined) return reject(401, 'sign in first\n');
  return new ChatConnection(user, hashToken(token), options.limits, options.now);
}

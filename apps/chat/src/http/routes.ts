/**
 * The HTTP side of the chat: the web UI, the account API (register, sign in, sign out, who am
 * I), health and readiness, and the Prometheus metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AccountResult, Accounts } from '../service/accounts.js';
import { SESSION_COOKIE } from '../ws/chat-socket.js';
import { clearedCookie, readCookie, sessionCookie } from './cookies.js';
import { BodyError, readJson, sendError, sendJson, sendText } from './respond.js';
import type { StaticFiles } from './static-files.js';

/** Account requests are tiny: a name and a password. */
const MAX_BODY = 4096;

export interface RouteContext {
  readonly accounts: Accounts;
  readonly files: StaticFiles;
  readonly logger: Logger;
  readonly metrics: () => Promise<{ type: string; text: string }>;
  readonly ready: () => boolean | Promise<boolean>;
  readonly originAllowed: (origin: string, host: string | undefined) => boolean;
  /** The client's address (the proxy's X-Forwarded-For when trusted). */
  readonly clientAddress: (req: IncomingMessage) => string;
  /** A session ended: its open connections are closed. */
  readonly signedOut: (token: string) => void;
  /** Whether the page was reached over HTTPS (Secure cookies). */
  readonly secure: (req: IncomingMessage) => boolean;
}

export function createRoutes(ctx: RouteContext) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    route(ctx, req, res).catch((error: unknown) => {
      if (error instanceof BodyError)
        return sendError(res, error.status, error.code, error.message);
      ctx.logger.error({ err: error, url: req.url }, 'request failed');
      if (!res.headersSent) sendError(res, 500, 'internal', 'internal error');
      else res.destroy();
    });
  };
}

async function route(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') {
    if (ctx.files.serve(path, res, method === 'HEAD')) return;
    if (path === '/healthz') return sendText(res, 200, 'ok\n');
    if (path === '/readyz')
      return (await ctx.ready())
        ? sendText(res, 200, 'ready\n')
        : sendText(res, 503, 'not ready\n');
    if (path === '/metrics') {
      const { type, text } = await ctx.metrics();
      return sendText(res, 200, text, type);
    }
    if (path === '/api/me') return me(ctx, req, res);
  }
  if (path.startsWith('/api/')) return api(ctx, req, res, path, method);
  sendError(res, 404, 'not_found', 'no such page');
}

async function api(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  method: string,
): Promise<void> {
  const actions: Record<string, (() => Promise<void>) | undefined> = {
    '/api/register': () => signIn(ctx, req, res, 'register'),
    '/api/login': () => signIn(ctx, req, res, 'login'),
    '/api/logout': () => signOut(ctx, req, res),
  };
  const action = actions[path];
  if (action === undefined) return sendError(res, 404, 'not_found', 'no such API');
  if (method !== 'POST')
    return sendError(res, 405, 'method_not_allowed', 'use POST', { Allow: 'POST' });
  const origin = req.headers.origin;
  if (origin !== undefined && !ctx.originAllowed(origin, req.headers.host))
    return sendError(res, 403, 'forbidden_origin', 'requests from this origin are not allowed');
  return action();
}

async function me(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const user = await ctx.accounts.userOf(readCookie(req, SESSION_COOKIE));
  if (user === undefined) return sendError(res, 401, 'not_signed_in', 'not signed in');
  sendJson(res, 200, { user });
}

async function signIn(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  kind: 'register' | 'login',
): Promise<void> {
  const body = await readJson(req, MAX_BODY);
  const address = ctx.clientAddress(req);
  const result: AccountResult =
    kind === 'register'
      ? await ctx.accounts.register(body.name, body.password, address)
      : await ctx.accounts.signIn(body.name, body.password, address);
  if (!result.ok) {
    const headers: Record<string, string> = {};
    if (result.retryAfterMs !== undefined)
      headers['Retry-After'] = String(Math.ceil(result.retryAfterMs / 1000));
    ctx.logger.info({ kind, code: result.code, address }, 'sign-in refused');
    return sendError(res, result.status, result.code, result.message, headers);
  }
  ctx.logger.info(
    { kind, user: result.user.name, address },
    kind === 'register' ? 'registered' : 'signed in',
  );
  const cookie = sessionCookie(SESSION_COOKIE, result.token, result.expires, ctx.secure(req));
  sendJson(res, kind === 'register' ? 201 : 200, { user: result.user }, { 'Set-Cookie': cookie });
}

async function signOut(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const token = readCookie(req, SESSION_COOKIE);
  await ctx.accounts.signOut(token);
  if (token !== undefined) ctx.signedOut(token);
  res.writeHead(204, {
    'Set-Cookie': clearedCookie(SESSION_COOKIE, ctx.secure(req)),
    'Cache-Control': 'no-store',
  });
  res.end();
}

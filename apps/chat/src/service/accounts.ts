/**
 * Accounts and sessions: registration, sign-in (rate-limited per name and per address), session
 * tokens (random, 256 bits; only their SHA-256 is stored), sign-out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { checkName, nameKey, USER_NAME } from '../protocol/names.js';
import type { MessageStore } from '../store/message-store.js';
import type { User } from '../store/types.js';
import {
  DUMMY_HASH,
  hashPassword,
  PASSWORD_MAX,
  PASSWORD_MIN,
  verifyPassword,
} from './passwords.js';
import type { AttemptLimiter } from './sign-in-limiter.js';
import type { Now } from './token-bucket.js';

/** Sessions last 30 days: a team chat is opened every day, signing in monthly is enough. */
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

export type AccountResult =
  | { ok: true; user: User; token: string; expires: number }
  | { ok: false; status: number; code: string; message: string; retryAfterMs?: number };

function refuse(status: number, code: string, message: string): AccountResult {
  return { ok: false, status, code, message };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class Accounts {
  readonly #store: MessageStore;
  readonly #limiter: AttemptLimiter;
  readonly #now: Now;

  constructor(store: MessageStore, limiter: AttemptLimiter, now: Now) {
    this.#store = store;
    this.#limiter = limiter;
    this.#now = now;
  }

  async register(name: unknown, password: unknown, address: string): Promise<AccountResult> {
    const wait = this.#limiter.attempt([`register@${address}`]);
    if (wait > 0) return this.#tooMany(wait);
    const checked = checkName(name, USER_NAME);
    if (!checked.ok) return refuse(400, 'invalid_name', `user name ${checked.reason}`);
    const passwordError = checkPassword(password);
    if (passwordError !== null) return refuse(400, 'invalid_password', passwordError);
    const hash = await hashPassword(password as string);
    const user = await this.#store.createUser(checked.name, nameKey(checked.name), hash);
    if (user === null) return refuse(409, 'name_taken', 'that user name is taken');
    return this.#startSession(user);
  }

  async signIn(name: unknown, password: unknown, address: string): Promise<AccountResult> {
    if (typeof name !== 'string' || typeof password !== 'string' || name.length > 200)
      return refuse(400, 'bad_request', "'name' and 'password' must be strings");
    const key = nameKey(name.trim());
    const wait = this.#limiter.attempt([`user:${key}`, `address:${address}`]);
    if (wait > 0) return this.#tooMany(wait);
    const record = await this.#store.findUserByKey(key);
    const valid = await verifyPassword(
      password.slice(0, PASSWORD_MAX),
      record?.passwordHash ?? (await DUMMY_HASH),
    );
    if (record === undefined || !valid)
      return refuse(401, 'bad_credentials', 'wrong user name or password');
    return this.#startSession({ id: record.id, name: record.name });
  }

  /** The user a session token belongs to, if it is valid. */
  async userOf(token: string | undefined): Promise<User | undefined> {
    if (token === undefined || token.length > 100) return undefined;
    const session = await this.#store.findSession(hashToken(token), this.#now());
    return session?.user;
  }

  async signOut(token: string | undefined): Promise<void> {
    if (token !== undefined && token.length <= 100)
      await this.#store.deleteSession(hashToken(token));
  }

  async #startSession(user: User): Promise<AccountResult> {
    const token = randomBytes(32).toString('base64url');
    const expires = this.#now() + SESSION_TTL_MS;
    await this.#store.createSession(hashToken(token), user.id, expires);
    return { ok: true, user, token, expires };
  }

  #tooMany(waitMs: number): AccountResult {
    return {
      ok: false,
      status: 429,
      code: 'too_many_attempts',
      message: 'too many attempts: wait and try again',
      retryAfterMs: waitMs,
    };
  }
}

function checkPassword(password: unknown): string | null {
  if (typeof password !== 'string') return "'password' must be a string";
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `password must be at least ${PASSWORD_MIN} characters`;
  if (length > PASSWORD_MAX) return `password must be at most ${PASSWORD_MAX} characters`;
  return null;
}

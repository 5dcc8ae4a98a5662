/**
 * Password hashing with scrypt from node:crypto (memory-hard, in Node's thread pool, so the
 * event loop keeps serving), a random salt per user, and a constant-time comparison.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/** N = 2^14, r = 8, p = 1: the parameters RFC 7914 suggests for interactive logins (16 MiB). */
const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** scrypt needs 128 * N * r bytes; leave headroom over Node's 32 MiB default. */
const MAX_MEMORY = 64 * 1024 * 1024;

/** Passwords: at least 8 characters (no other rule: length is what matters), at most 200. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 200;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}

/** Hashes a password as `scrypt$N$r$p$salt$hash` (salt and hash in base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, { ...PARAMS, maxmem: MAX_MEMORY });
  const { N, r, p } = PARAMS;
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Checks a password against a stored hash, in time independent of where they differ. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const options = { N: Number(n), r: Number(r), p: Number(p), maxmem: MAX_MEMORY };
  const key = await derive(password, Buffer.from(salt, 'base64'), options);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash of a random password: checked against when the user does not exist, so an unknown
 * name takes as long to refuse as a wrong password (no user enumeration by timing). */
export const DUMMY_HASH = hashPassword(randomBytes(16).toString('hex'));

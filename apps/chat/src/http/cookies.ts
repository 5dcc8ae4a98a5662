/** The session cookie: read from a request, written on sign-in, cleared on sign-out. */
import type { IncomingMessage } from 'node:http';

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** HttpOnly (no script reads it), SameSite=Lax (no cross-site POST carries it), Secure over TLS. */
export function sessionCookie(
  name: string,
  token: string,
  expires: number,
  secure: boolean,
): string {
  const maxAge = Math.max(0, Math.floor((expires - Date.now()) / 1000));
  return `${name}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

export function clearedCookie(name: string, secure: boolean): string {
  return `${name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

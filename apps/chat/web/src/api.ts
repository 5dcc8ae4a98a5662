/** The account API: register, sign in, sign out, who am I. The session is an HttpOnly cookie. */

export interface User {
  readonly id: number;
  readonly name: string;
}

export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
}

async function userFrom(response: Response): Promise<User> {
  const body = (await response.json()) as {
    user?: User;
    error?: { code: string; message: string };
  };
  if (!response.ok || body.user === undefined)
    throw new ApiError(body.error?.code ?? 'error', body.error?.message ?? response.statusText);
  return body.user;
}

export async function register(name: string, password: string): Promise<User> {
  return userFrom(await post('/api/register', { name, password }));
}

export async function signIn(name: string, password: string): Promise<User> {
  return userFrom(await post('/api/login', { name, password }));
}

export async function signOut(): Promise<void> {
  await post('/api/logout', {});
}

/** The signed-in user, or null. */
export async function me(): Promise<User | null> {
  const response = await fetch('/api/me', { credentials: 'same-origin' });
  return response.ok ? userFrom(response) : null;
}

/** Rejecting an upgrade from the `upgrade` hook, with any HTTP status. */

import type { HeaderInit } from '../core/http-head.js';

/** An answer to an upgrade request other than 101. Create with {@link reject}. */
export class Rejection {
  readonly status: number;
  readonly body: string | Uint8Array | undefined;
  readonly headers: HeaderInit | undefined;

  constructor(status: number, body?: string | Uint8Array, headers?: HeaderInit) {
    if (!Number.isInteger(status) || status < 300 || status > 599) {
      throw new RangeError(`a rejection's status is 300-599 (got ${status})`);
    }
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/**
 * Rejects the upgrade: the client gets this status (401, 403, 429, ...), the body and headers,
 * and the connection is closed. Return (or throw) it from the `upgrade` hook.
 */
export function reject(
  status: number,
  body?: string | Uint8Array,
  headers?: HeaderInit,
): Rejection {
  return new Rejection(status, body, headers);
}

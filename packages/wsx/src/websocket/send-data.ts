/** Turning what users pass to `send()` into bytes or a string, as `ws` accepts it. */

import { UsageError } from '../core/errors.js';

/** What `send()` accepts. A string is sent as text, anything else as binary by default. */
export type SendData = string | Buffer | ArrayBuffer | SharedArrayBuffer | ArrayBufferView;

/** The payload as the core takes it: a string (text) or bytes. */
export function toPayload(data: SendData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) return new Uint8Array(data);
  if (typeof data === 'number' || typeof data === 'boolean') return String(data);
  throw new UsageError(
    `send() takes a string, Buffer, ArrayBuffer or typed array, not ${describe(data)}`,
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'an object';
  return typeof value;
}

/**
 * Close frame payloads, RFC 6455 §5.5.1: "If there is a body, the first two bytes of the body
 * MUST be a 2-byte unsigned integer (in network byte order) representing a status code with value
 * /code/ defined in Section 7.4. Following the 2-byte integer, the body MAY contain UTF-8-encoded
 * data with value /reason/".
 */

import { CloseCode, isValidWireCloseCode, MAX_CLOSE_REASON_BYTES } from './constants.js';
import { UsageError } from './errors.js';

/** A close frame's content. `code` is 1005 when the frame had no body. */
export interface CloseFrame {
  readonly code: number;
  readonly reason: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Why a received close payload is invalid, or null when it is valid. The caller maps the answer
 * to a close code: a bad code or length is a protocol error (1002), a bad reason invalid data
 * (1007).
 */
export type ClosePayloadProblem = 'length' | 'code' | 'utf8';

/** Decodes a received close payload; returns the problem instead when it is invalid. */
export function parseClosePayload(payload: Uint8Array): CloseFrame | ClosePayloadProblem {
  if (payload.length === 0) return { code: CloseCode.NO_STATUS_RECEIVED, reason: '' };
  // A single byte cannot hold the 2-byte status code.
  if (payload.length === 1) return 'length';
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidWireCloseCode(code)) return 'code';
  if (payload.length === 2) return { code, reason: '' };
  try {
    return { code, reason: decoder.decode(payload.subarray(2)) };
  } catch {
    return 'utf8';
  }
}

/**
 * Encodes a close payload to send. With no code the payload is empty (RFC 6455 §5.5.1 allows a
 * close frame without a body). Throws {@link UsageError} for a code that may not be sent (RFC
 * 6455 §7.4.1: 1005, 1006 and 1015 "MUST NOT be set as a status code in a Close control frame by
 * an endpoint") or a reason longer than 123 bytes in UTF-8.
 */
export function encodeClosePayload(code?: number, reason = ''): Uint8Array {
  if (code === undefined) {
    if (reason !== '') throw new UsageError('a close reason requires a close code');
    return new Uint8Array(0);
  }
  if (code === CloseCode.NO_STATUS_RECEIVED) {
    throw new UsageError(
      'close code 1005 may not be sent (RFC 6455 §7.4.1): close without a code to send a close frame that has none',
    );
  }
  if (!Number.isInteger(code) || !isValidWireCloseCode(code)) {
    throw new UsageError(
      `close code ${code} may not be sent: use 1000-1003, 1007-1014 or 3000-4999 (RFC 6455 §7.4)`,
    );
  }
  const reasonBytes = encoder.encode(reason);
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES) {
    throw new UsageError(
      `close reason is ${reasonBytes.length} bytes in UTF-8; at most ${MAX_CLOSE_REASON_BYTES} fit in a close frame`,
    );
  }
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}

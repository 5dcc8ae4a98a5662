/**
 * The stable error codes of the chat protocol (chat.v1) and the HTTP API. PROTOCOL.md documents
 * each one; clients switch on `code`, never on the message.
 */
export const ErrorCode = {
  /** The frame was not valid JSON, or not a JSON object. */
  BAD_JSON: 'bad_json',
  /** A field is missing or has the wrong type or range. */
  BAD_REQUEST: 'bad_request',
  /** `type` names no request this server knows. */
  UNKNOWN_TYPE: 'unknown_type',
  /** A message or name breaks the length or character rules. */
  INVALID_TEXT: 'invalid_text',
  INVALID_NAME: 'invalid_name',
  /** The frame was larger than the protocol allows. */
  TOO_LARGE: 'too_large',
  /** The connection's token bucket is empty: slow down. */
  RATE_LIMITED: 'rate_limited',
  /** `hello` must come first, and only once. */
  NOT_READY: 'not_ready',
  /** The room or user does not exist. */
  NOT_FOUND: 'not_found',
  /** The user is not a member of that room. */
  NOT_MEMBER: 'not_member',
  /** A room or user with that name exists already. */
  NAME_TAKEN: 'name_taken',
  /** Direct conversations cannot be left or joined like rooms, nor opened with oneself. */
  NOT_ALLOWED: 'not_allowed',
  /** The server is shutting down: send again after reconnecting. */
  SHUTTING_DOWN: 'shutting_down',
  /** Something failed on the server; the request may be retried. */
  INTERNAL: 'internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error the service reports to the client as `{ type: 'error', code, message }`. */
export class ChatError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ChatError';
    this.code = code;
  }
}

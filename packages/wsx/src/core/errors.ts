/**
 * The error hierarchy. Every error wsx raises or reports is a {@link WebSocketError} with a stable
 * `code` string; `docs/errors.md` lists them all.
 *
 * - {@link ProtocolError}: the peer broke RFC 6455. It carries the close code the connection was
 *   failed with. It is reported (an `error` event), never thrown out of `receiveData`.
 * - {@link HandshakeError}: the opening handshake failed. On the server it carries the HTTP status
 *   to answer with and any header that answer must include.
 * - {@link InvalidStateError}, {@link UsageError}: local misuse (sending after close, an invalid
 *   close code); thrown synchronously to the caller.
 */

/** Stable error codes. */
export const ErrorCode = {
  // Peer protocol violations (ProtocolError).
  INVALID_OPCODE: 'WSX_ERR_INVALID_OPCODE',
  UNEXPECTED_RSV: 'WSX_ERR_UNEXPECTED_RSV',
  MASK_REQUIRED: 'WSX_ERR_MASK_REQUIRED',
  UNEXPECTED_MASK: 'WSX_ERR_UNEXPECTED_MASK',
  INVALID_LENGTH: 'WSX_ERR_INVALID_LENGTH',
  FRAGMENTED_CONTROL_FRAME: 'WSX_ERR_FRAGMENTED_CONTROL_FRAME',
  CONTROL_FRAME_TOO_LONG: 'WSX_ERR_CONTROL_FRAME_TOO_LONG',
  UNEXPECTED_CONTINUATION: 'WSX_ERR_UNEXPECTED_CONTINUATION',
  EXPECTED_CONTINUATION: 'WSX_ERR_EXPECTED_CONTINUATION',
  INVALID_CLOSE_PAYLOAD: 'WSX_ERR_INVALID_CLOSE_PAYLOAD',
  INVALID_CLOSE_CODE: 'WSX_ERR_INVALID_CLOSE_CODE',
  INVALID_UTF8: 'WSX_ERR_INVALID_UTF8',
  FRAME_TOO_BIG: 'WSX_ERR_FRAME_TOO_BIG',
  MESSAGE_TOO_BIG: 'WSX_ERR_MESSAGE_TOO_BIG',
  INVALID_COMPRESSED_DATA: 'WSX_ERR_INVALID_COMPRESSED_DATA',
  // Opening handshake (HandshakeError).
  MALFORMED_HTTP: 'WSX_ERR_MALFORMED_HTTP',
  HEAD_TOO_LARGE: 'WSX_ERR_HEAD_TOO_LARGE',
  TOO_MANY_HEADERS: 'WSX_ERR_TOO_MANY_HEADERS',
  INVALID_METHOD: 'WSX_ERR_INVALID_METHOD',
  INVALID_HTTP_VERSION: 'WSX_ERR_INVALID_HTTP_VERSION',
  MISSING_HOST: 'WSX_ERR_MISSING_HOST',
  UPGRADE_REQUIRED: 'WSX_ERR_UPGRADE_REQUIRED',
  INVALID_UPGRADE_HEADER: 'WSX_ERR_INVALID_UPGRADE_HEADER',
  INVALID_CONNECTION_HEADER: 'WSX_ERR_INVALID_CONNECTION_HEADER',
  INVALID_KEY: 'WSX_ERR_INVALID_KEY',
  UNSUPPORTED_VERSION: 'WSX_ERR_UNSUPPORTED_VERSION',
  INVALID_PROTOCOL_HEADER: 'WSX_ERR_INVALID_PROTOCOL_HEADER',
  INVALID_EXTENSIONS_HEADER: 'WSX_ERR_INVALID_EXTENSIONS_HEADER',
  FORBIDDEN_ORIGIN: 'WSX_ERR_FORBIDDEN_ORIGIN',
  UNKNOWN_PATH: 'WSX_ERR_UNKNOWN_PATH',
  SERVER_CLOSING: 'WSX_ERR_SERVER_CLOSING',
  SERVER_BUSY: 'WSX_ERR_SERVER_BUSY',
  UNEXPECTED_STATUS: 'WSX_ERR_UNEXPECTED_STATUS',
  INVALID_ACCEPT: 'WSX_ERR_INVALID_ACCEPT',
  UNEXPECTED_PROTOCOL: 'WSX_ERR_UNEXPECTED_PROTOCOL',
  UNEXPECTED_EXTENSION: 'WSX_ERR_UNEXPECTED_EXTENSION',
  INVALID_EXTENSION_PARAMS: 'WSX_ERR_INVALID_EXTENSION_PARAMS',
  HANDSHAKE_CLOSED: 'WSX_ERR_HANDSHAKE_CLOSED',
  HANDSHAKE_TIMEOUT: 'WSX_ERR_HANDSHAKE_TIMEOUT',
  PROXY_FAILED: 'WSX_ERR_PROXY_FAILED',
  TOO_MANY_REDIRECTS: 'WSX_ERR_TOO_MANY_REDIRECTS',
  INSECURE_REDIRECT: 'WSX_ERR_INSECURE_REDIRECT',
  INVALID_REDIRECT: 'WSX_ERR_INVALID_REDIRECT',
  // WebSocket over HTTP/2 (RFC 8441).
  INVALID_PSEUDO_HEADER: 'WSX_ERR_INVALID_PSEUDO_HEADER',
  UNSUPPORTED_CONNECT_PROTOCOL: 'WSX_ERR_UNSUPPORTED_CONNECT_PROTOCOL',
  NO_EXTENDED_CONNECT: 'WSX_ERR_NO_EXTENDED_CONNECT',
  // The connection closed (ConnectionClosedError).
  CONNECTION_CLOSED: 'WSX_ERR_CONNECTION_CLOSED',
  // Local misuse (InvalidStateError, UsageError).
  INVALID_STATE: 'WSX_ERR_INVALID_STATE',
  INVALID_ARGUMENT: 'WSX_ERR_INVALID_ARGUMENT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The root of every error wsx raises or reports. */
export class WebSocketError extends Error {
  /** A stable identifier: match on this, not on the message. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * The peer violated the protocol; the connection was failed with {@link closeCode}.
 *
 * @see RFC 6455 §7.1.7 "Fail the WebSocket Connection"
 */
export class ProtocolError extends WebSocketError {
  /** The close code sent to the peer: 1002, 1007 or 1009. */
  readonly closeCode: number;

  constructor(code: ErrorCode, closeCode: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.closeCode = closeCode;
  }
}

/**
 * The opening handshake failed.
 *
 * On the server, {@link status} is the HTTP status to answer with (400, 403, 405, 426, 431) and
 * {@link headers} the headers that answer must carry (`Sec-WebSocket-Version: 13` with a 426).
 * On the client, {@link status} is the status the server sent, or 0 when there was none.
 *
 * @see RFC 6455 §4.2.1, §4.2.2, §4.4
 */
export class HandshakeError extends WebSocketError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * On the client, the server's answer when it refused the upgrade (any status but 101): its
   * head and the first bytes of its body (at most 4 KiB), which often say why. Null otherwise.
   */
  readonly response: RefusedResponse | null;

  constructor(
    code: ErrorCode,
    status: number,
    message: string,
    options?: {
      headers?: Readonly<Record<string, string>>;
      cause?: unknown;
      response?: RefusedResponse;
    },
  ) {
    super(code, message, options);
    this.status = status;
    this.headers = options?.headers ?? {};
    this.response = options?.response ?? null;
  }
}

/** A server's answer refusing an upgrade, as the client received it. */
export interface RefusedResponse {
  readonly status: number;
  readonly reason: string;
  /** The response's header fields, looked up case-insensitively. */
  readonly headers: { get(name: string): string | undefined; readonly raw: readonly string[] };
  /** The start of the body: at most 4 KiB (de-chunked), or less if the server sent less. */
  readonly body: Uint8Array;
  /** Whether the body was longer than what `body` holds. */
  readonly truncated: boolean;
}

/** An operation was attempted in a state that does not allow it (sending after close). */
export class InvalidStateError extends WebSocketError {
  constructor(message: string) {
    super(ErrorCode.INVALID_STATE, message);
  }
}

/** An argument was invalid (a close code that may not be sent, a reason that is too long). */
export class UsageError extends WebSocketError {
  constructor(message: string) {
    super(ErrorCode.INVALID_ARGUMENT, message);
  }
}

/** A close frame as sent or received: `code` is 1005 when the frame had no code. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/**
 * The connection closed abnormally: the close frames exchanged (if any) are attached, as in
 * Python websockets. `received` is null when no close frame arrived (the 1006 case).
 */
export class ConnectionClosedError extends WebSocketError {
  readonly received: CloseInfo | null;
  readonly sent: CloseInfo | null;
  readonly receivedThenSent: boolean;

  constructor(received: CloseInfo | null, sent: CloseInfo | null, receivedThenSent: boolean) {
    super(ErrorCode.CONNECTION_CLOSED, describeClose(received, sent, receivedThenSent));
    this.received = received;
    this.sent = sent;
    this.receivedThenSent = receivedThenSent;
  }
}

function describeClose(
  received: CloseInfo | null,
  sent: CloseInfo | null,
  receivedThenSent: boolean,
): string {
  const show = (c: CloseInfo) => `${c.code}${c.reason === '' ? '' : ` (${c.reason})`}`;
  if (received === null && sent === null) return 'connection closed without a close frame (1006)';
  if (received === null) return `sent close ${show(sent!)}; no close frame received`;
  if (sent === null) return `received close ${show(received)}; no close frame sent`;
  return receivedThenSent
    ? `received close ${show(received)}, then sent close ${show(sent)}`
    : `sent close ${show(sent)}, then received close ${show(received)}`;
}

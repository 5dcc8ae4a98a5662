/**
 * Protocol constants from RFC 6455.
 *
 * @see RFC 6455 §5.2 (opcodes), §7.4 (close codes), §1.3 (the GUID)
 */

/** Frame opcodes. RFC 6455 §5.2: "%x3-7 are reserved for further non-control frames", "%xB-F are reserved for further control frames". */
export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Close status codes. RFC 6455 §7.4.1, plus 1012-1014 from the IANA registry. */
export const CloseCode = {
  NORMAL_CLOSURE: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** Never on the wire: "no status code was actually present". */
  NO_STATUS_RECEIVED: 1005,
  /** Never on the wire: the connection closed without a close frame. */
  ABNORMAL_CLOSURE: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_GATEWAY: 1014,
  /** Never on the wire: the TLS handshake failed. */
  TLS_HANDSHAKE: 1015,
} as const;

/** RFC 6455 §1.3: the GUID concatenated with the key to build `Sec-WebSocket-Accept`. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The only protocol version this implementation speaks (RFC 6455 §4.1). */
export const WEBSOCKET_VERSION = '13';

/** RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less". */
export const MAX_CONTROL_PAYLOAD = 125;

/** RFC 6455 §5.5.1: a close payload is a 2-byte code plus at most 123 bytes of reason. */
export const MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD - 2;

/**
 * Whether `code` may appear in a close frame on the wire.
 *
 * RFC 6455 §7.4: 1000-1003 and 1007-1011 are defined; 1012-1014 were registered with IANA since;
 * 1004 is reserved, 1005, 1006 and 1015 "MUST NOT be set as a status code in a Close control
 * frame"; 1016-2999 are reserved for future revisions; 3000-4999 belong to libraries and
 * applications. Anything below 1000 is unused.
 */
export function isValidWireCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  if (code >= 1000 && code <= 1003) return true;
  return code >= 1007 && code <= 1014;
}

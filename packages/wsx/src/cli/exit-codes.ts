/**
 * The exit status of every `wsx` command: one code per kind of ending, so that a script can tell
 * "the server is down" from "the server said no" from "the connection dropped".
 */
export const ExitCode = {
  /** The connection closed normally (1000, 1001 or 1005), or the command finished its job. */
  OK: 0,
  /** A bug in wsx: an error it did not expect. */
  INTERNAL: 1,
  /** Invalid arguments or options. */
  USAGE: 2,
  /** The host name could not be resolved. */
  DNS: 3,
  /** No connection: refused, unreachable, reset, timed out; or `serve` could not listen. */
  NETWORK: 4,
  /** TLS failed: the certificate is not trusted or not for this name, or no TLS there. */
  TLS: 5,
  /** The HTTP proxy refused the tunnel, or closed before opening it. */
  PROXY: 6,
  /** The server did not accept the WebSocket handshake (a status other than 101, ...). */
  HANDSHAKE: 7,
  /** The connection ended without a closing handshake (1006), or a peer broke the protocol. */
  ABNORMAL_CLOSE: 8,
  /** The peer closed with an error code (1002-1015 other than 1005/1006, or 3000-4999). */
  ERROR_CLOSE: 9,
  /** `bench` finished, but some connections or messages failed (counted in its summary). */
  BENCH_ERRORS: 10,
  /** Interrupted: Ctrl+C (SIGINT) a second time, before the connection could close. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The table printed by `wsx --help` and documented in docs/cli.md. */
export const EXIT_CODE_TABLE: readonly (readonly [ExitCode, string])[] = [
  [ExitCode.OK, 'closed normally (1000, 1001, 1005), or done'],
  [ExitCode.INTERNAL, 'internal error (a bug in wsx)'],
  [ExitCode.USAGE, 'invalid arguments'],
  [ExitCode.DNS, 'host name not found'],
  [ExitCode.NETWORK, 'network: refused, unreachable, reset, timed out; serve cannot listen'],
  [ExitCode.TLS, 'TLS: certificate not trusted or not for this host, or no TLS there'],
  [ExitCode.PROXY, 'the proxy refused the tunnel'],
  [ExitCode.HANDSHAKE, 'the server refused the WebSocket handshake (not 101, bad 101)'],
  [ExitCode.ABNORMAL_CLOSE, 'dropped without a close frame (1006), or a protocol error'],
  [ExitCode.ERROR_CLOSE, 'the peer closed with an error code (1002-1015, 3000-4999)'],
  [ExitCode.BENCH_ERRORS, 'bench: finished, with errors (see its summary)'],
  [ExitCode.INTERRUPTED, 'Ctrl+C twice: interrupted before the close completed'],
];

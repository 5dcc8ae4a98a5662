/**
 * Turns why a connection failed into one line and a hint: DNS, refused, TLS verification, a
 * status other than 101 (with the first line of the body), a refused subprotocol, a proxy's
 * refusal. Each kind has its exit status (exit-codes.ts).
 */

import { STATUS_CODES } from 'node:http';
import { ErrorCode, HandshakeError, ProtocolError, UsageError } from '../index.js';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-codes.js';
import { truncate } from './format.js';

/** What the user asked for, to make the hints specific. */
export interface FailureContext {
  /** Whether the URL asks for TLS (wss:). */
  readonly secure: boolean;
  /** Subprotocols offered (`-p`). */
  readonly protocols: readonly string[];
  /** Whether credentials were sent (`--auth`, an `Authorization` header). */
  readonly credentials: boolean;
  readonly origin: string | undefined;
}

/** Node's error codes for names that do not resolve. */
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ENOENT', // a ws+unix: socket path that does not exist
  'EACCES',
]);
/** OpenSSL's verification failures (the certificate is not trusted, or not for this name). */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** What OpenSSL says when the server answered TLS with plain HTTP. */
const PLAIN_SERVER_SIGNS = ['wrong version number', 'packet length too long', 'http request'];
const TRUST_HINT =
  'trust the CA that signed it with --ca <file>, or skip verification with --insecure (for testing only)';

interface NodeError extends Error {
  code?: string;
  hostname?: string;
  address?: string;
  port?: number;
}

/** A CliError for `error`, or `error` itself if it already is one. */
export function describeFailure(error: unknown, context: FailureContext): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof HandshakeError) return handshakeFailure(error, context);
  if (error instanceof UsageError) return new CliError(ExitCode.USAGE, error.message);
  if (error instanceof ProtocolError) {
    return new CliError(
      ExitCode.ABNORMAL_CLOSE,
      `the peer broke the protocol: ${error.message} (closed with ${error.closeCode})`,
    );
  }
  const nodeError = error as NodeError;
  const code = nodeError.code ?? '';
  if (DNS_CODES.has(code)) {
    return new CliError(
      ExitCode.DNS,
      `cannot resolve the host name '${nodeError.hostname ?? '?'}' (${code})`,
      'check the host in the URL',
    );
  }
  if (NETWORK_CODES.has(code)) return networkFailure(nodeError, code);
  if (CERTIFICATE_CODES.has(code)) {
    return new CliError(ExitCode.TLS, `TLS: ${nodeError.message} (${code})`, TRUST_HINT);
  }
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO') {
    const text = nodeError.message.toLowerCase();
    const plain = PLAIN_SERVER_SIGNS.some((sign) => text.includes(sign));
    return new CliError(
      ExitCode.TLS,
      `TLS failed: ${nodeError.message.split('\n')[0]} (${code})`,
      plain ? 'the server does not speak TLS there: use ws:// rather than wss://?' : undefined,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(ExitCode.INTERNAL, `unexpected error: ${message}`);
}

function networkFailure(error: NodeError, code: string): CliError {
  const where = error.address === undefined ? '' : ` ${error.address}:${error.port ?? ''}`;
  if (code === 'ECONNREFUSED') {
    return new CliError(
      ExitCode.NETWORK,
      `connection refused by${where} (${code})`,
      'is the server running, and listening on that port?',
    );
  }
  if (code === 'ECONNRESET') {
    return new CliError(ExitCode.NETWORK, `the connection was reset by the peer (${code})`);
  }
  return new CliError(ExitCode.NETWORK, `network error: ${error.message} (${code})`);
}

function handshakeFailure(error: HandshakeError, context: FailureContext): CliError {
  switch (error.code) {
    case ErrorCode.UNEXPECTED_STATUS:
      return refusal(error, context);
    case ErrorCode.PROXY_FAILED:
      return new CliError(ExitCode.PROXY, error.message, proxyHint(error.status));
    case ErrorCode.HANDSHAKE_TIMEOUT:
      return new CliError(ExitCode.NETWORK, error.message, timeoutHint(error, context));
    case ErrorCode.HANDSHAKE_CLOSED:
      return new CliError(
        ExitCode.HANDSHAKE,
        'the server closed the connection without answering the WebSocket handshake',
        'is it a WebSocket server? one that speaks TLS needs wss:// rather than ws://',
      );
    case ErrorCode.UNEXPECTED_PROTOCOL:
      return new CliError(
        ExitCode.HANDSHAKE,
        `the server broke the subprotocol negotiation: ${error.message}`,
      );
    default:
      return new CliError(ExitCode.HANDSHAKE, `invalid handshake response: ${error.message}`);
  }
}

/** A status other than 101: the status, the body's first line, and what may help. */
function refusal(error: HandshakeError, context: FailureContext): CliError {
  const status = error.status;
  const reason = error.response?.reason || STATUS_CODES[status] || 'unknown status';
  const line = firstLine(error.response?.body ?? new Uint8Array(0));
  const message = `the server answered ${status} ${reason} instead of 101 Switching Protocols${line === '' ? '' : `: ${line}`}`;
  return new CliError(ExitCode.HANDSHAKE, message, refusalHint(error, context));
}

function refusalHint(error: HandshakeError, context: FailureContext): string | undefined {
  const status = error.status;
  const location = error.response?.headers.get('Location');
  if (status >= 300 && status < 400 && location !== undefined) {
    return `it redirects to ${location}: connect there, or pass --follow-redirects`;
  }
  if (status === 401) {
    return context.credentials
      ? 'the credentials sent were refused'
      : "log in: --auth user:password, or -H 'Authorization: Bearer <token>'";
  }
  if (status === 403) {
    return context.origin === undefined
      ? 'forbidden: the server may check the Origin (--origin <url>) or want credentials'
      : `forbidden: is the origin ${context.origin} allowed there?`;
  }
  if (status === 404) return 'check the path in the URL';
  if (status === 426) return 'the server wants another protocol or version on this path';
  if (context.protocols.length > 0 && status >= 400 && status < 500) {
    return `perhaps it speaks none of the subprotocols offered (${context.protocols.join(', ')})`;
  }
  if (status >= 500) return 'the server failed; try again later';
  return undefined;
}

function timeoutHint(error: HandshakeError, context: FailureContext): string {
  // A TLS client facing a plain server waits for a TLS answer that never comes.
  if (context.secure && error.message.includes('(connecting to ')) {
    return 'no TLS answer: does the server speak TLS there? (ws:// rather than wss://)';
  }
  return 'is the address right? raise the limit with --timeout <seconds>';
}

function proxyHint(status: number): string | undefined {
  if (status === 407) {
    return 'the proxy wants credentials: --proxy http://user:password@host:port';
  }
  if (status === 0) return 'is it an HTTP proxy that allows CONNECT?';
  return 'the proxy refused to open a tunnel to the server';
}

/** The first non-empty line of a response body, cut to 200 characters ('' when none). */
export function firstLine(body: Uint8Array): string {
  const text = Buffer.from(body.subarray(0, 4096)).toString('utf8');
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return truncate(line.trim(), 200);
}

/** The hint for a connection that opened without any of the subprotocols offered. */
export function noSubprotocol(protocols: readonly string[]): CliError {
  return new CliError(
    ExitCode.HANDSHAKE,
    `the server accepted none of the subprotocols offered (${protocols.join(', ')})`,
    'offer one the server speaks, or drop -p to connect without one',
  );
}

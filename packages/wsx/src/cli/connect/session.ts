/**
 * One `wsx connect` session over the library's public client: a `WebSocket`, or with
 * `--reconnect` a `ReconnectingWebSocket` whose connections come and go. The modes (piped,
 * interactive) see the same small surface, and one outcome at the end: how it ended, as an exit
 * status.
 */

import {
  HandshakeError,
  type HttpResponseHead,
  type RawData,
  ReadyState,
  type ReconnectingInfo,
  ReconnectingWebSocket,
  SendStatus,
  WebSocket,
} from '../../index.js';
import type { CliError } from '../cli-error.js';
import { ExitCode } from '../exit-codes.js';
import { describeFailure, noSubprotocol } from '../failures.js';
import type { ConnectSettings } from './settings.js';

/** How the session ended. */
export interface Outcome {
  readonly exitCode: ExitCode;
  /** The close code received (1006 when none), when a connection had opened. */
  readonly code: number | null;
  readonly reason: string;
  /** Why it failed, when it did not end with a close code of its own. */
  readonly failure: CliError | null;
}

export interface OpenInfo {
  readonly url: string;
  readonly protocol: string;
  readonly extensions: string;
  readonly reconnected: boolean;
}

export interface SessionHandlers {
  open(info: OpenInfo): void;
  message(data: Buffer, isBinary: boolean): void;
  ping?(data: Buffer): void;
  pong?(data: Buffer): void;
  /** The handshake both ways (first connection), for --show-headers. */
  handshake?(request: Uint8Array, response: HttpResponseHead): void;
  /** The server answered with a status other than 101 (for --show-headers). */
  refused?(error: HandshakeError): void;
  reconnecting?(info: ReconnectingInfo): void;
  end(outcome: Outcome): void;
}

/** What the modes may do with the session. */
export interface Session {
  /** Whether a connection is open to send on. */
  readonly isOpen: boolean;
  /** Sends: BACKPRESSURE when the socket's buffer is full (wait for `onDrain`), DROPPED when no connection is open. */
  send(data: string | Buffer, binary: boolean): SendStatus;
  ping(data: string): void;
  /** Starts the closing handshake (a no-op once closing). @throws for an invalid code/reason */
  close(code?: number, reason?: string): void;
  /** Stops reading from the server (stdout is full) / starts again. */
  pause(): void;
  resume(): void;
  onDrain(listener: () => void): void;
}

/** Messages arrive as Buffers (the default binaryType); an ArrayBuffer is wrapped, not copied. */
function asBuffer(data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
}

/** Close codes that end a session normally (as `for await` counts them). */
const NORMAL = new Set([1000, 1001, 1005]);

/** @throws {UsageError} for an invalid URL or option (before anything is sent) */
export function openSession(settings: ConnectSettings, handlers: SessionHandlers): Session {
  return settings.reconnect
    ? reconnectingSession(settings, handlers)
    : singleSession(settings, handlers);
}

/** The outcome of a connection that closed with `code` (after `error`, if one came). */
function closeOutcome(
  code: number,
  reason: string,
  error: Error | null,
  settings: ConnectSettings,
): Outcome {
  if (NORMAL.has(code)) return { exitCode: ExitCode.OK, code, reason, failure: null };
  if (code !== 1006) return { exitCode: ExitCode.ERROR_CLOSE, code, reason, failure: null };
  const failure = error === null ? null : describeFailure(error, settings.failure);
  return { exitCode: ExitCode.ABNORMAL_CLOSE, code, reason, failure };
}

function failedOutcome(failure: CliError): Outcome {
  return { exitCode: failure.exitCode, code: null, reason: '', failure };
}

function openInfo(ws: WebSocket, reconnected: boolean): OpenInfo {
  return { url: ws.url, protocol: ws.protocol, extensions: ws.extensions, reconnected };
}

function singleSession(settings: ConnectSettings, handlers: SessionHandlers): Session {
  const ws = new WebSocket(settings.url, settings.client);
  let error: Error | null = null;
  let refused: CliError | null = null;
  let opened = false;
  ws.on('upgrade', (response: HttpResponseHead, request: Uint8Array) => {
    handlers.handshake?.(request, response);
  });
  ws.on('open', () => {
    opened = true;
    if (settings.protocols.length > 0 && ws.protocol === '') {
      refused = noSubprotocol(settings.protocols);
      ws.close(1000, 'no subprotocol agreed');
      return;
    }
    handlers.open(openInfo(ws, false));
  });
  ws.on('message', (data: RawData, isBinary: boolean) =>
    handlers.message(asBuffer(data), isBinary),
  );
  ws.on('ping', (data: Buffer) => handlers.ping?.(data));
  ws.on('pong', (data: Buffer) => handlers.pong?.(data));
  ws.on('error', (e: Error) => {
    error ??= e;
  });
  ws.on('close', (code: number, reason: string) => {
    if (refused !== null) return handlers.end(failedOutcome(refused));
    if (!opened) {
      if (error instanceof HandshakeError && error.status > 0) handlers.refused?.(error);
      return handlers.end(failedOutcome(describeFailure(error, settings.failure)));
    }
    handlers.end(closeOutcome(code, reason, error, settings));
  });
  return facade(() => (ws.readyState === ReadyState.OPEN ? ws : null), ws);
}

function reconnectingSession(settings: ConnectSettings, handlers: SessionHandlers): Session {
  const rws = new ReconnectingWebSocket(settings.url, { ...settings.client, reconnect: true });
  let refused: CliError | null = null;
  // Every connection's handshake, the first and each reconnection's.
  rws.on('upgrade', (response: HttpResponseHead, request: Uint8Array) => {
    handlers.handshake?.(request, response);
  });
  const opened = (ws: WebSocket, reconnected: boolean): void => {
    if (settings.protocols.length > 0 && ws.protocol === '') {
      refused = noSubprotocol(settings.protocols);
      rws.close(1000, 'no subprotocol agreed');
      return;
    }
    ws.on('ping', (data: Buffer) => handlers.ping?.(data));
    ws.on('pong', (data: Buffer) => handlers.pong?.(data));
    handlers.open(openInfo(ws, reconnected));
  };
  rws.on('open', (ws: WebSocket) => opened(ws, false));
  rws.on('reconnected', (ws: WebSocket) => opened(ws, true));
  rws.on('reconnecting', (info: ReconnectingInfo) => handlers.reconnecting?.(info));
  rws.on('message', (data: RawData, isBinary: boolean) =>
    handlers.message(asBuffer(data), isBinary),
  );
  rws.on('error', () => {}); // each attempt's error; the final one comes with 'close'
  rws.on('close', (code: number, reason: string, error?: Error) => {
    if (refused !== null) return handlers.end(failedOutcome(refused));
    if (error !== undefined && code === 1006) {
      if (error instanceof HandshakeError && error.status > 0) handlers.refused?.(error);
      return handlers.end(failedOutcome(describeFailure(error, settings.failure)));
    }
    handlers.end(closeOutcome(code, reason, error ?? null, settings));
  });
  const current = (): WebSocket | null => {
    const ws = rws.ws;
    return ws !== null && rws.readyState === ReadyState.OPEN ? ws : null;
  };
  return {
    ...facade(current, rws),
    close: (code, reason) => rws.close(code, reason),
  };
}

/** The session's surface over whichever WebSocket is current. */
function facade(
  current: () => WebSocket | null,
  events: {
    on(event: 'drain', listener: () => void): unknown;
    close(c?: number, r?: string): void;
  },
): Session {
  return {
    get isOpen() {
      return current() !== null;
    },
    send(data, binary) {
      const ws = current();
      return ws === null ? SendStatus.DROPPED : ws.send(data, { binary });
    },
    ping(data) {
      current()?.ping(data);
    },
    close(code, reason) {
      events.close(code, reason);
    },
    pause() {
      current()?.pause();
    },
    resume() {
      current()?.resume();
    },
    onDrain(listener) {
      events.on('drain', listener);
    },
  };
}

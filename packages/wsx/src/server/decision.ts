/**
 * Deciding an upgrade, whatever carries it (an HTTP/1.1 `Upgrade`, or an HTTP/2 extended
 * CONNECT, each validated by its own rules first): the server's state and memory budget, the path, the origin, the `upgrade` hook, the subprotocol and the
 * extensions. The answer is an acceptance (the connection's data and what was agreed) or a
 * rejection (status, headers, body); the responder of the transport writes it.
 *
 * A synchronous hook is decided in the same tick, with no promise or timer; only a promise gets
 * the handshake timer (503 when it expires) and a watch on the client giving up (499).
 */

import { ErrorCode, HandshakeError } from '../core/errors.js';
import { formatExtensionHeader } from '../core/extension-header.js';
import type { HeaderInit } from '../core/http-head.js';
import { type HandshakeOffer, selectSubprotocol } from '../core/server-handshake.js';
import { negotiateDeflate } from '../extensions/permessage-deflate.js';
import type { Clock, TimerHandle } from '../node/clock.js';
import type { ConnectionCompression, ServerCompression } from '../websocket/compression.js';
import type { MemoryBudget } from '../websocket/memory-budget.js';
import type { ServerHandlers, ServerOptions } from './options.js';
import type { OriginPredicate } from './origins.js';
import { Rejection } from './rejection.js';
import { UpgradeRequest, type UpgradeSource } from './upgrade-request.js';

/** The upgrade is accepted: the connection's data, and what was agreed. */
export interface Acceptance<Data> {
  readonly accepted: true;
  readonly data: Data;
  /** The subprotocol selected ('' for none). */
  readonly protocol: string;
  /** permessage-deflate, when agreed. */
  readonly compression: ConnectionCompression | null;
}

/** The upgrade is refused with this answer. */
export interface Refusal {
  readonly accepted: false;
  readonly status: number;
  readonly headers?: HeaderInit | undefined;
  readonly body?: string | Uint8Array | undefined;
  /** When the refusal is a handshake error of the client's (bad path, origin, ...). */
  readonly error?: HandshakeError | undefined;
}

export type Decision<Data> = Acceptance<Data> | Refusal;

/** Tells when the client gives up while a decision is pending; returns a function to stop. */
export type WatchGone = (gone: () => void) => () => void;

/** What deciding needs of the server. */
export interface DecisionPolicy<Data> {
  readonly options: Readonly<ServerOptions<Data>>;
  readonly handlers: ServerHandlers<Data>;
  readonly originCheck: OriginPredicate | null;
  readonly compression: ServerCompression | null;
  readonly budget: MemoryBudget | null;
  readonly handshakeTimeout: number;
  readonly clock: Clock;
  isClosing(): boolean;
  shouldHandle(req: UpgradeSource): boolean;
  /** Reports an error of the application's (a hook that threw): the server's reporter. */
  report(error: unknown): void;
}

/**
 * Decides the upgrade `req` whose handshake was validated as `handshake`. Synchronous unless the
 * `upgrade` hook returns a promise.
 */
export function decideUpgrade<Data>(
  policy: DecisionPolicy<Data>,
  req: UpgradeSource,
  handshake: HandshakeOffer,
  watchGone: WatchGone,
): Decision<Data> | Promise<Decision<Data>> {
  const refused = checkAdmission(policy, req, handshake);
  if (refused !== null) return refused;
  const request = new UpgradeRequest(req, handshake.protocols, handshake.origin);
  const hook = policy.handlers.upgrade;
  if (hook === undefined) return agree(policy, req, handshake, request, undefined as Data);
  let decided: unknown;
  try {
    decided = hook(request);
  } catch (error) {
    return refusalOf(hookFailed(policy, error));
  }
  const finish = (result: Data | Rejection): Decision<Data> =>
    result instanceof Rejection
      ? refusalOf(result)
      : agree(policy, req, handshake, request, result);
  if (!isPromise(decided)) return finish(decided as Data | Rejection);
  return awaitHook(policy, decided as Promise<Data | Rejection>, watchGone).then(finish);
}

/** The server's state, its memory budget, the path and the origin. */
function checkAdmission<Data>(
  policy: DecisionPolicy<Data>,
  req: UpgradeSource,
  handshake: HandshakeOffer,
): Refusal | null {
  let error: HandshakeError | null = null;
  if (policy.isClosing()) {
    error = new HandshakeError(ErrorCode.SERVER_CLOSING, 503, 'the server is shutting down');
  } else if (policy.budget?.exhausted === true) {
    error = new HandshakeError(ErrorCode.SERVER_BUSY, 503, 'the server is out of memory budget', {
      headers: { 'Retry-After': '5' },
    });
  } else if (!policy.shouldHandle(req)) {
    error = new HandshakeError(ErrorCode.UNKNOWN_PATH, 404, 'no WebSocket endpoint at this path');
  } else if (
    policy.originCheck !== null &&
    handshake.origin !== undefined &&
    !policy.originCheck(handshake.origin, req)
  ) {
    error = new HandshakeError(ErrorCode.FORBIDDEN_ORIGIN, 403, 'origin not allowed');
  }
  if (error === null) return null;
  return {
    accepted: false,
    status: error.status,
    headers: error.headers,
    body: `${error.message}\n`,
    error,
  };
}

/** The hook accepted: select the subprotocol and negotiate compression. */
function agree<Data>(
  policy: DecisionPolicy<Data>,
  req: UpgradeSource,
  handshake: HandshakeOffer,
  request: UpgradeRequest,
  data: Data,
): Decision<Data> {
  let protocol: string;
  try {
    protocol = selectProtocol(policy.options, handshake.protocols, request, req);
    if (protocol !== '' && !handshake.protocols.includes(protocol)) {
      throw new Error(`the selected subprotocol '${protocol}' was not offered by the client`);
    }
  } catch (error) {
    policy.report(error);
    return { accepted: false, status: 500 };
  }
  return { accepted: true, data, protocol, compression: negotiate(policy.compression, handshake) };
}

function selectProtocol<Data>(
  options: Readonly<ServerOptions<Data>>,
  offered: readonly string[],
  request: UpgradeRequest,
  req: UpgradeSource,
): string {
  const { protocols, handleProtocols } = options;
  if (handleProtocols !== undefined) {
    if (offered.length === 0) return '';
    const chosen = handleProtocols(new Set(offered), req);
    return chosen === false ? '' : chosen;
  }
  if (protocols === undefined || offered.length === 0) return '';
  if (typeof protocols === 'function') return protocols(offered, request) ?? '';
  return selectSubprotocol([...offered], protocols) ?? '';
}

/** RFC 7692: accepts the first acceptable permessage-deflate offer, when compression is on. */
function negotiate(
  compression: ServerCompression | null,
  handshake: HandshakeOffer,
): ConnectionCompression | null {
  if (compression === null || handshake.extensions.length === 0) return null;
  const agreed = negotiateDeflate(handshake.extensions, compression.policy);
  if (agreed === null) return null;
  return compression.connection(agreed.params, formatExtensionHeader([agreed.response]));
}

/** An `upgrade` hook threw: a rejection it threw is answered, anything else is a 500. */
function hookFailed<Data>(policy: DecisionPolicy<Data>, error: unknown): Rejection {
  if (error instanceof Rejection) return error;
  policy.report(error);
  return new Rejection(500, 'Internal Server Error\n');
}

function refusalOf(rejection: Rejection): Refusal {
  return {
    accepted: false,
    status: rejection.status,
    headers: rejection.headers,
    body: rejection.body,
  };
}

/**
 * Waits for an asynchronous `upgrade` hook: 503 when it takes longer than `handshakeTimeout`;
 * a client that gives up meanwhile gets 499 (nobody reads it). Leaves no listener or timer.
 */
function awaitHook<Data>(
  policy: DecisionPolicy<Data>,
  decision: Promise<Data | Rejection>,
  watchGone: WatchGone,
): Promise<Data | Rejection> {
  return new Promise((resolve) => {
    const { clock, handshakeTimeout } = policy;
    let timer: TimerHandle | null = null;
    let unwatch: (() => void) | null = null;
    const settle = (result: Data | Rejection): void => {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      unwatch?.();
      unwatch = null;
      resolve(result);
    };
    unwatch = watchGone(() => settle(new Rejection(499, 'client closed the connection\n')));
    if (handshakeTimeout > 0) {
      timer = clock.setTimeout(() => {
        settle(new Rejection(503, 'the server did not decide in time\n'));
      }, handshakeTimeout);
    }
    decision.then(settle, (error: unknown) => settle(hookFailed(policy, error)));
  });
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}

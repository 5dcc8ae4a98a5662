/**
 * permessage-deflate (RFC 7692 §7): the negotiation of its parameters in the opening handshake,
 * as pure functions. A server picks an offer with {@link negotiateDeflate}; a client builds its
 * offer with {@link deflateOffer} and checks the server's answer with
 * {@link acceptDeflateResponse}. Both sides end with the same {@link DeflateParams}, which the
 * Node layer hands to zlib.
 *
 * Windows of 8 bits: RFC 7692 allows 8 to 15, but zlib cannot compress raw deflate with a
 * 256-byte window (it silently uses 512 bytes). So wsx never agrees to compress with 8 bits: a
 * server declines an offer with `server_max_window_bits=8`, a client fails on a response with
 * `client_max_window_bits=8`, and the policies below accept 9 to 15 only. Decompressing is not
 * affected: an inflater may always use a larger window than the compressor did.
 *
 * @see RFC 7692 §5 (negotiation), §7.1 (parameters)
 */

import { ErrorCode, HandshakeError, UsageError } from '../core/errors.js';
import type { ExtensionOffer } from '../core/extension-header.js';
import { quoteInput } from '../core/header-values.js';
import {
  CLIENT_MAX_WINDOW_BITS,
  CLIENT_NO_CONTEXT_TAKEOVER,
  DEFAULT_WINDOW_BITS,
  type DeflateElement,
  MIN_ZLIB_WINDOW_BITS,
  readDeflateElement,
  SERVER_MAX_WINDOW_BITS,
  SERVER_NO_CONTEXT_TAKEOVER,
} from './deflate-params.js';

/** The registered extension name. @see RFC 7692 §7 */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/**
 * The agreed parameters, defaults filled in: a window is 15 bits when not negotiated, context
 * takeover is allowed unless disabled. `client*` configure the client's compressor and the
 * server's decompressor; `server*` the server's compressor and the client's decompressor.
 *
 * @see RFC 7692 §7 ("The extension parameters with the "client_" prefix are used by the client
 * to configure its compressor and by the server to configure its decompressor")
 */
export interface DeflateParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  /** 8 to 15. An inflater should use at least 9 (or simply 15): see the module comment. */
  readonly serverMaxWindowBits: number;
  /** 8 to 15 (8 only when a client offered 8 itself). */
  readonly clientMaxWindowBits: number;
}

/** What a server is willing to do. @see RFC 7692 §7.1 */
export interface ServerDeflatePolicy {
  /** Never use context takeover for our own messages (a shared compressor): always answer `server_no_context_takeover`. */
  readonly serverNoContextTakeover: boolean;
  /** Ask the client not to use context takeover (a shared decompressor): answer `client_no_context_takeover`. */
  readonly clientNoContextTakeover: boolean;
  /** The largest LZ77 window our compressor uses, 9 to 15 (zlib cannot compress with 8). */
  readonly serverMaxWindowBits: number;
  /** The largest window we accept for the client's compressor, 9 to 15 (bounds our inflater's memory). */
  readonly clientMaxWindowBits: number;
}

/** The RFC's defaults (context takeover both ways, 32 KiB windows): the cheapest in bytes sent. */
export const DEFAULT_SERVER_DEFLATE_POLICY: ServerDeflatePolicy = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: DEFAULT_WINDOW_BITS,
  clientMaxWindowBits: DEFAULT_WINDOW_BITS,
};

/** What a client offers. Omitted or `false`: the parameter is not offered. @see RFC 7692 §7.1 */
export interface ClientDeflatePolicy {
  /** Ask the server not to use context takeover (`server_no_context_takeover`). */
  readonly serverNoContextTakeover?: boolean;
  /** Announce that we will not use context takeover (`client_no_context_takeover`). */
  readonly clientNoContextTakeover?: boolean;
  /** Ask the server to compress with at most this window, 9 to 15 (`server_max_window_bits=N`). */
  readonly serverMaxWindowBits?: number;
  /**
   * Offer `client_max_window_bits`: `true` without a value, as browsers do (the server may then
   * choose our window), or 9 to 15, the largest window our compressor will use.
   */
  readonly clientMaxWindowBits?: number | true;
}

/**
 * Offer `client_max_window_bits` without a value, as Chromium, ws and Python websockets do, so a
 * server that bounds its inflater's window can accept the offer instead of declining it.
 */
export const DEFAULT_CLIENT_DEFLATE_POLICY: ClientDeflatePolicy = { clientMaxWindowBits: true };

/** The outcome of one offer: accepted with the parameters and the answer, or declined and why. */
export type DeflateNegotiation =
  | { readonly accepted: true; readonly params: DeflateParams; readonly response: ExtensionOffer }
  | { readonly accepted: false; readonly reason: string };

/**
 * Server side: picks the first acceptable permessage-deflate offer and builds the answer. Offers
 * of other extensions are skipped. RFC 7692 §5: "The order of elements is important as it
 * specifies the client's preference. ... It is recommended that a server accepts PMCEs with
 * higher preference if the server supports them."
 *
 * @returns the agreed parameters and the element to answer with (format it with
 * `formatExtensionHeader`), or null when no offer is acceptable (answer without the extension).
 * @throws {UsageError} when the policy is invalid.
 * @see RFC 7692 §5, §7, §7.1
 */
export function negotiateDeflate(
  offers: readonly ExtensionOffer[],
  policy: ServerDeflatePolicy,
): { params: DeflateParams; response: ExtensionOffer } | null {
  checkServerPolicy(policy);
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const outcome = negotiateOffer(offer, policy);
    if (outcome.accepted) return { params: outcome.params, response: outcome.response };
  }
  return null;
}

/**
 * Server side, one offer: accepts it (with the parameters and the answer) or declines it with the
 * reason, for logs and tests.
 *
 * @throws {UsageError} when the policy is invalid.
 * @see RFC 7692 §7 ("A server MUST decline an extension negotiation offer for this extension if
 * any of the following conditions are met")
 */
export function negotiateDeflateOffer(
  offer: ExtensionOffer,
  policy: ServerDeflatePolicy,
): DeflateNegotiation {
  checkServerPolicy(policy);
  return negotiateOffer(offer, policy);
}

function negotiateOffer(offer: ExtensionOffer, policy: ServerDeflatePolicy): DeflateNegotiation {
  if (offer.name !== PERMESSAGE_DEFLATE) return decline(`not ${PERMESSAGE_DEFLATE}`);
  const element = readDeflateElement(offer.params);
  if (typeof element === 'string') return decline(element);
  const server = serverWindow(element.serverMaxWindowBits, policy.serverMaxWindowBits);
  if (typeof server === 'string') return decline(server);
  const client = clientWindow(element.clientMaxWindowBits, policy.clientMaxWindowBits);
  if (typeof client === 'string') return decline(client);
  const params: DeflateParams = {
    // §7.1.1.1: "A server accepts an extension negotiation offer that includes the
    // "server_no_context_takeover" extension parameter by including the
    // "server_no_context_takeover" extension parameter in the corresponding extension
    // negotiation response"; and it "MAY include [it] ... even if the extension negotiation
    // offer ... didn't include" it.
    serverNoContextTakeover: element.serverNoContextTakeover || policy.serverNoContextTakeover,
    // §7.1.1.2: "the server may either ignore the parameter or use the parameter to avoid taking
    // over the LZ77 sliding window unnecessarily by including the "client_no_context_takeover"
    // extension parameter in the corresponding extension negotiation response". We echo it: the
    // client will not use context takeover anyway, and our inflater can then be reset.
    clientNoContextTakeover: element.clientNoContextTakeover || policy.clientNoContextTakeover,
    serverMaxWindowBits: server.bits,
    clientMaxWindowBits: client.bits,
  };
  return {
    accepted: true,
    params,
    response: responseFor(params, server.announce, client.announce),
  };
}

/** A window size chosen by the server, and whether the answer states it. */
interface WindowChoice {
  readonly bits: number;
  readonly announce: boolean;
}

/** RFC 7692 §7.1.2.1: the server's compressor window. */
function serverWindow(requested: number | undefined, limit: number): WindowChoice | string {
  // "A server MAY include the "server_max_window_bits" extension parameter in an extension
  // negotiation response even if the extension negotiation offer being accepted by the response
  // didn't include the "server_max_window_bits" extension parameter."
  if (requested === undefined) return { bits: limit, announce: limit < DEFAULT_WINDOW_BITS };
  // "A server declines an extension negotiation offer with this parameter if the server doesn't
  // support it."
  if (requested < MIN_ZLIB_WINDOW_BITS) {
    return `${SERVER_MAX_WINDOW_BITS}=${requested} requested: zlib cannot compress with a window under ${2 ** MIN_ZLIB_WINDOW_BITS} bytes`;
  }
  // "A server accepts an extension negotiation offer with this parameter by including the
  // "server_max_window_bits" extension parameter in the extension negotiation response to send
  // back to the client with the same or smaller value as the offer."
  return { bits: Math.min(requested, limit), announce: true };
}

/** RFC 7692 §7.1.2.2: the client's compressor window. */
function clientWindow(offered: number | true | undefined, limit: number): WindowChoice | string {
  if (offered === undefined) {
    // "If a received extension negotiation offer doesn't have the "client_max_window_bits"
    // extension parameter, the corresponding extension negotiation response to the offer MUST
    // NOT include the "client_max_window_bits" extension parameter." The client may then use
    // 32 KiB; a policy that forbids it cannot accept.
    if (limit < DEFAULT_WINDOW_BITS) {
      return `${CLIENT_MAX_WINDOW_BITS} not offered: the client may use a 15-bit window, over the ${limit} bits allowed`;
    }
    return { bits: DEFAULT_WINDOW_BITS, announce: false };
  }
  // "If the "client_max_window_bits" extension parameter in a received extension negotiation
  // offer has a value, the server may either ignore this value or use this value ... by
  // including the "client_max_window_bits" extension parameter in the corresponding extension
  // negotiation response to the offer with a value equal to or smaller than the received value."
  // We state the window whenever it is under the default, so both sides read the same number.
  const bits = offered === true ? limit : Math.min(offered, limit);
  return { bits, announce: bits < DEFAULT_WINDOW_BITS };
}

/** The answer, parameters in the RFC's order. */
function responseFor(
  params: DeflateParams,
  announceServerWindow: boolean,
  announceClientWindow: boolean,
): ExtensionOffer {
  const out: [string, string | true][] = [];
  if (params.serverNoContextTakeover) out.push([SERVER_NO_CONTEXT_TAKEOVER, true]);
  if (params.clientNoContextTakeover) out.push([CLIENT_NO_CONTEXT_TAKEOVER, true]);
  if (announceServerWindow) out.push([SERVER_MAX_WINDOW_BITS, String(params.serverMaxWindowBits)]);
  if (announceClientWindow) out.push([CLIENT_MAX_WINDOW_BITS, String(params.clientMaxWindowBits)]);
  return { name: PERMESSAGE_DEFLATE, params: out };
}

function decline(reason: string): DeflateNegotiation {
  return { accepted: false, reason };
}

/**
 * Client side: the offer for `Sec-WebSocket-Extensions` (format it with `formatExtensionHeader`).
 *
 * @throws {UsageError} when the policy is invalid (a window outside 9 to 15).
 * @see RFC 7692 §7.1
 */
export function deflateOffer(policy: ClientDeflatePolicy): ExtensionOffer {
  checkClientPolicy(policy);
  const params: [string, string | true][] = [];
  if (policy.serverNoContextTakeover === true) params.push([SERVER_NO_CONTEXT_TAKEOVER, true]);
  if (policy.clientNoContextTakeover === true) params.push([CLIENT_NO_CONTEXT_TAKEOVER, true]);
  if (policy.serverMaxWindowBits !== undefined) {
    params.push([SERVER_MAX_WINDOW_BITS, String(policy.serverMaxWindowBits)]);
  }
  const clientBits = policy.clientMaxWindowBits;
  if (clientBits !== undefined) {
    params.push([CLIENT_MAX_WINDOW_BITS, clientBits === true ? true : String(clientBits)]);
  }
  return { name: PERMESSAGE_DEFLATE, params };
}

/**
 * Client side: checks the server's permessage-deflate answer against what was offered and returns
 * the parameters in force. RFC 7692 §7: "A client MUST _Fail the WebSocket Connection_ if the
 * peer server accepted an extension negotiation offer for this extension with an extension
 * negotiation response meeting any of the following conditions" (a parameter not defined, an
 * invalid value, a repeated parameter, a configuration the client does not support).
 *
 * @param response the one permessage-deflate element of the answer ({@link findDeflateResponse}).
 * @param offered the policy the offer was built from ({@link deflateOffer}).
 * @param status the status of the response, for the error (always 101 in practice).
 * @throws {HandshakeError} `INVALID_EXTENSION_PARAMS` when the answer is invalid.
 * @throws {UsageError} when the policy is invalid.
 * @see RFC 7692 §7, §7.1
 */
export function acceptDeflateResponse(
  response: ExtensionOffer,
  offered: ClientDeflatePolicy,
  status = 101,
): DeflateParams {
  checkClientPolicy(offered);
  const fail = (reason: string) =>
    new HandshakeError(
      ErrorCode.INVALID_EXTENSION_PARAMS,
      status,
      `invalid ${PERMESSAGE_DEFLATE} response: ${reason}`,
    );
  if (response.name !== PERMESSAGE_DEFLATE)
    throw fail(`${quoteInput(response.name)} is another extension`);
  const element = readDeflateElement(response.params);
  if (typeof element === 'string') throw fail(element);
  const noContext = checkServerNoContextTakeover(element, offered);
  if (noContext !== undefined) throw fail(noContext);
  const serverBits = serverWindowInForce(element.serverMaxWindowBits, offered.serverMaxWindowBits);
  if (typeof serverBits === 'string') throw fail(serverBits);
  const clientBits = clientWindowInForce(element.clientMaxWindowBits, offered.clientMaxWindowBits);
  if (typeof clientBits === 'string') throw fail(clientBits);
  return {
    serverNoContextTakeover: element.serverNoContextTakeover,
    // §7.1.1.2: by offering it, "a client informs the peer server of a hint that even if the
    // server doesn't include the "client_no_context_takeover" extension parameter in the
    // corresponding extension negotiation response to the offer, the client is not going to use
    // context takeover." And "A client MUST support the "client_no_context_takeover" extension
    // parameter in an extension negotiation response" (offered or not).
    clientNoContextTakeover:
      element.clientNoContextTakeover || offered.clientNoContextTakeover === true,
    serverMaxWindowBits: serverBits,
    clientMaxWindowBits: clientBits,
  };
}

/**
 * §7.1.1.1: "A server accepts an extension negotiation offer that includes the
 * "server_no_context_takeover" extension parameter by including the
 * "server_no_context_takeover" extension parameter in the corresponding extension negotiation
 * response". Answering it unasked is allowed: "A server MAY include ...".
 */
function checkServerNoContextTakeover(
  element: DeflateElement,
  offered: ClientDeflatePolicy,
): string | undefined {
  if (offered.serverNoContextTakeover === true && !element.serverNoContextTakeover) {
    return `${SERVER_NO_CONTEXT_TAKEOVER} was requested but not answered`;
  }
  return undefined;
}

/** §7.1.2.1: the server's compressor window (our inflater's), or why the answer is invalid. */
function serverWindowInForce(
  answered: number | undefined,
  requested: number | undefined,
): number | string {
  if (requested === undefined) return answered ?? DEFAULT_WINDOW_BITS;
  // "A server accepts an extension negotiation offer with this parameter by including the
  // "server_max_window_bits" extension parameter in the extension negotiation response to send
  // back to the client with the same or smaller value as the offer."
  if (answered === undefined) {
    return `${SERVER_MAX_WINDOW_BITS}=${requested} was requested but not answered`;
  }
  if (answered > requested) {
    return `${SERVER_MAX_WINDOW_BITS}=${answered} is larger than the ${requested} requested`;
  }
  return answered;
}

/** §7.1.2.2: our compressor's window, or why the answer is invalid. */
function clientWindowInForce(
  answered: number | true | undefined,
  offered: number | true | undefined,
): number | string {
  // With a value in the offer, "the client is not going to use an LZ77 sliding window size
  // greater than the size specified by the value in the extension negotiation offer", whether
  // or not the server answers the parameter.
  if (answered === undefined)
    return offered === true ? DEFAULT_WINDOW_BITS : (offered ?? DEFAULT_WINDOW_BITS);
  // "The "client_max_window_bits" extension parameter in an extension negotiation response has
  // a decimal integer value".
  if (answered === true)
    return `parameter ${CLIENT_MAX_WINDOW_BITS} requires a value in a response`;
  // "If a received extension negotiation offer doesn't have the "client_max_window_bits"
  // extension parameter, the corresponding extension negotiation response to the offer MUST NOT
  // include the "client_max_window_bits" extension parameter."
  if (offered === undefined) return `${CLIENT_MAX_WINDOW_BITS} was answered but not offered`;
  // "... with a value equal to or smaller than the received value."
  if (offered !== true && answered > offered) {
    return `${CLIENT_MAX_WINDOW_BITS}=${answered} is larger than the ${offered} offered`;
  }
  // RFC 7692 §7: "The client does not support the configuration that the response represents."
  if (answered < MIN_ZLIB_WINDOW_BITS) {
    return `${CLIENT_MAX_WINDOW_BITS}=${answered}: zlib cannot compress with a window under ${2 ** MIN_ZLIB_WINDOW_BITS} bytes`;
  }
  return answered;
}

/**
 * Client side: the permessage-deflate element among the extensions a server accepted, or null.
 * RFC 7692 §5: "A client that received a response accepting more than one PMCE extension
 * negotiation offer MUST _Fail the WebSocket Connection_."
 *
 * @throws {HandshakeError} `INVALID_EXTENSION_PARAMS` when it is accepted more than once.
 * @see RFC 7692 §5
 */
export function findDeflateResponse(
  accepted: readonly ExtensionOffer[],
  status = 101,
): ExtensionOffer | null {
  const found = accepted.filter((extension) => extension.name === PERMESSAGE_DEFLATE);
  if (found.length > 1) {
    throw new HandshakeError(
      ErrorCode.INVALID_EXTENSION_PARAMS,
      status,
      `invalid ${PERMESSAGE_DEFLATE} response: the extension is accepted ${found.length} times`,
    );
  }
  return found[0] ?? null;
}

/** Policies are ours: a bad one is a programming error, thrown at once. */
/** Throws a UsageError for a server policy wsx cannot honour (window bits outside 9-15). */
export function checkServerPolicy(policy: ServerDeflatePolicy): void {
  checkWindowBits('serverMaxWindowBits', policy.serverMaxWindowBits);
  checkWindowBits('clientMaxWindowBits', policy.clientMaxWindowBits);
}

/** Throws a UsageError for a client policy wsx cannot honour (window bits outside 9-15). */
export function checkClientPolicy(policy: ClientDeflatePolicy): void {
  if (policy.serverMaxWindowBits !== undefined) {
    checkWindowBits('serverMaxWindowBits', policy.serverMaxWindowBits);
  }
  if (policy.clientMaxWindowBits !== undefined && policy.clientMaxWindowBits !== true) {
    checkWindowBits('clientMaxWindowBits', policy.clientMaxWindowBits);
  }
}

function checkWindowBits(name: string, bits: number): void {
  if (!Number.isInteger(bits) || bits < MIN_ZLIB_WINDOW_BITS || bits > DEFAULT_WINDOW_BITS) {
    throw new UsageError(
      `${name} must be an integer from ${MIN_ZLIB_WINDOW_BITS} to ${DEFAULT_WINDOW_BITS}, got ${bits}`,
    );
  }
}

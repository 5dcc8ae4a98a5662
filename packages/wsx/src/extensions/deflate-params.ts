/**
 * The syntax of the permessage-deflate parameters (RFC 7692 §7, §7.1): reading the parameter list
 * of one `Sec-WebSocket-Extensions` element into a record, with the checks both sides share.
 * What the values mean for the negotiation lives in `permessage-deflate.ts`.
 *
 * @see RFC 7692 §7.1
 */

import type { ExtensionOffer } from '../core/extension-header.js';
import { quoteInput } from '../core/header-values.js';

export const SERVER_NO_CONTEXT_TAKEOVER = 'server_no_context_takeover';
export const CLIENT_NO_CONTEXT_TAKEOVER = 'client_no_context_takeover';
export const SERVER_MAX_WINDOW_BITS = 'server_max_window_bits';
export const CLIENT_MAX_WINDOW_BITS = 'client_max_window_bits';

/** RFC 7692 §7.1.2.1: "Absence of this parameter ... up to 32,768 bytes", i.e. 2^15. */
export const DEFAULT_WINDOW_BITS = 15;

/**
 * The smallest window zlib can compress with. For raw deflate, zlib turns a request for an 8-bit
 * (256-byte) window into 9 bits without a word, so a compressor that agreed to 8 could emit
 * back-references the peer's 256-byte window cannot resolve.
 */
export const MIN_ZLIB_WINDOW_BITS = 9;

/**
 * The parameters of one element, as written: `undefined` when absent, `true` for a
 * `client_max_window_bits` without a value (allowed in an offer only; the caller decides).
 */
export interface DeflateElement {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number | undefined;
  readonly clientMaxWindowBits: number | true | undefined;
}

/**
 * RFC 7692 §7.1.2.1, §7.1.2.2: "a decimal integer value without leading zeroes between 8 to 15,
 * inclusive", with `server-max-window-bits = 1*DIGIT`. No sign, no leading zero, no spaces.
 */
const WINDOW_BITS = new Set(['8', '9', '10', '11', '12', '13', '14', '15']);

/**
 * Reads the parameters of one permessage-deflate element (an offer or a response: RFC 7692 §7,
 * "All four parameters are defined for both a client's extension negotiation offer and a
 * server's extension negotiation response"). Returns the record, or why the element is invalid:
 * an unknown parameter, a repeated one, a value where none is allowed, a missing or malformed
 * window size.
 *
 * @see RFC 7692 §7 (the conditions under which an offer is declined or a response fails)
 */
export function readDeflateElement(params: ExtensionOffer['params']): DeflateElement | string {
  const seen = new Set<string>();
  const element = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined as number | undefined,
    clientMaxWindowBits: undefined as number | true | undefined,
  };
  for (const [name, value] of params) {
    // RFC 7692 §7: "The negotiation offer contains multiple extension parameters with the same
    // name" (the offer is declined; likewise a response fails the connection).
    if (seen.has(name)) return `parameter ${name} is repeated`;
    seen.add(name);
    switch (name) {
      case SERVER_NO_CONTEXT_TAKEOVER:
      case CLIENT_NO_CONTEXT_TAKEOVER:
        // §7.1.1.1, §7.1.1.2: "This extension parameter has no value."
        if (value !== true) return `parameter ${name} takes no value, got ${quoteInput(value)}`;
        if (name === SERVER_NO_CONTEXT_TAKEOVER) element.serverNoContextTakeover = true;
        else element.clientNoContextTakeover = true;
        break;
      case SERVER_MAX_WINDOW_BITS:
        // §7.1.2.1: "This parameter has a decimal integer value" (a value is required).
        if (value === true) return `parameter ${name} requires a value`;
        if (!WINDOW_BITS.has(value)) return invalidWindowBits(name, value);
        element.serverMaxWindowBits = Number(value);
        break;
      case CLIENT_MAX_WINDOW_BITS:
        // §7.1.2.2: "This parameter has no value or a decimal integer value".
        if (value !== true && !WINDOW_BITS.has(value)) return invalidWindowBits(name, value);
        element.clientMaxWindowBits = value === true ? true : Number(value);
        break;
      default:
        // RFC 7692 §7: "an extension parameter not defined for use in an offer" / "in a response".
        // Names are compared exactly: the four are registered in lower case.
        return `unknown parameter ${quoteInput(name)}`;
    }
  }
  return element;
}

function invalidWindowBits(name: string, value: string): string {
  return `parameter ${name}=${quoteInput(value)} is not an integer from 8 to 15 without leading zeros`;
}

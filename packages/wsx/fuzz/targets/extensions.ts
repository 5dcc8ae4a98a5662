/**
 * Fuzz target: `Sec-WebSocket-Extensions` (src/core/extension-header.ts) and the
 * permessage-deflate negotiation on both sides (src/extensions/permessage-deflate.ts). Checked:
 * parsing fails only with a 400 `HandshakeError`; what parses formats back to a header that
 * parses the same; the server's negotiation never throws on any offer; whatever it accepts, its
 * answer is accepted by a client that made that offer, with the same parameters on both sides;
 * the client's checks of an arbitrary answer fail only with a `HandshakeError`.
 *
 * Input: the header value as latin1 bytes; its first byte also picks the policies.
 */
import { ErrorCode, HandshakeError } from '../../src/core/errors.js';
import {
  type ExtensionOffer,
  formatExtensionHeader,
  parseExtensionHeader,
} from '../../src/core/extension-header.js';
import {
  acceptDeflateResponse,
  type ClientDeflatePolicy,
  findDeflateResponse,
  negotiateDeflate,
  type ServerDeflatePolicy,
} from '../../src/extensions/permessage-deflate.js';
import { check, type FuzzTarget, PropertyFailure, tokens } from '../engine/target.js';

const SERVER_POLICIES: ServerDeflatePolicy[] = [
  {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  },
  {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  },
  {
    serverNoContextTakeover: false,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 10,
    clientMaxWindowBits: 12,
  },
  {
    serverNoContextTakeover: true,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 9,
    clientMaxWindowBits: 9,
  },
];

const CLIENT_POLICIES: ClientDeflatePolicy[] = [
  {},
  { clientMaxWindowBits: true },
  { serverNoContextTakeover: true, clientNoContextTakeover: true },
  { serverMaxWindowBits: 10, clientMaxWindowBits: 11 },
  { serverMaxWindowBits: 15, clientMaxWindowBits: 9, serverNoContextTakeover: true },
];

/** Runs `fn`; a HandshakeError with `code` is an outcome, anything else is a finding. */
function expectHandshakeError<T>(code: ErrorCode, fn: () => T): T | null {
  try {
    return fn();
  } catch (error) {
    if (error instanceof HandshakeError && error.code === code) return null;
    if (error instanceof PropertyFailure) throw error;
    throw new PropertyFailure(`unexpected ${(error as Error)?.stack ?? error}`);
  }
}

const latin1 = (input: Uint8Array) => String.fromCharCode(...input);

/** The header round trip: format(parse(v)) parses to the same offers. */
function checkRoundTrip(offers: ExtensionOffer[]): void {
  const formatted = formatExtensionHeader(offers);
  const again = parseExtensionHeader(formatted);
  check(JSON.stringify(again) === JSON.stringify(offers), 'the formatted header parses otherwise');
}

/** Whatever the server accepts with one of our policies, its answer reads back as one element. */
function checkNegotiation(offers: ExtensionOffer[], selector: number): void {
  const server = SERVER_POLICIES[selector % SERVER_POLICIES.length]!;
  const negotiated = negotiateDeflate(offers, server);
  if (negotiated === null) return;
  const answer = parseExtensionHeader(formatExtensionHeader([negotiated.response]));
  check(answer.length === 1, 'the answer is not one element');
  for (const client of CLIENT_POLICIES) {
    const accepted = expectHandshakeError(ErrorCode.INVALID_EXTENSION_PARAMS, () =>
      acceptDeflateResponse(answer[0]!, client),
    );
    if (accepted === null) continue;
    const bits = [accepted.serverMaxWindowBits, accepted.clientMaxWindowBits];
    check(
      bits.every((b) => b >= 8 && b <= 15),
      'window bits outside 8-15',
    );
  }
}

function run(input: Uint8Array): void {
  const value = latin1(input.subarray(1));
  const selector = input[0] ?? 0;
  const offers = expectHandshakeError(ErrorCode.INVALID_EXTENSIONS_HEADER, () =>
    parseExtensionHeader(value),
  );
  if (offers === null) return;
  checkRoundTrip(offers);
  checkNegotiation(offers, selector);
  // The same value as a server's answer, read by a client.
  const found = expectHandshakeError(ErrorCode.INVALID_EXTENSION_PARAMS, () =>
    findDeflateResponse(offers),
  );
  if (found === null || found === undefined) return;
  const client = CLIENT_POLICIES[selector % CLIENT_POLICIES.length]!;
  expectHandshakeError(ErrorCode.INVALID_EXTENSION_PARAMS, () =>
    acceptDeflateResponse(found, client),
  );
}

export const extensionsTarget: FuzzTarget = {
  name: 'extensions',
  description: 'Sec-WebSocket-Extensions and permessage-deflate negotiation, both sides',
  maxLength: 1024,
  dictionary: tokens(
    'permessage-deflate',
    'x-webkit-deflate-frame',
    'server_no_context_takeover',
    'client_no_context_takeover',
    'server_max_window_bits',
    'client_max_window_bits',
    '=8',
    '=9',
    '=15',
    '=16',
    '="10"',
    '=010',
    '; ',
    ', ',
    ';',
    ',',
    '"',
    '\\"',
    ' \t',
    '=',
  ),
  seeds: () =>
    tokens(
      '\x00permessage-deflate; client_max_window_bits',
      '\x01permessage-deflate; server_no_context_takeover; client_max_window_bits=10, permessage-deflate',
      '\x02permessage-deflate; server_max_window_bits="12"; client_no_context_takeover',
      '\x03foo; bar="baz, qux", permessage-deflate',
    ),
  run,
};

/**
 * A property of permessage-deflate negotiation (RFC 7692 §7): for any client policy and any
 * server policy, the client's offer goes through the header's text form to the server; if the
 * server accepts, its answer goes back the same way and the client must accept it, and both sides
 * must then hold the same four parameters.
 */
import fc from 'fast-check';
import { formatExtensionHeader, parseExtensionHeader } from '../../src/core/extension-header.js';
import {
  acceptDeflateResponse,
  type ClientDeflatePolicy,
  deflateOffer,
  negotiateDeflate,
  type ServerDeflatePolicy,
} from '../../src/extensions/permessage-deflate.js';
import { check } from '../engine/target.js';

const bits = fc.integer({ min: 9, max: 15 });

const clientPolicyArb: fc.Arbitrary<ClientDeflatePolicy> = fc.record(
  {
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: bits,
    clientMaxWindowBits: fc.oneof(fc.constant(true as const), bits),
  },
  { requiredKeys: [] },
);

const serverPolicyArb: fc.Arbitrary<ServerDeflatePolicy> = fc.record({
  serverNoContextTakeover: fc.boolean(),
  clientNoContextTakeover: fc.boolean(),
  serverMaxWindowBits: bits,
  clientMaxWindowBits: bits,
});

export const deflateAgreementProperty = fc.property(
  clientPolicyArb,
  serverPolicyArb,
  fc.constantFrom('', 'x-other; a=1, ', 'permessage-deflate; server_max_window_bits=8, '),
  (client, server, before) => {
    const header = before + formatExtensionHeader([deflateOffer(client)]);
    const negotiated = negotiateDeflate(parseExtensionHeader(header), server);
    const declined = client.clientMaxWindowBits === undefined && server.clientMaxWindowBits < 15;
    check((negotiated === null) === declined, () => `declined: ${negotiated === null}`);
    if (negotiated === null) return;
    const [answer] = parseExtensionHeader(formatExtensionHeader([negotiated.response]));
    const agreed = acceptDeflateResponse(answer!, client);
    check(
      JSON.stringify(agreed) === JSON.stringify(negotiated.params),
      () => `client ${JSON.stringify(agreed)} != server ${JSON.stringify(negotiated.params)}`,
    );
    if (client.serverMaxWindowBits !== undefined) {
      check(agreed.serverMaxWindowBits <= client.serverMaxWindowBits, 'server window too big');
    }
    check(agreed.serverMaxWindowBits <= server.serverMaxWindowBits, 'over the server policy');
    check(agreed.clientMaxWindowBits <= server.clientMaxWindowBits, 'client window too big');
  },
);

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, HandshakeError, UsageError } from '../../src/core/errors.js';
import { formatExtensionHeader, parseExtensionHeader } from '../../src/core/extension-header.js';
import {
  acceptDeflateResponse,
  type ClientDeflatePolicy,
  DEFAULT_CLIENT_DEFLATE_POLICY,
  DEFAULT_SERVER_DEFLATE_POLICY,
  type DeflateParams,
  deflateOffer,
  findDeflateResponse,
  negotiateDeflate,
  negotiateDeflateOffer,
  PERMESSAGE_DEFLATE,
  type ServerDeflatePolicy,
} from '../../src/extensions/permessage-deflate.js';

const DEFAULT_PARAMS: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

const policy = (overrides: Partial<ServerDeflatePolicy> = {}): ServerDeflatePolicy => ({
  ...DEFAULT_SERVER_DEFLATE_POLICY,
  ...overrides,
});

const params = (overrides: Partial<DeflateParams> = {}): DeflateParams => ({
  ...DEFAULT_PARAMS,
  ...overrides,
});

/** Server side through the header: the answer as a header value (null: declined) and params. */
function serve(header: string, serverPolicy: ServerDeflatePolicy = policy()) {
  const result = negotiateDeflate(parseExtensionHeader(header), serverPolicy);
  if (result === null) return null;
  return { header: formatExtensionHeader([result.response]), params: result.params };
}

/** Why the server declines the single offer in `header`. */
function declineReason(header: string, serverPolicy: ServerDeflatePolicy = policy()): string {
  const [offer, ...rest] = parseExtensionHeader(header);
  assert.equal(rest.length, 0);
  const outcome = negotiateDeflateOffer(offer!, serverPolicy);
  assert.equal(outcome.accepted, false, `expected ${header} to be declined`);
  assert.equal(negotiateDeflate([offer!], serverPolicy), null);
  return outcome.accepted ? '' : outcome.reason;
}

/** Client side through the header: the response element parsed from `header`. */
function accept(header: string, offered: ClientDeflatePolicy, status?: number): DeflateParams {
  const response = findDeflateResponse(parseExtensionHeader(header));
  assert.ok(response);
  return acceptDeflateResponse(response, offered, status);
}

function rejection(header: string, offered: ClientDeflatePolicy): HandshakeError {
  let caught: unknown;
  try {
    accept(header, offered);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof HandshakeError, `expected ${header} to be rejected`);
  assert.equal(caught.code, ErrorCode.INVALID_EXTENSION_PARAMS);
  return caught;
}

describe('RFC 7692 §7: the server validates each offer', () => {
  it('accepts a bare offer with the RFC defaults and answers it bare', () => {
    assert.deepEqual(serve('permessage-deflate'), {
      header: 'permessage-deflate',
      params: DEFAULT_PARAMS,
    });
  });

  const declined: [header: string, reason: string][] = [
    ['permessage-deflate; foo', "unknown parameter 'foo'"],
    ['permessage-deflate; foo=1', "unknown parameter 'foo'"],
    [
      'permessage-deflate; Server_No_Context_Takeover',
      "unknown parameter 'Server_No_Context_Takeover'",
    ],
    [
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      'parameter server_no_context_takeover is repeated',
    ],
    [
      'permessage-deflate; client_no_context_takeover; client_no_context_takeover',
      'parameter client_no_context_takeover is repeated',
    ],
    [
      'permessage-deflate; server_max_window_bits=10; server_max_window_bits=10',
      'parameter server_max_window_bits is repeated',
    ],
    [
      'permessage-deflate; client_max_window_bits; client_max_window_bits=10',
      'parameter client_max_window_bits is repeated',
    ],
    [
      'permessage-deflate; server_no_context_takeover=true',
      "parameter server_no_context_takeover takes no value, got 'true'",
    ],
    [
      'permessage-deflate; client_no_context_takeover="1"',
      "parameter client_no_context_takeover takes no value, got '1'",
    ],
    [
      'permessage-deflate; server_max_window_bits',
      'parameter server_max_window_bits requires a value',
    ],
    ...['7', '16', '08', '010', '0', '+9', '-9', '9.0', '0x9', 'ten', '1e1', '150'].flatMap(
      (value): [string, string][] =>
        ['server_max_window_bits', 'client_max_window_bits'].map((name) => [
          `permessage-deflate; ${name}=${value}`,
          `parameter ${name}='${value}' is not an integer from 8 to 15 without leading zeros`,
        ]),
    ),
  ];
  for (const [header, reason] of declined) {
    it(`declines ${header}: ${reason}`, () => {
      assert.equal(declineReason(header), reason);
    });
  }

  it('accepts a value written as a quoted string (RFC 6455 §9.1)', () => {
    assert.deepEqual(serve('permessage-deflate; server_max_window_bits="10"'), {
      header: 'permessage-deflate; server_max_window_bits=10',
      params: params({ serverMaxWindowBits: 10 }),
    });
  });

  it('declines an offer of another extension', () => {
    const outcome = negotiateDeflateOffer({ name: 'x-webkit-deflate-frame', params: [] }, policy());
    assert.deepEqual(outcome, { accepted: false, reason: 'not permessage-deflate' });
  });
});

describe('RFC 7692 §7.1: the server answers each parameter', () => {
  const cases: [
    title: string,
    offer: string,
    serverPolicy: Partial<ServerDeflatePolicy>,
    answer: string,
    agreed: Partial<DeflateParams>,
  ][] = [
    [
      '§7.1.1.1 server_no_context_takeover requested: answered',
      'permessage-deflate; server_no_context_takeover',
      {},
      'permessage-deflate; server_no_context_takeover',
      { serverNoContextTakeover: true },
    ],
    [
      '§7.1.1.1 server_no_context_takeover by policy, unrequested: answered',
      'permessage-deflate',
      { serverNoContextTakeover: true },
      'permessage-deflate; server_no_context_takeover',
      { serverNoContextTakeover: true },
    ],
    [
      '§7.1.1.2 client_no_context_takeover offered: echoed',
      'permessage-deflate; client_no_context_takeover',
      {},
      'permessage-deflate; client_no_context_takeover',
      { clientNoContextTakeover: true },
    ],
    [
      '§7.1.1.2 client_no_context_takeover by policy, not offered: answered',
      'permessage-deflate',
      { clientNoContextTakeover: true },
      'permessage-deflate; client_no_context_takeover',
      { clientNoContextTakeover: true },
    ],
    [
      '§7.1.2.1 server_max_window_bits under the policy: echoed',
      'permessage-deflate; server_max_window_bits=10',
      {},
      'permessage-deflate; server_max_window_bits=10',
      { serverMaxWindowBits: 10 },
    ],
    [
      '§7.1.2.1 server_max_window_bits=15: echoed (accepting requires the parameter)',
      'permessage-deflate; server_max_window_bits=15',
      {},
      'permessage-deflate; server_max_window_bits=15',
      {},
    ],
    [
      '§7.1.2.1 server_max_window_bits over the policy: answered with the policy',
      'permessage-deflate; server_max_window_bits=12',
      { serverMaxWindowBits: 10 },
      'permessage-deflate; server_max_window_bits=10',
      { serverMaxWindowBits: 10 },
    ],
    [
      '§7.1.2.1 server_max_window_bits not requested, policy under 15: announced',
      'permessage-deflate',
      { serverMaxWindowBits: 11 },
      'permessage-deflate; server_max_window_bits=11',
      { serverMaxWindowBits: 11 },
    ],
    [
      '§7.1.2.1 server_max_window_bits=9: the smallest zlib honours',
      'permessage-deflate; server_max_window_bits=9',
      {},
      'permessage-deflate; server_max_window_bits=9',
      { serverMaxWindowBits: 9 },
    ],
    [
      '§7.1.2.2 client_max_window_bits without a value, policy 15: not answered',
      'permessage-deflate; client_max_window_bits',
      {},
      'permessage-deflate',
      {},
    ],
    [
      '§7.1.2.2 client_max_window_bits without a value, policy 10: answered 10',
      'permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 10 },
      'permessage-deflate; client_max_window_bits=10',
      { clientMaxWindowBits: 10 },
    ],
    [
      '§7.1.2.2 client_max_window_bits=12, policy 10: answered 10',
      'permessage-deflate; client_max_window_bits=12',
      { clientMaxWindowBits: 10 },
      'permessage-deflate; client_max_window_bits=10',
      { clientMaxWindowBits: 10 },
    ],
    [
      '§7.1.2.2 client_max_window_bits=9, policy 15: the client promised 9, stated',
      'permessage-deflate; client_max_window_bits=9',
      {},
      'permessage-deflate; client_max_window_bits=9',
      { clientMaxWindowBits: 9 },
    ],
    [
      '§7.1.2.2 client_max_window_bits=8: the client promised 8 (our inflater is unaffected)',
      'permessage-deflate; client_max_window_bits=8',
      { clientMaxWindowBits: 12 },
      'permessage-deflate; client_max_window_bits=8',
      { clientMaxWindowBits: 8 },
    ],
    [
      '§7.1.2.2 client_max_window_bits=15, policy 15: not answered',
      'permessage-deflate; client_max_window_bits=15',
      {},
      'permessage-deflate',
      {},
    ],
    [
      'every parameter at once, answered in the RFC order',
      'permessage-deflate; client_max_window_bits=11; server_max_window_bits=12; client_no_context_takeover; server_no_context_takeover',
      { serverMaxWindowBits: 10, clientMaxWindowBits: 13 },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11',
      {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 11,
      },
    ],
  ];
  for (const [title, offer, serverPolicy, answer, agreed] of cases) {
    it(title, () => {
      assert.deepEqual(serve(offer, policy(serverPolicy)), {
        header: answer,
        params: params(agreed),
      });
    });
  }

  it('§7.1.2.1 declines server_max_window_bits=8: zlib cannot compress with 256 bytes', () => {
    assert.equal(
      declineReason('permessage-deflate; server_max_window_bits=8'),
      'server_max_window_bits=8 requested: zlib cannot compress with a window under 512 bytes',
    );
  });

  it('§7.1.2.2 declines an offer without client_max_window_bits when the policy wants less than 15', () => {
    assert.equal(
      declineReason('permessage-deflate', policy({ clientMaxWindowBits: 12 })),
      'client_max_window_bits not offered: the client may use a 15-bit window, over the 12 bits allowed',
    );
  });
});

describe('RFC 7692 §5: several offers', () => {
  it('takes the first acceptable offer when the first is invalid', () => {
    assert.deepEqual(
      serve(
        'permessage-deflate; server_max_window_bits=08, permessage-deflate; client_max_window_bits',
      ),
      { header: 'permessage-deflate', params: DEFAULT_PARAMS },
    );
  });

  it('takes the first acceptable offer when the first cannot be satisfied', () => {
    const header =
      'permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=9';
    assert.deepEqual(serve(header)?.header, 'permessage-deflate; server_max_window_bits=9');
  });

  it('prefers the first acceptable offer over a later one', () => {
    const header =
      'permessage-deflate; server_no_context_takeover, permessage-deflate; server_max_window_bits=9';
    assert.equal(serve(header)?.header, 'permessage-deflate; server_no_context_takeover');
  });

  it('skips other extensions', () => {
    const header = 'x-webkit-deflate-frame, permessage-deflate; client_max_window_bits, x-foo';
    assert.equal(
      serve(header, policy({ clientMaxWindowBits: 9 }))?.header,
      'permessage-deflate; client_max_window_bits=9',
    );
  });

  it('returns null when no offer is acceptable', () => {
    assert.equal(
      serve('permessage-deflate; foo, permessage-deflate; server_max_window_bits=8'),
      null,
    );
    assert.equal(serve('x-foo'), null);
    assert.equal(negotiateDeflate([], policy()), null);
  });

  it('§7.1.3: offers a window limit with a fallback; a server that keeps 15 bits answers the first', () => {
    const header =
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits';
    assert.equal(serve(header)?.header, 'permessage-deflate; server_max_window_bits=10');
  });
});

describe("real clients' default offers", () => {
  const offers: [client: string, header: string][] = [
    ['Chromium', 'permessage-deflate; client_max_window_bits'],
    ['Firefox', 'permessage-deflate'],
    ['Python websockets', 'permessage-deflate; client_max_window_bits'],
    ['ws', 'permessage-deflate; client_max_window_bits'],
  ];
  for (const [client, header] of offers) {
    it(`${client} (${header}) with the default policy`, () => {
      assert.deepEqual(serve(header), { header: 'permessage-deflate', params: DEFAULT_PARAMS });
    });

    it(`${client} with a memory-saving policy`, () => {
      const saving = policy({
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 10,
      });
      const result = serve(header, saving);
      if (header === 'permessage-deflate') {
        // No client_max_window_bits offered: the client may use 15 bits, which the policy forbids.
        assert.equal(result, null);
        return;
      }
      assert.deepEqual(result, {
        header:
          'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=10',
        params: params({
          serverNoContextTakeover: true,
          clientNoContextTakeover: true,
          serverMaxWindowBits: 10,
          clientMaxWindowBits: 10,
        }),
      });
    });
  }

  it("our default client offer is the browsers'", () => {
    assert.equal(
      formatExtensionHeader([deflateOffer(DEFAULT_CLIENT_DEFLATE_POLICY)]),
      'permessage-deflate; client_max_window_bits',
    );
  });
});

describe('server policy', () => {
  for (const bits of [8, 16, 0, 9.5, Number.NaN]) {
    for (const key of ['serverMaxWindowBits', 'clientMaxWindowBits'] as const) {
      it(`rejects ${key}: ${bits}`, () => {
        assert.throws(
          () =>
            negotiateDeflate([{ name: PERMESSAGE_DEFLATE, params: [] }], policy({ [key]: bits })),
          (error: unknown) =>
            error instanceof UsageError &&
            error.message === `${key} must be an integer from 9 to 15, got ${bits}`,
        );
      });
    }
  }
});

describe('the client offer', () => {
  const cases: [policy: ClientDeflatePolicy, header: string][] = [
    [{}, 'permessage-deflate'],
    [{ serverNoContextTakeover: false, clientNoContextTakeover: false }, 'permessage-deflate'],
    [{ serverNoContextTakeover: true }, 'permessage-deflate; server_no_context_takeover'],
    [{ clientNoContextTakeover: true }, 'permessage-deflate; client_no_context_takeover'],
    [{ serverMaxWindowBits: 9 }, 'permessage-deflate; server_max_window_bits=9'],
    [{ clientMaxWindowBits: true }, 'permessage-deflate; client_max_window_bits'],
    [{ clientMaxWindowBits: 12 }, 'permessage-deflate; client_max_window_bits=12'],
    [
      {
        clientMaxWindowBits: 11,
        serverMaxWindowBits: 10,
        clientNoContextTakeover: true,
        serverNoContextTakeover: true,
      },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11',
    ],
  ];
  for (const [clientPolicy, header] of cases) {
    it(`${JSON.stringify(clientPolicy)} offers ${header}`, () => {
      const offer = deflateOffer(clientPolicy);
      assert.equal(formatExtensionHeader([offer]), header);
      assert.deepEqual(parseExtensionHeader(header), [offer]);
    });
  }

  for (const bits of [8, 16, 9.5]) {
    for (const key of ['serverMaxWindowBits', 'clientMaxWindowBits'] as const) {
      it(`rejects ${key}: ${bits}`, () => {
        const message = `${key} must be an integer from 9 to 15, got ${bits}`;
        assert.throws(() => deflateOffer({ [key]: bits }), { name: 'UsageError', message });
        assert.throws(
          () => acceptDeflateResponse({ name: PERMESSAGE_DEFLATE, params: [] }, { [key]: bits }),
          { name: 'UsageError', message },
        );
      });
    }
  }
});

describe('RFC 7692 §7: the client checks the answer', () => {
  const accepted: [offered: ClientDeflatePolicy, answer: string, agreed: Partial<DeflateParams>][] =
    [
      [{}, 'permessage-deflate', {}],
      [{ clientMaxWindowBits: true }, 'permessage-deflate', {}],
      // §7.1.1.1: "A server MAY include the "server_no_context_takeover" extension parameter ...
      // even if the extension negotiation offer ... didn't include" it.
      [{}, 'permessage-deflate; server_no_context_takeover', { serverNoContextTakeover: true }],
      [
        { serverNoContextTakeover: true },
        'permessage-deflate; server_no_context_takeover',
        { serverNoContextTakeover: true },
      ],
      // §7.1.1.2: "A server MAY include the "client_no_context_takeover" extension parameter".
      [{}, 'permessage-deflate; client_no_context_takeover', { clientNoContextTakeover: true }],
      // §7.1.1.2: offered, the client will not use context takeover even if not answered.
      [{ clientNoContextTakeover: true }, 'permessage-deflate', { clientNoContextTakeover: true }],
      // §7.1.2.1: the server may announce its window unasked, 8 included (our inflater copes).
      [{}, 'permessage-deflate; server_max_window_bits=8', { serverMaxWindowBits: 8 }],
      [{}, 'permessage-deflate; server_max_window_bits=15', {}],
      [
        { serverMaxWindowBits: 12 },
        'permessage-deflate; server_max_window_bits=12',
        { serverMaxWindowBits: 12 },
      ],
      [
        { serverMaxWindowBits: 12 },
        'permessage-deflate; server_max_window_bits=9',
        { serverMaxWindowBits: 9 },
      ],
      // §7.1.2.2: any value when offered without one; at most the offered value otherwise.
      [
        { clientMaxWindowBits: true },
        'permessage-deflate; client_max_window_bits=9',
        { clientMaxWindowBits: 9 },
      ],
      [
        { clientMaxWindowBits: 12 },
        'permessage-deflate; client_max_window_bits=12',
        { clientMaxWindowBits: 12 },
      ],
      [
        { clientMaxWindowBits: 12 },
        'permessage-deflate; client_max_window_bits=10',
        { clientMaxWindowBits: 10 },
      ],
      // §7.1.2.2: the offered value binds the client even when the server does not answer it.
      [{ clientMaxWindowBits: 12 }, 'permessage-deflate', { clientMaxWindowBits: 12 }],
      [
        { clientMaxWindowBits: true },
        'permessage-deflate; client_max_window_bits="11"',
        { clientMaxWindowBits: 11 },
      ],
    ];
  for (const [offered, answer, agreed] of accepted) {
    it(`offered ${JSON.stringify(offered)}, accepts ${answer}`, () => {
      assert.deepEqual(accept(answer, offered), params(agreed));
    });
  }

  const rejected: [offered: ClientDeflatePolicy, answer: string, reason: string][] = [
    [{}, 'permessage-deflate; foo', "unknown parameter 'foo'"],
    [{}, 'permessage-deflate; x=1', "unknown parameter 'x'"],
    [
      {},
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      'parameter server_no_context_takeover is repeated',
    ],
    [
      { clientMaxWindowBits: true },
      'permessage-deflate; client_max_window_bits=10; client_max_window_bits=10',
      'parameter client_max_window_bits is repeated',
    ],
    [
      {},
      'permessage-deflate; server_no_context_takeover=1',
      "parameter server_no_context_takeover takes no value, got '1'",
    ],
    [
      {},
      'permessage-deflate; client_no_context_takeover=x',
      "parameter client_no_context_takeover takes no value, got 'x'",
    ],
    [
      {},
      'permessage-deflate; server_max_window_bits',
      'parameter server_max_window_bits requires a value',
    ],
    [
      {},
      'permessage-deflate; server_max_window_bits=16',
      "parameter server_max_window_bits='16' is not an integer from 8 to 15 without leading zeros",
    ],
    [
      {},
      'permessage-deflate; server_max_window_bits=09',
      "parameter server_max_window_bits='09' is not an integer from 8 to 15 without leading zeros",
    ],
    [
      { clientMaxWindowBits: true },
      'permessage-deflate; client_max_window_bits=7',
      "parameter client_max_window_bits='7' is not an integer from 8 to 15 without leading zeros",
    ],
    [
      { clientMaxWindowBits: true },
      'permessage-deflate; client_max_window_bits',
      'parameter client_max_window_bits requires a value in a response',
    ],
    [
      { serverNoContextTakeover: true },
      'permessage-deflate',
      'server_no_context_takeover was requested but not answered',
    ],
    [
      { serverMaxWindowBits: 10 },
      'permessage-deflate',
      'server_max_window_bits=10 was requested but not answered',
    ],
    [
      { serverMaxWindowBits: 10 },
      'permessage-deflate; server_max_window_bits=11',
      'server_max_window_bits=11 is larger than the 10 requested',
    ],
    [
      {},
      'permessage-deflate; client_max_window_bits=10',
      'client_max_window_bits was answered but not offered',
    ],
    [
      { clientMaxWindowBits: 10 },
      'permessage-deflate; client_max_window_bits=11',
      'client_max_window_bits=11 is larger than the 10 offered',
    ],
    [
      { clientMaxWindowBits: true },
      'permessage-deflate; client_max_window_bits=8',
      'client_max_window_bits=8: zlib cannot compress with a window under 512 bytes',
    ],
  ];
  for (const [offered, answer, reason] of rejected) {
    it(`offered ${JSON.stringify(offered)}, fails on ${answer}: ${reason}`, () => {
      const error = rejection(answer, offered);
      assert.equal(error.message, `invalid permessage-deflate response: ${reason}`);
      assert.equal(error.status, 101);
    });
  }

  it('reports the status passed in', () => {
    assert.throws(() => accept('permessage-deflate; foo', {}, 0), { status: 0 });
  });

  it('fails on another extension passed in', () => {
    assert.throws(() => acceptDeflateResponse({ name: 'x-foo', params: [] }, {}), {
      code: ErrorCode.INVALID_EXTENSION_PARAMS,
      message: "invalid permessage-deflate response: 'x-foo' is another extension",
    });
  });
});

describe('RFC 7692 §5: finding the answer among the accepted extensions', () => {
  it('returns the one permessage-deflate element', () => {
    const accepted = parseExtensionHeader('x-foo, permessage-deflate; server_no_context_takeover');
    assert.equal(findDeflateResponse(accepted), accepted[1]);
  });

  it('returns null when the server did not accept it', () => {
    assert.equal(findDeflateResponse(parseExtensionHeader('x-foo')), null);
    assert.equal(findDeflateResponse([]), null);
  });

  it('fails when it is accepted more than once', () => {
    const accepted = parseExtensionHeader('permessage-deflate, permessage-deflate');
    assert.throws(() => findDeflateResponse(accepted, 101), {
      code: ErrorCode.INVALID_EXTENSION_PARAMS,
      status: 101,
      message: 'invalid permessage-deflate response: the extension is accepted 2 times',
    });
  });
});

const windowBits = fc.integer({ min: 9, max: 15 });

const serverPolicies: fc.Arbitrary<ServerDeflatePolicy> = fc.record({
  serverNoContextTakeover: fc.boolean(),
  clientNoContextTakeover: fc.boolean(),
  serverMaxWindowBits: windowBits,
  clientMaxWindowBits: windowBits,
});

const clientPolicies: fc.Arbitrary<ClientDeflatePolicy> = fc.record(
  {
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: windowBits,
    clientMaxWindowBits: fc.oneof(fc.constant(true as const), windowBits),
  },
  { requiredKeys: [] },
);

/** Offer -> header -> server -> header -> client, as on the wire. */
function handshake(client: ClientDeflatePolicy, server: ServerDeflatePolicy) {
  const offers = parseExtensionHeader(formatExtensionHeader([deflateOffer(client)]));
  const result = negotiateDeflate(offers, server);
  if (result === null) return null;
  const answer = parseExtensionHeader(formatExtensionHeader([result.response]));
  const response = findDeflateResponse(answer);
  assert.ok(response);
  return { server: result.params, client: acceptDeflateResponse(response, client) };
}

describe('property: both sides agree', () => {
  it("either declines or agrees on params within both sides' limits", () => {
    fc.assert(
      fc.property(clientPolicies, serverPolicies, (client, server) => {
        const agreed = handshake(client, server);
        // The only offer our server declines from our client: no client_max_window_bits while
        // the policy bounds the client's window.
        const declines =
          client.clientMaxWindowBits === undefined && server.clientMaxWindowBits < 15;
        assert.equal(agreed === null, declines);
        if (agreed === null) return;
        assert.deepEqual(agreed.client, agreed.server);
        const p = agreed.server;
        assert.ok(p.serverMaxWindowBits <= server.serverMaxWindowBits);
        assert.ok(p.serverMaxWindowBits <= (client.serverMaxWindowBits ?? 15));
        assert.ok(p.clientMaxWindowBits <= server.clientMaxWindowBits);
        const clientLimit = client.clientMaxWindowBits;
        assert.ok(p.clientMaxWindowBits <= (typeof clientLimit === 'number' ? clientLimit : 15));
        assert.ok(p.serverMaxWindowBits >= 9 && p.clientMaxWindowBits >= 9);
        if (server.serverNoContextTakeover || client.serverNoContextTakeover) {
          assert.ok(p.serverNoContextTakeover);
        }
        if (server.clientNoContextTakeover || client.clientNoContextTakeover) {
          assert.ok(p.clientNoContextTakeover);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary offers, and answers only with what the offer allows', () => {
    const names = fc.constantFrom(
      'server_no_context_takeover',
      'client_no_context_takeover',
      'server_max_window_bits',
      'client_max_window_bits',
      'x',
    );
    const values = fc.oneof(
      fc.constant(true as const),
      fc.constantFrom('7', '8', '9', '12', '15', '16', '08'),
    );
    const offer = fc.array(fc.tuple(names, values), { maxLength: 5 });
    fc.assert(
      fc.property(offer, serverPolicies, (list, server) => {
        const result = negotiateDeflateOffer({ name: PERMESSAGE_DEFLATE, params: list }, server);
        if (!result.accepted) return;
        const offered = new Map(list);
        assert.equal(offered.size, list.length);
        const answered = new Map(result.response.params);
        if (!offered.has('client_max_window_bits'))
          assert.ok(!answered.has('client_max_window_bits'));
        if (offered.has('server_no_context_takeover'))
          assert.ok(answered.has('server_no_context_takeover'));
        const requested = offered.get('server_max_window_bits');
        if (requested !== undefined) {
          assert.ok(Number(answered.get('server_max_window_bits')) <= Number(requested));
        }
        assert.deepEqual(parseExtensionHeader(formatExtensionHeader([result.response])), [
          result.response,
        ]);
      }),
      { numRuns: 2000 },
    );
  });
});

/**
 * The conformance suite: a real wsx `WebSocketServer` (an echo server) driven by a raw client
 * that writes exact bytes and checks the exact bytes, close codes and closes that come back,
 * grouped by RFC 6455 section in the spirit of the Autobahn testsuite (cases 1-7 and part of 9;
 * 12-13 need compression, which this version does not negotiate). Run over every transport:
 * `tcp.test.ts`, `tls.test.ts`, `memory.test.ts`, and `http2.test.ts`, whose opening handshake
 * is an extended CONNECT (http2-handshake.ts).
 */

import { describe } from 'node:test';
import { closingCases } from './closing.js';
import { controlCases } from './control.js';
import { framingCases } from './framing.js';
import { handshakeCases } from './handshake.js';
import type { Transport } from './harness.js';
import { http2HandshakeCases } from './http2-handshake.js';
import { serverBehaviourCases } from './server-behaviour.js';
import { utf8Cases } from './utf8.js';

export type { Transport } from './harness.js';

/** Registers every conformance case, run over `transport`. */
export function conformanceSuite(transport: Transport): void {
  describe(`conformance over ${transport.name}`, () => {
    if (transport.handshake === 'http2') http2HandshakeCases(transport);
    else handshakeCases(transport);
    framingCases(transport);
    controlCases(transport);
    closingCases(transport);
    utf8Cases(transport);
    serverBehaviourCases(transport);
  });
}

/**
 * The conformance suite over HTTP/2: each peer an extended CONNECT stream (RFC 8441) on one
 * session per test, to a wsx server speaking HTTP/2 over TLS.
 */

import { http2Transport } from './http2-transport.js';
import { conformanceSuite } from './suite.js';

conformanceSuite(http2Transport);

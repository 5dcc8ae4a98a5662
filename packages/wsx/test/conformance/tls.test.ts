/** The conformance suite over TLS (`wss://`), with the test certificate for 127.0.0.1. */

import { tlsFixtures } from '../helpers/net.js';
import { socketTransport } from './harness.js';
import { conformanceSuite } from './suite.js';

conformanceSuite(socketTransport('tls', { key: tlsFixtures.key, cert: tlsFixtures.cert }));

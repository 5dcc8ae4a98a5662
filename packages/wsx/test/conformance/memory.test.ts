/** The conformance suite over the in-memory transport pair: the same cases, no sockets. */

import { memoryTransport } from './harness.js';
import { conformanceSuite } from './suite.js';

conformanceSuite(memoryTransport);

/** The conformance suite over plain TCP (`ws://`). */

import { socketTransport } from './harness.js';
import { conformanceSuite } from './suite.js';

conformanceSuite(socketTransport('tcp'));

/** The conformance suite over plain TCP (`ws://`). */

import { conformanceSuite } from './suite.js';

conformanceSuite({ name: 'tcp' });

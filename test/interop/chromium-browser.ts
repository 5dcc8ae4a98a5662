/**
 * Debian's Chromium for the browser interop tests (chromium.test.ts over HTTP/1.1,
 * chromium-http2.test.ts over HTTP/2): one headless browser per test file, driven by
 * playwright-core, trusting the test server's certificate by its SPKI hash (no CA to install).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { tls, within } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';

/** Whether the package is installed (tests skip, or fail under CI, when it is not). */
export const chromiumAvailable = existsSync(CHROMIUM);

/** base64(SHA-256(SubjectPublicKeyInfo)) of the test server certificate, as Chromium wants it. */
const spkiHash = createHash('sha256')
  .update(new X509Certificate(tls.cert).publicKey.export({ type: 'spki', format: 'der' }))
  .digest('base64');

/** Starts a headless Chromium (within 20 s) with the flags the environment requires. */
export function launchChromium(): Promise<Browser> {
  return within(
    chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--ignore-certificate-errors-spki-list=${spkiHash}`,
      ],
      timeout: 15_000,
    }),
    20_000,
    'Chromium to start',
  );
}

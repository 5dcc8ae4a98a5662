import type { TestContext } from 'node:test';

/**
 * Tests that need a system package: in CI (`CI=true`) a missing package fails the test;
 * elsewhere the test is skipped with a loud message naming the package to install.
 */
export function requireSystemPackage(
  t: TestContext,
  available: boolean,
  debianPackage: string,
): boolean {
  if (available) return true;
  const message = `needs the Debian package '${debianPackage}' (apt-get install -y ${debianPackage})`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI must install it in .ci/run`);
  console.warn(`\n*** SKIPPED: ${t.name} ${message} ***\n`);
  t.skip(message);
  return false;
}

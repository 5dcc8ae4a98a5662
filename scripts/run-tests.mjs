#!/usr/bin/env node
// Runs every test file with Node's own test runner (`node --test`), TypeScript loaded through tsx.
// Usage: node scripts/run-tests.mjs [path-substring ...]   (no argument: every test file)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { OTHER_VERSIONS_HINT, otherNodeVersions, runsOnEveryVersion } from './node-versions.mjs';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'apps', 'test'];
const skipDirs = new Set(['node_modules', 'dist', '.git']);

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (skipDirs.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (/\.test\.(ts|mts|mjs|js)$/.test(name)) out.push(relative(root, path));
  }
}

const files = [];
for (const r of roots) collect(join(root, r), files);
files.sort();
const filters = process.argv.slice(2);
const selected = filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files;
if (selected.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const ci = Boolean(process.env.CI);
// A test that hangs fails after 2 minutes instead of holding CI until its overall limit. The
// slowest tests (packing and installing the package, the 1 MiB interop cases) took up to 25 s in
// a CI run with the 2-core machine at a load average of 11; 2 minutes leaves 5x that.
const TEST_TIMEOUT_MS = 120_000;
// CI prints every test by name (spec); a developer's terminal gets dots, the failures in full,
// why tests were skipped, and one closing line (scripts/test-reporter.mjs).
const reporter = ci
  ? ['--test-reporter=spec']
  : ['--test-reporter', join(root, 'scripts/test-reporter.mjs')];

function runTests(node, files) {
  const args = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${process.env.WSX_TEST_CONCURRENCY ?? 3}`,
    `--test-timeout=${TEST_TIMEOUT_MS}`,
    ...reporter,
    ...files,
  ];
  const result = spawnSync(node, args, { cwd: root, stdio: 'inherit' });
  return result.status ?? 1;
}

// Checked first: under CI a missing binary fails at once, not after the main run.
const versions = otherNodeVersions(ci);
const outcomes = [[process.version, runTests(process.execPath, selected)]];
const everywhere = selected.filter(runsOnEveryVersion);
if (versions.length === 0 && !ci) console.log(`\n${OTHER_VERSIONS_HINT}`);
for (const { name, path } of versions) {
  if (everywhere.length === 0) break;
  const version = spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n=== ${everywhere.length} test files on Node ${version} (${name}) ===\n`);
  outcomes.push([version, runTests(path, everywhere)]);
}
if (outcomes.length > 1) {
  console.log('\nNode versions:');
  for (const [version, status] of outcomes)
    console.log(`  ${version}: ${status === 0 ? 'passed' : 'FAILED'}`);
}
process.exit(outcomes.some(([, status]) => status !== 0) ? 1 : 0);

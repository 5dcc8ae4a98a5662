#!/usr/bin/env node
// Runs every test file with Node's own test runner (`node --test`), TypeScript loaded through tsx.
// Usage: node scripts/run-tests.mjs [path-substring ...]   (no argument: every test file)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

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

const args = [
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${process.env.WSX_TEST_CONCURRENCY ?? 3}`,
  ...(process.env.CI ? ['--test-reporter=spec'] : []),
  ...selected,
];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);

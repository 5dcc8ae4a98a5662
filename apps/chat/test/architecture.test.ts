/**
 * The chat uses wsx's and wsx-redis's public API only (the package entry points, never their
 * files), and its web UI imports nothing from the server (it is bundled for the browser on its
 * own).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const APP = fileURLToPath(new URL('../', import.meta.url));
const PUBLIC_ENTRIES = new Set(['wsx', 'wsx/core', 'wsx/whatwg', 'wsx-redis']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const statements = /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm;
  const dynamic = /\bimport\s*\(\s*['"]([^'"]+)['"]/g;
  return [...code.matchAll(statements), ...code.matchAll(dynamic)].map((m) => m[1]!);
}

test('the server imports wsx and wsx-redis only through their public entry points', () => {
  for (const file of files(join(APP, 'src'))) {
    for (const spec of imports(file)) {
      const where = relative(APP, file);
      if (spec.startsWith('wsx'))
        assert.ok(
          PUBLIC_ENTRIES.has(spec),
          `${where}: ${spec} is not a public entry point of wsx or wsx-redis`,
        );
      assert.ok(
        !spec.includes('packages/'),
        `${where}: ${spec} reaches into the repository's packages`,
      );
      if (spec.startsWith('.'))
        assert.ok(!spec.startsWith('../../'), `${where}: ${spec} leaves src/`);
    }
  }
});

test('the web UI imports nothing outside web/src (it is bundled on its own)', () => {
  for (const file of files(join(APP, 'web', 'src')))
    for (const spec of imports(file))
      assert.ok(spec.startsWith('./'), `${relative(APP, file)}: ${spec}`);
});

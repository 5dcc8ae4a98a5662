/**
 * Enforces the dependency rules of docs/ARCHITECTURE.md by scanning imports:
 * core <- extensions <- node <- websocket <- server, client <- cli; core touches no I/O, no
 * timers, no randomness; the CLI uses the library only through its public entry points; the
 * package has no runtime dependencies; no import cycles, type-only imports included.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findRegexes } from './helpers/regex-literals.js';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(packageRoot, 'src');

/** Which layers each layer may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  extensions: ['core'],
  node: ['core', 'extensions'],
  websocket: ['core', 'extensions', 'node'],
  server: ['core', 'extensions', 'node', 'websocket'],
  client: ['core', 'extensions', 'node', 'websocket'],
  cli: ['.', 'core'], // through the public entry points only: see PUBLIC_ENTRY_POINTS
  '.': ['core', 'extensions', 'node', 'websocket', 'server', 'client'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

interface Import {
  spec: string;
  /** `import type` / `export type`: erased at compile time, no runtime dependency. */
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const code = stripComments(readFileSync(file, 'utf8'));
  const found: Import[] = [];
  const statement = /\b(?:import|export)\s+(type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g;
  for (const m of code.matchAll(statement))
    found.push({ spec: m[2]!, typeOnly: m[1] !== undefined });
  for (const m of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push({ spec: m[1]!, typeOnly: false });
  }
  for (const m of code.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) {
    found.push({ spec: m[1]!, typeOnly: false });
  }
  return found;
}

/**
 * Layers that may import Node's modules for their values: the transport and platform adapters,
 * the server (its listening socket) and the client (its connecting socket), and the CLI. The
 * WebSocket layer works on the transport seam only.
 */
const NODE_VALUE_LAYERS = new Set(['node', 'server', 'client', 'cli']);
/** Node modules with no I/O that any layer above the sans-I/O ones may use. */
const NODE_UTILITIES = new Set(['node:events']);

function layerOf(file: string): string {
  const rel = relative(src, file);
  return rel.includes('/') ? rel.split('/')[0]! : '.';
}

const files = sourceFiles(src);

/** The package's public entry points (`wsx`, `wsx/core`, `wsx/whatwg`): all the CLI may use. */
const PUBLIC_ENTRY_POINTS = new Set(
  ['index.ts', 'core/index.ts', 'whatwg.ts'].map((f) => join(src, f)),
);

describe('architecture: dependency rules', () => {
  it('finds the source files', () => {
    assert.ok(files.some((f) => layerOf(f) === 'core'));
  });

  for (const file of files) {
    const rel = relative(packageRoot, file);
    it(`${rel} imports only what its layer allows`, () => {
      const layer = layerOf(file);
      const allowed = ALLOWED[layer];
      assert.ok(allowed, `unknown layer '${layer}': add it to ALLOWED and to docs/ARCHITECTURE.md`);
      for (const { spec, typeOnly } of importsOf(file)) {
        if (spec.startsWith('.')) {
          const target = layerOf(resolve(dirname(file), spec));
          assert.ok(
            target === layer || allowed.includes(target),
            `${rel}: layer '${layer}' may not import from '${target}' (${spec})`,
          );
        } else if (spec.startsWith('node:')) {
          assert.ok(
            layer !== 'core' && layer !== 'extensions',
            `${rel}: the sans-I/O ${layer} layer may not import ${spec}`,
          );
          assert.ok(
            typeOnly || NODE_VALUE_LAYERS.has(layer) || NODE_UTILITIES.has(spec),
            `${rel}: the ${layer} layer does no I/O of its own; import ${spec} in an adapter, or use 'import type'`,
          );
        } else if (!typeOnly) {
          assert.fail(`${rel}: wsx has no runtime dependencies, but it imports '${spec}'`);
        }
      }
    });
  }

  for (const file of files.filter((f) => layerOf(f) === 'cli')) {
    const rel = relative(packageRoot, file);
    it(`${rel} uses the library only through its public entry points`, () => {
      for (const { spec } of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
        assert.ok(
          layerOf(target) === 'cli' || PUBLIC_ENTRY_POINTS.has(target),
          `${rel}: the CLI is a user of wsx: import '${spec}' through index.js, core/index.js or whatwg.js`,
        );
      }
    });
  }

  it('the core uses no I/O, timers, randomness or Node globals', () => {
    const forbidden =
      /\b(Buffer|process|setTimeout|setInterval|setImmediate|queueMicrotask|require|Math\.random|crypto|performance|Date\.now)\b/;
    for (const file of files.filter((f) => ['core', 'extensions'].includes(layerOf(f)))) {
      const code = stripComments(readFileSync(file, 'utf8')).replace(/'[^'\n]*'|`[^`]*`/g, "''");
      const match = code.match(forbidden);
      assert.equal(match, null, `${relative(packageRoot, file)} uses ${match?.[0]}`);
    }
  });

  it('has no import cycles, type-only imports included', () => {
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const deps = importsOf(file)
        .filter((i) => i.spec.startsWith('.'))
        .map((i) => resolve(dirname(file), i.spec).replace(/\.js$/, '.ts'));
      graph.set(file, deps);
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        const cycle = [...path.slice(path.indexOf(file)), file].map((f) => relative(src, f));
        assert.fail(`import cycle: ${cycle.join(' -> ')}`);
      }
      state.set(file, 'visiting');
      for (const dep of graph.get(file) ?? []) visit(dep, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
  });

  // A backtracking regular expression over network input can take exponential time (a 100-byte
  // request target once froze the event loop for seconds). The package's scanners are written
  // as loops over characters instead: linear by construction, whatever the input.
  it('the package source uses no regular expressions (every scanner is a linear loop)', () => {
    const uses = files.flatMap((file) =>
      findRegexes(readFileSync(file, 'utf8')).map(
        (use) => `${relative(packageRoot, file)}:${use.line}: ${use.text}`,
      ),
    );
    assert.deepEqual(uses, []);
  });

  it('the regex finder finds regex literals and RegExp calls, and nothing in strings', () => {
    const sample = [
      '#!/usr/bin/env node',
      'const a = /x+y/g;',
      'if (/^a/.test(s)) f(s.split(/,/));',
      "const b = '/not/a/regex/'; const c = x / y / z;",
      'const d = new RegExp(source);',
      '// a comment with /slashes/',
      'return /z/;',
    ].join('\n');
    assert.deepEqual(
      findRegexes(sample).map((u) => u.text),
      ['/x+y/g', '/^a/', '/,/', 'RegExp(...)', '/z/'],
    );
  });

  it('package.json declares no runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
    assert.deepEqual(pkg.dependencies ?? {}, {});
    assert.deepEqual(pkg.peerDependencies ?? {}, {});
  });
});

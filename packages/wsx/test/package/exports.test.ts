/**
 * The published package: ESM with type declarations, and `require('wsx')` works for CommonJS
 * users (Node >= 20.19 loads ES modules through require), from a plain Node process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function node(code: string, type: 'commonjs' | 'module'): string {
  return execFileSync(process.execPath, [`--input-type=${type}`, '-e', code], {
    cwd: packageRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('the wsx package', () => {
  it('is built with type declarations', () => {
    assert.ok(existsSync(join(packageRoot, 'dist/index.js')), 'run npm run build first');
    assert.ok(existsSync(join(packageRoot, 'dist/index.d.ts')));
    assert.ok(existsSync(join(packageRoot, 'dist/core/index.d.ts')));
  });

  it('declares the wsx command as its bin: a built script that Node runs', () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
    const bin = join(packageRoot, pkg.bin.wsx);
    assert.ok(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n'));
    const version = execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    assert.equal(version.trim(), pkg.version);
  });

  it("require('wsx') works from CommonJS", () => {
    const out = node(
      "const wsx = require('wsx'); const core = require('wsx/core');" +
        "console.log(typeof wsx.Connection, core.computeAccept('dGhlIHNhbXBsZSBub25jZQ=='))",
      'commonjs',
    );
    assert.equal(out.trim(), 'function s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it("import 'wsx' works from ESM and exposes the same names as require", () => {
    const esm = node(
      "import * as w from 'wsx'; console.log(Object.keys(w).sort().join())",
      'module',
    );
    const cjs = node(
      "console.log(Object.keys(require('wsx')).filter((k) => k !== '__esModule' && k !== 'module.exports').sort().join())",
      'commonjs',
    );
    assert.equal(cjs, esm);
    assert.ok(esm.includes('Connection'));
  });
});

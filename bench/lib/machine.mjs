// What the results were measured on: CPU, kernel, runtimes and library versions, and the wsx
// commit (read-only git commands; --no-optional-locks so not even the index is refreshed).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, release, totalmem } from 'node:os';
import { findBun } from './bun.mjs';
import { fdLimit } from './processes.mjs';

const require = createRequire(import.meta.url);
const ROOT = new URL('../../', import.meta.url).pathname;

function version(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return null;
  }
}

function git(...args) {
  try {
    return execFileSync('git', ['--no-optional-locks', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

export function machine(pin) {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const dirty = git('status', '--porcelain', '--', 'packages/wsx');
  return {
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    bun: findBun().version ?? null,
    ws: version('ws'),
    bufferutil: version('bufferutil'),
    utf8Validate: version('utf-8-validate'),
    wsx: JSON.parse(readFileSync(`${ROOT}packages/wsx/package.json`, 'utf8')).version,
    commit: git('rev-parse', '--short', 'HEAD'),
    uncommitted: dirty === null ? null : dirty.length > 0,
    pinning: pin.note,
    fdLimit: fdLimit(),
  };
}

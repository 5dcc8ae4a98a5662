// Finding the Bun binary that the `bun` npm package installed. Install scripts may be denied
// (package.json "allowScripts": bun: false), in which case the binary stays in its platform
// package (@oven/bun-linux-x64/bin/bun) and node_modules/bun/bin/bun.exe is a 450-byte
// placeholder; if bun's postinstall did run, the binary was moved to bun/bin/bun.exe instead.
// We look in both places (never through a Node wrapper, so the PID we watch is Bun itself).
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function isElf(path) {
  if (!existsSync(path)) return false;
  const fd = openSync(path, 'r');
  const magic = Buffer.alloc(4);
  readSync(fd, magic, 0, 4, 0);
  closeSync(fd);
  return magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
}

function packageDir(name) {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

function candidates() {
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch;
  const out = [];
  for (const suffix of ['', '-baseline', '-musl', '-musl-baseline']) {
    const dir = packageDir(`@oven/bun-${process.platform}-${arch}${suffix}`);
    if (dir !== null) out.push(join(dir, 'bin', 'bun'));
  }
  const bunDir = packageDir('bun');
  if (bunDir !== null) out.push(join(bunDir, 'bin', 'bun.exe'));
  return out;
}

/** { path, version } of a runnable Bun, or { path: null, reason }. Cached. */
let found;
export function findBun() {
  if (found !== undefined) return found;
  for (const path of candidates()) {
    if (!isElf(path)) continue;
    try {
      const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
      found = { path, version };
      return found;
    } catch {}
  }
  found = { path: null, reason: 'no Bun binary in node_modules (npm install -D bun)' };
  return found;
}

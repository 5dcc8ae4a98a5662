// `--before <git ref>`: wsx as it was at another commit, built in a worktree of its own, run
// beside the current wsx in the same run (a before/after comparison on one machine, one load).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

/**
 * Checks out `ref` under .bench-before/<sha> (kept between runs) and builds its wsx package with
 * this checkout's TypeScript (the worktree sits inside the repository, so Node resolves the
 * root's node_modules from it). Returns the path of its built entry point.
 */
export function buildBefore(ref) {
  const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  const sha = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = join(root, '.bench-before', sha.slice(0, 12));
  if (!existsSync(join(dir, 'packages/wsx/package.json'))) {
    git('worktree', 'add', '--detach', '--force', dir, sha);
  }
  const entry = join(dir, 'packages/wsx/dist/index.js');
  if (!existsSync(entry)) {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-b', join(dir, 'packages/wsx')], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  return { sha, entry, label: `wsx (before: ${ref === sha ? sha.slice(0, 7) : ref})` };
}

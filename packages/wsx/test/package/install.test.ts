/**
 * The first mile: what a user gets from `npm pack` and `npm install`. The package is copied out
 * of the repository with only what it ships from (src, package.json, tsconfigs, README, LICENSE,
 * CHANGELOG) and its devDependencies at hand, so its own `prepare` build must work on its own;
 * it is packed, and the tarball is installed offline into a fresh project (the package has no
 * dependencies), where an ESM and a CommonJS program open a server and a client and exchange a
 * message, and a TypeScript program type-checks against the shipped declarations. A second fresh
 * project installs it from its directory path.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const repoRoot = resolve(packageRoot, '../..');
const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
/** What the package is built from: the same list as a checkout of just this folder. */
const SOURCES = [
  'src',
  'package.json',
  'tsconfig.json',
  'tsconfig.base.json',
  'README.md',
  'LICENSE',
  'CHANGELOG.md',
];
const TIMEOUT = { timeout: 120_000 }; // npm and tsc on a busy 2-core machine; usually ~10 s

function run(cwd: string, command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_TEST_CONTEXT: undefined,
        npm_config_audit: 'false',
        npm_config_fund: 'false',
      },
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${e.stderr}\n${e.stdout}`);
  }
}

/** A program that starts a wsx server on port 0, connects, and prints the echo of a message. */
function echoProgram(load: string): string {
  return `${load}
const server = new WebSocketServer({ port: 0, host: '127.0.0.1', message: (ws, data, isBinary) => ws.send(data, { binary: isBinary }) });
server.on('listening', async () => {
  const ws = await connect('ws://127.0.0.1:' + server.address().port + '/');
  ws.send('你好 👋 from ' + process.argv[2]);
  for await (const message of ws) { console.log(message); break; }
  ws.close();
  await server.close();
});
`;
}

function writeApp(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  writeFileSync(
    join(dir, 'esm.mjs'),
    echoProgram("import { WebSocketServer, connect } from 'wsx';"),
  );
  writeFileSync(
    join(dir, 'cjs.cjs'),
    echoProgram("const { WebSocketServer, connect } = require('wsx');"),
  );
}

describe('the package as users install it', TIMEOUT, () => {
  let work = '';
  let tarball = '';
  let packed: { files: { path: string }[]; size: number; unpackedSize: number };

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'wsx-install-'));
    const copy = join(work, 'wsx');
    for (const entry of SOURCES)
      cpSync(join(packageRoot, entry), join(copy, entry), { recursive: true });
    // The devDependencies (typescript, @types/node), as `npm install` of a checkout provides them.
    symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'), 'dir');
    mkdirSync(join(work, 'out'));
    const json = run(copy, 'npm', ['pack', '--json', '--pack-destination', join(work, 'out')]);
    packed = JSON.parse(json.slice(json.indexOf('[')))[0];
    tarball = join(work, 'out', `wsx-${manifest.version}.tgz`);
  });

  after(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('packs the built code, types, README, LICENSE and CHANGELOG, and nothing else', () => {
    const files = packed.files.map((f) => f.path).sort();
    for (const wanted of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/core/index.js',
      'dist/core/index.d.ts',
      'dist/whatwg.js',
      'dist/whatwg.d.ts',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'package.json',
    ]) {
      assert.ok(files.includes(wanted), `${wanted} is missing from the tarball`);
    }
    const stray = files.filter(
      (f) =>
        !f.startsWith('dist/') &&
        !['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'].includes(f),
    );
    assert.deepEqual(stray, []);
    assert.ok(
      !files.some((f) => f.endsWith('.tsbuildinfo') || f.endsWith('.d.ts.map')),
      'build leftovers',
    );
    assert.ok(
      !files.some((f) => f.includes('/test/') || f.includes('fuzz')),
      'tests are not shipped',
    );
  });

  it('ships source maps that carry their sources', () => {
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    run(unpacked, 'tar', ['-xzf', tarball]);
    const maps = packed.files.map((f) => f.path).filter((f) => f.endsWith('.js.map'));
    assert.ok(maps.length > 10, 'no source maps');
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(join(unpacked, 'package', map), 'utf8'));
      assert.equal(
        parsed.sources.length,
        parsed.sourcesContent?.length,
        `${map} lacks sourcesContent`,
      );
      assert.ok(parsed.sourcesContent.every((s: unknown) => typeof s === 'string' && s.length > 0));
    }
  });

  it('installs from the tarball offline and runs from ESM and CommonJS', () => {
    const app = join(work, 'app-tarball');
    writeApp(app);
    run(app, 'npm', ['install', '--offline', tarball]);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/wsx/package.json'), 'utf8'));
    assert.equal(installed.version, manifest.version);
    assert.equal(run(app, process.execPath, ['esm.mjs', 'esm']).trim(), '你好 👋 from esm');
    assert.equal(run(app, process.execPath, ['cjs.cjs', 'cjs']).trim(), '你好 👋 from cjs');
  });

  it('type-checks a strict TypeScript program against the shipped declarations', () => {
    const app = join(work, 'app-tarball');
    writeFileSync(
      join(app, 'main.ts'),
      "import { type Message, WebSocketServer, connect } from 'wsx';\n" +
        "import { Connection } from 'wsx/core';\nimport { WebSocket } from 'wsx/whatwg';\n" +
        'const server: WebSocketServer = new WebSocketServer({ noServer: true });\n' +
        "const pending: Promise<unknown> = connect('ws://127.0.0.1:1/');\n" +
        'const first: Message | undefined = undefined;\n' +
        'export { server, pending, first, Connection, WebSocket };\n',
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          types: ['node'],
          typeRoots: [join(repoRoot, 'node_modules/@types')],
          skipLibCheck: false,
        },
        files: ['main.ts'],
      }),
    );
    run(app, process.execPath, [
      join(repoRoot, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.json',
    ]);
  });

  it('installs from its directory path', () => {
    const app = join(work, 'app-path');
    writeApp(app);
    run(app, 'npm', ['install', '--offline', join(work, 'wsx')]);
    assert.equal(run(app, process.execPath, ['esm.mjs', 'path']).trim(), '你好 👋 from path');
    assert.equal(run(app, process.execPath, ['cjs.cjs', 'path']).trim(), '你好 👋 from path');
  });
});

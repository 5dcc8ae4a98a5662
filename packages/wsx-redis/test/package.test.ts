/**
 * The package as its users get it: built with types, importable from ESM and CommonJS, using
 * nothing of wsx but its public entry points, and refusing options it does not know.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RedisPresence } from '../src/presence.js';
import { RedisPubSubAdapter } from '../src/pubsub-adapter.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('the wsx-redis package', () => {
  it('is built with type declarations, and loads from ESM and CommonJS', () => {
    assert.ok(existsSync(join(root, 'dist/index.js')), 'run npm run build first');
    assert.ok(existsSync(join(root, 'dist/index.d.ts')));
    const names = (type: string, code: string) =>
      execFileSync(process.execPath, [`--input-type=${type}`, '-e', code], {
        cwd: root,
        encoding: 'utf8',
      }).trim();
    const esm = names(
      'module',
      "import * as m from 'wsx-redis'; console.log(Object.keys(m).sort().join())",
    );
    const cjs = names('commonjs', "console.log(Object.keys(require('wsx-redis')).sort().join())");
    assert.equal(esm, cjs);
    for (const name of ['RedisPubSubAdapter', 'RedisPresence', 'decodeEnvelope']) {
      assert.ok(esm.split(',').includes(name), name);
    }
  });

  it("imports nothing of wsx but 'wsx' itself (no deep imports into its files)", () => {
    for (const file of readdirSync(join(root, 'src'))) {
      const code = readFileSync(join(root, 'src', file), 'utf8');
      for (const [, spec] of code.matchAll(/from\s+'([^']+)'/g)) {
        const allowed =
          spec === 'wsx' ||
          spec === 'redis' ||
          spec!.startsWith('node:') ||
          /^\.\/[\w-]+\.js$/.test(spec!);
        assert.ok(allowed, `${file} imports '${spec}'`);
      }
    }
  });

  it('subscribed() is false at once for a topic with no local subscriber', async () => {
    const adapter = new RedisPubSubAdapter({ redis: { url: 'redis://127.0.0.1:1' } });
    assert.equal(await adapter.subscribed('nobody'), false);
    await adapter.close();
  });

  it('refuses unknown options and inconsistent timings, before connecting to anything', () => {
    assert.throws(
      () => new RedisPubSubAdapter({ shardd: true } as never),
      /unknown RedisPubSubAdapter option 'shardd'/,
    );
    assert.throws(
      () => new RedisPresence({ tll: 1 } as never),
      /unknown RedisPresence option 'tll'/,
    );
    assert.throws(
      () => new RedisPresence({ ttl: 10_000, heartbeatInterval: 5_000 }),
      /a third of ttl/,
    );
    assert.throws(() => new RedisPresence({ processId: 'a:b' }), /cannot contain/);
    assert.throws(
      () => new RedisPubSubAdapter({ health: { pingInterval: 1000, timeout: 1000 } }),
      /must be larger than pingInterval/,
    );
    assert.throws(
      () => new RedisPubSubAdapter({ redis: {}, cluster: { rootNodes: [] } }),
      /not both/,
    );
  });
});

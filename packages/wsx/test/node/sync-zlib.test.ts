/** Synchronous raw DEFLATE on kept streams, and the one-shot fallback: same results. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { oneShotZlib, SyncZlib, type SyncZlibOptions } from '../../src/node/sync-zlib.js';

const chat = (i: number) =>
  Buffer.from(
    JSON.stringify({
      type: 'chat',
      room: 'lobby',
      user: `user${i % 7}`,
      text: `message number ${i}: 你好 😀`,
    }),
  );

const engines: [string, (o: SyncZlibOptions) => ReturnType<typeof SyncZlib.create>][] = [
  ['kept stream', (o) => SyncZlib.create(o)],
  ['one-shot fallback', (o) => oneShotZlib(o)],
];

const deflate = (contextTakeover: boolean, windowBits = 15): SyncZlibOptions => ({
  mode: 'deflate',
  windowBits,
  level: 6,
  memLevel: 8,
  contextTakeover,
  chunkSize: 1024,
});
const inflate = (contextTakeover: boolean, windowBits = 15): SyncZlibOptions => ({
  mode: 'inflate',
  windowBits,
  contextTakeover,
  chunkSize: 1024,
});

describe('SyncZlib', () => {
  for (const [name, create] of engines) {
    describe(name, () => {
      it('deflates with a sync flush (ends 00 00 ff ff) that zlib inflates', () => {
        const out = create(deflate(false)).process(chat(1), Number.POSITIVE_INFINITY);
        assert.ok(Buffer.isBuffer(out));
        assert.equal(out.subarray(-4).toString('hex'), '0000ffff');
        assert.deepEqual(inflateRawSync(out, { finishFlush: constants.Z_SYNC_FLUSH }), chat(1));
      });

      for (const contextTakeover of [false, true]) {
        it(`round-trips a stream of messages ${contextTakeover ? 'with' : 'without'} context takeover`, () => {
          const d = create(deflate(contextTakeover, 10));
          const i = create(inflate(contextTakeover, 10));
          let sizes = 0;
          for (let n = 0; n < 50; n++) {
            const message = n % 10 === 9 ? randomBytes(3000) : chat(n);
            const compressed = d.process(message, Number.POSITIVE_INFINITY) as Buffer;
            sizes += compressed.length;
            assert.deepEqual(i.process(compressed, 1 << 20), message);
          }
          assert.ok(sizes > 0);
        });
      }

      it('context takeover makes repeated messages smaller', () => {
        const kept = create(deflate(true));
        const fresh = create(deflate(false));
        kept.process(chat(0), Number.POSITIVE_INFINITY);
        const second = kept.process(chat(0), Number.POSITIVE_INFINITY) as Buffer;
        fresh.process(chat(0), Number.POSITIVE_INFINITY);
        const alone = fresh.process(chat(0), Number.POSITIVE_INFINITY) as Buffer;
        assert.ok(second.length < alone.length / 2, `${second.length} vs ${alone.length}`);
      });

      it('outputs larger than a chunk (many output chunks)', () => {
        const big = Buffer.from('abcdefghij'.repeat(20_000));
        const compressed = create(deflate(false)).process(big, Number.POSITIVE_INFINITY) as Buffer;
        assert.deepEqual(create(inflate(false)).process(compressed, 1 << 20), big);
      });

      it('stops at the output limit: a zip bomb gets "too-big", not gigabytes', () => {
        const bomb = deflateRawSync(Buffer.alloc(64 * 1024 * 1024), {
          finishFlush: constants.Z_SYNC_FLUSH,
        });
        assert.ok(bomb.length < 100 * 1024, `the bomb is small: ${bomb.length} bytes`);
        const engine = create(inflate(false));
        const before = process.memoryUsage().arrayBuffers;
        const started = performance.now();
        assert.equal(engine.process(bomb, 1024 * 1024), 'too-big');
        assert.ok(
          process.memoryUsage().arrayBuffers - before < 32 * 1024 * 1024,
          'did not inflate it all',
        );
        assert.ok(performance.now() - started < 2000);
        // The engine recovers for the next message.
        const ok = deflateRawSync(chat(2), { finishFlush: constants.Z_SYNC_FLUSH });
        assert.deepEqual(engine.process(ok, 1 << 20), chat(2));
      });

      it('reports invalid data, and recovers', () => {
        const engine = create(inflate(false));
        assert.equal(engine.process(Buffer.from('ffffffff', 'hex'), 1 << 20), 'invalid');
        const ok = deflateRawSync(chat(3), { finishFlush: constants.Z_SYNC_FLUSH });
        assert.deepEqual(engine.process(ok, 1 << 20), chat(3));
      });
    });
  }

  it('uses the kept stream on this Node', () => {
    assert.equal(SyncZlib.create(deflate(false)).constructor.name, 'HandleZlib');
  });

  it('both engines produce inflatable output for each other', () => {
    const a = SyncZlib.create(deflate(true));
    const b = oneShotZlib(inflate(true));
    for (let n = 0; n < 20; n++) {
      assert.deepEqual(
        b.process(a.process(chat(n), Number.POSITIVE_INFINITY) as Buffer, 1 << 20),
        chat(n),
      );
    }
  });
});

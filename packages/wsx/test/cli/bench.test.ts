/**
 * `wsx bench` as a child process against `wsx serve`: short runs whose JSON summaries must add
 * up (echo: every message sent comes back; publish: every connection gets every message), in
 * closed and open loop, over one and two processes; and how failures show.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BenchSummary } from '../../src/cli/bench/summary.js';
import { FIXTURES, serve, wsx } from './helpers.js';

const TIMEOUT = { timeout: 30_000 };

async function bench(args: readonly string[]): Promise<BenchSummary> {
  const run = await wsx(['bench', '--json', ...args], { ms: 20_000 });
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout.toString()) as BenchSummary;
}

/** Latency figures in order, and one sample per message received. */
function assertLatencies(summary: BenchSummary): void {
  const l = summary.latencyUs;
  assert.equal(l.count, summary.messages.received);
  const ordered = [l.min, l.p50, l.p90, l.p99, l.p999, l.max];
  assert.deepEqual(
    [...ordered].sort((a, b) => a - b),
    ordered,
    `not ordered: ${ordered}`,
  );
  assert.ok(l.min > 0 && l.mean >= l.min && l.mean <= l.max, JSON.stringify(l));
}

describe('wsx bench', TIMEOUT, () => {
  it('echo, closed loop, --messages: every message sent comes back, timed', async (t) => {
    const { url } = await serve(t, ['--quiet']);
    const summary = await bench(['-c', '4', '-C', '8', '-n', '3000', url]);
    assert.equal(summary.mode, 'echo');
    assert.deepEqual(summary.connections, { requested: 4, opened: 4, failed: 0 });
    assert.deepEqual(summary.messages, { sent: 3000, received: 3000 });
    assert.equal(summary.concurrency, 8);
    assert.deepEqual(summary.errors, {});
    assertLatencies(summary);
    assert.ok(summary.throughput.messagesPerSecond > 0 && summary.seconds > 0);
    assert.ok(summary.generatorCpuPercent >= 0, String(summary.generatorCpuPercent));
    const mb = (summary.throughput.messagesPerSecond * 64) / 1e6;
    assert.ok(Math.abs(summary.throughput.megabytesPerSecond - mb) < 0.02 + mb * 0.01);
  });

  it('echo, 16 KiB binary, --duration: sent = received', async (t) => {
    const { url } = await serve(t, ['--quiet']);
    const summary = await bench(['-c', '2', '-C', '2', '-s', '16KiB', '-b', '-d', '300ms', url]);
    assert.ok(summary.messages.sent > 0);
    assert.equal(summary.messages.received, summary.messages.sent);
    assert.equal(summary.size, 16384);
    assertLatencies(summary);
  });

  it('--warmup: what is sent during it is neither counted nor timed', async (t) => {
    const { url } = await serve(t, ['--quiet']);
    const timed = await bench(['-c', '2', '-C', '4', '-w', '200ms', '-d', '300ms', url]);
    assert.equal(timed.warmupSeconds, 0.2);
    assert.ok(timed.messages.sent > 0);
    assert.equal(timed.messages.received, timed.messages.sent);
    assert.ok(timed.seconds >= 0.29 && timed.seconds < 2, `${timed.seconds} s`);
    assertLatencies(timed);
    const counted = await bench(['-c', '2', '-C', '4', '-w', '200ms', '-n', '500', url]);
    assert.deepEqual(counted.messages, { sent: 500, received: 500 });
  });

  it('echo, open loop: --rate sets how many are sent, and every one is timed', async (t) => {
    const { url } = await serve(t, ['--quiet']);
    const summary = await bench(['-c', '3', '--rate', '2000', '-n', '600', url]);
    assert.equal(summary.rate, 2000);
    assert.equal(summary.concurrency, null);
    assert.deepEqual(summary.messages, { sent: 600, received: 600 });
    assertLatencies(summary);
    // 600 messages at 2000/s are due over 0.3 s: the run cannot be much shorter than that.
    assert.ok(summary.seconds >= 0.29, `${summary.seconds} s`);
  });

  it('publish over two processes: every connection receives every message', async (t) => {
    const { url } = await serve(t, ['--broadcast', '--quiet']);
    const summary = await bench([
      '--mode',
      'publish',
      '-c',
      '6',
      '--senders',
      '2',
      '-C',
      '4',
      '-n',
      '200',
      '--processes',
      '2',
      url,
    ]);
    assert.equal(summary.processes, 2);
    assert.equal(summary.senders, 2);
    assert.deepEqual(summary.messages, { sent: 200, received: 1200 });
    assert.deepEqual(summary.errors, {});
    assertLatencies(summary);
  });

  it('runs over wss:// with --ca', async (t) => {
    const tls = ['--tls-cert', `${FIXTURES}server.crt`, '--tls-key', `${FIXTURES}server.key`];
    const { url } = await serve(t, ['--quiet', ...tls]);
    const summary = await bench([
      '-c',
      '2',
      '-C',
      '4',
      '-n',
      '400',
      '--ca',
      `${FIXTURES}ca.crt`,
      url,
    ]);
    assert.deepEqual(summary.messages, { sent: 400, received: 400 });
    const untrusted = await wsx(['bench', '-n', '10', url]);
    assert.equal(untrusted.code, 5);
    assert.match(untrusted.stderr, /hint: trust the CA that signed it with --ca/);
  });

  it('prints a readable summary without --json', async (t) => {
    const { url } = await serve(t, ['--quiet']);
    const run = await wsx(['bench', '-c', '2', '-n', '100', url]);
    assert.equal(run.code, 0, run.stderr);
    const text = run.stdout.toString();
    assert.match(
      text,
      /^wsx bench ws:\/\/127\.0\.0\.1:\d+\/: echo, 64 B text, 2 connections, 1 in flight per connection, 100 messages$/m,
    );
    assert.match(text, /^ {2}connections 2 opened, 0 failed$/m);
    assert.match(text, /^ {2}messages {4}100 sent, 100 received$/m);
    assert.match(text, /^ {2}round trip {2}p50 [\d.]+ (µs|ms) {2}p90 .* max .*\(mean .*\)$/m);
    assert.match(text, /^ {2}errors {6}none$/m);
    assert.match(text, /^ {2}generator {3}CPU \d+% of a core/m);
  });

  it('counts errors by kind and exits 10 when the server closes connections', async (t) => {
    const { url } = await serve(t, ['--quiet', '--max-payload', '32']);
    const run = await wsx(['bench', '--json', '-c', '3', '-n', '30', url]);
    assert.equal(run.code, 10, run.stderr);
    const summary = JSON.parse(run.stdout.toString()) as BenchSummary;
    assert.equal(summary.errors['closed by the server: 1009'], 3);
    assert.equal(summary.messages.received, 0);
  });

  it('exits as wsx connect would when no connection opens', async (t) => {
    const refused = await wsx(['bench', '-d', '100ms', 'ws://127.0.0.1:1/']);
    assert.equal(refused.code, 4);
    assert.match(
      refused.stderr,
      /no connection could be opened: connection refused by 127\.0\.0\.1:1/,
    );
    const { url } = await serve(t, ['--quiet', '--path', '/ws']);
    const notFound = await wsx(['bench', '-d', '100ms', url.replace('/ws', '/other')]);
    assert.equal(notFound.code, 7);
    assert.match(notFound.stderr, /404 Not Found instead of 101/);
  });

  it('exits 2 for options that do not go together', async () => {
    const cases: [string[], RegExp][] = [
      [['--rate', '10', '-C', '2'], /exclude each other/],
      [['--mode', 'publish', '-s', '8'], /--size must be a size from 16/],
      [['--senders', '2'], /--senders is for --mode publish/],
      [['-d', '1s', '-n', '5'], /--duration or --messages, not both/],
      [['--mode', 'fanout'], /--mode is echo or publish/],
    ];
    for (const [args, message] of cases) {
      const run = await wsx(['bench', ...args, 'ws://127.0.0.1:1/']);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
    }
  });
});

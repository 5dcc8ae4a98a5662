import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../../src/cli/cli-error.js';
import { formatBytes, parseCount, parseDuration, parseSize } from '../../src/cli/values.js';

const source = { command: 'bench', option: 'size' };

function usage(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CliError);
    assert.equal(error.exitCode, 2);
    assert.match(error.message, message);
    assert.equal(error.hint, "see 'wsx bench --help'");
    return true;
  });
}

describe('option values', () => {
  it('sizes: bytes, binary and decimal units', () => {
    assert.equal(parseSize(source, '64', 0, 2 ** 30), 64);
    assert.equal(parseSize(source, '16k', 0, 2 ** 30), 16384);
    assert.equal(parseSize(source, '16KiB', 0, 2 ** 30), 16384);
    assert.equal(parseSize(source, '1MB', 0, 2 ** 30), 1_000_000);
    assert.equal(parseSize(source, '1.5m', 0, 2 ** 30), 1_572_864);
    usage(() => parseSize(source, '12 parsecs', 0, 100), /--size must be a size from 0 to 100 B/);
    usage(() => parseSize(source, '2k', 0, 1024), /--size must be/);
  });

  it('durations: seconds by default, or ms, s, m', () => {
    assert.equal(parseDuration(source, '10', 1), 10_000);
    assert.equal(parseDuration(source, '0.5', 1), 500);
    assert.equal(parseDuration(source, '250ms', 1), 250);
    assert.equal(parseDuration(source, '2m', 1), 120_000);
    usage(() => parseDuration(source, '-1', 0), /a duration in seconds/);
    usage(() => parseDuration(source, '1h', 0), /a duration in seconds/);
    usage(() => parseDuration(source, '0', 1), /a duration/);
  });

  it('counts: whole numbers in range', () => {
    assert.equal(parseCount(source, '100', 1, 1000), 100);
    usage(() => parseCount(source, '1e3', 1, 10_000), /a whole number from 1 to 10,000/);
    usage(() => parseCount(source, '0', 1, 10), /a whole number/);
  });

  it('formats sizes for people', () => {
    assert.equal(formatBytes(64), '64 B');
    assert.equal(formatBytes(16384), '16 KiB');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(1024 ** 2), '1 MiB');
  });
});

/**
 * Option values a user types: counts, byte sizes (`64`, `16KiB`, `1m`), durations (`10`, `10s`,
 * `500ms`, `2m`) and ports. Each converter names the option in its error.
 */

import { usageError } from './cli-error.js';
import { isDigits, numberWithUnit } from './text.js';

/** Where a value came from, for the error message: the command and the option. */
export interface ValueSource {
  readonly command: string;
  readonly option: string;
}

function invalid(source: ValueSource, text: string, expected: string): never {
  throw usageError(source.command, `--${source.option} must be ${expected} (got '${text}')`);
}

/** A whole number from `min` to `max`. */
export function parseCount(source: ValueSource, text: string, min: number, max: number): number {
  const value = isDigits(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    invalid(source, text, `a whole number from ${min} to ${max.toLocaleString('en-US')}`);
  }
  return value;
}

/** A positive rate: a number, possibly with a fraction (`0.5` per second). */
export function parseRate(source: ValueSource, text: string): number {
  const parsed = numberWithUnit(text);
  const value = parsed !== null && parsed.unit === '' ? parsed.value : Number.NaN;
  if (!(value > 0) || !Number.isFinite(value)) invalid(source, text, 'a positive number');
  return value;
}

/** The factor of `unit` in `units`, or undefined (own keys only: no `constructor`). */
function unitOf(units: Readonly<Record<string, number>>, unit: string): number | undefined {
  return Object.hasOwn(units, unit) ? units[unit] : undefined;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** A size in bytes: `64`, `16k` or `16KiB` (1024s), `1MB` (1000s). */
export function parseSize(source: ValueSource, text: string, min: number, max: number): number {
  const parsed = numberWithUnit(text);
  const unit = parsed === null ? undefined : unitOf(SIZE_UNITS, parsed.unit.toLowerCase());
  const value = unit === undefined ? Number.NaN : Math.round(parsed!.value * unit);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    invalid(source, text, `a size from ${min} to ${formatBytes(max)} (e.g. 64, 16KiB, 1MiB)`);
  }
  return value;
}

const TIME_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, '': 1000, m: 60_000 };

/** A duration in milliseconds, from seconds (`10`, `0.5`) or with a unit (`500ms`, `10s`, `2m`). */
export function parseDuration(source: ValueSource, text: string, minMs: number): number {
  const parsed = numberWithUnit(text);
  const unit = parsed === null ? undefined : unitOf(TIME_UNITS, parsed.unit);
  const value = unit === undefined ? Number.NaN : parsed!.value * unit;
  // setTimeout's ceiling: 2^31 - 1 ms, about 24.8 days.
  if (!Number.isFinite(value) || value < minMs || value > 2 ** 31 - 1) {
    invalid(source, text, 'a duration in seconds, or with a unit (500ms, 10s, 2m)');
  }
  return Math.round(value);
}

/** A TCP port: 0 (any free port) to 65535. */
export function parsePort(source: ValueSource, text: string): number {
  return parseCount(source, text, 0, 65535);
}

/** `1536` -> `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(value < 10 ? 2 : 1))} ${units[unit]}`;
}

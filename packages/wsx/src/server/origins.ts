/**
 * The `allowedOrigins` option: which browser origins may open a WebSocket (a defence against
 * cross-site WebSocket hijacking, which only browsers can be made to do).
 *
 * Origins are compared whole and exactly, after normalisation (RFC 6454 §6.1: scheme and host in
 * lower case, the default port dropped), never as substrings: `https://app.example.com` does not
 * let `https://app.example.co` or `https://app.example.com.evil.net` in.
 */

import { UsageError } from '../core/errors.js';
import type { UpgradeSource } from './upgrade-request.js';

export type OriginPredicate = (origin: string, request: UpgradeSource) => boolean;

/** The option as given: full origins, or a predicate for anything else. */
export type AllowedOrigins = readonly string[] | OriginPredicate;

/**
 * Checks the option and returns the test a request's `Origin` must pass.
 *
 * @throws {UsageError} for anything but an array of full origins (`https://host[:port]`, no path,
 * query or credentials) or a function.
 */
export function resolveAllowedOrigins(option: AllowedOrigins): OriginPredicate {
  if (typeof option === 'function') return option;
  if (!Array.isArray(option)) {
    const got =
      typeof option === 'string' ? `the string ${JSON.stringify(option)}` : String(option);
    throw new UsageError(
      `'allowedOrigins' is an array of origins or a function, not ${got} (write ['https://app.example.com'])`,
    );
  }
  const allowed = new Set<string>();
  for (const entry of option as readonly unknown[]) allowed.add(normaliseConfigured(entry));
  return (origin) => {
    const normal = normaliseOrigin(origin);
    return normal !== null && allowed.has(normal);
  };
}

/** An origin from the configuration, normalised; throws when it is not a full origin. */
function normaliseConfigured(entry: unknown): string {
  const invalid = (why: string): UsageError =>
    new UsageError(`'allowedOrigins' entry ${JSON.stringify(entry)} is not an origin: ${why}`);
  if (typeof entry !== 'string') throw invalid('not a string');
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw invalid("write it as 'https://host' or 'https://host:port'");
  }
  if (url.origin === 'null') throw invalid(`${url.protocol} URLs have no origin`);
  if (url.username !== '' || url.password !== '') throw invalid('it holds credentials');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw invalid('an origin has no path, query or fragment');
  }
  if (entry.endsWith('/') && !entry.endsWith('://')) {
    throw invalid('an origin has no trailing slash');
  }
  return url.origin;
}

/**
 * A request's `Origin` normalised (RFC 6454 §7: `scheme "://" host [ ":" port ]`), or null when it
 * is not a serialised origin (browsers send `null` for opaque origins: never allowed by a list).
 */
export function normaliseOrigin(origin: string): string | null {
  if (origin === 'null' || !origin.includes('://')) return null;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  if (url.origin === 'null' || url.username !== '' || url.password !== '') return null;
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || origin.endsWith('/')) {
    return null;
  }
  return url.origin;
}

/**
 * `wsx serve --static <dir>`: the files of one directory over plain HTTP, for trying a page that
 * opens a WebSocket. Only GET and HEAD; nothing outside the directory (no `..`, no symbolic link
 * leading out of it) and no dotfiles; `index.html` for a directory.
 */

import { createReadStream, realpathSync, type Stats, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { usageError } from '../cli-error.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/** A request answered: for the access log. */
export type AccessLog = (method: string, url: string, status: number) => void;

/** The directory's real path. @throws a usage error if it is not a readable directory */
export function staticRoot(dir: string): string {
  try {
    const root = realpathSync(dir);
    if (statSync(root).isDirectory()) return root;
  } catch {
    // reported below
  }
  throw usageError('serve', `--static needs a directory ('${dir}' is not one)`);
}

/** The request handler for `root` (from {@link staticRoot}). */
export function staticFiles(root: string, log: AccessLog) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? '';
    const url = req.url ?? '/';
    const answer = (status: number, text: string, headers: Record<string, string> = {}): void => {
      log(method, url, status);
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
      res.end(method === 'HEAD' ? undefined : `${text}\n`);
    };
    if (method !== 'GET' && method !== 'HEAD') {
      answer(405, 'only GET and HEAD are served here', { Allow: 'GET, HEAD' });
      return;
    }
    const found = resolveFile(root, url);
    if (found.kind === 'refused') {
      answer(found.status, found.text);
      return;
    }
    if (found.kind === 'redirect') {
      answer(301, 'moved', { Location: found.location });
      return;
    }
    log(method, url, 200);
    res.writeHead(200, {
      'Content-Type':
        CONTENT_TYPES[extname(found.path).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(found.stats.size),
      'Cache-Control': 'no-cache', // a development server: edits show on reload
      'X-Content-Type-Options': 'nosniff',
    });
    if (method === 'HEAD') return void res.end();
    createReadStream(found.path)
      .on('error', () => res.destroy())
      .pipe(res);
  };
}

type Resolved =
  | { readonly kind: 'file'; readonly path: string; readonly stats: Stats }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'refused'; readonly status: number; readonly text: string };

const NOT_FOUND: Resolved = { kind: 'refused', status: 404, text: 'not found' };
const OUTSIDE: Resolved = {
  kind: 'refused',
  status: 403,
  text: 'forbidden: that path leads outside the served directory',
};

/**
 * The file a request path names. The raw path is split before it is decoded, so `..`, `%2e%2e`
 * and `..%2f` are all seen as the segments they are, and refused.
 */
function resolveFile(root: string, url: string): Resolved {
  const rawPath = url.split('?', 1)[0]!;
  if (!rawPath.startsWith('/')) return { kind: 'refused', status: 400, text: 'bad request path' };
  const segments: string[] = [];
  for (const raw of rawPath.split('/').slice(1)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { kind: 'refused', status: 400, text: 'bad percent-encoding in the path' };
    }
    if (
      segment === '..' ||
      segment.includes('/') ||
      segment.includes('\\') ||
      segment.includes('\0')
    ) {
      return OUTSIDE;
    }
    if (segment.startsWith('.') && segment !== '.') return NOT_FOUND; // dotfiles stay private
    if (segment !== '' && segment !== '.') segments.push(segment);
  }
  let path: string;
  let stats: Stats;
  try {
    path = realpathSync(join(root, ...segments));
    stats = statSync(path);
  } catch {
    return NOT_FOUND;
  }
  if (path !== root && !path.startsWith(root + sep)) return OUTSIDE; // a symbolic link out
  if (stats.isDirectory()) {
    // Rebuilt from the segments: a path like //host/dir must not redirect to another host.
    const location =
      segments.length === 0 ? '/' : `/${segments.map(encodeURIComponent).join('/')}/`;
    if (!rawPath.endsWith('/')) return { kind: 'redirect', location };
    return resolveFile(root, `${rawPath}index.html`);
  }
  return stats.isFile() ? { kind: 'file', path, stats } : NOT_FOUND;
}

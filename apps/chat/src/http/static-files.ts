/**
 * The web UI's files (built by esbuild into dist/web), read once at start and served from
 * memory, with a Content-Security-Policy that allows nothing but this origin's own scripts.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECURITY_HEADERS } from './respond.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/** Scripts and styles from this origin only; WebSocket to this origin ('self' covers ws/wss). */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

/** The app's folder (apps/chat), found from this module whether it runs from src or dist. */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('apps/chat/package.json not found');
    dir = parent;
  }
  return dir;
}

export class StaticFiles {
  readonly #files = new Map<string, StaticFile>();

  /** Loads the built UI; throws a clear error if it was not built. */
  constructor(dir = join(appRoot(), 'dist', 'web')) {
    // The source map lets the browser's developer tools show the TypeScript.
    for (const name of ['index.html', 'app.js', 'app.css', 'app.js.map']) {
      const path = join(dir, name);
      if (!existsSync(path))
        throw new Error(`the web UI is not built (${path} is missing): run npm run build`);
      const ext = name.slice(name.lastIndexOf('.'));
      this.#files.set(`/${name}`, { body: readFileSync(path), type: TYPES[ext]! });
    }
    this.#files.set('/', this.#files.get('/index.html')!);
  }

  /** Serves `path` if it is one of the UI's files; false otherwise. */
  serve(path: string, res: ServerResponse, head: boolean): boolean {
    const file = this.#files.get(path);
    if (file === undefined) return false;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': file.type,
      'Content-Length': file.body.length,
      'Content-Security-Policy': CSP,
      // Small files, rebuilt with the server: revalidate each time rather than risk a stale UI.
      'Cache-Control': 'no-cache',
    });
    res.end(head ? undefined : file.body);
    return true;
  }
}

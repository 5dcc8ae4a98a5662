// Bundles the web UI (web/src, TypeScript) with esbuild into dist/web, beside index.html and
// app.css. `node build-web.mjs` (npm run build does it).
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const here = new URL('./', import.meta.url);
const out = new URL('dist/web/', here);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [new URL('web/src/main.ts', here).pathname],
  bundle: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: true,
  outfile: new URL('app.js', out).pathname,
  logLevel: 'warning',
});
copyFileSync(new URL('web/index.html', here), new URL('index.html', out));
copyFileSync(new URL('web/app.css', here), new URL('app.css', out));

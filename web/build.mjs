// Builds the reel UI into web/dist: index.html, app.js, app.css (+ static files).
// Run from anywhere: `node web/build.mjs`. The server embeds web/dist and serves each file at
// /assets/<file>; index.html is served for every UI route (/, /login, /replays, /replays/{id}, /cohorts).
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = dirname(fileURLToPath(import.meta.url));
const outDir = join(webDir, 'dist');

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

await esbuild.build({
  absWorkingDir: webDir,
  entryPoints: [
    { in: 'src/main.ts', out: 'app' },
    { in: 'src/app.css', out: 'app' },
  ],
  outdir: outDir,
  bundle: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // Never ship rrweb's debug logging paths that depend on a process global.
  define: { 'process.env.NODE_ENV': '"production"' },
});

cpSync(join(webDir, 'static'), outDir, { recursive: true });
console.log(`built ${outDir}`);

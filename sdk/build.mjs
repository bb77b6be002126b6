// Builds the SDK: dist/reel.js (minified IIFE exposing `window.reel`, served by the server as
// /sdk.js) and dist/index.mjs (ES module for bundlers). Run from anywhere: `node sdk/build.mjs`.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const versionSource = readFileSync(join(root, 'src/version.ts'), 'utf8');
if (!versionSource.includes(`'${pkg.version}'`)) {
  throw new Error(`src/version.ts does not say ${pkg.version} (package.json); update it`);
}

const common = {
  entryPoints: [join(root, 'src/index.ts')],
  bundle: true,
  target: 'es2019',
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, format: 'iife', globalName: 'reel', minify: true, outfile: join(root, 'dist/reel.js') }),
  build({
    ...common,
    format: 'esm',
    // Bundlers of the npm package resolve rrweb themselves (and can dedupe it).
    external: ['@rrweb/record', '@rrweb/rrweb-plugin-console-record'],
    outfile: join(root, 'dist/index.mjs'),
  }),
]);

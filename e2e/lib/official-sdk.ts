// A site of our own that uses the official Amplitude SDKs, pointed at reel by URLs only.
// It is served from its own origin so that every call to reel is cross-origin (CORS is exercised).
// lib/standalone-replay-sdk.ts serves the same pages with the standalone replay SDK.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The pinned official SDKs as one IIFE exposing `window.amplitude` and `window.sessionReplayPlugin`. */
export function bundleOfficialSdks(): Promise<string> {
  return bundleForBrowser('official-sdks-entry.js', [
    "import * as amplitude from '@amplitude/analytics-browser';",
    "import { sessionReplayPlugin } from '@amplitude/plugin-session-replay-browser';",
    'window.amplitude = amplitude;',
    'window.sessionReplayPlugin = sessionReplayPlugin;',
  ]);
}

/** Bundles an entry module (its lines) and the packages it imports into one browser IIFE. */
export async function bundleForBrowser(name: string, lines: string[]): Promise<string> {
  const result = await build({
    stdin: { contents: lines.join('\n'), resolveDir: REPO_ROOT, loader: 'js', sourcefile: name },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${name}`);
  return output.text;
}

export const SHOP_TITLE = 'Marigold Seed Exchange';
export const OTHER_PAGE_TITLE = 'Marigold order history';

export interface SdkSite {
  origin: string;
  close(): Promise<void>;
}

/** Serves `/` (a form and a button) and `/other.html`, both initialising the SDKs against `reelUrl`. */
export async function serveSdkSite(reelUrl: string, apiKey: string): Promise<SdkSite> {
  return serveSite(await bundleOfficialSdks(), initScript(reelUrl, apiKey));
}

/**
 * Serves the two pages of the test site — `/` (a form, a button, a link) and `/other.html` —
 * each loading `bundle` as `/sdks.js` and then running `init`, on a port of its own.
 */
export async function serveSite(bundle: string, init: string): Promise<SdkSite> {
  const pages: Record<string, string> = {
    '/': page(
      SHOP_TITLE,
      init,
      `<h1>${SHOP_TITLE}</h1>
       <p>Heirloom seeds, swapped between neighbours.</p>
       <label>Your name <input id="name" type="text" autocomplete="off"></label>
       <button id="swap" type="button">Request a swap</button>
       <a id="other" href="/other.html">Order history</a>`,
    ),
    '/other.html': page(OTHER_PAGE_TITLE, init, `<h1>${OTHER_PAGE_TITLE}</h1><p>No orders yet.</p>`),
  };
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://site').pathname;
    if (path === '/sdks.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      response.end(bundle);
      return;
    }
    const html = pages[path];
    if (html === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(html);
  });
  await listen(server);
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((done, fail) => server.close((error) => (error ? fail(error) : done()))),
  };
}

// Exactly the configuration a customer moving to reel would use (see wire-protocol.md).
function initScript(reelUrl: string, apiKey: string): string {
  const url = (path: string): string => JSON.stringify(reelUrl + path);
  return `
    amplitude.init(${JSON.stringify(apiKey)}, {
      serverUrl: ${url('/2/httpapi')},
      remoteConfig: { serverUrl: ${url('/config')} },
      enableDiagnostics: false,
      autocapture: true,
    });
    amplitude.add(sessionReplayPlugin({
      sampleRate: 1,
      trackServerUrl: ${url('/sessions/v2/track')},
      configServerUrl: ${url('/config')},
    }));`;
}

function page(title: string, init: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title>
<script src="/sdks.js"></script>
<script>${init}</script>
</head>
<body>${body}</body>
</html>`;
}

function listen(server: Server): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
}

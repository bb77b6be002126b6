// Amplitude's standalone replay SDK, `@amplitude/session-replay-browser`, without the analytics
// SDK: the page picks its device id and session id and passes them to `sessionReplay.init`.
// Several versions are installed side by side under npm aliases (package.json), each bundled at
// test time and served from an origin of its own.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { bundleForBrowser, serveSite, type SdkSite } from './official-sdk.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PACKAGE = '@amplitude/session-replay-browser';

export interface StandaloneSdk {
  /** The npm alias it is installed under (package.json). */
  alias: string;
  /** The version the alias is pinned to. */
  version: string;
  /** Why this version is tested. */
  why: string;
  /** An upload form (see `describeUpload`) this version must be seen sending, when that is why. */
  sends?: string;
}

/** Keep README.md's table of tested SDKs in step with this one. */
export const STANDALONE_REPLAY_SDKS: StandaloneSdk[] = [
  {
    alias: 'amplitude-session-replay-1-35-0',
    version: '1.35.0',
    why: 'sends each event as JSON.stringify(pack(event))',
    sends: 'packed, inside a JSON string',
  },
  { alias: 'amplitude-session-replay-1-51-6', version: '1.51.6', why: 'the newest release when last checked' },
];

/** Throws unless the alias holds the package and version the table says. */
export function checkInstalled(sdk: StandaloneSdk): void {
  const manifest = JSON.parse(readFileSync(resolve(REPO_ROOT, 'node_modules', sdk.alias, 'package.json'), 'utf8')) as {
    name?: string;
    version?: string;
  };
  if (manifest.name !== PACKAGE || manifest.version !== sdk.version) {
    throw new Error(
      `node_modules/${sdk.alias} holds ${manifest.name}@${manifest.version}, expected ${PACKAGE}@${sdk.version} (npm ci?)`,
    );
  }
}

/**
 * Serves the test site with one version of the standalone SDK, pointed at `reelUrl` by URLs only.
 * The page keeps its ids in sessionStorage, so `/other.html` continues the same replay, and
 * exposes them as `window.replayIds` once `init` has finished (`window.replayInitError` if it
 * failed).
 */
export async function serveStandaloneSite(sdk: StandaloneSdk, reelUrl: string, apiKey: string): Promise<SdkSite> {
  checkInstalled(sdk);
  const bundle = await bundleForBrowser(`${sdk.alias}-entry.js`, [
    `import * as sessionReplay from '${sdk.alias}';`,
    'window.sessionReplay = sessionReplay;',
  ]);
  return serveSite(bundle, initScript(sdk, reelUrl, apiKey));
}

function initScript(sdk: StandaloneSdk, reelUrl: string, apiKey: string): string {
  const url = (path: string): string => JSON.stringify(reelUrl + path);
  return `
    (function () {
      var key = 'reel-e2e-replay-ids';
      var ids = JSON.parse(sessionStorage.getItem(key) || 'null');
      if (!ids) {
        ids = { deviceId: ${JSON.stringify(`standalone-${sdk.version}-`)} + Math.random().toString(36).slice(2), sessionId: Date.now() };
        sessionStorage.setItem(key, JSON.stringify(ids));
      }
      sessionReplay.init(${JSON.stringify(apiKey)}, {
        deviceId: ids.deviceId,
        sessionId: ids.sessionId,
        sampleRate: 1,
        trackServerUrl: ${url('/sessions/v2/track')},
        configServerUrl: ${url('/config')},
      }).promise.then(
        function () { window.replayIds = ids; },
        function (error) { window.replayInitError = String(error); }
      );
    })();`;
}

/**
 * How an upload body carries its first event: `object`, `JSON string` (the event's JSON),
 * `packed` (zlib as latin1 text) or `packed, inside a JSON string` (1.35.0); gzip noted.
 */
export function describeUpload(body: Buffer): string {
  const gzipped = body[0] === 0x1f && body[1] === 0x8b;
  const text = (gzipped ? gunzipSync(body) : body).toString('utf8');
  let parsed: { version?: number; events?: unknown[] };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    return `not JSON${gzipped ? ' (gzip)' : ''}`;
  }
  const first = parsed.events?.[0];
  const carried =
    first === undefined
      ? 'no events'
      : typeof first !== 'string'
        ? 'object'
        : first.startsWith('{')
          ? 'JSON string'
          : first.startsWith('"')
            ? 'packed, inside a JSON string'
            : 'packed';
  return `version ${parsed.version}, ${carried}${gzipped ? ', gzip' : ''}`;
}

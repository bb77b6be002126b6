/** The browser side of uploads: fetch (gzipped when possible) and sendBeacon. */
import type { UploadResponse } from './retry';
import type { Send, UploadRequest } from './uploader';
import type { Beacon } from './wire';

async function gzip(text: string): Promise<ArrayBuffer | null> {
  if (typeof CompressionStream === 'undefined' || typeof Blob === 'undefined' || typeof Response === 'undefined') return null;
  try {
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
    return await new Response(stream).arrayBuffer();
  } catch {
    return null;
  }
}

/**
 * `fetchImpl` is the page's fetch as it was before reel wrapped it, so the SDK's own uploads
 * never show up as the page's network requests.
 */
export function fetchSender(fetchImpl: typeof fetch): Send {
  return async (request: UploadRequest): Promise<UploadResponse> => {
    const headers = { ...request.headers };
    let body: string | ArrayBuffer = request.body;
    if (request.gzip) {
      const compressed = await gzip(request.body);
      if (compressed) {
        body = compressed;
        headers['Content-Encoding'] = 'gzip';
      }
    }
    try {
      const res = await fetchImpl(request.url, { method: 'POST', headers, body, credentials: 'omit' });
      const ok = res.status >= 200 && res.status < 300;
      return {
        status: res.status,
        body: ok ? '' : await res.text().catch(() => ''),
        retryAfter: res.headers.get('Retry-After'),
        skipped: res.headers.get('X-Session-Replay-Event-Skipped'),
      };
    } catch (error) {
      return { status: 0, body: String(error), retryAfter: null, skipped: null };
    }
  };
}

/**
 * Replay beacons go as `application/json` (like Amplitude's SDK, whose server refuses
 * text/plain there); the browser then preflights cross-origin beacons. Analytics beacons go as
 * a plain string, i.e. `text/plain`, which `/2/httpapi` accepts without a preflight.
 */
export function sendBeacon(beacon: Beacon): boolean {
  try {
    if (typeof navigator === 'undefined' || typeof navigator.sendBeacon !== 'function') return false;
    const data = beacon.type === 'application/json' ? new Blob([beacon.body], { type: beacon.type }) : beacon.body;
    return navigator.sendBeacon(beacon.url, data);
  } catch {
    return false;
  }
}

// The generated 2-hour session (bench/workload/long.ts) moved to recent times, and uploading a
// recording in batches the way an SDK cuts them. Shared by the long-session e2e test and the
// player benchmark (bench/player/).

import { gzipSync } from 'node:zlib';
import { generate, pageLoads } from '../../bench/workload/long.ts';

export interface LongSession {
  /** Each event's JSON text, in recorded order. */
  events: string[];
  startMs: number;
  endMs: number;
  /** Bytes of event JSON, all events together. */
  rawBytes: number;
}

/**
 * The deterministic long session of `site` (about 58 MB of JSON for 120 minutes of the admin
 * site), shifted so that it ended `endedAgoMs` ago.
 */
export function longSession(options: { minutes?: number; site?: string; endedAgoMs?: number } = {}): LongSession {
  const minutes = options.minutes ?? 120;
  const site = options.site ?? 'admin';
  const texts = generate(pageLoads(site), minutes, `long-${site}-${minutes}`);
  const parsed = texts.map((text) => JSON.parse(text) as { timestamp: number });
  let first = Infinity;
  let last = -Infinity;
  for (const event of parsed) {
    first = Math.min(first, event.timestamp);
    last = Math.max(last, event.timestamp);
  }
  const shift = Date.now() - (options.endedAgoMs ?? 10 * 60_000) - last;
  let rawBytes = 0;
  const events = parsed.map((event) => {
    event.timestamp += shift;
    const text = JSON.stringify(event);
    rawBytes += text.length;
    return text;
  });
  return { events, startMs: first + shift, endMs: last + shift, rawBytes };
}

/**
 * Cuts a recording into uploads as an SDK flushes them (crates/reel-bench `uploads()`): after
 * `flushMs` of event time or before `maxBytes` would be passed, never between a Meta and the
 * FullSnapshot after it.
 */
export function sdkBatches(events: readonly string[], flushMs = 5_000, maxBytes = 1_000_000): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let size = 0;
  let openedAt: number | null = null;
  let previousWasMeta = false;
  for (const text of events) {
    const { type, timestamp } = JSON.parse(text) as { type: number; timestamp: number };
    const due = (openedAt !== null && timestamp - openedAt >= flushMs) || size + text.length > maxBytes;
    if (due && current.length > 0 && !previousWasMeta) {
      out.push(current);
      current = [];
      size = 0;
      openedAt = null;
    }
    openedAt ??= timestamp;
    size += text.length;
    current.push(text);
    previousWasMeta = type === 4;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Uploads batches through `/sessions/v2/track` (gzip, like the SDKs), `parallel` at a time in order per slot. */
export async function uploadBatches(
  server: { baseUrl: string; apiKey: string },
  deviceId: string,
  sessionId: number,
  batches: readonly string[][],
): Promise<void> {
  const query = new URLSearchParams({ device_id: deviceId, session_id: String(sessionId), type: 'replay' });
  for (const batch of batches) {
    const body = gzipSync(JSON.stringify({ version: 1, events: batch }));
    let attempt = 0;
    for (;;) {
      const response = await fetch(`${server.baseUrl}/sessions/v2/track?${query}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        body,
      });
      const text = await response.text();
      if (response.status === 200) break;
      // The server sheds load with 503 + Retry-After while its memory budget is spent.
      if (response.status === 503 && attempt < 20) {
        attempt += 1;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
        continue;
      }
      throw new Error(`an upload answered ${response.status}: ${text.slice(0, 300)}`);
    }
  }
}

// Sending to reel what SDKs send, with the project's public key (what anyone on the internet can
// do): recordings through `POST /sessions/v2/track` (Amplitude's replay SDK's endpoint), cut into
// batches as an SDK cuts them, and analytics events through `POST /2/httpapi`.
//
// These endpoints speak Amplitude's wire protocol (docs/wire-protocol.md), not the query API, so
// the OpenAPI document has no types for them: the few fields read here are typed here.

import { gzipSync } from 'node:zlib';
import type { Reel } from './reel-server.ts';

/** Where reel is and the key its SDKs send. */
export type IngestServer = Pick<Reel, 'baseUrl' | 'apiKey'>;

/** reel's answer to an upload. */
export interface TrackAnswer {
  events_accepted?: number;
  events_skipped?: number;
}

export interface TrackRequest {
  deviceId: string;
  sessionId: number | string;
  /** Each event as an SDK sends it: its JSON text (Amplitude's replay SDK) or the event itself. */
  events: readonly unknown[];
  /** Request headers beyond the key and the content type: a browser's User-Agent, a proxy's country header. */
  headers?: Record<string, string>;
  /** Gzip the body, as the SDKs do. */
  gzip?: boolean;
}

/** One `POST /sessions/v2/track`: reel's status and answer, whatever they are. */
export async function postTrack(server: IngestServer, request: TrackRequest): Promise<{ status: number; text: string }> {
  const query = new URLSearchParams({ device_id: request.deviceId, session_id: String(request.sessionId), type: 'replay' });
  const json = JSON.stringify({ version: 1, events: request.events });
  const response = await fetch(`${server.baseUrl}/sessions/v2/track?${query}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${server.apiKey}`,
      'Content-Type': 'application/json',
      ...(request.gzip ? { 'Content-Encoding': 'gzip' } : {}),
      ...request.headers,
    },
    body: request.gzip ? gzipSync(json) : json,
  });
  return { status: response.status, text: await response.text() };
}

/** Uploads events; throws unless reel answers 200. */
export async function track(server: IngestServer, request: TrackRequest): Promise<TrackAnswer> {
  const { status, text } = await postTrack(server, request);
  if (status !== 200) throw new Error(`the upload answered ${status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as TrackAnswer;
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

/** Uploads batches through `/sessions/v2/track`, gzip'd like the SDKs do, one after the other. */
export async function uploadBatches(
  server: IngestServer,
  deviceId: string,
  sessionId: number,
  batches: readonly string[][],
): Promise<void> {
  for (const events of batches) {
    let attempt = 0;
    for (;;) {
      const { status, text } = await postTrack(server, { deviceId, sessionId, events, gzip: true });
      if (status === 200) break;
      // The server sheds load with 503 + Retry-After while its memory budget is spent.
      if (status === 503 && attempt < 20) {
        attempt += 1;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
        continue;
      }
      throw new Error(`an upload answered ${status}: ${text.slice(0, 300)}`);
    }
  }
}

/** Sends analytics events through `/2/httpapi`, as Amplitude's SDKs do; throws unless reel answers 200. */
export async function sendAnalytics(server: IngestServer, events: Array<Record<string, unknown>>): Promise<void> {
  const response = await fetch(`${server.baseUrl}/2/httpapi`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ api_key: server.apiKey, events }),
  });
  if (response.status !== 200) throw new Error(`/2/httpapi answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
}

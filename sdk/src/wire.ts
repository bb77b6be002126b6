/**
 * The exact requests reel's SDK sends (Amplitude's wire protocol, see the README). Pure: from a
 * batch to URL, headers and body; the browser-facing transport lives in `transport.ts`.
 */
import { LIBRARY_NAME, VERSION } from './version';
import { isMetaEvent, packForBeacon } from './batch';
import { utf8Length } from './env';
import type { StoredBatch } from './store';
import type { UploadRequest } from './uploader';

export interface WireConfig {
  apiKey: string;
  /** Server origin (and optional path prefix), without trailing slash. */
  serverUrl: string;
  sampleRate: number;
  /** Page URL without query or fragment, for `X-Client-Url`. */
  pageUrl: () => string;
}

export const BEACON_LIMIT_BYTES = 64 * 1024;

export function splitReplayId(replayId: string): { deviceId: string; sessionId: string } {
  const slash = replayId.lastIndexOf('/');
  return { deviceId: replayId.slice(0, slash), sessionId: replayId.slice(slash + 1) };
}

export function replayTrackUrl(config: WireConfig, replayId: string, withApiKey: boolean): string {
  const { deviceId, sessionId } = splitReplayId(replayId);
  const params = new URLSearchParams({ device_id: deviceId, session_id: sessionId, type: 'replay' });
  if (withApiKey) params.set('api_key', config.apiKey);
  return `${config.serverUrl}/sessions/v2/track?${params.toString()}`;
}

export function analyticsUrl(config: WireConfig): string {
  return `${config.serverUrl}/2/httpapi`;
}

/** Replay body: each rrweb event is a JSON *string* inside `events`. */
export function replayBody(version: 1 | 2, events: readonly string[]): string {
  return `{"version":${version},"events":[${events.map((e) => JSON.stringify(e)).join(',')}]}`;
}

/** Analytics body: stored events are already JSON objects; they are spliced in as they are. */
export function analyticsBody(apiKey: string, events: readonly string[], uploadTime: number): string {
  return `{"api_key":${JSON.stringify(apiKey)},"events":[${events.join(',')}],"options":{},"client_upload_time":${JSON.stringify(new Date(uploadTime).toISOString())}}`;
}

export function buildUploadRequest(config: WireConfig, batch: StoredBatch, now: number): UploadRequest {
  if (batch.kind === 'analytics') {
    return {
      url: analyticsUrl(config),
      headers: { 'Content-Type': 'application/json', Accept: '*/*' },
      body: analyticsBody(config.apiKey, batch.events, now),
      gzip: false,
    };
  }
  return {
    url: replayTrackUrl(config, batch.replayId, false),
    headers: {
      Authorization: `Bearer ${config.apiKey}`,
      'Content-Type': 'application/json',
      Accept: '*/*',
      'X-Client-Library': LIBRARY_NAME,
      'X-Client-Version': VERSION,
      'X-Client-Url': config.pageUrl().slice(0, 1000),
      'X-Client-Sample-Rate': String(config.sampleRate),
    },
    body: replayBody(1, batch.events),
    gzip: true,
  };
}

export interface Beacon {
  url: string;
  body: string;
  /** Content type of the beacon body; see `transport.ts` for why replay beacons are JSON. */
  type: 'application/json' | 'text/plain';
  /** Events this beacon carries, so the caller knows what is sent if it was queued. */
  events: string[];
}

/** Beacons for one batch, each within 64 KB; `tooLarge` events can only go by a later fetch. */
export function beaconsFor(config: WireConfig, batch: StoredBatch, now: number): { beacons: Beacon[]; tooLarge: string[] } {
  if (batch.kind === 'analytics') {
    const url = analyticsUrl(config);
    const overhead = utf8Length(analyticsBody(config.apiKey, [], now));
    const { chunks, tooLarge } = packForBeacon(batch.events, utf8Length, overhead, BEACON_LIMIT_BYTES);
    return {
      beacons: chunks.map((events) => ({ url, body: analyticsBody(config.apiKey, events, now), type: 'text/plain', events })),
      tooLarge,
    };
  }
  const url = replayTrackUrl(config, batch.replayId, true);
  const overhead = utf8Length(replayBody(2, []));
  const { chunks, tooLarge } = packForBeacon(batch.events, (e) => utf8Length(JSON.stringify(e)), overhead, BEACON_LIMIT_BYTES, isMetaEvent);
  return {
    beacons: chunks.map((events) => ({ url, body: replayBody(2, events), type: 'application/json', events })),
    tooLarge,
  };
}

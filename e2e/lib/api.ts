// A small client for reel's query API, authenticated with the admin token. The API's shapes are
// the generated ones the UI uses too (web/src/generated/api-types.ts, from the OpenAPI document
// the Rust types make).

import type { components } from '../../web/src/generated/api-types.ts';
import { toJson } from './json.ts';
import { pollUntil } from './poll.ts';
import type { Reel } from './reel.ts';

export type Replay = components['schemas']['Replay'];
export type ReplayPage = components['schemas']['ReplayPage'];
export type SearchRequest = components['schemas']['SearchRequest'];

/** An rrweb event as stored; only the fields the tests look at are typed. */
export interface RrwebEvent {
  type: number;
  timestamp: number;
  data: Record<string, any>;
}

export const EventType = { FullSnapshot: 2, IncrementalSnapshot: 3, Meta: 4, Custom: 5, Plugin: 6 } as const;
export const IncrementalSource = { MouseInteraction: 2, Input: 5 } as const;

export async function getJson<T>(reel: Reel, path: string): Promise<T> {
  const response = await fetch(reel.baseUrl + path, { headers: { Authorization: `Bearer ${reel.adminToken}` } });
  if (!response.ok) {
    throw new Error(`GET ${path} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
  return (await response.json()) as T;
}

/** The replay recorded for one browser session, or undefined while reel does not list it yet. */
export async function findReplay(reel: Reel, deviceId: string, sessionId: string | number): Promise<Replay | undefined> {
  const { replays } = await getJson<ReplayPage>(reel, '/api/v1/replays?limit=100&count=false');
  return replays.find((replay) => replay.device_id === deviceId && String(replay.session_id) === String(sessionId));
}

/** One page of a search (`POST /api/v1/replays/search`). */
export async function searchReplays(reel: Reel, search: SearchRequest): Promise<ReplayPage> {
  const response = await fetch(`${reel.baseUrl}/api/v1/replays/search`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${reel.adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(search),
  });
  if (!response.ok) throw new Error(`search answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return (await response.json()) as ReplayPage;
}

export function getReplayEvents(reel: Reel, replayId: string): Promise<RrwebEvent[]> {
  return getJson<RrwebEvent[]>(reel, `/api/v1/replays/${encodeURIComponent(replayId)}/events`);
}

/** Splits an Amplitude-style replay id `"<device_id>/<session_id>"`. */
export function parseSessionReplayId(value: string): { deviceId: string; sessionId: string } {
  const slash = value.lastIndexOf('/');
  if (slash <= 0 || slash === value.length - 1) throw new Error(`not a session replay id: ${JSON.stringify(value)}`);
  return { deviceId: value.slice(0, slash), sessionId: value.slice(slash + 1) };
}

export function hasEvent(events: RrwebEvent[], type: number): boolean {
  return events.some((event) => event.type === type);
}

export function pluginEvents(events: RrwebEvent[], plugin: string): RrwebEvent[] {
  return events.filter((event) => event.type === EventType.Plugin && event.data?.plugin === plugin);
}

/** One session's events, sent the way Amplitude's replay SDK sends them. */
export interface Recording {
  deviceId: string;
  sessionId: number;
  events: RrwebEvent[];
}

/**
 * Uploads a recording through `POST /sessions/v2/track` with the project's public key (what
 * anyone on the internet can do) and waits until the query API lists it.
 */
export async function uploadRecording(reel: Reel, recording: Recording): Promise<Replay> {
  const query = new URLSearchParams({ device_id: recording.deviceId, session_id: String(recording.sessionId), type: 'replay' });
  const response = await fetch(`${reel.baseUrl}/sessions/v2/track?${query}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${reel.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ version: 1, events: recording.events.map(toJson) }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`the upload answered ${response.status}: ${text.slice(0, 300)}`);
  const answer = JSON.parse(text) as { events_accepted?: number };
  if (answer.events_accepted !== recording.events.length) {
    throw new Error(`reel accepted ${answer.events_accepted} of ${recording.events.length} events: ${text.slice(0, 300)}`);
  }
  const times = recording.events.map((event) => event.timestamp);
  const range = new URLSearchParams({
    limit: '100',
    start: new Date(Math.min(...times) - 60_000).toISOString(),
    end: new Date(Math.max(...times) + 60_000).toISOString(),
  });
  return pollUntil(
    async () => {
      const { replays } = await getJson<ReplayPage>(reel, `/api/v1/replays?${range}`);
      return replays.find((r) => r.device_id === recording.deviceId && String(r.session_id) === String(recording.sessionId));
    },
    { what: `reel to list the replay of ${recording.deviceId}`, timeoutMs: 10_000 },
  );
}

// A small client for reel's query API, authenticated with the admin token.

import type { Reel } from './reel.ts';

export interface Replay {
  id: string;
  session_id: number;
  device_id: string;
  user_id: string | null;
  start_time: string;
  end_time: string;
  duration_ms: number;
  event_count: number;
  size_bytes: number;
  first_url: string | null;
  country: string | null;
}

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
  const { replays } = await getJson<{ replays: Replay[] }>(reel, '/api/v1/replays?limit=100');
  return replays.find((replay) => replay.device_id === deviceId && String(replay.session_id) === String(sessionId));
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

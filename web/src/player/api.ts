// The API calls the player makes (kept apart from `../api.ts`, which the replay list shares):
// a replay with its facts, its manifest, windowed event reads, the session's activity and
// timeline, feedback.

import { ApiError, apiFetch, getMe, type Me, type RecordedEvent } from '../api';
import { mark } from './marks';
import type { Piece } from './windows';

export interface ReplayDetails {
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
  urls?: string[] | null;
  country: string | null;
  viewport?: { width: number; height: number } | null;
  browser?: string | null;
  os?: string | null;
  device?: string | null;
  last_upload_time?: string | null;
  processing_pending?: boolean;
  active_ms?: number | null;
  click_count?: number | null;
  console_error_count?: number | null;
  network_error_count?: number | null;
  runtime_error_count?: number | null;
  rage_click_count?: number | null;
  dead_click_count?: number | null;
  error_click_count?: number | null;
}

export interface Manifest {
  start_ms: number;
  end_ms: number;
  keyframes: number[];
  pieces: Array<Piece & { kind: string; keyframe_ms: number | null; event_count: number; stored_bytes: number }>;
  gaps: Array<{ start_ms: number; end_ms: number }>;
  replay: ReplayDetails;
}

export interface ActivityEvent {
  event_type: string;
  display_name: string;
  time_ms: number;
  offset_ms: number;
  derived: boolean;
  user_id?: string | null;
  event_properties: Record<string, unknown> | null;
}

export interface ConsoleEntry {
  time_ms: number;
  offset_ms: number;
  level: string;
  message: string;
  trace: string[];
}

export interface NetworkEntry {
  time_ms: number;
  offset_ms: number;
  method: string;
  url: string;
  status: number | null;
  duration_ms: number | null;
  initiator_type: string | null;
  error: string | null;
  failed: boolean;
}

export interface CustomEntry {
  time_ms: number;
  offset_ms: number;
  tag: string;
  payload: string | null;
}

export interface Timeline {
  start_ms: number;
  end_ms: number;
  inactive_threshold_ms: number;
  console: ConsoleEntry[];
  network: NetworkEntry[];
  custom: CustomEntry[];
  pages: Array<{ time_ms: number; offset_ms: number; href: string }>;
  inactive: Array<{ start_ms: number; end_ms: number }>;
  truncated: Record<string, boolean>;
}

export interface Feedback {
  id: number;
  replay_id: string;
  user: { email: string };
  rating: 'up' | 'down';
  comment: string | null;
  created_at: string;
}

/** `/api/v1/me` with what the player reads beside the list's fields. */
export interface MeWithSettings extends Me {
  role?: string;
  projects: Array<Me['projects'][number] & { timezone?: string }>;
}

const base = (id: string): string => `/api/v1/replays/${encodeURIComponent(id)}`;

async function json<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await apiFetch(path, signal ? { signal } : {});
  return (await response.json()) as T;
}

export function getMeWithSettings(): Promise<MeWithSettings> {
  return getMe() as Promise<MeWithSettings>;
}

export function getReplayDetails(id: string, signal?: AbortSignal): Promise<ReplayDetails> {
  return json<ReplayDetails>(base(id), signal);
}

export function getManifest(id: string, signal?: AbortSignal): Promise<Manifest> {
  return json<Manifest>(`${base(id)}/manifest`, signal);
}

export async function getActivity(id: string, signal?: AbortSignal): Promise<ActivityEvent[]> {
  const body = await json<{ events: ActivityEvent[] }>(`${base(id)}/activity`, signal);
  return body.events;
}

export function getTimeline(id: string, signal?: AbortSignal): Promise<Timeline> {
  return json<Timeline>(`${base(id)}/timeline`, signal);
}

export interface EventWindow {
  events: RecordedEvent[];
  /** Where the answer starts: the keyframe a `from` read went back to, or `from` of an exact read. */
  start: number;
  /** Bytes of JSON received (after decompression). */
  bytes: number;
}

/** Events with `from <= timestamp <= to` (a non-exact read starts at the keyframe before `from`). */
export async function getEventWindow(
  id: string,
  read: { from: number; to: number; exact: boolean },
  signal?: AbortSignal,
): Promise<EventWindow> {
  const params = new URLSearchParams({ from: String(Math.floor(read.from)), to: String(Math.floor(read.to)) });
  if (read.exact) params.set('exact', '1');
  const response = await apiFetch(`${base(id)}/events?${params}`, signal ? { signal } : {});
  mark('reel:window-answered');
  const header = Number(response.headers.get('X-Reel-Window-Start'));
  const text = await response.text();
  mark('reel:window-received');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(200, 'bad_events', 'the recording could not be read (not JSON)');
  }
  if (!Array.isArray(parsed)) throw new ApiError(200, 'bad_events', 'the recording is not an event list');
  const events = parsed.filter(isRecordedEvent);
  const first = events[0]?.timestamp;
  const start = Number.isFinite(header) && response.headers.has('X-Reel-Window-Start') ? header : (first ?? read.from);
  return { events, start: Math.min(start, first ?? start), bytes: text.length };
}

export async function sendFeedback(id: string, rating: 'up' | 'down', comment: string): Promise<Feedback> {
  const response = await apiFetch(`${base(id)}/feedback`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(comment.trim() ? { rating, comment: comment.trim() } : { rating }),
  });
  return (await response.json()) as Feedback;
}

export async function listFeedback(signal?: AbortSignal): Promise<Feedback[]> {
  const body = await json<{ feedback: Feedback[] }>('/api/v1/feedback', signal);
  return body.feedback;
}

/** rrweb reads `data` of every event it plays; an event without it cannot be replayed. */
function isRecordedEvent(value: unknown): value is RecordedEvent {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RecordedEvent).type === 'number' &&
    Number.isFinite((value as RecordedEvent).timestamp) &&
    typeof (value as RecordedEvent).data === 'object' &&
    (value as RecordedEvent).data !== null
  );
}

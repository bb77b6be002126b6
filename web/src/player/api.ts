// The API calls the player makes (kept apart from `../api.ts`, which the replay list shares):
// a replay with its facts, its manifest, windowed event reads, the session's activity and
// timeline, feedback.

import { ApiError, apiFetch, getMe, type Me, type RecordedEvent } from '../api';
import { mark } from './marks';
import type { components } from '../generated/api-types';

// The shapes are generated from the Rust types (web/src/generated/api-types.ts).
type Schemas = components['schemas'];
export type ReplayDetails = Schemas['Replay'];
export type Manifest = Schemas['Manifest'];
export type ActivityEvent = Schemas['ActivityEvent'];
export type ConsoleEntry = Schemas['ConsoleRecord'];
export type NetworkEntry = Schemas['NetworkRequest'];
export type CustomEntry = Schemas['CustomEvent'];
export type Timeline = Schemas['Timeline'];
export type Feedback = Schemas['Feedback'];
export type MeWithSettings = Me;

/** Which replay: its id and its project (none: your first project). */
export interface ReplayRef {
  id: string;
  project?: number | undefined;
}

/** The API path of a replay's `path`, with `params` and its project. */
function replayPath(replay: ReplayRef, path = '', params = new URLSearchParams()): string {
  if (replay.project !== undefined) params.set('project', String(replay.project));
  const query = params.toString();
  return `/api/v1/replays/${encodeURIComponent(replay.id)}${path}${query ? `?${query}` : ''}`;
}

async function json<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await apiFetch(path, signal ? { signal } : {});
  return (await response.json()) as T;
}

export function getMeWithSettings(): Promise<MeWithSettings> {
  return getMe();
}

export function getReplayDetails(replay: ReplayRef, signal?: AbortSignal): Promise<ReplayDetails> {
  return json<ReplayDetails>(replayPath(replay), signal);
}

export function getManifest(replay: ReplayRef, signal?: AbortSignal): Promise<Manifest> {
  return json<Manifest>(replayPath(replay, '/manifest'), signal);
}

export async function getActivity(replay: ReplayRef, signal?: AbortSignal): Promise<ActivityEvent[]> {
  const body = await json<Schemas['Activity']>(replayPath(replay, '/activity'), signal);
  return body.events;
}

export function getTimeline(replay: ReplayRef, signal?: AbortSignal): Promise<Timeline> {
  return json<Timeline>(replayPath(replay, '/timeline'), signal);
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
  replay: ReplayRef,
  read: { from: number; to: number; exact: boolean },
  signal?: AbortSignal,
): Promise<EventWindow> {
  const params = new URLSearchParams({ from: String(Math.floor(read.from)), to: String(Math.floor(read.to)) });
  if (read.exact) params.set('exact', '1');
  const response = await apiFetch(replayPath(replay, '/events', params), signal ? { signal } : {});
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

export async function sendFeedback(replay: ReplayRef, rating: 'up' | 'down', comment: string): Promise<Feedback> {
  const response = await apiFetch(replayPath(replay, '/feedback'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(comment.trim() ? { rating, comment: comment.trim() } : { rating }),
  });
  return (await response.json()) as Feedback;
}

export async function listFeedback(project: number | undefined, signal?: AbortSignal): Promise<Feedback[]> {
  const query = project === undefined ? '' : `?project=${project}`;
  const body = await json<Schemas['FeedbackList']>(`/api/v1/feedback${query}`, signal);
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

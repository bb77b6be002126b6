// The query API client: typed responses, one error type, and the "401 means log in again" rule.

export interface Project {
  id: string;
  name: string;
  api_key: string;
}

export interface Me {
  user: { email: string };
  organization: { id: string; name: string };
  projects: Project[];
}

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

/** An rrweb event as the player needs it; the rest of its shape is rrweb's business. */
export interface RecordedEvent {
  type: number;
  timestamp: number;
  data: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let onUnauthenticated: () => void = () => {};

/** Installed once by main: what to do when any call answers 401 (go to the login page). */
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      credentials: 'same-origin',
      ...init,
      // The server refuses cookie-authenticated API calls without this header: a recorded page
      // replayed in the player can make the browser send GETs to reel (images, CSS), but it
      // cannot add a header to them.
      headers: { Accept: 'application/json', 'X-Reel-Request': '1', ...(init.headers ?? {}) },
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', 'could not reach the reel server');
  }
  if (response.ok) return response;
  const { code, message } = await readError(response);
  if (response.status === 401 && path !== '/api/v1/login') onUnauthenticated();
  throw new ApiError(response.status, code, message);
}

async function readError(response: Response): Promise<{ code: string; message: string }> {
  const fallback = { code: `http_${response.status}`, message: `request failed (${response.status})` };
  try {
    const body: unknown = await response.json();
    if (isRecord(body) && isRecord(body.error)) {
      return {
        code: typeof body.error.code === 'string' ? body.error.code : fallback.code,
        message: typeof body.error.message === 'string' ? body.error.message : fallback.message,
      };
    }
  } catch {
    // Not JSON (a proxy error page, say): the status is all we know.
  }
  return fallback;
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await request(path, signal ? { signal } : {});
  return (await response.json()) as T;
}

async function postJson(path: string, body: unknown): Promise<Response> {
  return request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export async function login(email: string, password: string): Promise<void> {
  await postJson('/api/v1/login', { email, password });
}

export async function logout(): Promise<void> {
  await postJson('/api/v1/logout', {});
}

let mePromise: Promise<Me> | null = null;

/** The signed-in user and their projects; fetched once per login and shared by every view. */
export function getMe(): Promise<Me> {
  mePromise ??= getJson<Me>('/api/v1/me').catch((err: unknown) => {
    mePromise = null;
    throw err;
  });
  return mePromise;
}

export function forgetMe(): void {
  mePromise = null;
}

export interface ReplayQuery {
  start: string;
  end: string;
  project?: string | undefined;
  limit?: number;
}

export async function listReplays(query: ReplayQuery, signal?: AbortSignal): Promise<Replay[]> {
  const params = new URLSearchParams({ start: query.start, end: query.end });
  if (query.project) params.set('project', query.project);
  if (query.limit) params.set('limit', String(query.limit));
  const body = await getJson<{ replays: Replay[] }>(`/api/v1/replays?${params}`, signal);
  return body.replays;
}

export function getReplay(id: string, signal?: AbortSignal): Promise<Replay> {
  return getJson<Replay>(`/api/v1/replays/${encodeURIComponent(id)}`, signal);
}

/**
 * Downloads a replay's events, reporting bytes received as they arrive (recordings can be
 * many megabytes, so the player shows progress instead of a silent spinner).
 */
export async function getReplayEvents(
  id: string,
  onProgress: (bytesReceived: number) => void,
  signal?: AbortSignal,
): Promise<RecordedEvent[]> {
  const response = await request(
    `/api/v1/replays/${encodeURIComponent(id)}/events`,
    signal ? { signal } : {},
  );
  let text: string;
  if (response.body) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parts: string[] = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      parts.push(decoder.decode(value, { stream: true }));
      onProgress(received);
    }
    parts.push(decoder.decode());
    text = parts.join('');
  } else {
    text = await response.text();
  }
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new ApiError(200, 'bad_events', 'the recording is not an event list');
  return parsed.filter(isRecordedEvent);
}

/** rrweb reads `data` of every event it plays; an event without it cannot be replayed. */
function isRecordedEvent(value: unknown): value is RecordedEvent {
  return isRecord(value) && typeof value.type === 'number' && Number.isFinite(value.timestamp) && isRecord(value.data);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Any API call with the UI's rules (the `X-Reel-Request` header, one error type, 401 → login),
 * for modules that keep their own calls (the player's are in `player/api.ts`).
 */
export function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  return request(path, init);
}

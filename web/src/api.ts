// The query API client: typed responses, one error type, and the "401 means log in again" rule.
// The API's shapes are generated (web/src/generated/api-types.ts, from the OpenAPI document the
// Rust types make): nothing here restates them.

import type { components } from './generated/api-types';

type Schemas = components['schemas'];
export type Project = Schemas['ProjectInfo'];
export type Me = Schemas['Me'];
export type Replay = Schemas['Replay'];
export type ReplayPage = Schemas['ReplayPage'];
export type SearchRequest = Schemas['SearchRequest'];
export type FilterSpec = Schemas['FilterSpec'];
export type FilterField = Schemas['FilterField'];
export type Operator = Schemas['Operator'];
export type PropertySpec = Schemas['PropertySpec'];
export type ScalarValue = Schemas['ScalarValue'];
export type SortField = Schemas['SortField'];
export type SortOrder = Schemas['SortOrder'];
export type ClickSignal = Schemas['ClickSignalSpec'];
export type SavedSearch = Schemas['SavedSearch'];
export type SavedSearchSpec = Schemas['SavedSearchSpec'];
export type RangePreset = Schemas['RangePreset'];
export type Cohort = Schemas['Cohort'];
export type CohortDefinition = Schemas['CohortDefinition'];
export type CohortCondition = Schemas['CohortConditionSpec'];
export type Catalog = Schemas['Catalog'];
export type Role = Schemas['Role'];

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

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await request(path, signal ? { signal } : {});
  return (await response.json()) as T;
}

async function postJson(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return sendJson('POST', path, body, signal);
}

export async function sendJson(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return request(path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

/** `?project=<id>` for calls about one project (none: the first). */
function projectQuery(project: number | undefined): string {
  return project === undefined ? '' : `?project=${encodeURIComponent(String(project))}`;
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
  project?: number | undefined;
  limit?: number;
}

/** The newest replays of a date range (no filters). */
export async function listReplays(query: ReplayQuery, signal?: AbortSignal): Promise<Replay[]> {
  const params = new URLSearchParams({ start: query.start, end: query.end, count: 'false' });
  if (query.project !== undefined) params.set('project', String(query.project));
  if (query.limit) params.set('limit', String(query.limit));
  const body = await getJson<ReplayPage>(`/api/v1/replays?${params}`, signal);
  return body.replays;
}

/** One page of a search (`POST /replays/search`). */
export async function searchReplays(search: SearchRequest, project: number | undefined, signal?: AbortSignal): Promise<ReplayPage> {
  const response = await postJson(`/api/v1/replays/search${projectQuery(project)}`, search, signal);
  return (await response.json()) as ReplayPage;
}

/** Event and user property names the project has seen. */
export function getCatalog(project: number | undefined, signal?: AbortSignal): Promise<Catalog> {
  return getJson<Catalog>(`/api/v1/catalog${projectQuery(project)}`, signal);
}

export async function listSavedSearches(project: number | undefined, signal?: AbortSignal): Promise<SavedSearch[]> {
  return (await getJson<Schemas['SavedSearchList']>(`/api/v1/saved-searches${projectQuery(project)}`, signal)).saved_searches;
}

export async function saveSearch(project: number | undefined, name: string, search: SavedSearchSpec): Promise<SavedSearch> {
  const body: Schemas['SavedSearchRequest'] = { name, search };
  return (await (await postJson(`/api/v1/saved-searches${projectQuery(project)}`, body)).json()) as SavedSearch;
}

export async function deleteSavedSearch(project: number | undefined, id: number): Promise<void> {
  await request(`/api/v1/saved-searches/${id}${projectQuery(project)}`, { method: 'DELETE' });
}

export async function listCohorts(project: number | undefined, signal?: AbortSignal): Promise<Cohort[]> {
  return (await getJson<Schemas['CohortList']>(`/api/v1/cohorts${projectQuery(project)}`, signal)).cohorts;
}

/** Creates a cohort, or replaces cohort `id`. */
export async function saveCohort(
  project: number | undefined,
  id: number | undefined,
  name: string,
  definition: CohortDefinition,
): Promise<Cohort> {
  const body: Schemas['CohortRequest'] = { name, definition };
  const path = id === undefined ? '/api/v1/cohorts' : `/api/v1/cohorts/${id}`;
  return (await (await sendJson(id === undefined ? 'POST' : 'PUT', `${path}${projectQuery(project)}`, body)).json()) as Cohort;
}

export async function deleteCohort(project: number | undefined, id: number): Promise<void> {
  await request(`/api/v1/cohorts/${id}${projectQuery(project)}`, { method: 'DELETE' });
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

// A small client for reel's query API (`/api/v1/...`), authenticated with the admin token. Every
// body it reads or sends has its generated type (api-types.ts).

import type {
  Activity,
  FeedbackList,
  IngestionMonitor,
  Manifest,
  Me,
  ProjectInfo,
  ProjectSettings,
  ProjectSettingsUpdate,
  ProjectUpdate,
  RecordedEvent,
  Replay,
  ReplayPage,
  SearchRequest,
} from './api-types.ts';
import type { Reel } from './reel-server.ts';

/** Where the API is and the token that may read it. */
export type AdminApi = Pick<Reel, 'baseUrl' | 'adminToken'>;

export function getJson<T>(api: AdminApi, path: string): Promise<T> {
  return call<T>(api, 'GET', path);
}

/** `POST`, `PATCH`, … with a JSON body; the answer's JSON. */
export function sendJson<T>(api: AdminApi, method: string, path: string, body: unknown): Promise<T> {
  return call<T>(api, method, path, body);
}

async function call<T>(api: AdminApi, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(api.baseUrl + path, {
    method,
    headers: {
      Authorization: `Bearer ${api.adminToken}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) {
    throw new Error(`${method} ${path} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
  return (await response.json()) as T;
}

/** A replay's API path, with `tail`; of `project` when given (else the first project). */
function replayPath(replayId: string, tail = '', project?: number): string {
  return `/api/v1/replays/${encodeURIComponent(replayId)}${tail}${project === undefined ? '' : `?project=${project}`}`;
}

/**
 * The replay recorded for one browser session among the first page of a list
 * (`GET /api/v1/replays?<listQuery>`), or undefined while reel does not list it yet.
 */
export async function findReplay(
  api: AdminApi,
  deviceId: string,
  sessionId: string | number,
  listQuery = 'limit=100&count=false',
): Promise<Replay | undefined> {
  const { replays } = await getJson<ReplayPage>(api, `/api/v1/replays?${listQuery}`);
  return replays.find((replay) => replay.device_id === deviceId && String(replay.session_id) === String(sessionId));
}

/** One page of a search (`POST /api/v1/replays/search`). */
export function searchReplays(api: AdminApi, search: SearchRequest): Promise<ReplayPage> {
  return sendJson<ReplayPage>(api, 'POST', '/api/v1/replays/search', search);
}

export function getReplay(api: AdminApi, replayId: string): Promise<Replay> {
  return getJson<Replay>(api, replayPath(replayId));
}

export function getReplayEvents(api: AdminApi, replayId: string, project?: number): Promise<RecordedEvent[]> {
  return getJson<RecordedEvent[]>(api, replayPath(replayId, '/events', project));
}

export function getManifest(api: AdminApi, replayId: string): Promise<Manifest> {
  return getJson<Manifest>(api, `${replayPath(replayId)}/manifest`);
}

export function getActivity(api: AdminApi, replayId: string, project?: number): Promise<Activity> {
  return getJson<Activity>(api, replayPath(replayId, '/activity', project));
}

export function getMe(api: AdminApi): Promise<Me> {
  return getJson<Me>(api, '/api/v1/me');
}

export function listFeedback(api: AdminApi): Promise<FeedbackList> {
  return getJson<FeedbackList>(api, '/api/v1/feedback');
}

export function updateProject(api: AdminApi, projectId: number, update: ProjectUpdate): Promise<ProjectInfo> {
  return sendJson<ProjectInfo>(api, 'PATCH', `/api/v1/projects/${projectId}`, update);
}

/** A new project (the token's owner must be an organization admin): its id and ingestion key. */
export function createProject(api: AdminApi, name: string): Promise<ProjectInfo> {
  return sendJson<ProjectInfo>(api, 'POST', '/api/v1/projects', { name });
}

export function updateSettings(api: AdminApi, projectId: number, update: ProjectSettingsUpdate): Promise<ProjectSettings> {
  return sendJson<ProjectSettings>(api, 'PATCH', `/api/v1/projects/${projectId}/settings`, update);
}

export function getIngestion(api: AdminApi, projectId: number): Promise<IngestionMonitor> {
  return getJson<IngestionMonitor>(api, `/api/v1/projects/${projectId}/ingestion`);
}

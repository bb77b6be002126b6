// The analytics API: charts, the Microscope, users, dashboards and notebooks. Shapes come from
// the generated types (web/src/generated/api-types.ts), like every other call.

import { apiFetch } from './api';
import type { components } from './generated/api-types';

type Schemas = components['schemas'];
export type ChartSpec = Schemas['ChartSpec'];
export type ChartKind = ChartSpec['kind'];
export type ChartAnswer = Schemas['ChartAnswer'];
export type ChartEventSpec = Schemas['ChartEventSpec'];
export type SegmentationAnswer = Schemas['SegmentationAnswer'];
export type FunnelAnswer = Schemas['FunnelAnswer'];
export type SessionsAnswer = Schemas['SessionsAnswer'];
export type JourneysAnswer = Schemas['JourneysAnswer'];
export type ExperimentAnswer = Schemas['ExperimentAnswer'];
export type Series = Schemas['Series'];
export type DataPoint = Schemas['DataPointSpec'];
export type MicroscopePage = Schemas['MicroscopePage'];
export type MicroscopeSession = Schemas['MicroscopeSession'];
export type UserProfile = Schemas['UserProfile'];
export type UserSummary = Schemas['UserSummary'];
export type StreamSession = Schemas['StreamSession'];
export type StreamEvent = Schemas['StreamEvent'];
export type Board = Schemas['Board'];
export type BoardItem = Schemas['BoardItem'];
export type BoardRequest = Schemas['BoardRequest'];
export type BoardKind = Schemas['BoardKindName'];
export type BoardDateRange = Schemas['BoardDateRange'];
export type PropertySpec = Schemas['PropertySpec'];

function query(project: number | undefined, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(extra);
  if (project !== undefined) params.set('project', String(project));
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function send<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const response = await apiFetch(path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  return (await response.json()) as T;
}

async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await apiFetch(path, signal ? { signal } : {});
  return (await response.json()) as T;
}

/** Answers a chart (`POST /charts/{kind}`), tagged with its kind. */
export async function runChart(project: number | undefined, chart: ChartSpec, signal?: AbortSignal): Promise<ChartAnswer> {
  const { kind, ...request } = chart;
  const answer = await send<object>('POST', `/api/v1/charts/${kind}${query(project)}`, request, signal);
  return { kind, ...answer } as ChartAnswer;
}

/** The sessions behind a data point, a page at a time. */
export function chartSessions(
  project: number | undefined,
  chart: ChartSpec,
  point: DataPoint,
  withReplays: boolean,
  cursor?: string,
  signal?: AbortSignal,
): Promise<MicroscopePage> {
  const body: Schemas['MicroscopeRequest'] = { chart, point, with_replays: withReplays, limit: 50 };
  if (cursor) body.cursor = cursor;
  return send('POST', `/api/v1/charts/${chart.kind}/sessions${query(project)}`, body, signal);
}

/** Users by user id prefix, device id or property value; `recent`: the users active last. */
export function findUsers(project: number | undefined, by: 'user_id' | 'device_id' | 'property' | 'recent', text: string, value = '', signal?: AbortSignal): Promise<Schemas['UserList']> {
  const params: Record<string, string> = by === 'recent' ? {} : by === 'property' ? { property: text, value } : { [by]: text };
  return get(`/api/v1/users${query(project, params)}`, signal);
}

export function getUser(project: number | undefined, id: string, byDevice: boolean, beforeMs?: number, signal?: AbortSignal): Promise<UserProfile> {
  const params: Record<string, string> = {};
  if (byDevice) params.by = 'device_id';
  if (beforeMs !== undefined) params.before_ms = String(beforeMs);
  return get(`/api/v1/users/${encodeURIComponent(id)}${query(project, params)}`, signal);
}

const boardPath = (kind: BoardKind): string => (kind === 'dashboard' ? '/api/v1/dashboards' : '/api/v1/notebooks');

export async function listBoards(project: number | undefined, kind: BoardKind, signal?: AbortSignal): Promise<Board[]> {
  return (await get<Schemas['BoardList']>(`${boardPath(kind)}${query(project)}`, signal)).boards;
}

export function getBoard(project: number | undefined, kind: BoardKind, id: number, signal?: AbortSignal): Promise<Board> {
  return get(`${boardPath(kind)}/${id}${query(project)}`, signal);
}

export function createBoard(project: number | undefined, kind: BoardKind, body: BoardRequest): Promise<Board> {
  return send('POST', `${boardPath(kind)}${query(project)}`, body);
}

export function putBoard(project: number | undefined, kind: BoardKind, id: number, body: BoardRequest): Promise<Board> {
  return send('PUT', `${boardPath(kind)}/${id}${query(project)}`, body);
}

export async function deleteBoard(project: number | undefined, kind: BoardKind, id: number): Promise<void> {
  await apiFetch(`${boardPath(kind)}/${id}${query(project)}`, { method: 'DELETE' });
}

export async function orderBoards(project: number | undefined, kind: BoardKind, ids: number[]): Promise<Board[]> {
  return (await send<Schemas['BoardList']>('PUT', `${boardPath(kind)}/order${query(project)}`, { ids })).boards;
}

/** A board as sent back when it changes. */
export function boardRequest(board: Board): BoardRequest {
  const body: BoardRequest = { name: board.name, items: board.items };
  if (board.date_range) body.date_range = board.date_range;
  return body;
}
